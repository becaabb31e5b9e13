"""The sender: a real wechatpy client over real HTTP to the emulator, no mocks."""

import socket

import pytest
from wecom_support import AGENT_ID, CORP_ID, OTHER_WEBHOOK_KEY, SECRET, USERS, WEBHOOK_KEY, FakeClock

from wecom.client import WeComSender, make_client, new_memory_token_cache
from wecom.emulator import WeComEmulator
from wecom.errors import classify_errcode
from wecom.shaping import APP_TEXT_LIMIT, split_message, strip_part_marker, utf8_len

MB = 1024 * 1024


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def emu(clock):
    with WeComEmulator(CORP_ID, SECRET, AGENT_ID, clock=clock, users=USERS,
                       webhook_keys=[WEBHOOK_KEY, OTHER_WEBHOOK_KEY]) as emulator:
        yield emulator


def sender_for(emu, *, secret=SECRET, corp_id=CORP_ID, agent_id=AGENT_ID, timeout=5.0, session=None):
    client = make_client(corp_id, secret, agent_id, api_base_url=emu.base_url, timeout=timeout, session=session)
    return WeComSender(client)


@pytest.fixture
def sender(emu):
    return sender_for(emu)


# ----- the client itself -----

def test_token_fetch_uses_the_configured_base_url(emu, sender):
    result = sender.send_app(["zhangsan"], "text", "你好")
    assert result.ok and result.msgid and result.error is None and result.failed_users == []
    assert emu.stats["gettoken"] == 1
    assert [m["content"] for m in emu.messages_for("zhangsan")] == ["你好"]
    assert sender.client.auto_retry is False and sender.client.timeout == 5.0


def test_token_expiry_mid_batch_refreshes_exactly_once(emu, sender, clock):
    for i in range(6):
        if i == 3:
            clock.advance(7201)  # the server's clock: the client still believes its token is fresh
        assert sender.send_app(["zhangsan"], "text", f"第{i}条").ok
    assert emu.stats["gettoken"] == 2
    assert [m["content"] for m in emu.messages_for("zhangsan")] == [f"第{i}条" for i in range(6)]


def test_scripted_40014_gives_one_refresh_and_one_retry(emu, sender):
    assert sender.send_app(["zhangsan"], "text", "warm up").ok
    emu.script_faults("/cgi-bin/message/send", [40014])
    result = sender.send_app(["zhangsan"], "text", "after 40014")
    assert result.ok
    assert emu.stats["gettoken"] == 2
    assert [m["content"] for m in emu.delivered] == ["warm up", "after 40014"]


def test_a_server_that_always_answers_40014_is_bounded(emu, sender):
    emu.script_faults("message/send", [40014] * 50)
    result = sender.send_app(["zhangsan"], "text", "x")
    assert not result.ok
    assert (result.error.kind, result.error.errcode) == ("retry", 40014)
    assert emu.pending_faults("message/send") == 48  # the first call and exactly one retry
    assert emu.stats["gettoken"] == 2
    assert emu.delivered == []


def test_42001_after_early_invalidation_is_recovered(emu, sender):
    assert sender.send_app(["zhangsan"], "text", "a").ok
    emu.invalidate_tokens()
    assert sender.send_app(["zhangsan"], "text", "b").ok
    assert emu.stats["gettoken"] == 2


def test_a_shared_token_cache_is_refreshed_once_for_all_clients(emu, clock):
    storage = new_memory_token_cache()
    first, second = sender_for(emu, session=storage), sender_for(emu, session=storage)
    assert first.send_app(["zhangsan"], "text", "1").ok
    assert second.send_app(["lisi"], "text", "2").ok
    assert emu.stats["gettoken"] == 1
    clock.advance(7201)
    assert first.send_app(["zhangsan"], "text", "3").ok  # refreshes into the shared cache
    assert second.send_app(["lisi"], "text", "4").ok  # rejected, finds the new token, no fetch
    assert emu.stats["gettoken"] == 2
    assert len(emu.delivered) == 4


