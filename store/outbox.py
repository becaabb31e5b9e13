"""The durable outbox: every message duban sends is a row here first, sent later by one dispatcher.

Life of a row: pending → sending (claimed by a dispatcher) → sent | failed (retried after a backoff) | dead.
A claim is a short lease that its dispatcher renews while it works; a row stuck in 'sending' longer than the
lease (its dispatcher crashed) is claimable again; WeCom's duplicate check makes that resend harmless for app
messages.

Robots and group chats have no duplicate check, so they are sent at most once: just before the request goes
out the row becomes 'unknown' (`mark_posting`), and only WeCom's answer moves it on. A dispatcher that dies
mid-send, or a timeout after the request went out, leaves it 'unknown': shown, never resent by itself.

Times are naive UTC, passed in by the caller (the dispatcher's clock), so tests travel in time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Sequence
from functools import partial

import peewee as pw

from i18n import _
from store.clock import clock, utcnow
from store.db import StoreError, backend, database, in_transaction_retrying
from store.models import CHANNELS, OUTBOX_STATES, Contact, Outbox
from store.prepared import insert_ignore, insert_ignore_many

LEASE_SECONDS = 30.0  # a claim not renewed for this long belongs to a dead dispatcher
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
MAX_TOUSER = 1000
KEY_MAX = 190
CLAIM_ROUNDS = 5
TEXT_MAX_BYTES = 65535
UNSENT_STATES = ("pending", "sending", "failed")

# (channel, target) pairs a claim must skip; target None means the whole channel.
Exclusion = tuple[str, "str | None"]


def enqueue(dedupe_key: str, channel: str, target: str, body: str, msgtype: str = "text",
            now: dt.datetime | None = None) -> Outbox:
    """Put one message in the outbox, once per `dedupe_key`: a second call returns the first row unchanged.

    Safe inside the caller's transaction on every backend: INSERT … ON CONFLICT DO NOTHING / INSERT IGNORE
    never raises on a duplicate key, so a PostgreSQL transaction is not aborted. The returned row has
    `inserted` True when this call created it.
    """
    _check_message(dedupe_key, channel, target, body, msgtype)
    now = now or utcnow()
    fields = {"dedupe_key": dedupe_key, "channel": channel, "target": target, "msgtype": msgtype, "body": body,
              "state": "pending", "attempts": 0, "next_try_at": now, "created_at": now}
    new_id = _insert_ignore(fields)
    if new_id is not None:
        row = Outbox(id=new_id, **fields)
        row.inserted = True
        return row
    row = _by_key(dedupe_key)
    row.inserted = False
    return row


def enqueue_many(messages: Sequence[tuple[str, str, str, str, str]], now: dt.datetime | None = None) -> dict[str, int]:
    """Put several messages (dedupe_key, channel, target, body, msgtype) in the outbox in a few statements, once
    per key as `enqueue` does; the id of the row holding each key, whether new or enqueued before (a key a
    concurrent transaction holds, not yet visible here, is missing)."""
    for message in messages:
        _check_message(*message)
    now = now or utcnow()
    rows = [{"dedupe_key": key, "channel": channel, "target": target, "msgtype": msgtype, "body": body,
             "state": "pending", "attempts": 0, "next_try_at": now, "created_at": now}
            for key, channel, target, body, msgtype in messages]
    insert_ignore_many(Outbox, rows)
    keys = [m[0] for m in messages]
    ids: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        ids.update(Outbox.select(Outbox.dedupe_key, Outbox.id).where(Outbox.dedupe_key << keys[start:start + 500])
                   .tuples())
    return ids


def _insert_ignore(fields: dict) -> int | None:
    """INSERT that does nothing on a duplicate key; the new id, or None when the key existed (SQL written out
    once: building it with peewee for each row was most of an enqueue's cost, see bench/bench_dispatch.py)."""
    return insert_ignore(Outbox, fields)


def _by_key(dedupe_key: str) -> Outbox:
    query = Outbox.select().where(Outbox.dedupe_key == dedupe_key)
    row = query.first()
    if row is None and backend() != "sqlite":
        # MySQL's repeatable read may hide a row another transaction committed after our snapshot began;
        # a locking read sees the latest committed version.
        row = query.for_update().first()
    if row is None:
        raise StoreError(_('outbox row {dedupe_key!r} vanished while being enqueued').format(dedupe_key=dedupe_key))
    return row


def _check_message(dedupe_key: str, channel: str, target: str, body: str, msgtype: str) -> None:
    if not dedupe_key or len(dedupe_key) > KEY_MAX:
        raise StoreError(_('an outbox dedupe key needs 1 to {KEY_MAX} characters').format(KEY_MAX=KEY_MAX))
    if channel not in CHANNELS:
        raise StoreError(_('unknown channel {channel!r}: {CHANNELS}').format(channel=channel, CHANNELS=', '.join(CHANNELS)))
    if not target:
        raise StoreError(_('an outbox message needs a target (userids, chat id or webhook key)'))
    if channel == "app" and len([u for u in target.split("|") if u]) > MAX_TOUSER:
        raise StoreError(_('an app message reaches at most {MAX_TOUSER} userids per row').format(MAX_TOUSER=MAX_TOUSER))
    if not body:
        raise StoreError(_('an outbox message needs a body'))
    # MySQL's TEXT holds 65,535 bytes, and INSERT IGNORE would truncate silently rather than fail.
    if len(body.encode("utf-8")) > TEXT_MAX_BYTES or len(target.encode("utf-8")) > TEXT_MAX_BYTES:
        raise StoreError(_('an outbox body or target is limited to {TEXT_MAX_BYTES} bytes').format(TEXT_MAX_BYTES=TEXT_MAX_BYTES))
    if not msgtype or len(msgtype) > 20:
        raise StoreError(_('invalid msgtype {msgtype!r}').format(msgtype=msgtype))


# --- claiming --------------------------------------------------------------------------------------------------


def claim_due(worker: str, now: dt.datetime, limit: int = 50, *, lease_seconds: float = LEASE_SECONDS,
              exclude: Iterable[Exclusion] = ()) -> list[Outbox]:
    """Claim up to `limit` rows due at `now` for `worker`: they become 'sending' and no other worker gets them.

    PostgreSQL and MariaDB lock the chosen rows with FOR UPDATE SKIP LOCKED, so concurrent dispatchers take
    disjoint rows. SQLite takes the database write lock first (BEGIN IMMEDIATE), which serialises claims.
    """
    stale = now - dt.timedelta(seconds=lease_seconds)
    due = ((Outbox.state << ["pending", "failed"]) & (Outbox.next_try_at <= now)) | (
        (Outbox.state == "sending") & (Outbox.claimed_at <= stale))
    for channel, target in exclude:
        if target is None:
            due &= Outbox.channel != channel
        else:
            due &= ~((Outbox.channel == channel) & (Outbox.target == target))
    order = (Outbox.next_try_at, Outbox.id)
    rows: list[Outbox] = []
    if backend() == "sqlite":
        top_level = database.transaction_depth() == 0
        with database.atomic("IMMEDIATE") if top_level else database.atomic():
            rows = list(Outbox.select().where(due).order_by(*order).limit(limit))
            _mark_claimed(rows, worker, now)
    else:
        # Pick candidates with a plain read, then lock just those rows by primary key. A locking read with
        # the due condition itself would make InnoDB lock every row it scans (all of the queue), and a
        # second dispatcher would find nothing. Candidates another dispatcher is claiming right now are
        # skipped, so read more candidates than needed, and more again when all of them were taken.
        for attempt in range(CLAIM_ROUNDS):
            found = in_transaction_retrying(partial(_claim_round, due, order, limit, attempt, worker, now))
            if found is None:
                break
            rows = found
            if rows:
                break
    for row in rows:
        row.previous_state = "failed" if row.attempts else "pending"
        row.state, row.claimed_by, row.claimed_at = "sending", worker, now
    return rows


def _claim_round(due: pw.Expression, order: tuple, limit: int, attempt: int, worker: str,
                 now: dt.datetime) -> list[Outbox] | None:
    """One locking pick on PostgreSQL / MariaDB (None: nothing is due at all)."""
    candidates = [r.id for r in Outbox.select(Outbox.id).where(due).order_by(*order).limit(limit * (attempt + 2))]
    if not candidates:
        return None
    rows = list(Outbox.select().where((Outbox.id << candidates) & due).order_by(*order).limit(limit)
                .for_update("FOR UPDATE SKIP LOCKED"))
    _mark_claimed(rows, worker, now)
    return rows


def _mark_claimed(rows: list[Outbox], worker: str, now: dt.datetime) -> None:
    if rows:
        Outbox.update(state="sending", claimed_by=worker, claimed_at=now).where(
            Outbox.id << [r.id for r in rows]).execute()


def _mine(row: Outbox) -> pw.Expression:
    """Only the worker holding the claim may settle a row (a lapsed claim may have moved on)."""
    return (Outbox.id == row.id) & (Outbox.state << ["sending", "unknown"]) & (Outbox.claimed_by == row.claimed_by)


UNKNOWN_HINT = "not sent again automatically; if it did not arrive, `duban outbox retry {id}` sends it again"


def mark_posting(row: Outbox, now: dt.datetime) -> bool:
    """About to send a row that WeCom will not deduplicate: from now until its answer is recorded, its
    outcome is unknown, and a claim found later in this state is never sent again by itself.
    False when the claim had lapsed to another worker (then do not send)."""
    note = (f"send started {clock.to_local(now):%Y-%m-%d %H:%M:%S}; the dispatcher stopped before WeCom answered: "
            f"outcome unknown, {UNKNOWN_HINT.format(id=row.id)}")
    done = Outbox.update(state="unknown", last_error=note).where(
        (Outbox.id == row.id) & (Outbox.state == "sending") & (Outbox.claimed_by == row.claimed_by)).execute()
    if done:
        row.state, row.last_error = "unknown", note
    return bool(done)


def mark_unknown(row: Outbox, error: str, now: dt.datetime) -> bool:
    """Record a send whose request may have reached WeCom without an answer (a timeout): held, not retried."""
    note = f"outcome unknown ({error}): WeCom may have posted it; {UNKNOWN_HINT.format(id=row.id)}"
    done = Outbox.update(state="unknown", attempts=Outbox.attempts + 1, next_try_at=now, last_error=note,
                         claimed_by=None).where(_mine(row)).execute()
    if done:
        row.state, row.attempts, row.last_error = "unknown", row.attempts + 1, note
    return bool(done)


def unknown_rows(channel: str | None = None, target: str | None = None,
                 since: dt.datetime | None = None) -> list[Outbox]:
    """Rows whose outcome is unknown (a row being sent this very moment is 'unknown' too, briefly), queued
    at or after `since` when given."""
    query = Outbox.select().where(Outbox.state == "unknown")
    if since is not None:
        query = query.where(Outbox.created_at >= since)
    if channel is not None:
        query = query.where(Outbox.channel == channel)
    if target is not None:
        query = query.where(Outbox.target == target)
    return list(query.order_by(Outbox.id))


def mark_sent(row: Outbox, msgid: str | None, now: dt.datetime) -> bool:
    """Record a send WeCom accepted. False when the claim had lapsed to another worker."""
    done = Outbox.update(state="sent", sent_at=now, wecom_msgid=msgid, attempts=Outbox.attempts + 1,
                         claimed_by=None, last_error=None).where(_mine(row)).execute()
    if done:  # an earlier attempt's error is history once it arrived: `outbox list` must not show it as current
        row.state, row.sent_at, row.wecom_msgid, row.attempts = "sent", now, msgid, row.attempts + 1
        row.last_error = None
    return bool(done)


def mark_sent_many(sends: Sequence[tuple[Outbox, str | None, dt.datetime]]) -> int:
    """Record many accepted sends (row, WeCom msgid, time) of one worker in one statement; how many were
    still that worker's (a lapsed claim is not recorded, as in `mark_sent`)."""
    if not sends:
        return 0
    if len(sends) == 1:
        return int(mark_sent(*sends[0]))
    worker = sends[0][0].claimed_by
    ids = [row.id for row, _m, _t in sends]
    msgids = pw.Case(Outbox.id, [(row.id, msgid) for row, msgid, _t in sends])
    times = pw.Case(Outbox.id, [(row.id, Outbox.sent_at.db_value(t)) for row, _m, t in sends])
    with database.atomic():
        done = Outbox.update(state="sent", sent_at=times, wecom_msgid=msgids, attempts=Outbox.attempts + 1,
                             claimed_by=None, last_error=None).where(
            (Outbox.id << ids) & (Outbox.state == "sending") & (Outbox.claimed_by == worker)).execute()
    for row, msgid, t in sends:
        row.state, row.sent_at, row.wecom_msgid, row.attempts, row.last_error = "sent", t, msgid, row.attempts + 1, None
    return done


def renew_claims(rows: Sequence[Outbox], worker: str, now: dt.datetime) -> list[Outbox]:
    """Extend `worker`'s lease on these claimed rows to `now`; the rows it still holds (a row whose claim had
    lapsed and was taken by another worker is not renewed and must not be sent)."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    mine = (Outbox.id << ids) & (Outbox.state == "sending") & (Outbox.claimed_by == worker)
    with database.atomic():
        Outbox.update(claimed_at=now).where(mine).execute()
        kept = {i for (i,) in Outbox.select(Outbox.id).where(mine).tuples()}
    for row in rows:
        if row.id in kept:
            row.claimed_at = now
    return [r for r in rows if r.id in kept]


def update_body(row: Outbox, body: str) -> bool:
    """Replace a claimed row's body (the dispatcher notes an uploaded media_id in it, so that a resend repeats
    the same request and WeCom's duplicate check can drop it). False when the claim had lapsed."""
    if not body or len(body.encode("utf-8")) > TEXT_MAX_BYTES:
        raise StoreError(_('an outbox body needs 1 to {TEXT_MAX_BYTES} bytes').format(TEXT_MAX_BYTES=TEXT_MAX_BYTES))
    done = Outbox.update(body=body).where(_mine(row)).execute()
    if done:
        row.body = body
    return bool(done)


def backoff_seconds(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Delay before try `attempt` + 1: 30 s doubling to at most an hour, with jitter (half fixed, half random)."""
    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return delay / 2 + rand() * delay / 2


def mark_failed(row: Outbox, error: str, now: dt.datetime, retry_after: float | None = None, *,
                max_attempts: int = 12, max_age_hours: float = 48.0, max_delay: float | None = None,
                rand: Callable[[], float] = random.random) -> str:
    """Record a failed try: 'failed' with the next try after a backoff (at least `retry_after` seconds, at
    most `max_delay`), or 'dead' once `max_attempts` tries were made or the row is older than `max_age_hours`.
    Returns the new state ('' when the claim had lapsed to another worker)."""
    attempts = row.attempts + 1
    too_old = now - row.created_at >= dt.timedelta(hours=max_age_hours)
    if attempts >= max_attempts or too_old:
        why = f"gave up after {attempts} tries" if attempts >= max_attempts else f"older than {max_age_hours:g} h"
        state, next_try, last_error = "dead", now, f"{why}: {error}"
    else:
        delay = backoff_seconds(attempts, rand)
        delay = max(min(delay, max_delay) if max_delay else delay, retry_after or 0.0)
        state, next_try, last_error = "failed", now + dt.timedelta(seconds=delay), error
    done = Outbox.update(state=state, attempts=attempts, next_try_at=next_try, last_error=last_error,
                         claimed_by=None).where(_mine(row)).execute()
    if not done:
        return ""
    row.state, row.attempts, row.next_try_at, row.last_error = state, attempts, next_try, last_error
    return state


def mark_dead(row: Outbox, reason: str, now: dt.datetime, *, attempt: bool = True) -> bool:
    """Give up on a row for good (a recipient that does not exist, a body WeCom refuses)."""
    done = Outbox.update(state="dead", last_error=reason, next_try_at=now, claimed_by=None,
                         attempts=Outbox.attempts + (1 if attempt else 0)).where(_mine(row)).execute()
    if done:
        row.state, row.last_error = "dead", reason
    return bool(done)


HELD = "held: "  # last_error of a row waiting for the admin to fix a configuration error (doctor shows it)


def defer(row: Outbox, until: dt.datetime, held: str | None = None) -> bool:
    """Hand a claimed row back unsent, due again at `until`; not counted as an attempt. `held`: why it waits."""
    previous = getattr(row, "previous_state", "failed" if row.attempts else "pending")
    fields = {"state": previous, "next_try_at": until, "claimed_by": None}
    if held is not None:
        fields["last_error"] = HELD + held
    done = Outbox.update(**fields).where(_mine(row)).execute()
    if done:
        row.state, row.next_try_at = previous, until
    return bool(done)


def release(row: Outbox, held: str | None = None) -> bool:
    """Hand a claimed row back unsent, keeping its place in the queue."""
    return defer(row, row.next_try_at, held)


# --- admin -----------------------------------------------------------------------------------------------------


def retry(ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """Make failed, dead or unknown rows due now, with a fresh count of tries and a fresh age. Refuses sent
    rows. For an 'unknown' row this is the admin's decision to send it again (it may arrive twice)."""
    now = now or utcnow()
    ids = sorted(set(int(i) for i in ids))
    with database.atomic():
        found = {r.id: r.state for r in Outbox.select(Outbox.id, Outbox.state).where(Outbox.id << ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise StoreError(_('no outbox message with id {value}; see `duban outbox list`').format(value=', '.join(map(str, missing))))
        sent = [i for i in ids if found[i] == "sent"]
        if sent:
            raise StoreError(_('outbox message {value} was already sent; nothing retried').format(value=', '.join(map(str, sent))))
        return _requeue(Outbox.id << [i for i in ids if found[i] != "sending"], now)


def confirm_arrived(ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """The admin checked the group: these 'unknown' messages did arrive. They become 'sent'. Refuses ids that
    are not 'unknown' (nothing is changed then)."""
    now = now or utcnow()
    ids = sorted(set(int(i) for i in ids))
    with database.atomic():
        found = {r.id: r.state for r in Outbox.select(Outbox.id, Outbox.state).where(Outbox.id << ids)}
        wrong = [i for i in ids if found.get(i) != "unknown"]
        if wrong:
            raise StoreError(f"outbox message {', '.join(map(str, wrong))} is not of unknown outcome; see "
                             "`duban outbox list --state unknown`")
        return Outbox.update(state="sent", sent_at=now, claimed_by=None,
                             last_error="outcome was unknown; the admin confirmed it arrived").where(
            (Outbox.id << ids) & (Outbox.state == "unknown")).execute()


def retry_dead(now: dt.datetime | None = None) -> int:
    """Make every dead row due again now."""
    with database.atomic():
        return _requeue(Outbox.state == "dead", now or utcnow())


def _requeue(where: pw.Expression, now: dt.datetime) -> int:
    # A fresh created_at restarts the max-age clock: the admin asked for this message now.
    return Outbox.update(state="pending", attempts=0, next_try_at=now, created_at=now, claimed_by=None).where(
        where).execute()


def list_outbox(state: str | None = None, limit: int = 200) -> list[dict]:
    """Newest first; webhook keys are masked (a key is a credential)."""
    if state is not None and state not in OUTBOX_STATES:
        raise StoreError(_('unknown outbox state {state!r}: {OUTBOX_STATES}').format(state=state, OUTBOX_STATES=', '.join(OUTBOX_STATES)))
    query = Outbox.select().order_by(Outbox.id.desc()).limit(limit)
    if state:
        query = query.where(Outbox.state == state)
    return [outbox_dict(row) for row in query]


def outbox_dict(row: Outbox) -> dict:
    def local(value: dt.datetime | None) -> str | None:
        return clock.to_local(value).strftime("%Y-%m-%d %H:%M:%S") if value else None

    return {
        "id": row.id, "key": row.dedupe_key, "channel": row.channel, "target": masked_target(row.channel, row.target),
        "msgtype": row.msgtype, "state": row.state, "attempts": row.attempts,
        "next_try_at": local(row.next_try_at) if row.state in ("pending", "failed") else None,
        "created_at": local(row.created_at), "sent_at": local(row.sent_at), "last_error": row.last_error,
        "preview": row.body[:40].replace("\n", " "),
    }


def masked_target(channel: str, target: str) -> str:
    if channel == "webhook":
        return f"key ***{target[-4:]}"
    users = target.split("|")
    return target if channel != "app" or len(users) <= 3 else f"{'|'.join(users[:3])}|… ({len(users)} people)"


def counts_by_state() -> dict[str, int]:
    counts = dict.fromkeys(OUTBOX_STATES, 0)
    for state, n in Outbox.select(Outbox.state, pw.fn.COUNT(Outbox.id)).group_by(Outbox.state).tuples():
        counts[state] = n
    return counts


def unsent_count() -> int:
    return Outbox.select().where(Outbox.state << list(UNSENT_STATES)).count()


def mark_contacts_unreachable(userids: Iterable[str], reason: str) -> int:
    """Flag contacts WeCom could not deliver to; reminders skip them and `duban doctor` lists them."""
    userids = sorted(set(userids))
    if not userids:
        return 0
    return Contact.update(problem=reason).where(Contact.userid << userids).execute()
