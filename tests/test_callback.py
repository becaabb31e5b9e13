"""The WeCom callback over real HTTP (waitress on 127.0.0.1), messages encrypted by wechatpy, on all three DBs."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from callback_support import (
    AES_KEY,
    AGENT_ID,
    CORP_ID,
    PATH,
    SECRET,
    TOKEN,
    Recorder,
    make_config,
    post,
    reply_of,
)
from wechatpy.enterprise.crypto import WeChatCrypto

from store.models import Inbox
from wecom.callback import HANDLER_FAILED, TEXT_ONLY, WELCOME, start_callback
from wecom.callback_codec import CallbackCodec
from wecom.say import (
    build_callback_request,
    message_xml,
    new_msgid,
    seal_request,
    url_check_params,
)
from wecom.shaping import strip_part_marker


@pytest.fixture
def serve(db_url):
    """Start a callback server with a handler; returns (url, recorder). Stopped after the test."""
    running = []

    def start(answer=None, **options):
        recorder = Recorder(answer)
        server = start_callback(make_config(), recorder.handler, recorder.notify, host="127.0.0.1", port=0,
                                **options)
        running.append(server)
        return server.url + PATH, recorder

    yield start
    for server in running:
        server.stop()


def test_url_check_echoes_the_plain_echostr(serve):
    url, _ = serve()
    response = requests.get(url, params=url_check_params(make_config(), "8437214532158"), timeout=5)
    assert response.status_code == 200
    assert response.text == "8437214532158"  # no quotes, no newline
    assert response.headers["Content-Type"].startswith("text/plain")
    forged = {**url_check_params(make_config(), "x"), "msg_signature": "0" * 40}
    assert requests.get(url, params=forged, timeout=5).status_code == 403


def test_a_text_message_gets_the_handlers_answer_encrypted(serve):
    url, recorder = serve()
    params, body = build_callback_request(make_config(), "zhangsan", "进度 24 完成初稿 ]]> 60%", msgid="7001")
    response = post(url, params, body)
    assert b"<Encrypt>" in response.content and "收到".encode() not in response.content
    assert reply_of(response) == "收到 zhangsan：进度 24 完成初稿 ]]> 60%"
    assert recorder.calls == [("zhangsan", "进度 24 完成初稿 ]]> 60%", "7001")]
    row = Inbox.get(Inbox.key == "7001")
    assert (row.from_user, row.content, row.reply) == ("zhangsan", "进度 24 完成初稿 ]]> 60%",
                                                       "收到 zhangsan：进度 24 完成初稿 ]]> 60%")


def test_a_retried_msgid_is_handled_once_and_answered_the_same(serve):
    url, recorder = serve(answer=lambda u, t, m: f"第{len(recorder.calls)}次处理")
    params, body = build_callback_request(make_config(), "lisi", "完成 24", msgid="7002")
    responses = [post(url, params, body) for _ in range(3)]
    assert [reply_of(r) for r in responses] == ["第1次处理"] * 3
    assert len({r.content for r in responses}) == 3  # encrypted anew each time
    assert len(recorder.calls) == 1
    assert Inbox.select().count() == 1


def test_a_retry_after_another_signature_and_nonce_is_still_the_same_message(serve):
    url, recorder = serve()
    config = make_config()
    first = post(url, *build_callback_request(config, "lisi", "任务", msgid="7003"))
    again = post(url, *build_callback_request(config, "lisi", "任务", msgid="7003"))
    assert reply_of(first) == reply_of(again) == "收到 lisi：任务"
    assert len(recorder.calls) == 1


def _other_corp_request(text: str) -> tuple[dict, bytes]:
    other = CallbackCodec(TOKEN, AES_KEY, CORP_ID)
    other._crypto = WeChatCrypto(TOKEN, AES_KEY, "ww_other_corp")  # same keys, another receive id
    plain = message_xml(CORP_ID, "zhangsan", "text", 1571700000, AGENT_ID, content=text, msgid=new_msgid())
    return seal_request(other, plain, AGENT_ID)


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'.encode()
                             for i in range(1, 10))
                  + b"]><xml><Encrypt>&lol9;</Encrypt></xml>")


def refused_requests() -> dict[str, tuple[dict, bytes, int]]:
    config = make_config()
    params, body = build_callback_request(config, "zhangsan", "任务", msgid="8001")
    other_params, _ = build_callback_request(config, "zhangsan", "任务", msgid="8002")
    codec = CallbackCodec(TOKEN, AES_KEY, CORP_ID)
    dtd_inner = seal_request(codec, '<!DOCTYPE x [<!ENTITY a "b">]><xml><ToUserName>&a;</ToUserName></xml>', AGENT_ID)
    foreign_to = seal_request(codec, message_xml("ww_someone_else", "zhangsan", "text", 1571700000, AGENT_ID,
                                                 content="任务", msgid="8003"), AGENT_ID)
    not_xml_inner = seal_request(codec, "not xml at all", AGENT_ID)
    return {
        "forged signature": ({**params, "msg_signature": "a" * 40}, body, 403),
        "wrong corp id": (*_other_corp_request("任务"), 403),
        "replayed body, another signature": (other_params, body, 403),
        "missing signature": ({k: v for k, v in params.items() if k != "msg_signature"}, body, 400),
        "malformed xml": (params, b"<xml><Encrypt>abc</Encrypt", 400),
        "not xml": (params, b"hello", 400),
        "empty body": (params, b"", 400),
        "billion laughs": (params, BILLION_LAUGHS, 400),
        "1 MB body": (params, b"<xml><Encrypt>" + b"A" * (1 << 20) + b"</Encrypt></xml>", 413),
        "100 KB body": (params, b"<xml><Encrypt>" + b"A" * 100_000 + b"</Encrypt></xml>", 413),
        "encrypt is not base64": (params, b"<xml><Encrypt>%%%</Encrypt></xml>", 400),
        "dtd inside the encrypted message": (*dtd_inner, 400),
        "to another corp inside": (*foreign_to, 403),
        "encrypted garbage": (*not_xml_inner, 400),
    }


def test_forged_foreign_malformed_and_oversized_requests_are_refused_and_not_stored(serve):
    url, recorder = serve()
    answers = {name: post(url, params, body).status_code for name, (params, body, _) in refused_requests().items()}
    assert answers == {name: status for name, (_, _, status) in refused_requests().items()}
    assert Inbox.select().count() == 0
    assert recorder.calls == []


def test_ten_threads_posting_at_once_lose_nothing(serve):
    url, recorder = serve()
    config = make_config()

    def sender(t: int) -> list[tuple[str, str]]:
        results = []
        with requests.Session() as session:
            for n in range(20):
                text = f"进度 {n} 线程{t}"
                response = post(url, *build_callback_request(config, f"user{t}", text, msgid=f"9{t:02d}{n:03d}"),
                                 session=session)
                results.append((reply_of(response), f"收到 user{t}：{text}"))
        return results

    with ThreadPoolExecutor(10) as pool:
        results = [pair for part in pool.map(sender, range(10)) for pair in part]
    assert len(results) == 200
    assert all(got == expected for got, expected in results)
    assert len(recorder.calls) == 200 and len({c[2] for c in recorder.calls}) == 200
    assert Inbox.select().count() == 200
    assert Inbox.select().where(Inbox.reply.is_null()).count() == 0


def test_a_slow_handler_answers_empty_in_time_and_its_reply_goes_through_the_outbox(serve):
    release = threading.Event()

    def slow(userid, text, msgid):
        release.wait(10)
        return "处理完毕"

    url, recorder = serve(answer=slow, budget_seconds=0.3)
    params, body = build_callback_request(make_config(), "wangwu", "汇总", msgid="7100")
    response = post(url, params, body)
    # The handler is still blocked on `release`, so this answer came from the time budget, not the handler.
    assert response.status_code == 200 and response.content == b""
    assert not release.is_set() and recorder.sent == []
    release.set()
    assert recorder.sent_event.wait(5)
    assert recorder.sent == [("wangwu", "处理完毕", "chat-reply:7100")]
    # WeCom retrying after all: the reply already went through the outbox, so no second copy.
    assert post(url, params, body).content == b""
    assert len(recorder.calls) == 1
    assert Inbox.get(Inbox.key == "7100").reply == "处理完毕"


def test_a_retry_reaching_another_server_does_not_repeat_a_deferred_reply(serve):
    """Two callback servers behind one URL: the one that sent the reply late through the outbox may not be
    the one WeCom's retry reaches."""
    release = threading.Event()

    def slow(userid, text, msgid):
        release.wait(10)
        return "处理完毕"

    first_url, first = serve(answer=slow, budget_seconds=0.3)
    second_url, second = serve()
    params, body = build_callback_request(make_config(), "wangwu", "汇总", msgid="7200")
    assert post(first_url, params, body).content == b""
    release.set()
    assert first.sent_event.wait(5)
    _wait_until(lambda: Inbox.get(Inbox.key == "7200").deferred)
    assert post(second_url, params, body).content == b""
    assert second.calls == [] and second.sent == []


