"""Robots and group chats hear a message at most once; per-person limits hold across dispatchers (issue 17).

Replays of the findings: a robot answering after [wecom] timeout got both digest parts twice, a dispatcher
killed mid-send posted one robot message three times, and three `outbox flush` at once sent 40 messages in a
minute to one person (WeCom drops what is over 30).
"""

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
from test_dispatcher import START, contents, dispatcher, emulator, make_config, stamp
from wecom_support import AGENT_ID, CORP_ID, SECRET, WEBHOOK_KEY, FakeClock

from jobs.doctor import check_outbox
from jobs.outbox import Dispatcher, enqueue_message, make_sender
from store import db as store_db
from store import outbox as box
from store import schema
from store.db import database
from store.models import Outbox

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake():
    return FakeClock(START)


@pytest.fixture
def emu(fake):
    with emulator(fake) as e:
        yield e


def test_a_robot_answering_after_the_timeout_is_held_as_unknown_never_posted_twice(db_url, emu, fake, cli):
    d = dispatcher(emu, fake)
    d.sender._timeout = 3.0  # [wecom] timeout; the emulator holds the "late" answer until released
    enqueue_message("digest:1:2019-W43:1", "webhook", WEBHOOK_KEY, "**周报（1/2）**", msgtype="markdown",
                    now=stamp(fake))
    enqueue_message("digest:1:2019-W43:2", "webhook", WEBHOOK_KEY, "**周报（2/2）**", msgtype="markdown",
                    now=stamp(fake))
    emu.script_faults("webhook/send", ["late"])
    first = d.flush()
    emu.release_late()
    assert (first.sent, first.unknown, first.failed, first.remaining) == (1, 1, 0, 0) and not first.all_sent
    held = Outbox.get(Outbox.dedupe_key == "digest:1:2019-W43:1")
    assert held.state == "unknown" and held.attempts == 1 and "outcome unknown" in held.last_error
    assert first.unknown_rows == [(held.id, held.last_error)]
    for _ in range(3):  # an hour of dispatcher runs: nothing is posted again by itself
        fake.advance(1200)
        assert d.flush().sent == 0
    assert Counter(contents(emu, WEBHOOK_KEY)) == Counter(["**周报（1/2）**", "**周报（2/2）**"])

    # Visible: the list, doctor and the group's next digest line.
    assert [r["id"] for r in box.list_outbox("unknown")] == [held.id]
    listed = cli("outbox", "list", "--state", "unknown")
    assert listed.exit_code == 0 and str(held.id) in listed.output and WEBHOOK_KEY not in listed.output
    assert any(c.name == "outbox unknown" and str(held.id) in c.message for c in check_outbox())
    from jobs.digest_words import unknown_delivery_section

    assert "1条消息" in unknown_delivery_section(len(box.unknown_rows("webhook", WEBHOOK_KEY)))[0].lines[0]
    later = stamp(fake) + dt.timedelta(days=7)  # the digest after next: told once is enough
    assert box.unknown_rows("webhook", WEBHOOK_KEY, since=later) == []

    # The admin decides to send it again: then (and only then) it goes a second time.
    assert box.retry([held.id], now=stamp(fake)) == 1  # `duban outbox retry ID`, on the test's clock
    assert d.flush().sent == 1
    assert contents(emu, WEBHOOK_KEY).count("**周报（1/2）**") == 2
    assert box.unknown_rows() == []


def test_the_admin_can_say_an_unknown_message_did_arrive(db_url, emu, fake, cli):
    d = dispatcher(emu, fake)
    d.sender._timeout = 3.0
    enqueue_message("w", "webhook", WEBHOOK_KEY, "通知", now=stamp(fake))
    emu.script_faults("webhook/send", ["late"])
    d.flush()
    emu.release_late()
    held = Outbox.get(Outbox.dedupe_key == "w")
    assert held.state == "unknown"
    refused = cli("outbox", "arrived", str(held.id + 100))
    assert refused.exit_code == 1
    confirmed = cli("outbox", "arrived", str(held.id))
    assert confirmed.exit_code == 0, confirmed.output
    row = Outbox.get_by_id(held.id)
    assert row.state == "sent" and "confirmed" in row.last_error
    assert check_outbox() == [] and contents(emu, WEBHOOK_KEY) == ["通知"]


