"""The outbox store: idempotent enqueue, exclusive claims, backoff, retry (on all three backends)."""

import datetime as dt

import pytest

from jobs.outbox import enqueue_message
from store import outbox as box
from store.db import StoreError, database
from store.models import Outbox, Unit
from wecom.shaping import strip_part_marker, utf8_len

T0 = dt.datetime(2019, 10, 22, 1, 0)
KEY = "0123abcd-0000-4000-8000-00000000beef"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_enqueue_same_key_twice_gives_one_row(db_url):
    first = box.enqueue("remind:1", "app", "zhangsan", "第一次", now=T0)
    second = box.enqueue("remind:1", "app", "lisi", "第二次", now=at(5))
    assert first.inserted and not second.inserted
    assert second.id == first.id
    row = Outbox.get_by_id(first.id)
    assert (row.target, row.body, row.state, row.created_at) == ("zhangsan", "第一次", "pending", T0)
    assert Outbox.select().count() == 1


def test_enqueue_inside_an_outer_transaction_keeps_the_transaction_usable(db_url):
    with database.atomic():
        box.enqueue("k", "app", "zhangsan", "甲", now=T0)
        again = box.enqueue("k", "app", "zhangsan", "乙", now=T0)
        # A caught IntegrityError would have aborted a PostgreSQL transaction: this write would fail.
        Unit.create(name="区财政局", created_at=T0)
    assert again.body == "甲"
    assert Outbox.select().count() == 1 and Unit.select().count() == 1


def test_enqueue_rolls_back_with_the_callers_transaction(db_url):
    with pytest.raises(RuntimeError), database.atomic():
        box.enqueue("gone", "app", "zhangsan", "x", now=T0)
        raise RuntimeError("the job failed after enqueueing")
    assert Outbox.select().count() == 0


def test_enqueue_checks_its_arguments(db_url):
    with pytest.raises(StoreError, match="unknown channel"):
        box.enqueue("k", "sms", "x", "y")
    with pytest.raises(StoreError, match="at most 1000"):
        box.enqueue("k", "app", "|".join(f"u{i}" for i in range(1001)), "y")
    with pytest.raises(StoreError, match="body"):
        box.enqueue("k", "app", "zhangsan", "")
    assert Outbox.select().count() == 0


def test_a_long_chinese_text_becomes_numbered_parts_within_the_limit(db_url):
    text = "\n".join(f"第{i:02d}项：请区财政局会同有关单位按期完成并报送进展情况。" for i in range(37))
    assert 2950 <= utf8_len(text) <= 3050
    rows = enqueue_message("digest:w43", "app", "zhangsan", text)
    assert [r.dedupe_key for r in rows] == ["digest:w43#1", "digest:w43#2"]
    stored = [Outbox.get_by_id(r.id).body for r in rows]
    assert all(utf8_len(b) <= 2048 for b in stored)
    assert stored[0].startswith("（1/2）\n") and stored[1].startswith("（2/2）\n")
    assert "".join(strip_part_marker(b) for b in stored) == text
    # Idempotent as a whole: the same call adds nothing.
    assert [r.id for r in enqueue_message("digest:w43", "app", "zhangsan", text)] == [r.id for r in rows]
    assert Outbox.select().count() == 2


def test_webhook_markdown_may_be_twice_as_long(db_url):
    text = "**进度**\n" + "各单位进展顺利。" * 150  # about 3,600 bytes
    rows = enqueue_message("w", "webhook", KEY, text, msgtype="markdown")
    assert len(rows) == 1 and rows[0].body == text
    parts = [r.body for r in enqueue_message("t", "webhook", KEY, text, msgtype="text")]
    assert len(parts) >= 2 and all(utf8_len(p) <= 2048 for p in parts)
    assert "".join(strip_part_marker(p) for p in parts) == text


def test_more_than_1000_people_become_one_row_per_thousand(db_url):
    users = [f"user{i:04d}" for i in range(1500)]
    rows = enqueue_message("notify:x", "app", "|".join(users), "请注意")
    assert [r.dedupe_key for r in rows] == ["notify:x@1", "notify:x@2"]
    assert [len(r.target.split("|")) for r in rows] == [1000, 500]


def test_claims_are_exclusive_and_a_lapsed_claim_is_claimable_again(db_url):
    for i in range(5):
        box.enqueue(f"k{i}", "app", f"u{i}", "x", now=T0)
    box.enqueue("later", "app", "u9", "x", now=at(3600))
    first = box.claim_due("a", at(1), limit=3)
    assert [r.dedupe_key for r in first] == ["k0", "k1", "k2"]
    assert all(r.state == "sending" and r.claimed_by == "a" for r in first)
    second = box.claim_due("b", at(2), limit=10)
    assert [r.dedupe_key for r in second] == ["k3", "k4"]  # not a's, not the one due later
    assert box.claim_due("c", at(3), limit=10) == []
    # a crashed: after the lease its rows go to whoever asks.
    assert box.claim_due("c", at(1 + 299), limit=10, lease_seconds=300) == []
    again = box.claim_due("c", at(1 + 300), limit=10, lease_seconds=300)
    assert [r.dedupe_key for r in again] == ["k0", "k1", "k2"]
    # a's late report does not overwrite c's claim.
    assert box.mark_sent(first[0], "m1", at(302)) is False
    assert Outbox.get_by_id(first[0].id).claimed_by == "c"
    assert box.mark_sent(again[0], "m1", at(303)) is True
    row = Outbox.get_by_id(first[0].id)
    assert (row.state, row.wecom_msgid, row.attempts, row.sent_at) == ("sent", "m1", 1, at(303))


