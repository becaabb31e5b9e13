"""Secrets never reach the logs, at any level (issue 17, finding 7).

Runs the real paths at DEBUG — token fetch and refresh, app, robot and group-chat sends, a timed-out send, the
callback with the real chat handler, the shared token cache — with every logger captured, then looks for each
secret (and the start of the corp secret, which wechatpy puts in its cache key) in the captured text. Chat text
appears only with [log] chat_text = true.
"""

from __future__ import annotations

import logging

import pytest
from callback_support import AES_KEY, PATH, SECRET, TOKEN, make_config, post
from test_dispatcher import START, emulator, stamp
from wecom_support import CORP_ID, FakeClock

from commands.chatops import make_chat_handler
from commands.service import configure_logging
from jobs.outbox import Dispatcher, enqueue_message, make_sender
from wecom.callback import start_callback
from wecom.log_scrub import reset_scrubbing
from wecom.say import build_callback_request

ROBOT_KEY = "0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99"
CHAT_TEXT = "进度 24 完成初稿百分之六十"
SENT_TEXT = "请于周五前报送材料（机密内容）"


@pytest.fixture(autouse=True)
def _restore_logging():
    yield
    reset_scrubbing()
    for name in ("urllib3", "wechatpy", "duban", "waitress"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def exercise(db_url, chat_text: bool) -> tuple[str, list[str]]:
    config = make_config()
    config["wecom"]["corp_id"] = CORP_ID
    config["log"]["chat_text"] = chat_text
    fake = FakeClock(START)
    with emulator(fake) as emu:
        emu.add_webhook(ROBOT_KEY)
        config["wecom"].update(api_base_url=emu.base_url, timeout=3.0)
        configure_logging("debug", config)
        logging.getLogger("urllib3").setLevel(logging.DEBUG)  # its request lines carry tokens and keys
        emu.corp_secret = SECRET
        dispatcher = Dispatcher(make_sender(config), config, clock=fake, sleep=fake.advance)
        chatid, _ = dispatcher.sender.create_appchat(["zhangsan", "lisi"], name="督办", chatid="chat01")
        enqueue_message("a", "app", "zhangsan", SENT_TEXT, now=stamp(fake))
        enqueue_message("w", "webhook", ROBOT_KEY, SENT_TEXT, now=stamp(fake))
        enqueue_message("c", "appchat", chatid, SENT_TEXT, now=stamp(fake))
        enqueue_message("late", "webhook", ROBOT_KEY, "慢", now=stamp(fake))
        emu.script_faults("webhook/send", [0, "late"])
        dispatcher.flush()
        emu.release_late()
        emu.invalidate_tokens()  # the next send refreshes the token
        enqueue_message("b", "app", "lisi", SENT_TEXT, now=stamp(fake))
        dispatcher.flush()
        tokens = list(emu._tokens)
    config["wecom"]["corp_id"] = CORP_ID
    running = start_callback(make_config(), make_chat_handler(make_config()), None, host="127.0.0.1", port=0)
    try:
        post(running.url + PATH, *build_callback_request(make_config(), "zhangsan", CHAT_TEXT, msgid="4401"))
        post(running.url + PATH + "?echostr=x", {"msg_signature": "0" * 40, "timestamp": "1", "nonce": "n"}, b"<xml/>")
    finally:
        running.stop()
    return config, tokens


@pytest.mark.parametrize("chat_text", [False, True])
def test_debug_logs_hold_no_secret_and_chat_text_only_when_asked(db_url, caplog, chat_text):
    caplog.set_level(logging.DEBUG)
    _config, tokens = exercise(db_url, chat_text)
    logged = "\n".join(caplog.text.splitlines())
    # The lines that carried secrets were logged, masked: urllib3's request lines, the token fetch.
    assert "access_token=***" in logged and "corpsecret=***" in logged and "key=***" in logged
    secrets = {"corp secret": SECRET, "start of the corp secret (cache key)": SECRET[:10],
               "callback token": TOKEN, "EncodingAESKey": AES_KEY, "robot key": ROBOT_KEY}
    secrets.update({f"access token {n}": t for n, t in enumerate(tokens)})
    assert tokens
    leaked = [name for name, value in secrets.items() if value in logged]
    assert leaked == []
    assert (CHAT_TEXT in logged) == chat_text and (SENT_TEXT in logged) == chat_text
