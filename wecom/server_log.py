"""waitress logs "Task queue depth is N" for every request that waits for a free thread: under a burst that is
one WARNING per request (11,000 in a minute of load), which buries everything else. This keeps one summary
line a minute instead, saying how often requests queued and how deep the queue got.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

QUEUE_LOGGER = "waitress.queue"
SUMMARY_SECONDS = 60.0


class QueueSummary(logging.Filter):
    """Passes the first queue warning, then at most one summary line per `period` seconds."""

    def __init__(self, period: float = SUMMARY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.period, self.clock = period, clock
        self._lock = threading.Lock()
        self._next = float("-inf")
        self._count = 0
        self._deepest = 0

    def filter(self, record: logging.LogRecord) -> bool:
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        now = self.clock()
        with self._lock:
            self._count += 1
            self._deepest = max(self._deepest, int(depth) if isinstance(depth, int) else 0)
            if now < self._next:
                return False
            count, deepest = self._count, self._deepest
            self._count, self._deepest, self._next = 0, 0, now + self.period
        record.msg = ("requests waited for a free server thread %d time(s) since the last note (deepest queue %d): "
                      "the callback is falling behind; next note in %d s at most")
        record.args = (count, deepest, int(self.period))
        return True


def summarise_queue_warnings() -> None:
    """Install the summary on waitress' queue logger once per process."""
    logger = logging.getLogger(QUEUE_LOGGER)
    if not any(isinstance(f, QueueSummary) for f in logger.filters):
        logger.addFilter(QueueSummary())