def _wait_until(check, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_messages_for_other_people_and_long_replies_go_through_the_outbox(serve):
    class Result:
        def __init__(self, reply, notify):
            self.reply, self.notify = reply, notify

    long_reply = "\n".join(f"第{i}项：请按期报送进展情况。" for i in range(120))
    answers = {"申请延期": Result("已提交延期申请。", [("leader1", "区财政局申请延期"), ("leader2", "同上")]),
               "任务": long_reply}
    url, recorder = serve(answer=lambda u, t, m: answers[t])
    config = make_config()
    assert reply_of(post(url, *build_callback_request(config, "zhangsan", "申请延期", msgid="7200"))) == "已提交延期申请。"
    assert recorder.sent == [("leader1", "区财政局申请延期", "chat-notify:7200:1"),
                             ("leader2", "同上", "chat-notify:7200:2")]
    recorder.sent.clear()
    first = reply_of(post(url, *build_callback_request(config, "zhangsan", "任务", msgid="7201")))
    assert first.startswith("（1/") and len(first.encode()) <= 2048
    assert recorder.sent and all(u == "zhangsan" and k.startswith("chat-rest:7201#") for u, _, k in recorder.sent)
    parts = [first] + [text for _, text, _ in sorted(recorder.sent, key=lambda s: int(s[2].split("#")[1]))]
    assert "".join(strip_part_marker(p) for p in parts) == long_reply


def test_events_and_other_message_types_get_fixed_answers_without_the_handler(serve):
    url, recorder = serve()
    codec = CallbackCodec(TOKEN, AES_KEY, CORP_ID)

    def send(plain):
        return post(url, *seal_request(codec, plain, AGENT_ID))

    subscribe = message_xml(CORP_ID, "zhaoliu", "event", 1571700001, AGENT_ID, event="subscribe")
    enter = message_xml(CORP_ID, "zhaoliu", "event", 1571700002, AGENT_ID, event="enter_agent")
    image = message_xml(CORP_ID, "zhaoliu", "image", 1571700003, AGENT_ID, msgid="7300",
                        extra={"PicUrl": "http://127.0.0.1/x.jpg", "MediaId": "m1"})
    assert reply_of(send(subscribe)) == WELCOME
    assert send(enter).content == b""
    assert reply_of(send(image)) == TEXT_ONLY
    assert reply_of(send(subscribe)) == WELCOME  # a retried event: recorded once
    assert recorder.calls == []
    assert sorted(r.key for r in Inbox.select()) == ["7300", "zhaoliu:1571700001", "zhaoliu:1571700002"]


def test_a_failing_handler_gets_an_apology_not_a_500(serve):
    def broken(userid, text, msgid):
        raise RuntimeError("chat bug")

    url, _ = serve(answer=broken)
    response = post(url, *build_callback_request(make_config(), "zhangsan", "任务", msgid="7400"))
    assert reply_of(response) == HANDLER_FAILED


def test_secrets_never_reach_the_logs(serve, caplog):
    caplog.set_level(logging.DEBUG)
    release = threading.Event()
    url, recorder = serve(answer=lambda u, t, m: "好" if t != "慢" else (release.wait(10), "迟到")[1],
                          budget_seconds=0.2)
    config = make_config()
    requests.get(url, params=url_check_params(config, "echo"), timeout=5)
    post(url, *build_callback_request(config, "zhangsan", "任务"))
    post(url, *build_callback_request(config, "zhangsan", "慢"))
    release.set()
    assert recorder.sent_event.wait(5)
    for _name, (params, body, _) in refused_requests().items():
        post(url, params, body)
    assert "callback refused" in caplog.text and "bad-signature" in caplog.text  # the logs do say why
    for secret in (TOKEN, AES_KEY, SECRET):
        assert secret not in caplog.text
    assert TOKEN not in repr(CallbackCodec(TOKEN, AES_KEY, CORP_ID))


def test_the_real_chat_handler_is_wired(serve):
    import datetime as dt

    from chat import replies
    from commands.chatops import make_chat_handler
    from store.models import Contact, Unit

    config = make_config()
    unit = Unit.create(name="区财政局", created_at=dt.datetime(2019, 10, 1))
    Contact.create(unit=unit, name="财政联络员", userid="czj", role="liaison", created_at=dt.datetime(2019, 10, 1))
    server = start_callback(config, make_chat_handler(config), None, host="127.0.0.1", port=0)
    try:
        stranger = reply_of(post(server.url + PATH, *build_callback_request(config, "nobody", "任务", msgid="7500")))
        liaison = reply_of(post(server.url + PATH, *build_callback_request(config, "czj", "帮助", msgid="7501")))
    finally:
        server.stop()
    assert stranger == replies.not_a_contact(config["chat"]["admin_contact"])
    assert "进度" in liaison and liaison != replies.internal_error(config["chat"]["admin_contact"])
    assert Inbox.get(Inbox.key == "7501").reply == liaison
