"""A daemon thread that runs one function every few seconds, each run with its own database connection."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from store.db import unit_of_work


class Periodic:
    """Calls `work()` every `interval` seconds until stopped; a failing run is logged and the next one tries again
    (the database may be down for a moment)."""

    def __init__(self, work: Callable[[], object], interval: float, name: str, log: logging.Logger,
                 failure: str) -> None:
        self.work, self.interval, self.log, self.failure = work, interval, log, failure
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Periodic:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                with unit_of_work():
                    self.work()
            except Exception:  # noqa: BLE001 - logged; the next run tries again
                self.log.warning(self.failure, exc_info=True)
