"""The inbox: every WeCom callback message once, by its key, so WeCom's retries are answered once.

The key is the MsgId, or "FromUserName:CreateTime" for events (WeCom's own rule). Recording is an
insert-or-get that is safe when two servers (or two threads) receive the same retry at the same moment.
"""

from __future__ import annotations

import datetime as dt
import threading
from contextlib import nullcontext

from store.db import StoreError, backend, database
from store.models import Inbox

KEY_MAX = 190
USER_MAX = 64

# SQLite allows one writer at a time and makes the others sleep and retry (busy_timeout), which turns a
# burst of callbacks into latency spikes of tens of milliseconds. Queuing this process' inbox writes on a
# lock instead keeps every write short and the waiting fair.
_sqlite_writes = threading.Lock()


def _write_lock():
    return _sqlite_writes if backend() == "sqlite" else nullcontext()


def record_incoming(key: str, from_user: str, content: str, now: dt.datetime) -> tuple[Inbox, bool]:
    """The inbox row for `key`, created now if it is new; `is_new` is True only for the call that created it.

    INSERT … ON CONFLICT DO NOTHING (INSERT IGNORE on MySQL) never raises on a duplicate key, so concurrent
    callers never see an integrity error and a PostgreSQL transaction is never aborted.
    """
    if not key or len(key) > KEY_MAX:
        raise StoreError(f"an inbox key needs 1 to {KEY_MAX} characters")
    if not from_user or len(from_user) > USER_MAX:
        raise StoreError(f"an inbox sender needs 1 to {USER_MAX} characters")
    fields = {"key": key, "from_user": from_user, "received_at": now, "content": content, "reply": None}
    query = Inbox.insert(**fields).on_conflict_ignore()
    if backend() == "postgresql":
        new_id = query.execute()  # RETURNING id: None when the key already existed
    else:
        with _write_lock():
            cursor = database.execute(query)  # lastrowid is stale after an ignored insert: trust rowcount
            new_id = cursor.lastrowid if cursor.rowcount == 1 else None
    if new_id is not None:
        return Inbox(id=new_id, **fields), True
    return _by_key(key), False


def _by_key(key: str) -> Inbox:
    query = Inbox.select().where(Inbox.key == key)
    row = query.first()
    if row is None and backend() != "sqlite":
        # Under MySQL's repeatable read a row committed after our snapshot began can be invisible to a plain
        # read; a locking read sees the latest committed version.
        with database.atomic():
            row = query.for_update().first()
    if row is None:
        raise StoreError(f"inbox row {key!r} vanished while being recorded")
    return row


def get_incoming(key: str) -> Inbox | None:
    """The inbox row for `key`, or None."""
    return Inbox.select().where(Inbox.key == key).first()


def save_reply(inbox: Inbox, reply: str) -> None:
    """Remember the answer given to an inbox message, so a retry of it gets the same answer."""
    with _write_lock():
        Inbox.update(reply=reply).where(Inbox.id == inbox.id).execute()
    inbox.reply = reply


def mark_deferred(key: str) -> None:
    """The reply to `key` goes through the outbox: every server answers a retry of it with nothing."""
    with _write_lock():
        Inbox.update(deferred=True).where(Inbox.key == key).execute()


def recent_count(from_user: str, since: dt.datetime) -> int:
    """How many messages `from_user` sent since `since` (naive UTC)."""
    return Inbox.select().where((Inbox.from_user == from_user) & (Inbox.received_at >= since)).count()
