"""Many outbox rows and reminder claims in a few statements, with the same once-only rules, on every backend."""

import datetime as dt

import pytest

from store import outbox as box
from store.db import StoreError, database
from store.models import Assignment, Outbox, ReminderLog
from store.reminders import claim_all, claim_each
from tests.world import build_world

T0 = dt.datetime(2019, 10, 22, 1, 10)


def test_enqueue_many_gives_each_key_its_row_once(db_url):
    first = box.enqueue("k1", "app", "u1", "第一条", now=T0)
    ids = box.enqueue_many([("k1", "app", "u1", "不会覆盖", "text"), ("k2", "app", "u2", "第二条", "text"),
                            ("k3", "webhook", "robot-key", "第三条", "markdown")], now=T0)
    assert ids["k1"] == first.id and len(set(ids.values())) == 3
    rows = {r.dedupe_key: r for r in Outbox.select()}
    assert rows["k1"].body == "第一条" and rows["k2"].target == "u2" and rows["k3"].msgtype == "markdown"
    assert all(r.state == "pending" and r.attempts == 0 and r.next_try_at == T0 for r in rows.values())


def test_enqueue_many_checks_every_message_before_writing(db_url):
    with pytest.raises(StoreError):
        box.enqueue_many([("ok", "app", "u1", "好", "text"), ("bad", "fax", "u2", "不行", "text")], now=T0)
    assert Outbox.select().count() == 0


def test_claim_all_claims_every_item_or_none(db_url):
    build_world()
    a, deadline = next((a.id, d) for a in Assignment.select() for d in a.task.deadlines)
    day = T0.date()
    first = box.enqueue("k1", "app", "u1", "第一条", now=T0).id
    items = [((a, deadline.id, "before_7"), first), ((a, deadline.id, "before_3"), first)]
    with database.atomic():
        assert claim_each([(a, deadline.id, "before_3")], day) == [(a, deadline.id, "before_3")]  # another run's
        assert claim_all(items, day) is False
        # Nothing of the refused claim stayed, and the transaction goes on (PostgreSQL's was not aborted).
        assert ReminderLog.select().count() == 1
        assert claim_all(items[:1], day) is True
    logs = {r.stage: r.outbox_id for r in ReminderLog.select()}
    assert logs == {"before_3": None, "before_7": first}
