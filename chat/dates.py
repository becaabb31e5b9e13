"""The new date in an extension request: 2019-11-30, 2019/11/30, 2019年11月30日, 11月30日, 11-30, 11月底."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

# Text is already folded to half-width. A year is four digits; month and day one or two.
_DAY = re.compile(
    r"(?<!\d)(?:(?P<y>\d{4})\s*(?:年|[-/.])\s*)?(?P<m>\d{1,2})\s*(?:月|[-/.])\s*(?P<d>\d{1,2})\s*(?:日|号)?(?!\d)"
)
_PART = re.compile(r"(?<!\d)(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<p>底|末|上旬|中旬|下旬)")
_PARTS = {"上旬": 10, "中旬": 20}


@dataclass(frozen=True)
class FoundDate:
    day: dt.date | None  # None: it looked like a date but is not one (2月30日)
    start: int
    end: int


def _resolve(year: str | None, month: int, day: int | None, today: dt.date) -> dt.date | None:
    """A date without a year is the next such day from today (in December, 1月15日 is next January)."""
    if not 1 <= month <= 12:
        return None
    years = [int(year)] if year else [today.year, today.year + 1]
    for y in years:
        last = calendar.monthrange(y, month)[1]
        d = last if day is None else day
        if not 1 <= d <= last:
            if year or y == today.year + 1:
                return None
            continue
        candidate = dt.date(y, month, d)
        if year or candidate >= today:
            return candidate
    return None


def find_date(text: str, today: dt.date) -> FoundDate | None:
    """The first real date phrase in `text` (half-width); else the first that only looked like one; else None."""
    found = [FoundDate(_resolve(m["y"], int(m["m"]), int(m["d"]), today), m.start(), m.end())
             for m in _DAY.finditer(text)]
    for m in _PART.finditer(text):
        day = None if m["p"] in ("底", "末", "下旬") else _PARTS[m["p"]]
        found.append(FoundDate(_resolve(m["y"], int(m["m"]), day, today), m.start(), m.end()))
    found.sort(key=lambda f: (f.day is None, f.start))
    return found[0] if found else None
