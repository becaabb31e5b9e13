"""The inbox: every WeCom callback message once, by its key, so WeCom's retries are answered once.

The key is the MsgId, or "FromUserName:CreateTime" for events (WeCom's own rule). Recording is an
insert-or-get that is safe when two servers (or two threads) receive the same retry at the same moment.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import queue
import threading
import time

import peewee as pw

from i18n import _
from store.db import StoreError, backend, database, unit_of_work
from store.models import Inbox
from store.prepared import Prepared, insert_ignore, insert_ignore_many

log = logging.getLogger("duban.callback")

KEY_MAX = 190
_recorded_new: contextvars.ContextVar[str | None] = contextvars.ContextVar("duban_inbox_recorded_new", default=None)
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
    _recorded_new.set(key if new_id is not None else None)
    if new_id is not None:
        return Inbox(id=new_id, **fields), True
    return _by_key(key), False


def just_recorded(key: str | None) -> bool:
    """Whether this thread's last `record_incoming` created `key`: the message is new here, so nothing else
    (a report carrying its MsgId) can have been written for it yet, and chat need not look."""
    return key is not None and _recorded_new.get() == key


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


class InboxRecorder:
    """Writes answered messages to the inbox from one thread, many rows per transaction.

    For messages answered without the database (「帮助」) and the replies to messages recorded first: the answer
    does not wait for the write, and under a burst one commit carries every row that arrived meanwhile. Rows are kept in memory until written; a failed
    write is tried again (up to RETRIES times, then the rows are dropped with a warning: they are answers that
    changed nothing, and only the inbox's once-only and rate-limit counts miss them).
    """

    BATCH = 200
    GATHER_SECONDS = 0.2  # rows wait at most this long; flush() and close() cut it short
    RETRIES = 5
    MAX_WAITING = 50_000

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._waiting = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._hurry = threading.Event()
        self._thread = threading.Thread(target=self._run, name="duban-inbox", daemon=True)
        self._thread.start()

    def record(self, key: str, from_user: str, content: str, received_at: dt.datetime, reply: str, *,
               deferred: bool = False) -> None:
        """Queue one answered message (naive UTC `received_at`; `deferred`: its reply went through the outbox);
        a key already in the inbox is left as it is."""
        if not key or len(key) > KEY_MAX or not from_user or len(from_user) > USER_MAX:
            log.warning("inbox: not recording a message with an unusable key or sender")
            return
        with self._lock:
            if self._waiting >= self.MAX_WAITING:
                log.warning("inbox: %d messages wait to be written; not recording %s", self._waiting, key)
                return
            self._waiting += 1
        self._queue.put({"key": key, "from_user": from_user, "received_at": received_at, "content": content,
                         "reply": reply, "deferred": deferred})

    def record_reply(self, inbox: Inbox, reply: str) -> None:
        """Queue the reply to a message already in the inbox (`save_reply`, a moment later, batched)."""
        inbox.reply = reply
        with self._lock:
            self._waiting += 1
        self._queue.put((inbox.id, reply))

    def flush(self, timeout: float = 10.0) -> bool:
        """Write every queued row now (or give it up); False on timeout."""
        self._hurry.set()
        with self._idle:
            return self._idle.wait_for(lambda: self._waiting == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._hurry.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        stop = False
        while not stop:
            rows = [self._queue.get()]
            # Gather for a moment: one wake-up and one commit for everything that arrives meanwhile, instead of a
            # wake-up per message competing with the request threads.
            self._hurry.wait(self.GATHER_SECONDS)
            self._hurry.clear()
            while True:
                try:
                    rows.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = None in rows
            rows = [r for r in rows if r is not None]
            for start in range(0, len(rows), self.BATCH):
                batch = rows[start:start + self.BATCH]
                with unit_of_work():
                    self._write(batch)
                with self._idle:
                    self._waiting -= len(batch)
                    self._idle.notify_all()

    def _write(self, rows: list) -> None:
        new = [r for r in rows if isinstance(r, dict)]
        replies = [r for r in rows if isinstance(r, tuple)]
        for attempt in range(1, self.RETRIES + 1):
            try:
                with database.atomic():
                    insert_ignore_many(Inbox, new)
                    for row_id, reply in replies:
                        _save_reply.execute(reply, row_id)
                return
            except Exception:  # noqa: BLE001 - the database is down for a moment: try again shortly
                if attempt == self.RETRIES:
                    log.warning("inbox: %d answered messages could not be recorded", len(rows), exc_info=True)
                    return
                time.sleep(0.2 * attempt)
