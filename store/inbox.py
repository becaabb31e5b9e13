"""The inbox: every WeCom callback message once, by its key, so WeCom's retries are answered once.

The key is the MsgId, or "FromUserName:CreateTime" for events (WeCom's own rule). Recording is an
insert-or-get that is safe when two servers (or two threads) receive the same retry at the same moment.
"""

from __future__ import annotations

import datetime as dt

import peewee as pw

from i18n import _
from store.db import StoreError, backend, database
from store.models import Inbox
from store.prepared import Prepared, insert_ignore

KEY_MAX = 190
USER_MAX = 64

# Each write is one short autocommit statement: the database serialises writers itself (SQLite's write lock
# with busy_timeout), so there is no lock of our own around them.
_by_key_query = Prepared(lambda key: Inbox.select().where(Inbox.key == key).limit(1))
_save_reply = Prepared(lambda reply, row_id: Inbox.update(reply=reply).where(Inbox.id == row_id))
_mark_deferred = Prepared(lambda key: Inbox.update(deferred=True).where(Inbox.key == key))
_recent = Prepared(lambda user, since: Inbox.select(pw.fn.COUNT(Inbox.id)).where(
    (Inbox.from_user == user) & (Inbox.received_at > since)))


def record_incoming(key: str, from_user: str, content: str, now: dt.datetime) -> tuple[Inbox, bool]:
    """The inbox row for `key`, created now if it is new; `is_new` is True only for the call that created it.

    INSERT … ON CONFLICT DO NOTHING (INSERT IGNORE on MySQL) never raises on a duplicate key, so concurrent
    callers never see an integrity error and a PostgreSQL transaction is never aborted.
    """
    if not key or len(key) > KEY_MAX:
        raise StoreError(_('an inbox key needs 1 to {KEY_MAX} characters').format(KEY_MAX=KEY_MAX))
    if not from_user or len(from_user) > USER_MAX:
        raise StoreError(_('an inbox sender needs 1 to {USER_MAX} characters').format(USER_MAX=USER_MAX))
    fields = {"key": key, "from_user": from_user, "received_at": now, "content": content, "reply": None}
    new_id = insert_ignore(Inbox, fields)
    if new_id is not None:
        return Inbox(id=new_id, **fields), True
    return _by_key(key), False


def _by_key(key: str) -> Inbox:
    row = _by_key_query.first(key)
    if row is None and backend() != "sqlite":
        # Under MySQL's repeatable read a row committed after our snapshot began can be invisible to a plain
        # read; a locking read sees the latest committed version.
        with database.atomic():
            row = Inbox.select().where(Inbox.key == key).for_update().first()
    if row is None:
        raise StoreError(_('inbox row {key!r} vanished while being recorded').format(key=key))
    return row


def get_incoming(key: str) -> Inbox | None:
    """The inbox row for `key`, or None."""
    return _by_key_query.first(key)


def save_reply(inbox: Inbox, reply: str) -> None:
    """Remember the answer given to an inbox message, so a retry of it gets the same answer."""
    _save_reply.execute(reply, inbox.id)
    inbox.reply = reply


def mark_deferred(key: str) -> None:
    """The reply to `key` goes through the outbox: every server answers a retry of it with nothing."""
    _mark_deferred.execute(key)


def recent_count(from_user: str, since: dt.datetime) -> int:
    """How many messages `from_user` sent since `since` (naive UTC)."""
    return Inbox.select().where((Inbox.from_user == from_user) & (Inbox.received_at >= since)).count()


def recent_messages(from_user: str, since: dt.datetime) -> int:
    """How many messages `from_user` sent after `since` (naive UTC): the chat rate limit, once per message."""
    return _recent.scalar(from_user, since) or 0


def prune_inbox(before: dt.datetime, batch: int = 1000) -> int:
    """Forget callback messages received before `before` (naive UTC): WeCom retries within minutes and older
    replays are refused by the callback's replay window. Deletes in batches; returns how many."""
    removed = 0
    while True:
        ids = [i for (i,) in Inbox.select(Inbox.id).where(Inbox.received_at < before).limit(batch).tuples()]
        if not ids:
            return removed
        removed += Inbox.delete().where(Inbox.id << ids).execute()