# ----- classification -----

@pytest.mark.parametrize("errcode", [-1, 45009, 45033])
def test_busy_and_rate_limits_are_retry(emu, sender, errcode):
    emu.script_faults("message/send", [errcode])
    result = sender.send_app(["zhangsan"], "text", "x")
    assert not result.ok and result.error.kind == "retry" and result.error.errcode == errcode
    assert result.error.retry_after == (60.0 if errcode in (45009, 45033) else None)
    assert emu.delivered == []


@pytest.mark.parametrize("errcode", [60020, 60011, 50002, 40091])
def test_configuration_errcodes(emu, sender, errcode):
    emu.script_faults("message/send", [errcode])
    result = sender.send_app(["zhangsan"], "text", "x")
    assert (result.ok, result.error.kind, result.error.errcode) == (False, "config", errcode)


def test_wrong_secret_corp_or_agent_is_config(emu):
    assert sender_for(emu, secret="wrong").send_app(["zhangsan"], "text", "x").error.errcode == 40001
    assert sender_for(emu, corp_id="ww_other").send_app(["zhangsan"], "text", "x").error.errcode == 40013
    result = sender_for(emu, agent_id=7).send_app(["zhangsan"], "text", "x")
    assert (result.error.kind, result.error.errcode) == ("config", 40056)
    assert sender_for(emu, secret="wrong").send_app(["zhangsan"], "text", "x").error.kind == "config"


def test_classification_table():
    assert [classify_errcode(c) for c in (81013, 82001, 40003, 46004, 60111)] == ["recipient"] * 5
    assert [classify_errcode(c) for c in (86001, 86003, 86216, 93000)] == ["config"] * 4
    assert classify_errcode(45002) == "too_large"
    assert classify_errcode(12345) == "unknown"


def test_invaliduser_is_ok_with_failed_users(emu, sender):
    emu.unlicense_user("wangwu")
    result = sender.send_app(["zhangsan", "ghost", "wangwu"], "text", "x")
    assert result.ok and result.msgid
    assert result.failed_users == ["ghost", "wangwu"]
    assert [m["target"] for m in emu.delivered] == ["zhangsan"]


def test_all_recipients_invalid_is_a_recipient_error(emu, sender):
    emu.fail_user("lisi", 60111)
    result = sender.send_app(["ghost", "lisi"], "text", "x")
    assert not result.ok
    assert (result.error.kind, result.error.errcode) == ("recipient", 81013)
    assert result.failed_users == ["ghost", "lisi"]


def test_http_500_and_dropped_connection_are_retry(emu, sender):
    assert sender.send_app(["zhangsan"], "text", "warm").ok
    emu.script_faults("message/send", ["http500", "drop"])
    first = sender.send_app(["zhangsan"], "text", "x")
    second = sender.send_app(["zhangsan"], "text", "y")
    assert (first.error.kind, first.error.errcode) == ("retry", None)
    assert "500" in first.error.message
    assert second.error.kind == "retry"
    assert SECRET not in second.error.message
    assert [m["content"] for m in emu.delivered] == ["warm"]


def test_an_answer_slower_than_the_timeout_is_retry(emu):
    sender = sender_for(emu, timeout=0.2)
    assert sender.send_app(["zhangsan"], "text", "warm").ok
    emu.script_faults("message/send", [("slow", 0.5)])
    result = sender.send_app(["zhangsan"], "text", "late")
    assert not result.ok and result.error.kind == "retry"
    assert "Timeout" in result.error.message


def test_the_token_fetch_has_a_timeout_too(emu):
    emu.script_faults("gettoken", [("slow", 0.5)])
    result = sender_for(emu, timeout=0.2).send_app(["zhangsan"], "text", "x")
    assert not result.ok and result.error.kind == "retry"
    assert emu.delivered == []


