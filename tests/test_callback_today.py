"""`--today` moves business dates only: the callback's replay window and `duban say`'s signature use the real
clock (WeCom's timestamps are real), and a stale timestamp is reported as a clock problem, not as wrong keys."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests
from callback_support import AGENT_ID, PATH, Recorder, make_config, post, reply_of
from defusedxml import ElementTree as SafeET

from store.clock import clock
from wecom.callback import start_callback
from wecom.callback_codec import CallbackCodec
from wecom.say import SayError, message_xml, post_callback, refusal_hint, say, seal_request, url_check_params


@pytest.fixture
def shifted_server(db_url):
    clock.shift_to(dt.date(2019, 10, 22))  # what `duban --today 2019-10-22 serve` does
    recorder = Recorder()
    running = start_callback(make_config(), recorder.handler, recorder.notify, host="127.0.0.1", port=0)
    yield running.url + PATH, recorder
    running.stop()


def wecom_message(stamp: int, msgid: str) -> tuple[dict, bytes]:
    config = make_config()
    plain = message_xml(config["wecom"]["corp_id"], "zhangsan", "text", stamp, AGENT_ID, content="完成 24",
                        msgid=msgid)
    return seal_request(CallbackCodec.from_config(config), plain, AGENT_ID, timestamp=str(stamp))


def test_a_real_wecom_callback_is_answered_by_a_server_running_with_today(shifted_server):
    url, recorder = shifted_server
    wecom_now = int(time.time())  # WeCom signs with the real time, whatever day duban pretends it is
    answer = post(url, *wecom_message(wecom_now, "7001"))
    assert answer.status_code == 200 and reply_of(answer) == "收到 zhangsan：完成 24"
    assert clock.today() == dt.date(2019, 10, 22)  # business dates still follow --today


def test_duban_say_signs_with_the_real_clock_under_today(shifted_server):
    url, recorder = shifted_server
    params = url_check_params(make_config(), "x")
    assert abs(int(params["timestamp"]) - time.time()) < 600  # inside the server's window, not in 2019
    assert say(url, make_config(), "zhangsan", "完成 24") == "收到 zhangsan：完成 24"


def test_a_stale_timestamp_is_reported_as_a_clock_problem_not_as_wrong_keys(shifted_server):
    url, recorder = shifted_server
    stale = int(time.time()) - 3600
    with pytest.raises(SayError) as refused:
        post_callback(url, make_config(), *wecom_message(stale, "7002"))
    assert "HTTP 403" in str(refused.value) and "replay window" in str(refused.value)
    assert "token" not in str(refused.value)
    params, body = seal_request(CallbackCodec.from_config(make_config()), "x", AGENT_ID, timestamp=str(stale))
    echostr = SafeET.fromstring(body).findtext("Encrypt")
    check = requests.get(url, params={**params, "echostr": echostr}, timeout=5)
    assert check.status_code == 403 and "replay window" in refusal_hint(check)
    assert recorder.calls == []
