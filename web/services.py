"""What the board needs from other rooms, handed in by the wiring (commands/web.py), so web/ imports no jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class Calendar(Protocol):
    def next_workday(self, day: dt.date, include: bool = False) -> dt.date: ...

    def working_days_between(self, start: dt.date, end: dt.date) -> int: ...


# write_ledger(path, plan codes, today, unit names or None for every unit) -> rows written
LedgerWriter = Callable[[Path, list[str], dt.date, "set[int] | None"], Any]


@dataclass
class BoardServices:
    calendar: Callable[[], Calendar]  # the working-day calendar as of now (jobs.calendar.load_calendar)
    write_ledger: LedgerWriter  # the 台账 .xlsx (jobs.ledger)
    evidence_dir: Path  # where evidence files live ([evidence] dir)
    soon_working_days: int = 10  # "due soon" on the overview
    refresh_seconds: float | None = None  # recompute the figures in the background after changes (duban serve)