def test_an_unreachable_server_is_retry_and_the_secret_is_not_in_the_message():
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_client(CORP_ID, SECRET, AGENT_ID, api_base_url=f"http://127.0.0.1:{port}/cgi-bin/", timeout=1)
    result = WeComSender(client).send_app(["zhangsan"], "text", "x")
    assert result.error.kind == "retry"
    assert SECRET not in result.error.message and "corpsecret=***" in result.error.message


# ----- message behaviour -----

def test_duplicate_check_is_on_by_default(emu, sender):
    assert sender.send_app(["zhangsan"], "text", "每日提醒").ok
    assert sender.send_app(["zhangsan"], "text", "每日提醒").ok
    assert len(emu.delivered) == 1 and emu.stats["duplicate"] == 1
    assert emu.delivered[0]["raw"]["duplicate_check_interval"] == 1800
    assert sender.send_app(["zhangsan"], "text", "每日提醒", duplicate_check_interval=None).ok
    assert sender.send_app(["zhangsan"], "text", "每日提醒", duplicate_check_interval=None).ok
    assert len(emu.delivered) == 3


def test_per_user_limit_drops_silently_and_the_sender_cannot_tell(emu, sender):
    results = [sender.send_app(["zhangsan"], "text", f"m{i}") for i in range(35)]
    assert all(r.ok for r in results)
    assert len(emu.messages_for("zhangsan")) == 30
    assert emu.stats["dropped"] == 5


def test_a_3000_byte_text_is_truncated_by_the_server(emu, sender):
    content = "区政府办公室牵头落实。" * 91  # 33 bytes x 91 = 3003 bytes
    assert sender.send_app(["zhangsan"], "text", content).ok
    [record] = emu.delivered
    assert record["truncated"] is True
    assert utf8_len(record["content"]) <= APP_TEXT_LIMIT + 2  # the split character shows as U+FFFD


def test_a_split_3000_byte_text_arrives_whole_in_two_parts(emu, sender):
    content = "".join(f"{i}. 区政府办公室牵头，各部门配合推进。\n" for i in range(60))
    assert utf8_len(content) > 3000
    parts = split_message(content, APP_TEXT_LIMIT)
    assert len(parts) == 2
    for part in parts:
        assert sender.send_app(["zhangsan"], "text", part).ok
    records = emu.messages_for("zhangsan")
    assert [r["truncated"] for r in records] == [False, False]
    assert "".join(strip_part_marker(r["content"]) for r in records) == content


def test_textcard_and_markdown(emu, sender):
    card = {"title": "督办提醒", "description": "3 项即将到期", "url": "https://example.org/t", "btntxt": "查看"}
    assert sender.send_app(["zhangsan"], "textcard", card).ok
    assert sender.send_app(["lisi"], "markdown", "**逾期** <font color=\"warning\">2 项</font>").ok
    assert emu.messages_for("zhangsan")[0]["content"]["title"] == "督办提醒"
    assert emu.messages_for("lisi")[0]["msgtype"] == "markdown"


def test_touser_bounds_are_caller_bugs(sender):
    with pytest.raises(ValueError):
        sender.send_app([], "text", "x")
    with pytest.raises(ValueError):
        sender.send_app([f"u{i}" for i in range(1001)], "text", "x")


# ----- appchat -----

def test_appchat_created_by_the_app_works_and_an_unknown_chat_is_config(emu, sender):
    chatid, error = sender.create_appchat(["zhangsan", "lisi"], name="领导群")
    assert error is None and chatid
    assert sender.send_appchat(chatid, "markdown", "# 周报").ok
    assert emu.messages_for(chatid)[0]["content"] == "# 周报"
    result = sender.send_appchat("madebypeople", "text", "x")
    assert (result.ok, result.error.kind, result.error.errcode) == (False, "config", 86003)


# ----- webhooks -----

def test_webhook_send_and_rate_limit(emu, sender):
    results = [sender.send_webhook(WEBHOOK_KEY, "text", f"{i}", mentioned_list=["zhangsan"]) for i in range(21)]
    assert all(r.ok for r in results[:20])
    last = results[20]
    assert (last.ok, last.error.kind, last.error.errcode, last.error.retry_after) == (False, "retry", 45009, 60.0)
    assert len(emu.messages_for(WEBHOOK_KEY)) == 20
    assert emu.messages_for(WEBHOOK_KEY)[0]["mentioned_list"] == ["zhangsan"]


