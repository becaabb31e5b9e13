"""The outbox dispatcher against the WeCom emulator over real HTTP, on a fake clock (no sleeping)."""

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path

import pytest
from wecom_support import AGENT_ID, CORP_ID, OTHER_WEBHOOK_KEY, SECRET, WEBHOOK_KEY, FakeClock

from jobs.outbox import Dispatcher, enqueue_message, make_sender
from store import db as store_db
from store import outbox as box
from store import schema
from store.config import load_config
from store.db import database
from store.models import Contact, Outbox, Unit
from wecom.emulator import WeComEmulator

ROOT = Path(__file__).resolve().parent.parent
START = dt.datetime(2019, 10, 22, 1, 0, tzinfo=dt.timezone.utc).timestamp()


class RecordingEmulator(WeComEmulator):
    """Remembers every answer it gave (after scripted faults), to prove our own limits kept it from refusing."""

    def __init__(self, *args, expire_after: int | None = None, signal_at: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers: list[tuple[str, int]] = []
        self.expire_after = expire_after
        self.reached = threading.Event()
        self.signal_at = signal_at
        self.released = threading.Event()

    def handle(self, method, api, query, body, content_type=""):
        if self.reached.is_set() and not self.released.is_set() and api == "message/send":
            # Past signal_at every send hangs, like a WeCom that stopped answering, until the test releases it;
            # then it is refused undelivered (its sender is dead by then). So the kill lands mid-batch, always.
            self.released.wait(60)
            return 200, {"errcode": -1, "errmsg": "system busy"}
        status, answer = super().handle(method, api, query, body, content_type)
        with self._lock:
            self.answers.append((api, answer.get("errcode", 0)))
        return status, answer

    def _deliver(self, record):
        super()._deliver(record)
        if self.expire_after is not None and len(self._delivered) == self.expire_after:
            self.advance_clock(7201)  # the server's token expires; the client still trusts its copy
        if self.signal_at is not None and len(self._delivered) >= self.signal_at:
            self.reached.set()


@pytest.fixture
def fake():
    return FakeClock(START)


def emulator(fake=None, **kwargs):
    return RecordingEmulator(CORP_ID, SECRET, AGENT_ID, clock=fake, users=None,
                             webhook_keys=[WEBHOOK_KEY, OTHER_WEBHOOK_KEY], **kwargs)


@pytest.fixture
def emu(fake):
    with emulator(fake) as e:
        yield e


def make_config(emu, secret=SECRET, **outbox):
    cfg = load_config(None, environ={})
    cfg["wecom"].update(corp_id=CORP_ID, secret=secret, agent_id=AGENT_ID, api_base_url=emu.base_url, timeout=5.0)
    cfg["outbox"].update(outbox)
    return cfg


def dispatcher(emu, fake, name="d1", secret=SECRET, **outbox):
    cfg = make_config(emu, secret=secret, **outbox)
    return Dispatcher(make_sender(cfg), cfg, worker_name=name, clock=fake, sleep=fake.advance, rand=lambda: 0.5)


def stamp(fake) -> dt.datetime:
    return dt.datetime.fromtimestamp(fake(), dt.timezone.utc).replace(tzinfo=None)


def contents(emu, target=None):
    return [m["content"] for m in emu.delivered if target is None or m["target"] == target]


def flush_until_done(d, fake, rounds=40, step=61):
    results = []
    for _ in range(rounds):
        results.append(d.flush())
        if results[-1].remaining == 0:
            return results
        fake.advance(step)
    raise AssertionError(f"still {results[-1].remaining} unsent after {rounds} rounds")


def test_every_channel_is_delivered_and_recorded(db_url, emu, fake):
    d = dispatcher(emu, fake)
    chatid, error = d.sender.create_appchat(["zhangsan", "lisi"], name="督办", chatid="chat01")
    assert error is None
    enqueue_message("a", "app", "zhangsan|lisi", "请报送进度", now=stamp(fake))
    enqueue_message("c", "appchat", chatid, "群消息", now=stamp(fake))
    enqueue_message("w", "webhook", WEBHOOK_KEY, "**周报**", msgtype="markdown", now=stamp(fake))
    result = d.flush()
    assert (result.sent, result.failed, result.dead, result.remaining, result.alerts) == (3, 0, 0, 0, [])
    assert contents(emu, "zhangsan") == contents(emu, "lisi") == ["请报送进度"]
    assert contents(emu, chatid) == ["群消息"] and contents(emu, WEBHOOK_KEY) == ["**周报**"]
    app_row = Outbox.get(Outbox.dedupe_key == "a")
    assert app_row.state == "sent" and app_row.wecom_msgid == emu.messages_for("zhangsan")[0]["msgid"]
    assert app_row.attempts == 1 and app_row.sent_at == stamp(fake)
    raw = emu.messages_for("zhangsan")[0]["raw"]
    assert raw["enable_duplicate_check"] == 1 and raw["duplicate_check_interval"] == 1800
    assert d.flush().sent == 0  # nothing is sent twice


def test_token_expiring_mid_batch_costs_one_refresh(db_url, fake):
    with emulator(fake, expire_after=10) as emu:
        d = dispatcher(emu, fake)
        for i in range(30):
            enqueue_message(f"k{i}", "app", f"user{i}", f"第{i}条", now=stamp(fake))
        result = d.flush()
        assert (result.sent, result.failed, result.remaining) == (30, 0, 0)
        assert emu.stats["gettoken"] == 2
        assert sorted(contents(emu)) == sorted(f"第{i}条" for i in range(30))
        assert ("message/send", 42001) in emu.answers


def test_a_storm_of_busy_and_rate_errors_backs_off_and_delivers_everything_once(db_url, emu, fake):
    d = dispatcher(emu, fake)
    expected = {f"robot {i}" for i in range(50)} | {f"person {i}" for i in range(20)}
    for i in range(50):
        enqueue_message(f"w{i}", "webhook", WEBHOOK_KEY, f"robot {i}", now=stamp(fake))
    for i in range(20):
        enqueue_message(f"a{i}", "app", f"user{i % 5}", f"person {i}", now=stamp(fake))
    emu.script_faults("webhook/send", [45009, -1, 45009, -1, -1, 45009])
    emu.script_faults("message/send", [-1, 45009, -1, -1])
    first = d.flush()
    # Robot: 6 scripted faults, then 20 sent, the other 24 deferred to the next minute. App: 4 faults, 16 sent.
    assert (first.failed, first.sent, first.deferred) == (10, 36, 24)
    failed = list(Outbox.select().where(Outbox.state == "failed"))
    waits = sorted((r.next_try_at - stamp(fake)).total_seconds() for r in failed)
    assert len(failed) == 10 and all(w >= 15 for w in waits) and waits.count(60) == 4  # the 45009s wait 60 s
    assert all(r.attempts == 1 for r in failed)

    flush_until_done(d, fake)
    assert Counter(contents(emu)) == Counter(expected)  # everything, exactly once
    times = sorted(m["time"] for m in emu.delivered if m["target"] == WEBHOOK_KEY)
    assert max(sum(1 for t in times if s <= t < s + 60) for s in times) <= 20
    # Our own limit kept the robot from ever refusing us (only the scripted 45009s happened).
    assert ("webhook/send", 45009) not in emu.answers
    assert emu.stats["dropped"] == 0 and emu.pending_faults("webhook/send") == 0
    assert all(r.attempts <= 3 for r in Outbox.select())


def test_a_permanent_recipient_error_kills_only_that_row_and_marks_the_contact(db_url, emu, fake):
    unit = Unit.create(name="区财政局", created_at=stamp(fake))
    for userid in ("zhangsan", "ghost", "lisi"):
        Contact.create(unit=unit, name=userid, userid=userid, created_at=stamp(fake))
    emu.fail_user("ghost")
    d = dispatcher(emu, fake)
    for userid in ("zhangsan", "ghost", "lisi"):
        enqueue_message(f"k-{userid}", "app", userid, f"给{userid}", now=stamp(fake))
    enqueue_message("both", "app", "lisi|ghost", "给两人", now=stamp(fake))
    result = d.flush()
    assert (result.sent, result.dead, result.failed) == (3, 1, 0)
    dead = Outbox.get(Outbox.dedupe_key == "k-ghost")
    assert dead.state == "dead" and "81013" in dead.last_error and dead.attempts == 1
    assert result.dead_rows == [(dead.id, dead.last_error)]
    assert Outbox.get(Outbox.dedupe_key == "both").state == "sent"  # partly delivered is delivered
    assert contents(emu, "lisi") == ["给lisi", "给两人"] and contents(emu, "ghost") == []
    problems = {c.userid: c.problem for c in Contact.select()}
    assert problems["zhangsan"] is None and problems["lisi"] is None
    assert problems["ghost"].startswith("WeCom") and problems["ghost"].endswith("2019-10-22")
    assert result.unreachable == ["ghost"]


def test_a_body_wecom_refuses_as_too_large_is_dead_not_retried(db_url, emu, fake):
    box.enqueue("big", "webhook", WEBHOOK_KEY, "超" * 1000, now=stamp(fake))  # 3000 bytes, not split
    result = dispatcher(emu, fake).flush()
    row = Outbox.get(Outbox.dedupe_key == "big")
    assert result.dead == 1 and row.state == "dead" and "splitting bug" in row.last_error


def test_a_configuration_error_holds_the_channel_without_burning_attempts(db_url, emu, fake):
    d = dispatcher(emu, fake, secret="wrong-secret")
    for i in range(3):
        enqueue_message(f"a{i}", "app", f"user{i}", "x", now=stamp(fake))
    enqueue_message("gone", "webhook", "removed-robot-key", "x", now=stamp(fake))
    enqueue_message("w", "webhook", WEBHOOK_KEY, "robot still works", now=stamp(fake))
    result = d.flush()
    assert result.sent == 1 and contents(emu) == ["robot still works"]
    assert result.held == 4 and result.failed == result.dead == 0 and not result.all_sent
    assert len(result.alerts) == 2 and "40001" in result.alerts[0] and "93000" in result.alerts[1]
    assert "wrong-secret" not in " ".join(result.alerts) and "removed-robot-key" not in " ".join(result.alerts)
    assert emu.stats["gettoken"] == 1  # one app row tried, the others held
    held = Outbox.select().where(Outbox.state != "sent")
    assert all(r.state == "pending" and r.attempts == 0 and r.claimed_by is None for r in held)
    fixed = dispatcher(emu, fake)
    assert fixed.flush().sent == 3


def test_per_person_limit_defers_without_counting_attempts(db_url, emu, fake):
    d = dispatcher(emu, fake)
    for i in range(35):
        enqueue_message(f"k{i}", "app", "zhangsan", f"第{i}条", now=stamp(fake))
    first = d.flush()
    assert (first.sent, first.deferred, first.remaining) == (30, 5, 5)
    waiting = list(Outbox.select().where(Outbox.state != "sent"))
    assert all(r.state == "pending" and r.attempts == 0 for r in waiting)
    assert emu.stats["dropped"] == 0
    fake.advance(30)
    assert d.flush().sent == 0  # still inside the minute (the window is rebuilt from the database)
    fake.advance(31)
    assert d.flush().sent == 5
    assert contents(emu, "zhangsan") == [f"第{i}条" for i in range(35)] and emu.stats["dropped"] == 0


def test_the_global_rate_paces_on_the_injected_clock(db_url, emu, fake):
    d = dispatcher(emu, fake, messages_per_second=10.0)
    for i in range(25):
        enqueue_message(f"k{i}", "app", f"user{i}", "x", now=stamp(fake))
    assert d.flush().sent == 25
    per_second = Counter(int(m["time"] - START) for m in emu.delivered)
    assert max(per_second.values()) <= 10 and fake() - START >= 2


def test_two_dispatchers_at_once_never_send_the_same_row(db_url, emu, fake):
    for i in range(200):
        enqueue_message(f"k{i}", "app", f"user{i}", f"message {i}", now=stamp(fake))
    barrier = threading.Barrier(2)
    sent: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            # No duplicate check: WeCom must not be what hides a double send here.
            d = dispatcher(emu, fake, name=name, duplicate_check_interval=0, messages_per_second=100000.0)
            d.batch_size = 10
            database.connect(reuse_if_open=True)  # each thread has its own connection
            barrier.wait(timeout=10)
            sent[name] = d.flush().sent
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=run, args=(f"worker{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert Counter(contents(emu)) == Counter(f"message {i}" for i in range(200))
    assert sum(sent.values()) == 200 and all(n > 0 for n in sent.values())
    assert "enable_duplicate_check" not in emu.delivered[0]["raw"]
    assert Outbox.select().where(Outbox.state == "sent").count() == 200


VICTIM = textwrap.dedent("""
    import sys
    from store import db
    from store.config import load_config
    from jobs.outbox import Dispatcher, make_sender
    db.connect(sys.argv[1])
    cfg = load_config(None)
    d = Dispatcher(make_sender(cfg), cfg, worker_name="victim", batch_size=25)
    while d.flush().remaining:
        pass
""")


def test_a_dispatcher_killed_mid_batch_is_finished_by_another_exactly_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    store_db.connect(url)
    try:
        schema.upgrade()
        with database.atomic():
            for i in range(1000):
                enqueue_message(f"k{i}", "app", f"user{i % 100}", f"督办提醒 第{i}条")
        with emulator(signal_at=300) as emu:
            env = {**os.environ, "PYTHONPATH": str(ROOT), "DUBAN_WECOM_CORP_ID": CORP_ID,
                   "DUBAN_WECOM_SECRET": SECRET, "DUBAN_WECOM_AGENT_ID": str(AGENT_ID),
                   "DUBAN_WECOM_API_BASE_URL": emu.base_url, "DUBAN_OUTBOX_MESSAGES_PER_SECOND": "100000"}
            env.pop("DUBAN_CONFIG", None)
            victim = subprocess.Popen([sys.executable, "-c", VICTIM, url], cwd=tmp_path, env=env)
            try:
                assert emu.reached.wait(timeout=60), "the victim never got going"
                victim.send_signal(signal.SIGKILL)
            finally:
                victim.kill()
                victim.wait(timeout=10)
            assert victim.returncode == -signal.SIGKILL
            emu.released.set()
            delivered_before = len(emu.delivered)
            assert 300 <= delivered_before < 1000
            assert Outbox.select().where(Outbox.state == "sent").count() < 1000

            cfg = make_config(emu, messages_per_second=100000.0)
            rescuer = Dispatcher(make_sender(cfg), cfg, worker_name="rescuer", lease_seconds=1.0)
            later = box.utcnow() + dt.timedelta(seconds=2)  # the victim's claims have lapsed by then
            for _ in range(5):
                if rescuer.flush(now=later).remaining == 0:
                    break
            assert Counter(contents(emu)) == Counter(f"督办提醒 第{i}条" for i in range(1000))
            assert Outbox.select().where(Outbox.state == "sent").count() == 1000
            assert emu.stats["dropped"] == 0
    finally:
        store_db.close()