def test_a_group_chat_timeout_is_unknown_too_but_an_app_timeout_is_retried_under_the_duplicate_check(
        db_url, emu, fake):
    d = dispatcher(emu, fake)
    d.sender._timeout = 3.0
    d.sender.client.timeout = 3.0
    chatid, _ = d.sender.create_appchat(["zhangsan", "lisi"], name="督办", chatid="chat01")
    enqueue_message("c", "appchat", chatid, "群消息", now=stamp(fake))
    enqueue_message("a", "app", "zhangsan", "个人消息", now=stamp(fake))
    emu.script_faults("appchat/send", ["late"])
    emu.script_faults("message/send", ["late"])
    first = d.flush()
    emu.release_late()
    assert (first.unknown, first.failed) == (1, 1)
    assert Outbox.get(Outbox.dedupe_key == "c").state == "unknown"
    fake.advance(120)
    flush_all = d.flush()
    assert flush_all.sent == 1 and Outbox.get(Outbox.dedupe_key == "a").state == "sent"
    # The app message was resent, and WeCom's duplicate check dropped the copy: each arrived once.
    assert contents(emu, chatid) == ["群消息"] and contents(emu, "zhangsan") == ["个人消息"]
    assert emu.stats["duplicate"] >= 1


HUNG = textwrap.dedent("""
    import sys
    from store import db
    from store.config import load_config
    from jobs.outbox import Dispatcher, make_sender
    db.connect(sys.argv[1])
    cfg = load_config(None)
    Dispatcher(make_sender(cfg), cfg, worker_name="victim").flush()
""")


def test_a_dispatcher_killed_mid_send_leaves_the_robot_message_unknown_not_resent(tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    store_db.connect(url)
    try:
        schema.upgrade()
        enqueue_message("w", "webhook", WEBHOOK_KEY, "领导群通知")
        with emulator() as emu:
            emu.script_faults("webhook/send", ["late"])
            env = {**os.environ, "PYTHONPATH": str(ROOT), "DUBAN_WECOM_CORP_ID": CORP_ID,
                   "DUBAN_WECOM_SECRET": SECRET, "DUBAN_WECOM_AGENT_ID": str(AGENT_ID),
                   "DUBAN_WECOM_API_BASE_URL": emu.base_url, "DUBAN_WECOM_TIMEOUT": "60"}
            env.pop("DUBAN_CONFIG", None)
            victim = subprocess.Popen([sys.executable, "-c", HUNG, url], cwd=tmp_path, env=env)
            try:
                assert emu.wait_late(timeout=60), "the victim never sent"
                victim.send_signal(signal.SIGKILL)
            finally:
                victim.kill()
                victim.wait(timeout=10)
            emu.release_late()
            assert contents(emu) == ["领导群通知"]  # WeCom posted it; the victim never heard

            cfg = make_config(emu)
            rescuer = Dispatcher(make_sender(cfg), cfg, worker_name="rescuer", lease_seconds=1.0)
            later = box.utcnow() + dt.timedelta(hours=1)  # the victim's claim lapsed long ago
            assert rescuer.flush(now=later).sent == 0
            row = Outbox.get(Outbox.dedupe_key == "w")
            assert row.state == "unknown" and "stopped before WeCom answered" in row.last_error
            assert contents(emu) == ["领导群通知"]
    finally:
        store_db.close()


def test_three_dispatchers_keep_thirty_a_minute_for_one_person_together(db_url, emu, fake):
    for i in range(40):
        enqueue_message(f"k{i}", "app", "zhangsan", f"第{i}条", now=stamp(fake))
    for i in range(25):
        enqueue_message(f"w{i}", "webhook", WEBHOOK_KEY, f"机器人{i}", now=stamp(fake))
    barrier = threading.Barrier(3)
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            d = dispatcher(emu, fake, name=name, messages_per_second=100000.0)
            d.batch_size = 5
            database.connect(reuse_if_open=True)  # each dispatcher has its own connection
            barrier.wait(timeout=10)
            results[name] = d.flush()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=run, args=(f"d{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(r.sent for r in results.values()) == 30 + 20
    assert len(contents(emu, "zhangsan")) == 30 and len(contents(emu, WEBHOOK_KEY)) == 20
    assert emu.stats["dropped"] == 0 and ("webhook/send", 45009) not in emu.answers
    waiting = list(Outbox.select().where(Outbox.state != "sent"))
    assert len(waiting) == 15 and all(r.state == "pending" and r.attempts == 0 for r in waiting)
    fake.advance(61)
    later = dispatcher(emu, fake, name="d4").flush()
    assert later.sent == 15
    assert Counter(contents(emu, "zhangsan")) == Counter(f"第{i}条" for i in range(40))
    assert emu.stats["dropped"] == 0