def test_claims_can_skip_a_channel_or_one_target(db_url):
    box.enqueue("a", "app", "u1", "x", now=T0)
    box.enqueue("w1", "webhook", KEY, "x", now=T0)
    box.enqueue("w2", "webhook", "other-key", "x", now=T0)
    rows = box.claim_due("w", at(1), exclude=[("app", None), ("webhook", KEY)])
    assert [r.dedupe_key for r in rows] == ["w2"]


def test_failures_back_off_exponentially_then_die(db_url):
    row = box.enqueue("k", "app", "u1", "x", now=T0)
    delays = []
    now = T0
    for _ in range(4):
        [row] = box.claim_due("w", now)
        assert box.mark_failed(row, "errcode -1: system busy", now, max_attempts=5, rand=lambda: 1.0) == "failed"
        delays.append((row.next_try_at - now).total_seconds())
        assert box.claim_due("w", now) == []  # not due before its time
        now = row.next_try_at
    assert delays == [30, 60, 120, 240]
    [row] = box.claim_due("w", now)
    assert box.mark_failed(row, "errcode -1: system busy", now, max_attempts=5) == "dead"
    stored = Outbox.get_by_id(row.id)
    assert stored.state == "dead" and stored.attempts == 5
    assert stored.last_error == "gave up after 5 tries: errcode -1: system busy"


def test_backoff_has_jitter_a_cap_and_honours_retry_after(db_url):
    assert box.backoff_seconds(1, rand=lambda: 0.0) == 15
    assert box.backoff_seconds(1, rand=lambda: 1.0) == 30
    assert box.backoff_seconds(20, rand=lambda: 1.0) == 3600
    row = box.enqueue("k", "webhook", KEY, "x", now=T0)
    [row] = box.claim_due("w", T0)
    box.mark_failed(row, "errcode 45009", T0, retry_after=60, rand=lambda: 0.0)
    assert row.next_try_at == at(60)
    [row] = box.claim_due("w", at(60))
    row.attempts = 9  # as if after many tries: the hour cap gives way to max_delay (WeCom's duplicate window)
    box.mark_failed(row, "timeout", at(60), max_delay=1620, rand=lambda: 1.0)
    assert row.next_try_at == at(60 + 1620)


def test_an_old_message_dies_on_its_next_failure(db_url):
    row = box.enqueue("k", "app", "u1", "x", now=T0)
    late = T0 + dt.timedelta(hours=49)
    [row] = box.claim_due("w", late)
    assert box.mark_failed(row, "errcode -1", late, max_age_hours=48) == "dead"
    assert Outbox.get_by_id(row.id).last_error.startswith("older than 48 h")


def test_defer_does_not_count_as_an_attempt(db_url):
    box.enqueue("k", "app", "u1", "x", now=T0)
    [row] = box.claim_due("w", T0)
    assert box.defer(row, at(60))
    stored = Outbox.get_by_id(row.id)
    assert (stored.state, stored.attempts, stored.next_try_at, stored.claimed_by) == ("pending", 0, at(60), None)


def test_retry_brings_back_dead_and_failed_but_never_sent(db_url):
    rows = [box.enqueue(f"k{i}", "app", f"u{i}", "x", now=T0) for i in range(3)]
    claimed = box.claim_due("w", T0)
    box.mark_dead(claimed[0], "recipient rejected", T0)
    box.mark_failed(claimed[1], "errcode -1", T0)
    box.mark_sent(claimed[2], "m", T0)
    assert box.counts_by_state() == {"pending": 0, "sending": 0, "sent": 1, "failed": 1, "dead": 1, "unknown": 0}
    with pytest.raises(StoreError, match="already sent"):
        box.retry([rows[0].id, rows[2].id])
    with pytest.raises(StoreError, match="no outbox message with id 999"):
        box.retry([999])
    assert box.retry([rows[1].id], now=at(10)) == 1
    assert box.retry_dead(now=at(10)) == 1
    again = box.claim_due("w", at(10))
    assert sorted(r.id for r in again) == [rows[0].id, rows[1].id]
    assert all(r.attempts == 0 for r in again)


def test_list_outbox_masks_robot_keys_and_filters_by_state(db_url):
    box.enqueue("w", "webhook", KEY, "周报", now=T0)
    box.enqueue("a", "app", "zhangsan", "提醒", now=T0)
    rows = box.list_outbox()
    assert [r["key"] for r in rows] == ["a", "w"]
    assert rows[1]["target"] == "key ***beef" and KEY not in str(rows)
    assert [r["key"] for r in box.list_outbox("pending", limit=1)] == ["a"]
    with pytest.raises(StoreError):
        box.list_outbox("lost")


def test_unreachable_contacts_are_marked(db_url):
    unit = Unit.create(name="区财政局", created_at=T0)
    from store.models import Contact

    Contact.create(unit=unit, name="张三", userid="zhangsan", created_at=T0)
    assert box.mark_contacts_unreachable(["zhangsan", "nobody"], "userid not found") == 1
    assert Contact.get(Contact.userid == "zhangsan").problem == "userid not found"
