"""Claims are short leases renewed while a dispatcher works: a dead dispatcher's rows go to another within a
minute, a live slow one keeps its rows, and every message arrives once. Time is the injected clock only."""

import datetime as dt
from collections import Counter

from test_dispatcher import START, RecordingEmulator, contents, make_config, stamp
from wecom_support import AGENT_ID, CORP_ID, SECRET, FakeClock

from jobs.outbox import Dispatcher, claim_lease_seconds, claim_size, enqueue_message, make_sender
from store import outbox as box
from store.models import Outbox


class SlowEmulator(RecordingEmulator):
    """Every delivery takes `seconds` of the fake clock (a slow network), as the dispatcher sees it."""

    def __init__(self, fake: FakeClock, seconds: float) -> None:
        super().__init__(CORP_ID, SECRET, AGENT_ID, clock=fake, users=None)
        self.fake, self.seconds = fake, seconds

    def _deliver(self, record):
        super()._deliver(record)
        self.fake.advance(self.seconds)


def test_claims_are_short_and_sized_to_what_one_dispatcher_sends_within_them():
    cfg = make_config(type("E", (), {"base_url": "http://127.0.0.1:9/cgi-bin/"})(), messages_per_second=50.0)
    assert claim_lease_seconds(cfg) == 30.0
    assert claim_size(cfg, 30.0) == 50  # 500 rows in a third of the lease at 50/s: capped at the batch
    cfg["outbox"]["messages_per_second"] = 2.0
    assert claim_size(cfg, 30.0) == 20
    cfg["wecom"]["timeout"] = 25.0  # one slow send must not outlast a claim
    assert claim_lease_seconds(cfg) == 75.0


def test_a_dead_dispatchers_rows_go_to_another_after_the_lease_exactly_once(db_url):
    fake = FakeClock(START)
    with RecordingEmulator(CORP_ID, SECRET, AGENT_ID, clock=fake, users=None) as emu:
        for i in range(20):
            enqueue_message(f"k{i}", "app", f"user{i}", f"督办提醒 第{i}条", now=stamp(fake))
        cfg = make_config(emu, messages_per_second=100000.0)
        # The victim claimed a batch and sent three of them, then died before recording anything.
        victim = Dispatcher(make_sender(cfg), cfg, worker_name="victim", clock=fake, sleep=fake.advance)
        claimed = box.claim_due("victim", stamp(fake), 10, lease_seconds=victim.lease_seconds)
        for row in claimed[:3]:
            assert victim._send(row).ok
        rescuer = Dispatcher(make_sender(cfg), cfg, worker_name="rescuer", clock=fake, sleep=fake.advance)
        assert rescuer.lease_seconds <= 30
        first = rescuer.flush()
        assert (first.sent, first.remaining) == (10, 10)  # the victim's claims still stand
        fake.advance(rescuer.lease_seconds + 1)
        second = rescuer.flush()
        assert (second.sent, second.remaining) == (10, 0)
        # The three sent twice were dropped by WeCom's duplicate check: each message arrived once.
        assert Counter(contents(emu)) == Counter(f"督办提醒 第{i}条" for i in range(20))
        assert emu.stats["duplicate"] == 3
        assert Outbox.select().where(Outbox.state == "sent").count() == 20


def test_a_slow_dispatcher_renews_its_claim_so_no_other_takes_its_rows(db_url):
    fake = FakeClock(START)
    claimable: list[int] = []

    class Watching:
        """The dispatcher's clock; at each reading, no claim of its may have lapsed (another would take it)."""

        def __call__(self) -> float:
            if watch.active:
                lapsed = stamp(fake) - dt.timedelta(seconds=lease)
                claimable.extend(r.id for r in Outbox.select(Outbox.id).where(
                    (Outbox.state == "sending") & (Outbox.claimed_at <= lapsed)))
            return fake()

    watch = Watching()
    watch.active = False
    with SlowEmulator(fake, seconds=4.0) as emu:  # 50 rows x 4 s: far longer than one lease
        for i in range(50):
            enqueue_message(f"k{i}", "app", f"user{i}", f"第{i}条", now=stamp(fake))
        cfg = make_config(emu, messages_per_second=100000.0)
        d = Dispatcher(make_sender(cfg), cfg, worker_name="slow", clock=watch, sleep=fake.advance)
        lease = d.lease_seconds
        watch.active = True
        result = d.flush()
        watch.active = False
    assert claimable == []
    assert result.sent == 50 and fake() - START >= 50 * 4.0 > lease
    assert Counter(contents(emu)) == Counter(f"第{i}条" for i in range(50))


def test_renewing_skips_rows_another_worker_took_and_batched_outcomes_respect_claims(db_url):
    t0 = dt.datetime(2019, 10, 22, 1, 0)
    for i in range(4):
        box.enqueue(f"k{i}", "app", f"u{i}", "x", now=t0)
    mine = box.claim_due("a", t0, 4, lease_seconds=30)
    later = t0 + dt.timedelta(seconds=31)
    taken = box.claim_due("b", later, 1, lease_seconds=30)  # a's claim lapsed; b took the first row
    assert [r.id for r in taken] == [mine[0].id]
    kept = box.renew_claims(mine, "a", later)
    assert [r.id for r in kept] == [r.id for r in mine[1:]]
    assert box.claim_due("c", later + dt.timedelta(seconds=29), 10, lease_seconds=30) == []  # renewed
    recorded = box.mark_sent_many([(mine[0], "m0", later), (mine[1], "m1", later), (mine[2], None, later)])
    assert recorded == 2  # not the row b holds now
    rows = {r.dedupe_key: r for r in Outbox.select()}
    assert (rows["k0"].state, rows["k0"].claimed_by) == ("sending", "b")
    assert (rows["k1"].state, rows["k1"].wecom_msgid, rows["k1"].sent_at) == ("sent", "m1", later)
    assert (rows["k2"].state, rows["k2"].wecom_msgid, rows["k2"].attempts) == ("sent", None, 1)
