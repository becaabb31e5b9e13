"""Send budgets shared by every dispatcher: at most `limit` sends per recipient in any `period` seconds.

WeCom silently drops a 31st app message to one person within a minute (and refuses a 21st robot message), so
the count must hold across processes, not per dispatcher. Each recipient key has up to `limit` slots (rows);
a send takes the slot used longest ago, if that was at least `period` ago, by a compare-and-set on its time.
No locks are held, so this works alike on SQLite, PostgreSQL and MariaDB. A slot taken for a send that then
WeCom refused is given back (`refund`); one whose outcome is unknown stays taken: the budget errs towards
sending later, never towards sending too much.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import peewee

from store.db import database, is_retryable, relaxed_commit
from store.models import RateSlot
from store.prepared import Prepared, insert_ignore, insert_ignore_many

CHUNK = 500
ROUNDS = 4  # compare-and-set races lost before giving up for this try (the caller defers the row)
RACE_WAIT = 1.0
CHUNK_NEW = 300  # new slots per insert (3 parameters each)


def user_key(userid: str) -> str:
    return f"user:{userid}"[:100]


def robot_key(webhook_key: str) -> str:
    """A robot's key is a credential: only a digest of it is stored here."""
    return "robot:" + hashlib.sha256(webhook_key.encode("utf-8")).hexdigest()[:40]


@dataclass
class Reservation:
    wait: float = 0.0  # seconds until every key has room again; 0.0 when the sends were taken
    now_ms: int = 0
    taken: list[tuple[str, int, int | None]] = field(default_factory=list)  # (key, slot, its previous time)


def reserve(keys: Sequence[str], limit: int, now: float, period: float = 60.0) -> Reservation:
    """Take one send from each key's budget at `now` (epoch seconds). `.wait` is 0.0 when every key got one,
    else the seconds to wait before trying again (and no key that was over its budget was charged)."""
    pending = list(dict.fromkeys(keys))
    now_ms = int(now * 1000)
    period_ms = int(period * 1000)
    done = Reservation(now_ms=now_ms)
    for _ in range(ROUNDS):
        slots = _slots(pending)
        plans, wait_ms = _plan(pending, slots, limit, now_ms, period_ms)
        if wait_ms:
            refund(done)
            return Reservation(wait_ms / 1000.0, now_ms)
        pending = []
        for key, slot, old in plans:
            if _take(key, slot, old, now_ms):
                done.taken.append((key, slot, old))
            else:
                pending.append(key)
        if not pending:
            return done
    refund(done)
    return Reservation(RACE_WAIT, now_ms)


def refund(reservation: Reservation) -> None:
    """Give back the sends of a reservation that did not happen (WeCom refused it), unless reused since."""
    for key, slot, old in reservation.taken:
        where = (RateSlot.key == key) & (RateSlot.slot == slot) & (RateSlot.used_ms == reservation.now_ms)
        if old is None:
            RateSlot.delete().where(where).execute()
        else:
            RateSlot.update(used_ms=old).where(where).execute()
    reservation.taken = []


_slots_query = Prepared(lambda keys: (RateSlot.select(RateSlot.key, RateSlot.slot, RateSlot.used_ms)
                                     .where(RateSlot.key << keys).tuples()))
_move_slot = Prepared(lambda now_ms, key, slot, old_ms: RateSlot.update(used_ms=now_ms).where(
    (RateSlot.key == key) & (RateSlot.slot == slot) & (RateSlot.used_ms == old_ms)))


def _slots(keys: Sequence[str]) -> dict[str, dict[int, int]]:
    found: dict[str, dict[int, int]] = {}
    for start in range(0, len(keys), CHUNK):
        for key, slot, used_ms in _slots_query.rows(list(keys[start:start + CHUNK])):
            found.setdefault(key, {})[slot] = used_ms
    return found


def _plan(keys: Sequence[str], slots: dict[str, dict[int, int]], limit: int, now_ms: int,
          period_ms: int) -> tuple[list[tuple[str, int, int | None]], int]:
    """For each key the slot a send at `now_ms` would take, (key, slot, its previous time or None); and the
    milliseconds to wait when some key has none free (0 when all have)."""
    plans: list[tuple[str, int, int | None]] = []
    wait_ms = 0
    for key in keys:
        used = slots.setdefault(key, {})
        if len(used) < limit:
            plans.append((key, _free_index(used, limit), None))
            continue
        slot, used_ms = min(used.items(), key=lambda item: (item[1], item[0]))
        if used_ms > now_ms - period_ms:
            wait_ms = max(wait_ms, used_ms + period_ms - now_ms)
        plans.append((key, slot, used_ms))
    return plans, wait_ms


