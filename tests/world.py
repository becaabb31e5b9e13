"""A small world for job tests: the sample plan imported in 2019, a few units with contacts."""

from __future__ import annotations

import datetime as dt

from plan.read import read_plan
from plan.units import likely_duplicates
from store.clock import clock
from store.config import load_config
from store.contacts import add_contact
from store.plan_import import save_plan
from store.units import add_members

SAMPLE = "plan/samples/wuhua-2019.txt"

CONTACTS = [
    ("区财政局", "财政联络员", "czj", "liaison"),
    ("区财政局", "财政局长", "czjz", "leader"),
    ("区政府办公室", "办公室联络员", "zfb", "liaison"),
    ("区审计局", "审计联络员", "sjj", "liaison"),
]


def build_world(path: str | None = None) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    clock.freeze(dt.datetime(2019, 9, 6, 9, 0))
    save_plan(read_plan(root / (path or SAMPLE)), likely_duplicates=likely_duplicates)
    add_members("区政府各部门", ["区财政局", "区政府办公室", "区审计局"])
    for unit, name, userid, role in CONTACTS:
        add_contact(unit, name, userid, role=role)


def config(**reminders):
    cfg = load_config(None, environ={})
    cfg["reminders"].update(reminders)
    return cfg


def at(day: str, hour: int = 9, minute: int = 10) -> dt.datetime:
    """Freeze the clock at a local time and return the naive-UTC now the jobs use."""
    clock.freeze(dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute))
    return clock.utcnow()
