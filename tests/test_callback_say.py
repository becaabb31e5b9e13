"""`duban say` and `duban callback check` against a running callback; the inbox store under concurrency."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from callback_support import AES_KEY, AGENT_ID, CORP_ID, PATH, TOKEN, make_config, post, reply_of

from store.inbox import get_incoming, recent_count, record_incoming, save_reply
from store.models import Inbox
from wecom.callback import start_callback
from wecom.say import build_callback_request

T0 = dt.datetime(2019, 10, 22, 1, 0)
ENV = {"DUBAN_WECOM_CORP_ID": CORP_ID, "DUBAN_WECOM_TOKEN": TOKEN, "DUBAN_WECOM_ENCODING_AES_KEY": AES_KEY,
       "DUBAN_WECOM_AGENT_ID": str(AGENT_ID)}


@pytest.fixture
def duban(cli):
    from bot import cli as root
    from commands.chatops import callback, say

    for command in (say, callback):
        if command.name not in root.commands:
            root.add_command(command)
    return lambda *args, env=None: cli(*args, env={**ENV, **(env or {})})


@pytest.fixture
def server(db_url):
    running = start_callback(make_config(), lambda u, t, m: f"{u} 说：{t}", None, host="127.0.0.1", port=0)
    yield running.url + PATH
    running.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_say_prints_the_decrypted_answer(duban, server):
    result = duban("say", "--as", "zhangsan", "进度 24 已完成初稿", "--url", server)
    assert result.exit_code == 0, result.output
    assert result.output == "zhangsan 说：进度 24 已完成初稿\n"
    assert Inbox.get().content == "进度 24 已完成初稿"


def test_say_defaults_to_the_configured_server(duban, server):
    port = server.split(":")[2].split("/")[0]
    result = duban("say", "--as", "lisi", "任务", env={"DUBAN_SERVER_PORT": port})
    assert result.exit_code == 0, result.output
    assert result.output == "lisi 说：任务\n"


def test_say_without_a_server_exits_1_with_a_plain_message(duban, db_url):
    result = duban("say", "--as", "zhangsan", "任务", "--url", f"http://127.0.0.1:{free_port()}{PATH}")
    assert result.exit_code == 1
    assert "cannot reach the callback" in result.output and "Traceback" not in result.output


def test_say_with_other_keys_than_the_server_exits_1(duban, server):
    result = duban("say", "--as", "zhangsan", "任务", "--url", server, env={"DUBAN_WECOM_TOKEN": "another-token"})
    assert result.exit_code == 1
    assert "HTTP 403" in result.output
    assert Inbox.select().count() == 0


def test_say_needs_the_callback_keys(duban, db_url):
    result = duban("say", "--as", "zhangsan", "任务", env={"DUBAN_WECOM_TOKEN": ""})
    assert result.exit_code == 1
    assert "[wecom] token not set" in result.output


def test_callback_check_does_wecoms_url_check(duban, server):
    ok = duban("callback", "check", "--url", server)
    assert ok.exit_code == 0 and ok.output.startswith("OK: ")
    wrong = duban("callback", "check", "--url", server, env={"DUBAN_WECOM_CORP_ID": "ww_other"})
    assert wrong.exit_code == 1 and "HTTP 403" in wrong.output


def test_duplicates_arriving_together_run_the_handler_once_and_get_one_answer(db_url):
    started, release = threading.Event(), threading.Event()
    calls = []

    def slowish(userid, text, msgid):
        calls.append(msgid)
        started.set()
        release.wait(5)
        return "只处理一次"

    running = start_callback(make_config(), slowish, None, host="127.0.0.1", port=0)
    url = running.url + PATH
    params, body = build_callback_request(make_config(), "zhangsan", "完成 3", msgid="6001")
    try:
        with ThreadPoolExecutor(5) as pool:
            first = pool.submit(post, url, params, body)
            assert started.wait(5)
            retries = [pool.submit(post, url, params, body) for _ in range(4)]
            release.set()
            answers = [reply_of(f.result()) for f in [first, *retries]]
    finally:
        running.stop()
    assert answers == ["只处理一次"] * 5
    assert calls == ["6001"]


def test_record_incoming_is_insert_or_get_under_concurrency(db_url):
    def record(n: int):
        return record_incoming("m-1", "zhangsan", f"第{n}次", T0)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(record, range(16)))
    assert sum(is_new for _, is_new in results) == 1
    assert len({row.id for row, _ in results}) == 1
    assert Inbox.select().count() == 1
    winner = next(row for row, is_new in results if is_new)
    assert get_incoming("m-1").content == winner.content


def test_save_reply_and_recent_count(db_url):
    row, _ = record_incoming("m-2", "zhangsan", "任务", T0)
    save_reply(row, "答复")
    assert get_incoming("m-2").reply == "答复"
    record_incoming("m-3", "zhangsan", "x", T0 + dt.timedelta(seconds=50))
    record_incoming("m-4", "lisi", "x", T0 + dt.timedelta(seconds=50))
    assert recent_count("zhangsan", T0 + dt.timedelta(seconds=10)) == 1
    assert recent_count("zhangsan", T0) == 2
    assert get_incoming("nope") is None


def test_record_incoming_refuses_keys_the_database_cannot_hold(db_url):
    from store.db import StoreError

    with pytest.raises(StoreError):
        record_incoming("k" * 191, "zhangsan", "", T0)
    with pytest.raises(StoreError):
        record_incoming("k", "u" * 65, "", T0)
    assert Inbox.select().count() == 0



def test_the_outbox_notifier_queues_one_app_message_per_key(db_url):
    from commands.chatops import make_outbox_notifier
    from store.models import Outbox

    notify = make_outbox_notifier()
    notify("zhangsan", "迟到的答复", "chat-reply:42")
    notify("zhangsan", "迟到的答复", "chat-reply:42")
    rows = list(Outbox.select())
    assert [(r.dedupe_key, r.channel, r.target, r.body) for r in rows] == [
        ("chat-reply:42", "app", "zhangsan", "迟到的答复")]


def test_say_with_no_immediate_answer_says_where_the_answer_will_arrive(duban, db_url):
    running = start_callback(make_config(), lambda u, t, m: "", None, host="127.0.0.1", port=0)
    try:
        result = duban("say", "--as", "zhangsan", "材料", "--url", running.url + PATH)
    finally:
        running.stop()
    assert result.exit_code == 0, result.output
    assert "(no reply)" not in result.output
    assert "duban outbox list" in result.output and "target=zhangsan" in result.output