def _free_index(used: dict[int, int], limit: int) -> int:
    return next(i for i in range(limit) if i not in used)


def _take(key: str, slot: int, old_ms: int | None, now_ms: int) -> bool:
    """Claim one slot: insert it when new, else move its time from `old_ms` to now if nobody did first.
    A deadlock with another dispatcher taking the same slot counts as losing the race."""
    try:
        return _compare_and_set(key, slot, old_ms, now_ms)
    except peewee.PeeweeException as exc:
        if not is_retryable(exc):
            raise
        return False


def _compare_and_set(key: str, slot: int, old_ms: int | None, now_ms: int) -> bool:
    # A budget lost in a database crash costs at most a few early sends: its commit need not wait for the disk.
    with relaxed_commit():
        return _cas(key, slot, old_ms, now_ms)


def _cas(key: str, slot: int, old_ms: int | None, now_ms: int) -> bool:
    if old_ms is None:
        return insert_ignore(RateSlot, {"key": key, "slot": slot, "used_ms": now_ms}, returning=False)
    return _move_slot.execute(now_ms, key, slot, old_ms)[1].rowcount == 1


def reserve_many(wanted: Sequence[tuple[Sequence[str], int]], earliest: float, latest: float,
                 period: float = 60.0) -> list[Reservation]:
    """Reserve for several sends at once, each (keys, limit), in one read and one transaction: for a batch of
    sends that will all happen between `earliest` and `latest` (epoch seconds). A slot is free when it was last
    used a `period` before `earliest`; it is stamped `latest`, so the next send it allows is a `period` after
    any of these. Sends are planned in order, a key wanted twice taking two slots. A send whose keys have no
    room (or that lost a race) gets `.wait` > 0 and nothing taken, as with `reserve`."""
    check_ms, stamp_ms, period_ms = int(earliest * 1000), int(latest * 1000), int(period * 1000)
    slots = _slots(sorted({k for keys, _limit in wanted for k in keys}))
    out: list[Reservation] = []
    plans: list[list[tuple[str, int, int | None]]] = []
    for keys, limit in wanted:
        plan, wait_ms = _plan(list(dict.fromkeys(keys)), slots, limit, check_ms, period_ms)
        if wait_ms:
            plan = []
        for key, slot, _old in plan:
            slots[key][slot] = stamp_ms
        out.append(Reservation(wait_ms / 1000.0, stamp_ms))
        plans.append(plan)
    try:
        with relaxed_commit():
            if _take_new_slots_at_once(plans, stamp_ms):
                for reservation, plan in zip(out, plans, strict=True):
                    reservation.taken += [(key, slot, None) for key, slot, old in plan if old is None]
                plans = [[step for step in plan if step[2] is not None] for plan in plans]
            for reservation, plan in zip(out, plans, strict=True):
                for key, slot, old in plan:
                    if not _cas(key, slot, old, stamp_ms):
                        refund(reservation)
                        reservation.wait = RACE_WAIT
                        break
                    reservation.taken.append((key, slot, old))
    except peewee.PeeweeException as exc:  # a deadlock with another dispatcher: try these one by one later
        if not is_retryable(exc):
            raise
        return [Reservation(RACE_WAIT, stamp_ms) for _ in wanted]
    return out


def _take_new_slots_at_once(plans: list[list[tuple[str, int, int | None]]], stamp_ms: int) -> bool:
    """Insert every never-used slot the plans take in one statement (a recipient's first sends); True when all
    went in. When another dispatcher took one first, nothing stays inserted and each is taken on its own."""
    fresh = [{"key": key, "slot": slot, "used_ms": stamp_ms} for plan in plans for key, slot, old in plan
             if old is None]
    if not fresh:
        return False
    try:
        with database.atomic():  # a savepoint: undone as a whole when it did not take them all
            if sum(insert_ignore_many(RateSlot, fresh[i:i + CHUNK_NEW]) for i in range(0, len(fresh), CHUNK_NEW)) \
                    == len(fresh):
                return True
            raise _SomeTaken
    except _SomeTaken:
        return False


class _SomeTaken(Exception):
    pass
