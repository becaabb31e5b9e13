"""Days of the imported State Council holiday notices: stored per notice year, replaced whole on re-import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from plan.holidays import Festival, HolidayYear, Notice, disagreements, merge_notices, statutory_year_known
from store.clock import utcnow
from store.db import database
from store.models import NoticeDay


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


def import_notices(notices: list[Notice], *, dry_run: bool = False) -> NoticeImport:
    """Apply the notices in order (later ones amend earlier ones, or the stored year), compare with
    chinesecalendar, and store every year in one transaction. Raises NoticeError before anything is stored."""
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


def notice_days(except_years: set[int] | None = None) -> dict[dt.date, tuple[str, str, str]]:
    """day -> (kind, name, source) for every imported day (but those of the notices of `except_years`)."""
    query = NoticeDay.select()
    if except_years:
        query = query.where(NoticeDay.notice_year.not_in(sorted(except_years)))
    return {r.day: (r.kind, r.name, r.source) for r in query}


def notice_years() -> set[int]:
    return {r.notice_year for r in NoticeDay.select(NoticeDay.notice_year).distinct()}


def stored_festivals(years: set[int]) -> dict[int, list[Festival]]:
    """The festivals already imported for these years: what an amending notice alone applies to."""
    result: dict[int, dict[str, Festival]] = {}
    for row in NoticeDay.select().where(NoticeDay.notice_year.in_(sorted(years))).order_by(NoticeDay.day):
        festival = result.setdefault(row.notice_year, {}).setdefault(row.name, Festival(row.name))
        (festival.holidays if row.kind == "holiday" else festival.workdays).add(row.day)
    return {year: list(festivals.values()) for year, festivals in result.items()}


def store_holiday_years(years: list[HolidayYear]) -> int:
    """Replace each year's imported days, all years in one transaction. Returns the number of days stored."""
    now = utcnow()
    stored = 0
    with database.atomic():
        for year in years:
            days = sorted(year.days)
            NoticeDay.delete().where(NoticeDay.notice_year == year.year).execute()
            if days:
                NoticeDay.delete().where(NoticeDay.day.in_(days)).execute()  # a later notice decides that day now
            NoticeDay.insert_many([
                {"day": day, "kind": kind, "name": name[:100], "notice_year": year.year, "source": source[:200],
                 "imported_at": now}
                for day, (kind, name, source) in sorted(year.days.items())
            ]).execute()
            stored += len(days)
    return stored


def unknown_year_warnings(parsed: Any) -> list[dict]:
    """Plan import: deadlines in a year neither chinesecalendar nor an imported notice knows, one warning a year."""
    known = notice_years()
    by_year: dict[int, list[int]] = {}
    for task in parsed.tasks:
        for deadline in task.deadlines:
            year = deadline.due.year if deadline.due else None
            if year and year not in known and not statutory_year_known(year):
                by_year.setdefault(year, []).append(task.seq)
    return [{"seq": None, "code": "calendar_year_unknown",
             "message": f"{len(seqs)} deadline(s) fall in {year} (序号 {', '.join(map(str, sorted(set(seqs))[:10]))}"
                        f"{' …' if len(set(seqs)) > 10 else ''}), whose holidays duban does not know yet: working "
                        f"days there are Monday–Friday until `duban calendar import` reads the State Council's "
                        f"{year} holiday notice"}
            for year, seqs in sorted(by_year.items())]
