"""Times of day and weekly schedules as the admin writes them in the config and on the command line."""

from __future__ import annotations

import datetime as dt
import re

WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thursday": 3,
    "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
CHINESE_DAYS = "一二三四五六日"
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


def parse_time_of_day(text: str) -> dt.time:
    """"09:10" → 09:10; anything else is a ValueError that says what was expected."""
    match = _HHMM.fullmatch((text or "").strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"{text!r} is not a time of day: use HH:MM, like 09:10")
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_schedule(text: str, default_time: dt.time = dt.time(9, 10)) -> tuple[int, dt.time]:
    """"mon 09:10", "周一 9:10", "09:10" (Monday), "fri" (at `default_time`) → (weekday 0–6, time)."""
    weekday, when = 0, default_time
    for token in (text or "").strip().lower().split():
        if token in WEEKDAYS:
            weekday = WEEKDAYS[token]
        elif (m := re.fullmatch(r"(?:周|星期)([一二三四五六日天])", token)):
            weekday = CHINESE_DAYS.index(m.group(1).replace("天", "日"))
        else:
            try:
                when = parse_time_of_day(token)
            except ValueError:
                raise ValueError(f"cannot read digest schedule {text!r}: use a day and a time, like 'mon 09:10'") \
                    from None
    return weekday, when