def test_webhook_errors(emu, sender):
    unknown = sender.send_webhook("not-a-key", "text", "x")
    assert (unknown.error.kind, unknown.error.errcode) == ("config", 93000)
    too_long = sender.send_webhook(WEBHOOK_KEY, "markdown", "督" * 1400)
    assert (too_long.error.kind, too_long.error.errcode) == ("too_large", 40058)
    emu.script_faults("webhook/send", ["drop", "http500"])
    dropped = sender.send_webhook(WEBHOOK_KEY, "text", "x")
    assert dropped.error.kind == "retry" and WEBHOOK_KEY not in dropped.error.message
    assert sender.send_webhook(WEBHOOK_KEY, "text", "x").error.kind == "retry"
    assert emu.delivered == []


# ----- media -----

def test_upload_and_send_a_file(emu, sender):
    upload = sender.upload_media("序号,任务\n1,x\n".encode(), "进度.csv")
    assert upload.ok and upload.media_id
    assert sender.send_app(["zhangsan"], "file", upload.media_id).ok
    assert emu.delivered[0]["content"]["filename"] == "进度.csv"


def test_upload_size_limit_is_too_large(emu, sender):
    result = sender.upload_media(b"x" * (10 * MB + 1), "big.png", "image")
    assert (result.ok, result.error.kind, result.error.errcode) == (False, "too_large", 40009)


def test_robot_upload_is_usable_only_by_that_robot(emu, sender):
    upload = sender.upload_media(b"weekly digest", "digest.txt", webhook_key=WEBHOOK_KEY)
    assert upload.ok
    assert sender.send_webhook(WEBHOOK_KEY, "file", upload.media_id).ok
    other = sender.send_webhook(OTHER_WEBHOOK_KEY, "file", upload.media_id)
    assert other.error.errcode == 40007
    assert sender.send_app(["zhangsan"], "file", upload.media_id).error.errcode == 40007


def test_the_database_token_cache_reads_the_table_only_on_expiry_or_rejection(db_url):
    import datetime as dt

    from store.clock import clock as store_clock
    from store.kv import kv_get, kv_set
    from wecom.token_cache import PREFIX, DatabaseTokenStorage

    store_clock.freeze(dt.datetime(2019, 10, 22, 1, 0))
    storage = DatabaseTokenStorage()
    storage.set("token", "first", 7200)
    assert kv_get(PREFIX + "token", store_clock.utcnow()) == "first"
    kv_set(PREFIX + "token", "another process", store_clock.utcnow(), 7200)
    assert storage.get("token") == "first"  # this process' copy, no read
    storage.forget("token")  # WeCom rejected it
    assert storage.get("token") == "another process"
    store_clock.advance(dt.timedelta(seconds=7201))
    assert storage.get("token") is None  # expired everywhere
    assert DatabaseTokenStorage().get("token", "none") == "none"


def test_one_mapping_from_what_a_call_raised_to_a_send_error():
    import requests
    from wechatpy.exceptions import WeChatClientException

    from wecom.errors import error_for_call

    bad_gateway = requests.Response()
    bad_gateway.status_code = 502
    assert error_for_call(WeChatClientException(None, None, response=bad_gateway)).kind == "retry"
    unknown_user = error_for_call(WeChatClientException(60111, "userid not found"))
    assert (unknown_user.kind, unknown_user.errcode) == ("recipient", 60111)
    assert error_for_call(WeChatClientException(40001, "invalid credential")).kind == "config"
    refused = error_for_call(requests.ConnectTimeout("connect timed out"))
    assert (refused.kind, refused.maybe_sent) == ("retry", False)
    timed_out = error_for_call(requests.ReadTimeout("read timed out"))
    assert (timed_out.kind, timed_out.maybe_sent) == ("retry", True)
