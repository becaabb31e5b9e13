"""When is an assignment due? One rule for chat, reminders, digests, the 台账 and `task list`.

An approved extension wins; else the earliest fixed date; else year-round work's 12-31; else the next
occurrence of a recurring deadline (每月25日前 is never "overdue since September 25"); ongoing work has none.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import Protocol


class DeadlineLike(Protocol):
    kind: str
    due: dt.date | None
    recurrence: str | None
    day_of_period: int | None


def next_occurrence(due: dt.date | None, recurrence: str | None, day: int | None, today: dt.date) -> dt.date | None:
    """The next due day (today or later) of a recurring deadline; `due` when there is none within a year."""
    months = (3, 6, 9, 12) if recurrence == "quarterly" else range(1, 13)
    for year in (today.year, today.year + 1):
        for month in months:
            last = calendar.monthrange(year, month)[1]
            candidate = dt.date(year, month, min(day or last, last))
            if candidate >= today:
                return candidate
    return due


def effective_due(override: dt.date | None, deadlines: Iterable[DeadlineLike],
                  today: dt.date) -> tuple[dt.date | None, str]:
    """(due date, what it comes from): override, fixed, year_round, recurring, ongoing or none."""
    if override:
        return override, "override"
    deadlines = list(deadlines)
    fixed = [d.due for d in deadlines if d.kind == "fixed" and d.due]
    if fixed:
        return min(fixed), "fixed"
    rounds = [d.due for d in deadlines if d.kind == "year_round" and d.due]
    if rounds:
        return min(rounds), "year_round"
    recurring = [d for d in deadlines if d.kind == "recurring"]
    if recurring:
        d = recurring[0]
        return next_occurrence(d.due, d.recurrence, d.day_of_period, today), "recurring"
    if any(d.kind == "ongoing" for d in deadlines):
        return None, "ongoing"
    return None, "none"
