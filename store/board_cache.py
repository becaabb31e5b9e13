"""The board's figures, computed once per change: every page of a 10,000-assignment plan reads the same rows.

A computed value is kept with the plan set and local date it was made for and a change stamp: row counts and
highest ids of the tables whose rows change what the board shows (reports, extensions and their decisions,
assignments, tasks, deadlines, reminders, evidence, plans and units). Every report, completion, extension,
reminder, import, archive or group change moves the stamp, so the next page recomputes; one small query per page
checks it. Edits that move no count or id (renaming a unit, `--replace` rewriting a task's text in place) show
within MAX_AGE_SECONDS. Each process keeps its own copy; nothing is written.

`duban serve` also runs a `Refresher`: every few seconds it checks the stamp and recomputes what pages asked for
in the last RECENT_SECONDS, so the first page after a report does not pay for the recomputation either. A page
never shows an older value than the stamp says: between a change and the refresh, it computes its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import peewee as pw

from store.db import database
from store.models import Assignment, Deadline, Evidence, Extension, Plan, ReminderLog, Report, Task, Unit
from store.periodic import Periodic

log = logging.getLogger("duban.web")
MAX_AGE_SECONDS = 60.0
RECENT_SECONDS = 600.0
MAX_ENTRIES = 64
T = TypeVar("T")


@dataclass
class Entry:
    stamp: tuple
    made: float  # time.monotonic() when computed
    used: float  # when a page last asked for it
    value: Any
    compute: Callable[[], Any]


_entries: OrderedDict[tuple, Entry] = OrderedDict()
_lock = threading.Lock()


def change_stamp() -> tuple:
    """One query: what moves when anything the board shows changes."""
    parts: list[pw.Node] = []
    for model in (Report, Extension, Assignment, Task, Deadline, ReminderLog, Evidence, Unit):
        parts.append(model.select(pw.fn.COUNT(model.id)))
        parts.append(model.select(pw.fn.MAX(model.id)))
    parts.append(Extension.select(pw.fn.MAX(Extension.decided_at)))
    parts.append(Report.select(pw.fn.COUNT(Report.id)).where(Report.undone == True))  # noqa: E712
    parts.append(Plan.select(pw.fn.COUNT(Plan.id)).where(Plan.active == True))  # noqa: E712
    parts.append(Plan.select(pw.fn.MAX(Plan.imported_at)))
    query = pw.Select(columns=[part.alias(f"v{i}") for i, part in enumerate(parts)])
    return tuple(database.execute(query).fetchone())


def cached(kind: str, key: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, or the value it gave for the same kind, key and change stamp within MAX_AGE_SECONDS."""
    where = (kind, id(database.obj), getattr(database.obj, "database", ""), *key)
    stamp = change_stamp()
    now = time.monotonic()
    with _lock:
        entry = _entries.get(where)
        if entry is not None and entry.stamp == stamp and now - entry.made < MAX_AGE_SECONDS:
            entry.used = now
            _entries.move_to_end(where)
            return entry.value
    return _store(where, stamp, compute, now)


def _store(where: tuple, stamp: tuple, compute: Callable[[], T], used: float) -> T:
    made = time.monotonic()
    value = compute()
    with _lock:
        _entries[where] = Entry(stamp, made, used, value, compute)
        _entries.move_to_end(where)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def refresh() -> int:
    """Recompute the recently used values whose stamp moved or that are getting old; returns how many."""
    now = time.monotonic()
    me = id(database.obj), getattr(database.obj, "database", "")
    with _lock:
        if not any(where[1:3] == me and now - e.used < RECENT_SECONDS for where, e in _entries.items()):
            return 0  # nobody looked at the board lately: not even the stamp's query
    stamp = change_stamp()
    with _lock:
        due = [(where, e) for where, e in _entries.items() if where[1:3] == me and now - e.used < RECENT_SECONDS
               and (e.stamp != stamp or now - e.made > MAX_AGE_SECONDS * 0.8)]
    for where, entry in due:
        _store(where, stamp, entry.compute, entry.used)
    return len(due)


class Refresher(Periodic):
    """A daemon thread calling `refresh()` every `interval` seconds (in `duban serve`)."""

    def __init__(self, interval: float = 2.0) -> None:
        # the database is down for a moment: pages compute their own
        super().__init__(refresh, interval, "duban-board-refresh", log, "board figures could not be refreshed")


def clear() -> None:
    with _lock:
        _entries.clear()
