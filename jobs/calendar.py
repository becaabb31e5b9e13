"""Working days of the Chinese calendar. Precedence: the admin's overrides (`duban calendar set`) > the days of
an imported State Council notice (`duban calendar import`) > chinesecalendar (2004–2026) > Monday–Friday.
A year known to neither the package nor an imported notice falls back to Monday–Friday, with a warning."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import chinese_calendar

from i18n import N_
from plan.holidays import statutory_year_known

log = logging.getLogger(__name__)


OVERRIDE, NOTICE, STATUTORY, FALLBACK = "override", "notice", "chinesecalendar", "monday-friday"


class WorkCalendar:
    """Answers "is this a working day" and counts working days; cheap to query many times.

    `notice` maps a day to (kind, name, source) from imported notices; `notice_years` are the years those
    notices arrange. `statutory=False` leaves chinesecalendar out (what a year after 2026 looks like).
    """

    def __init__(self, overrides: dict[dt.date, str] | None = None,
                 notice: dict[dt.date, tuple[str, str, str]] | None = None,
                 notice_years: set[int] | None = None, *, statutory: bool = True) -> None:
        self.overrides = dict(overrides or {})
        self.notice = dict(notice or {})
        self.notice_years = set(notice_years or ())
        self.statutory = statutory
        self._cache: dict[dt.date, bool] = {}
        self.warned_years: set[int] = set()

    def year_known(self, year: int) -> bool:
        return year in self.notice_years or (self.statutory and statutory_year_known(year))

    def source(self, day: dt.date) -> str:
        """Which rule answers for `day`: override, notice, chinesecalendar or monday-friday."""
        if day in self.overrides:
            return OVERRIDE
        if day in self.notice:
            return NOTICE
        if self.statutory and statutory_year_known(day.year):
            return STATUTORY
        return NOTICE if day.year in self.notice_years else FALLBACK

    def is_workday(self, day: dt.date) -> bool:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        source = self.source(day)
        if source == OVERRIDE:
            result = self.overrides[day] == "workday"
        elif day in self.notice:
            result = self.notice[day][0] == "workday"
        elif source == STATUTORY:
            result = chinese_calendar.is_workday(day)
        else:
            if source == FALLBACK and day.year not in self.warned_years:
                self.warned_years.add(day.year)
                log.warning("neither chinesecalendar nor an imported notice knows %s: treating Monday-Friday as "
                            "working days", day.year)
            result = day.weekday() < 5
        self._cache[day] = result
        return result

    def day_name(self, day: dt.date) -> str:
        """The holiday's name where one is known (元旦, 春节 …), else ''."""
        if day in self.notice:
            return self.notice[day][1]
        if self.statutory and statutory_year_known(day.year):
            _, holiday = chinese_calendar.get_holiday_detail(day)
            return STATUTORY_NAMES.get(holiday, "") if holiday else ""
        return ""

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


STATUTORY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                   "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                   "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日"}


def statutory_range() -> tuple[int, int] | None:
    """The first and last year the installed chinesecalendar package knows (None if it knows none)."""
    known = [y for y in range(1990, 2100) if statutory_year_known(y)]
    return (known[0], known[-1]) if known else None


def uncovered_years(years: list[int], notice_years: set[int] | None = None) -> list[int]:
    """Years neither chinesecalendar nor an imported notice knows (for `duban doctor` and `duban serve`)."""
    return [y for y in sorted(set(years)) if not statutory_year_known(y) and y not in (notice_years or set())]


NEXT_YEAR_UNKNOWN = N_(
    "{year}'s holidays are not known yet: from {year}-01-01 duban would take Monday–Friday as working days "
    "(reminders on 元旦 and through 春节, none on make-up Saturdays). When the State Council publishes "
    "国务院办公厅关于{year}年部分节假日安排的通知 (usually in November), save it as .txt or .html and run "
    "`duban calendar import FILE`")


def next_year_unknown(today: dt.date, notice_years: set[int],
                      translate: Callable[[str], str] = lambda text: text) -> str | None:
    """From 1 November, a warning when next year's holidays are not known yet (English for logs; doctor passes
    `translate=_`)."""
    year = today.year + 1
    if today.month < 11 or not uncovered_years([year], notice_years):
        return None
    return translate(NEXT_YEAR_UNKNOWN).format(year=year)


def next_year_line(today: dt.date, calendar: WorkCalendar) -> str | None:
    """The weekly digest's line for the admin, from 1 November while next year's holidays are unknown."""
    year = today.year + 1
    if today.month < 11 or calendar.year_known(year):
        return None
    return (f"提醒管理员：{year}年节假日安排尚未导入，duban 将按周一至周五计算{year}年工作日。国务院办公厅发布"
            f"《关于{year}年部分节假日安排的通知》后，请运行 duban calendar import 通知.txt")


def load_calendar() -> WorkCalendar:
    from store.calendar import calendar_overrides
    from store.holidays import notice_days, notice_years

    return WorkCalendar(calendar_overrides(), notice_days(), notice_years())


def calendar_warnings() -> list[str]:
    """What `duban serve` logs at start and once a day: unknown years of active plans, and next year from 1 Nov."""
    from store.clock import clock
    from store.health import active_plan_years
    from store.holidays import notice_years

    today, imported = clock.today(), notice_years()
    warnings = []
    unknown = uncovered_years(active_plan_years() + [today.year], imported)
    if unknown:
        warnings.append(f"neither chinesecalendar nor an imported notice knows {', '.join(map(str, unknown))}: "
                        "Monday-Friday is used as working days; `duban calendar import FILE` reads the State "
                        "Council's holiday notice")
    upcoming = next_year_unknown(today, imported)
    if upcoming and today.year + 1 not in unknown:
        warnings.append(upcoming)
    return warnings


def calendar_year(year: int, calendar: WorkCalendar | None = None) -> list[dict]:
    """`duban calendar show`: every day off that is not a plain weekend, and every make-up working day,
    with its name and source."""
    cal = calendar or load_calendar()
    rows = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        workday, weekend = cal.is_workday(day), day.weekday() >= 5
        name = cal.day_name(day)
        if workday == weekend or (name and not workday):
            source = cal.source(day)
            rows.append({"day": day.isoformat(), "weekday": day.isoweekday(),
                         "kind": "workday" if workday else "holiday", "name": name, "source": source,
                         "notice": cal.notice[day][2] if source == NOTICE and day in cal.notice else ""})
        day += dt.timedelta(1)
    return rows
