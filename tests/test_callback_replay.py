"""Replays (issue 17, finding 9): a validly signed callback from outside the replay window is refused, and the
inbox forgets old messages after [server] inbox_retention_days."""

from __future__ import annotations

import datetime as dt

import pytest
from callback_support import AGENT_ID, PATH, Recorder, make_config, post, reply_of

from jobs.scheduler import run_inbox_pruning
from store.clock import clock
from store.inbox import record_incoming
from store.models import Inbox, Report
from wecom.callback import start_callback
from wecom.callback_codec import CallbackCodec
from wecom.say import message_xml, seal_request

NOW = dt.datetime(2019, 10, 22, 10, 0)  # local time


@pytest.fixture
def server(db_url):
    clock.freeze(NOW)
    recorder = Recorder()
    running = start_callback(make_config(), recorder.handler, recorder.notify, host="127.0.0.1", port=0)
    yield running.url + PATH, recorder
    running.stop()


def signed_at(when: dt.datetime, msgid: str, text: str = "完成 24") -> tuple[dict, bytes]:
    """A message WeCom signed at `when` (captured then, replayed now)."""
    config = make_config()
    stamp = int(clock.to_utc(when).timestamp())
    plain = message_xml(config["wecom"]["corp_id"], "zhangsan", "text", stamp, AGENT_ID, content=text, msgid=msgid)
    return seal_request(CallbackCodec.from_config(config), plain, AGENT_ID, timestamp=str(stamp))


def test_a_validly_signed_message_thirty_days_old_is_refused_and_records_nothing(server):
    url, recorder = server
    replay = post(url, *signed_at(NOW - dt.timedelta(days=30), "6001"))
    assert replay.status_code == 403 and replay.content == b""
    future = post(url, *signed_at(NOW + dt.timedelta(minutes=11), "6002"))
    assert future.status_code == 403
    assert recorder.calls == [] and Inbox.select().count() == 0 and Report.select().count() == 0


def test_a_message_inside_the_window_is_answered(server):
    url, recorder = server
    assert reply_of(post(url, *signed_at(NOW - dt.timedelta(minutes=9), "6003"))) == "收到 zhangsan：完成 24"
    assert len(recorder.calls) == 1


def test_the_window_is_configurable_and_zero_turns_it_off(db_url):
    clock.freeze(NOW)
    config = make_config()
    config["server"]["replay_window_seconds"] = 0
    running = start_callback(config, Recorder().handler, None, host="127.0.0.1", port=0)
    try:
        old = post(running.url + PATH, *signed_at(NOW - dt.timedelta(days=30), "6004"))
        assert old.status_code == 200
    finally:
        running.stop()


def test_the_inbox_forgets_messages_after_the_retention_period(db_url):
    clock.freeze(NOW)
    now = clock.utcnow()
    for n, age in enumerate((0, 29, 31, 400)):
        record_incoming(f"70{n}", "zhangsan", "任务", now - dt.timedelta(days=age))
    config = make_config()
    assert run_inbox_pruning(config) == 2
    assert sorted(r.key for r in Inbox.select()) == ["700", "701"]
    config["server"]["inbox_retention_days"] = 0
    assert run_inbox_pruning(config) == 0 and Inbox.select().count() == 2
