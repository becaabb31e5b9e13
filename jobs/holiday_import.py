"""`duban calendar import` and `duban calendar show`: the State Council's notice in, the year's days out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from jobs.calendar import NOTICE, WorkCalendar, load_calendar
from plan.holidays import HolidayYear, merge_notices, statutory_year_known


@dataclass
class NoticeImport:
    years: list[HolidayYear]
    disagreements: list[dict] = field(default_factory=list)  # where a notice and chinesecalendar differ
    stored: int = 0
    dry_run: bool = False

    def as_json(self) -> dict | list[dict]:
        """One year: the shape the README documents; several: a list of them."""
        shaped = [y.as_json() for y in self.years]
        return shaped[0] if len(shaped) == 1 else shaped


def _kind(workday: bool) -> str:
    return "workday" if workday else "holiday"


def disagreements(year: HolidayYear, other_notices: dict[dt.date, tuple[str, str, str]] | None = None) -> list[dict]:
    """Day by day, where the notice and chinesecalendar answer differently (only for years the package knows).
    A day of the year that another notice decides (2011-12-31, a make-up day of the 2012 notice) is that one's."""
    import chinese_calendar

    found = []
    others = {d: v for d, v in (other_notices or {}).items() if d not in year.days}
    days = set(year.days)
    day = dt.date(year.year, 1, 1)
    while day.year == year.year:
        if day.weekday() < 5 and not chinese_calendar.is_workday(day) or day.weekday() >= 5 and \
                chinese_calendar.is_workday(day):
            days.add(day)  # chinesecalendar moves this day; does the notice?
        day += dt.timedelta(1)
    for day in sorted(days):
        if not statutory_year_known(day.year) or day in others:
            continue
        statutory = chinese_calendar.is_workday(day)
        kind, name, _ = year.days.get(day, (_kind(day.weekday() < 5), "", ""))
        if (kind == "workday") != statutory:
            found.append({"day": day.isoformat(), "notice": kind, "chinesecalendar": _kind(statutory),
                          "name": name, "in_notice": day in year.days})
    return found


def import_notice_files(files: list[tuple[str, bytes]], *, dry_run: bool = False) -> NoticeImport:
    """Read every file (in order; later ones amend earlier ones), then store all years in one transaction.
    Raises NoticeError, naming the file, before anything is stored."""
    from plan.holiday_files import read_notice
    from store.holidays import notice_days, store_holiday_years, stored_festivals

    notices = [read_notice(data, name) for name, data in files]
    alone = {n.year for n in notices if n.amends} - {n.year for n in notices if not n.amends}
    years = merge_notices(notices, stored_festivals(alone) if alone else None)
    result = NoticeImport(years=years, dry_run=dry_run)
    decided = notice_days(except_years={y.year for y in years})
    for year in years:
        decided.update(year.days)
    for year in years:
        result.disagreements += disagreements(year, decided)
    if not dry_run:
        result.stored = store_holiday_years(years)
    return result


def calendar_year(year: int, calendar: WorkCalendar | None = None) -> list[dict]:
    """Every day off that is not a plain weekend, and every make-up working day, with its name and source."""
    cal = calendar or load_calendar()
    rows = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        workday, weekend = cal.is_workday(day), day.weekday() >= 5
        name = cal.day_name(day)
        if workday == weekend or (name and not workday):
            source = cal.source(day)
            rows.append({"day": day.isoformat(), "weekday": day.isoweekday(), "kind": _kind(workday),
                         "name": name, "source": source,
                         "notice": cal.notice[day][2] if source == NOTICE and day in cal.notice else ""})
        day += dt.timedelta(1)
    return rows
