"""Working days of the Chinese calendar: statutory holidays and make-up days (调休) from chinesecalendar,
then the admin's overrides. A year the package does not know falls back to Monday–Friday, with a warning."""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def statutory_year_known(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


class WorkCalendar:
    """Answers "is this a working day" and counts working days; cheap to query many times."""

    def __init__(self, overrides: dict[dt.date, str] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self._cache: dict[dt.date, bool] = {}
        self.warned_years: set[int] = set()

    def is_workday(self, day: dt.date) -> bool:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        kind = self.overrides.get(day)
        if kind is not None:
            result = kind == "workday"
        elif statutory_year_known(day.year):
            result = chinese_calendar.is_workday(day)
        else:
            if day.year not in self.warned_years:
                self.warned_years.add(day.year)
                log.warning("chinesecalendar does not know %s: treating Monday-Friday as working days", day.year)
            result = day.weekday() < 5
        self._cache[day] = result
        return result

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end == start:
            return 0
        sign, lo, hi = (1, start, end) if end > start else (-1, end, start)
        count = 0
        day = lo + dt.timedelta(days=1)
        while day <= hi:
            if self.is_workday(day):
                count += 1
            day += dt.timedelta(days=1)
        return sign * count

    def next_workday(self, day: dt.date, include: bool = False) -> dt.date:
        day = day if include else day + dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def first_workday_of_month(self, year: int, month: int) -> dt.date:
        return self.next_workday(dt.date(year, month, 1), include=True)

    def first_workday_of_week(self, day: dt.date) -> dt.date | None:
        """The first working day of `day`'s ISO week, or None when the week has none."""
        monday = day - dt.timedelta(days=day.weekday())
        for offset in range(7):
            candidate = monday + dt.timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        return None


def uncovered_years(years: list[int]) -> list[int]:
    """Years the statutory calendar does not know (for `duban doctor` and the start-up warning)."""
    return [y for y in sorted(set(years)) if not statutory_year_known(y)]


def load_calendar() -> WorkCalendar:
    from store.calendar import calendar_overrides

    return WorkCalendar(calendar_overrides())
