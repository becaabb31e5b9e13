"""The admin's calendar overrides: days that are working days or holidays whatever the statutory calendar says."""

from __future__ import annotations

import datetime as dt

from i18n import _
from store.db import StoreError, database
from store.models import CalendarOverride

KINDS = ("workday", "holiday")


def calendar_overrides() -> dict[dt.date, str]:
    return {o.day: o.kind for o in CalendarOverride.select()}


def set_override(day: dt.date, kind: str, note: str = "") -> CalendarOverride:
    if kind not in KINDS:
        raise StoreError(_('kind must be workday or holiday, not {kind!r}').format(kind=kind))
    with database.atomic():
        row = CalendarOverride.get_or_none(CalendarOverride.day == day)
        if row is None:
            return CalendarOverride.create(day=day, kind=kind, note=note)
        row.kind, row.note = kind, note
        row.save()
        return row


def clear_override(day: dt.date) -> bool:
    return CalendarOverride.delete().where(CalendarOverride.day == day).execute() > 0


def list_overrides() -> list[dict]:
    return [
        {"day": o.day.isoformat(), "kind": o.kind, "note": o.note}
        for o in CalendarOverride.select().order_by(CalendarOverride.day)
    ]
