"""The one clock. Every piece of code that needs "now" asks it, so tests and `--at` can travel in time.

Stored times are naive UTC; what people see is in the configured timezone (Asia/Shanghai by default).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Clock:
    def __init__(self, timezone: str = DEFAULT_TIMEZONE) -> None:
        self.tz = ZoneInfo(timezone)
        self._frozen: dt.datetime | None = None  # aware UTC when set
        self._offset = dt.timedelta(0)  # `--today`: the clock runs, shifted to another day

    def set_timezone(self, timezone: str) -> None:
        self.tz = ZoneInfo(timezone)

    def now(self) -> dt.datetime:
        """Aware UTC now."""
        if self._frozen is not None:
            return self._frozen
        return dt.datetime.now(dt.timezone.utc) + self._offset

    def wall_now(self) -> dt.datetime:
        """Aware UTC now for transport (callback signatures, the replay window): `--today` does not shift it,
        since WeCom's timestamps are real; a frozen clock (tests, `--at`) still holds it."""
        if self._frozen is not None:
            return self._frozen
        return dt.datetime.now(dt.timezone.utc)

    def utcnow(self) -> dt.datetime:
        """Naive UTC now, as stored in the database."""
        return self.now().replace(tzinfo=None)

    def local_now(self) -> dt.datetime:
        return self.now().astimezone(self.tz)

    def today(self) -> dt.date:
        return self.local_now().date()

    def freeze(self, when: dt.datetime | dt.date) -> None:
        """Stop the clock at `when` (naive values are local time)."""
        self._frozen = self.to_utc(when)

    def advance(self, delta: dt.timedelta) -> None:
        self._frozen = self.now() + delta

    def unfreeze(self) -> None:
        self._frozen = None
        self._offset = dt.timedelta(0)

    def shift_to(self, day: dt.date) -> None:
        """Run as if today were `day` (local), the time of day still moving (`--today`, $DUBAN_TODAY)."""
        real = dt.datetime.now(dt.timezone.utc)
        local = real.astimezone(self.tz)
        self._offset = self.to_utc(dt.datetime.combine(day, local.time().replace(tzinfo=None))) - real

    @property
    def shifted(self) -> bool:
        return self._offset != dt.timedelta(0)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def to_utc(self, when: dt.datetime | dt.date) -> dt.datetime:
        if not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, dt.time(0, 0))
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        return when.astimezone(dt.timezone.utc)

    def to_local(self, stored: dt.datetime) -> dt.datetime:
        """A stored naive-UTC datetime in local time."""
        return stored.replace(tzinfo=dt.timezone.utc).astimezone(self.tz)


clock = Clock()


def utcnow() -> dt.datetime:
    return clock.utcnow()
