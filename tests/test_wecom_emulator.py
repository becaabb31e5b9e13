"""The WeCom emulator over real HTTP, spoken to with plain requests (the client has its own tests)."""

import base64
import hashlib
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from wecom_support import AGENT_ID, CORP_ID, OTHER_WEBHOOK_KEY, SECRET, USERS, WEBHOOK_KEY, FakeClock

from wecom.emulator import WeComEmulator

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def emu(clock):
    with WeComEmulator(CORP_ID, SECRET, AGENT_ID, clock=clock, users=USERS,
                       webhook_keys=[WEBHOOK_KEY, OTHER_WEBHOOK_KEY]) as emulator:
        yield emulator


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def token(emu, http):
    answer = http.get(emu.base_url + "gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET}).json()
    assert answer["errcode"] == 0
    return answer["access_token"]


def send(emu, http, body, access_token=None):
    access_token = access_token or token(emu, http)
    return http.post(emu.base_url + "message/send", params={"access_token": access_token},
                     data=json.dumps(body, ensure_ascii=False).encode()).json()


def text(touser, content, **extra):
    return {"touser": touser, "agentid": AGENT_ID, "msgtype": "text", "text": {"content": content}, **extra}


def upload(emu, http, path, params, data, filename="a.bin"):
    return http.post(emu.base_url + path, params=params, files={"media": (filename, data)}).json()


# ----- tokens -----

def test_gettoken_checks_corpid_then_secret_and_counts_calls(emu, http):
    url = emu.base_url + "gettoken"
    assert http.get(url, params={"corpid": "nope", "corpsecret": SECRET}).json()["errcode"] == 40013
    assert http.get(url, params={"corpid": CORP_ID, "corpsecret": "nope"}).json()["errcode"] == 40001
    answer = http.get(url, params={"corpid": CORP_ID, "corpsecret": SECRET}).json()
    assert answer["errcode"] == 0 and answer["expires_in"] == 7200
    assert 0 < len(answer["access_token"].encode()) <= 512
    # within its life the same token comes back, as WeCom does
    assert http.get(url, params={"corpid": CORP_ID, "corpsecret": SECRET}).json()["access_token"] == \
        answer["access_token"]
    assert emu.stats["gettoken"] == 4


def test_token_expiry_unknown_missing_and_early_invalidation(emu, http, clock):
    first = token(emu, http)
    assert send(emu, http, text("zhangsan", "a"), first)["errcode"] == 0
    clock.advance(7200)
    assert send(emu, http, text("zhangsan", "b"), first)["errcode"] == 42001
    second = token(emu, http)
    assert second != first
    assert send(emu, http, text("zhangsan", "c"), "not-a-token")["errcode"] == 40014
    answer = http.post(emu.base_url + "message/send", data=json.dumps(text("zhangsan", "d"))).json()
    assert answer["errcode"] == 41001
    emu.invalidate_tokens()
    assert send(emu, http, text("zhangsan", "e"), second)["errcode"] == 42001
    assert [m["content"] for m in emu.messages_for("zhangsan")] == ["a"]


def test_bad_json_and_wrong_agentid(emu, http):
    access_token = token(emu, http)
    answer = http.post(emu.base_url + "message/send", params={"access_token": access_token}, data=b"{not json").json()
    assert answer["errcode"] == 47001 and answer["errmsg"]
    assert send(emu, http, {**text("zhangsan", "x"), "agentid": 999}, access_token)["errcode"] == 40056
    assert send(emu, http, {**text("zhangsan", "x"), "msgtype": "news"}, access_token)["errcode"] == 40008
    assert emu.delivered == []


# ----- app messages -----

def test_invaliduser_partial_and_all_invalid(emu, http):
    answer = send(emu, http, text("zhangsan|ghost|lisi|nobody", "通知"))
    assert answer["errcode"] == 0 and answer["msgid"]
    assert answer["invaliduser"] == "ghost|nobody"
    assert [m["target"] for m in emu.delivered] == ["zhangsan", "lisi"]
    answer = send(emu, http, text("ghost|nobody", "通知"))
    assert answer["errcode"] == 81013 and answer["invaliduser"] == "ghost|nobody"
    assert len(emu.delivered) == 2


def test_fail_user_and_unlicensed_user_get_nothing(emu, http):
    emu.fail_user("lisi", 60111)
    emu.unlicense_user("wangwu")
    answer = send(emu, http, text("zhangsan|lisi|wangwu", "x"))
    assert answer["errcode"] == 0
    assert answer["invaliduser"] == "lisi" and answer["unlicenseduser"] == "wangwu"
    assert [m["target"] for m in emu.delivered] == ["zhangsan"]


def test_touser_over_1000_is_refused(emu, http):
    answer = send(emu, http, text("|".join(f"u{i}" for i in range(1001)), "x"))
    assert answer["errcode"] == 40032


def test_over_limit_text_is_delivered_truncated_at_a_byte(emu, http):
    content = "督" * 1000  # 3000 bytes
    answer = send(emu, http, text("zhangsan", content))
    assert answer["errcode"] == 0
    [record] = emu.messages_for("zhangsan")
    assert record["truncated"] is True
    # 2048 = 682 whole characters + 2 bytes of the next one, shown as a replacement character
    assert record["content"] == "督" * 682 + "\ufffd"
    assert record["raw"]["text"]["content"] == content


def test_textcard_title_and_description_are_truncated(emu, http):
    body = {"touser": "zhangsan", "agentid": AGENT_ID, "msgtype": "textcard",
            "textcard": {"title": "标" * 50, "description": "d" * 600, "url": "https://example.org/t/1"}}
    assert send(emu, http, body)["errcode"] == 0
    [record] = emu.delivered
    assert record["truncated"] is True
    assert record["content"]["title"].startswith("标" * 42) and len(record["content"]["title"]) == 43
    assert record["content"]["description"] == "d" * 512


def test_fitting_markdown_is_not_truncated(emu, http):
    body = {"touser": "zhangsan", "agentid": AGENT_ID, "msgtype": "markdown", "markdown": {"content": "# 标题"}}
    assert send(emu, http, body)["errcode"] == 0
    assert emu.delivered[0]["truncated"] is False and emu.delivered[0]["content"] == "# 标题"


def test_duplicate_check_drops_identical_request_inside_interval(emu, http, clock):
    access_token = token(emu, http)
    body = text("zhangsan", "每日提醒", enable_duplicate_check=1, duplicate_check_interval=600)
    first = send(emu, http, body, access_token)
    second = send(emu, http, body, access_token)
    assert first["errcode"] == second["errcode"] == 0
    assert second["msgid"] == first["msgid"]
    assert len(emu.delivered) == 1 and emu.stats["duplicate"] == 1
    clock.advance(601)
    assert send(emu, http, body, access_token)["errcode"] == 0
    assert len(emu.delivered) == 2
    # without the flag identical requests are all delivered
    plain = text("lisi", "每日提醒")
    send(emu, http, plain, access_token)
    send(emu, http, plain, access_token)
    assert len(emu.messages_for("lisi")) == 2


def test_per_user_30_a_minute_excess_silently_dropped(emu, http, clock):
    access_token = token(emu, http)
    answers = [send(emu, http, text("zhangsan|lisi" if i == 0 else "zhangsan", f"m{i}"), access_token)
               for i in range(35)]
    assert all(a["errcode"] == 0 for a in answers)
    assert len(emu.messages_for("zhangsan")) == 30
    assert emu.stats["dropped"] == 5
    assert [m["content"] for m in emu.dropped] == [f"m{i}" for i in range(30, 35)]
    assert len(emu.messages_for("lisi")) == 1  # the limit is per user
    clock.advance(60)
    assert send(emu, http, text("zhangsan", "next minute"), access_token)["errcode"] == 0
    assert emu.messages_for("zhangsan")[-1]["content"] == "next minute"


def test_per_user_1000_an_hour(emu, clock):
    # The core without HTTP: 1,000+ sends are quick this way.
    access_token = emu.handle("GET", "gettoken", {"corpid": CORP_ID, "corpsecret": SECRET}, b"")[1]["access_token"]
    query = {"access_token": access_token}
    for minute in range(34):
        for i in range(30):
            body = json.dumps(text("zhangsan", f"{minute}-{i}")).encode()
            assert emu.handle("POST", "message/send", query, body)[1]["errcode"] == 0
        clock.advance(60)
    assert len(emu.messages_for("zhangsan")) == 1000
    assert emu.stats["dropped"] == 20
    clock.advance(3600)
    emu.handle("POST", "message/send", query, json.dumps(text("zhangsan", "later")).encode())
    assert emu.messages_for("zhangsan")[-1]["content"] == "later"


# ----- app group chats -----

def test_appchat_create_get_send_and_unknown_chat(emu, http):
    params = {"access_token": token(emu, http)}
    answer = http.post(emu.base_url + "appchat/create", params=params,
                       json={"name": "领导群", "userlist": ["zhangsan", "lisi"], "chatid": "leaders01"}).json()
    assert answer == {"errcode": 0, "errmsg": "ok", "chatid": "leaders01"}
    info = http.get(emu.base_url + "appchat/get", params={**params, "chatid": "leaders01"}).json()["chat_info"]
    assert info["userlist"] == ["zhangsan", "lisi"] and info["owner"] == "zhangsan"
    body = {"chatid": "leaders01", "msgtype": "markdown", "markdown": {"content": "**周报**"}}
    assert http.post(emu.base_url + "appchat/send", params=params, json=body).json()["errcode"] == 0
    assert emu.messages_for("leaders01")[0]["channel"] == "appchat"
    body["chatid"] = "madebypeople"
    assert http.post(emu.base_url + "appchat/send", params=params, json=body).json()["errcode"] == 86003
    assert http.get(emu.base_url + "appchat/get", params={**params, "chatid": "x"}).json()["errcode"] == 86003
    one = http.post(emu.base_url + "appchat/create", params=params, json={"userlist": ["zhangsan"]}).json()
    assert one["errcode"] != 0
    generated = http.post(emu.base_url + "appchat/create", params=params,
                          json={"userlist": ["zhangsan", "wangwu"]}).json()
    assert generated["errcode"] == 0 and generated["chatid"]


# ----- webhooks -----

def test_webhook_unknown_key_limits_and_rate(emu, http, clock):
    url = emu.base_url + "webhook/send"
    assert http.post(url, params={"key": "nope"}, json={"msgtype": "text", "text": {"content": "x"}}).json()[
        "errcode"] == 93000
    long_md = {"msgtype": "markdown", "markdown": {"content": "督" * 1366}}  # 4098 bytes
    assert http.post(url, params={"key": WEBHOOK_KEY}, json=long_md).json()["errcode"] == 40058
    long_text = {"msgtype": "text", "text": {"content": "a" * 2049}}
    assert http.post(url, params={"key": WEBHOOK_KEY}, json=long_text).json()["errcode"] == 40058
    fits = {"msgtype": "markdown", "markdown": {"content": "督" * 1365}}  # 4095 bytes
    assert http.post(url, params={"key": WEBHOOK_KEY}, json=fits).json()["errcode"] == 0
    mention = {"msgtype": "text", "text": {"content": "请查收", "mentioned_list": ["zhangsan"]}}
    answers = [http.post(url, params={"key": WEBHOOK_KEY}, json=mention).json()["errcode"] for _ in range(20)]
    assert answers == [0] * 19 + [45009]
    assert http.post(url, params={"key": OTHER_WEBHOOK_KEY}, json=mention).json()["errcode"] == 0
    assert emu.messages_for(WEBHOOK_KEY)[1]["mentioned_list"] == ["zhangsan"]
    clock.advance(61)
    assert http.post(url, params={"key": WEBHOOK_KEY}, json=mention).json()["errcode"] == 0
    assert len(emu.messages_for(WEBHOOK_KEY)) == 21


def test_webhook_image_checks_md5(emu, http):
    url = emu.base_url + "webhook/send"
    data = b"\x89PNG fake image bytes"
    good = {"msgtype": "image", "image": {"base64": base64.b64encode(data).decode(),
                                          "md5": hashlib.md5(data).hexdigest()}}
    assert http.post(url, params={"key": WEBHOOK_KEY}, json=good).json()["errcode"] == 0
    bad = {"msgtype": "image", "image": {**good["image"], "md5": "0" * 32}}
    assert http.post(url, params={"key": WEBHOOK_KEY}, json=bad).json()["errcode"] == 40058
    assert emu.delivered[0]["content"] == {"md5": hashlib.md5(data).hexdigest(), "size": len(data)}


# ----- media -----

def test_media_upload_limits_and_lifetime(emu, http, clock):
    params = {"access_token": token(emu, http)}
    ok = upload(emu, http, "media/upload", {**params, "type": "file"}, b"x" * (20 * MB), "督办.xlsx")
    assert ok["errcode"] == 0 and ok["type"] == "file" and ok["media_id"]
    assert upload(emu, http, "media/upload", {**params, "type": "file"}, b"x" * (20 * MB + 1))["errcode"] == 40006
    assert upload(emu, http, "media/upload", {**params, "type": "image"}, b"x" * (10 * MB + 1))["errcode"] == 40009
    assert upload(emu, http, "media/upload", {**params, "type": "nope"}, b"xxxxxx")["errcode"] == 40005
    body = {"touser": "zhangsan", "agentid": AGENT_ID, "msgtype": "file", "file": {"media_id": ok["media_id"]}}
    assert send(emu, http, body, params["access_token"])["errcode"] == 0
    assert emu.delivered[0]["content"]["filename"] == "督办.xlsx"
    clock.advance(3 * 24 * 3600)
    assert send(emu, http, body)["errcode"] == 40007  # with a fresh token: the medium itself expired


def test_robot_media_id_only_for_that_robot(emu, http):
    answer = upload(emu, http, "webhook/upload_media", {"key": WEBHOOK_KEY, "type": "file"}, b"report", "r.txt")
    assert answer["errcode"] == 0
    file_msg = {"msgtype": "file", "file": {"media_id": answer["media_id"]}}
    url = emu.base_url + "webhook/send"
    assert http.post(url, params={"key": OTHER_WEBHOOK_KEY}, json=file_msg).json()["errcode"] == 40007
    body = {"touser": "zhangsan", "agentid": AGENT_ID, **file_msg}
    assert send(emu, http, body)["errcode"] == 40007
    assert http.post(url, params={"key": WEBHOOK_KEY}, json=file_msg).json()["errcode"] == 0


# ----- users -----

def test_user_get(emu, http):
    params = {"access_token": token(emu, http)}
    answer = http.get(emu.base_url + "user/get", params={**params, "userid": "zhangsan"}).json()
    assert (answer["errcode"], answer["name"], answer["mobile"]) == (0, "张三", "13800000001")
    assert http.get(emu.base_url + "user/get", params={**params, "userid": "ghost"}).json()["errcode"] == 60111
    emu.fail_user("lisi", 46004)
    assert http.get(emu.base_url + "user/get", params={**params, "userid": "lisi"}).json()["errcode"] == 46004


def test_open_directory_accepts_any_valid_userid():
    with WeComEmulator(users=None) as emulator, requests.Session() as http:
        answer = http.get(emulator.base_url + "gettoken",
                          params={"corpid": "ww_demo_corp", "corpsecret": "demo-secret"}).json()
        body = {"touser": "anyone|bad id", "agentid": 1000002, "msgtype": "text", "text": {"content": "x"}}
        result = http.post(emulator.base_url + "message/send", params={"access_token": answer["access_token"]},
                           json=body).json()
        assert result["errcode"] == 0 and result["invaliduser"] == "bad id"


# ----- faults and transport -----

def test_scripted_faults_are_consumed_in_order(emu, http):
    access_token = token(emu, http)
    emu.script_faults("message/send", [-1, 45033, "http500"])
    assert emu.pending_faults("message/send") == 3
    assert send(emu, http, text("zhangsan", "1"), access_token)["errcode"] == -1
    assert send(emu, http, text("zhangsan", "2"), access_token)["errcode"] == 45033
    res = http.post(emu.base_url + "message/send", params={"access_token": access_token}, json=text("zhangsan", "3"))
    assert res.status_code == 500
    assert send(emu, http, text("zhangsan", "4"), access_token)["errcode"] == 0
    assert [m["content"] for m in emu.delivered] == ["4"]


def test_drop_fault_closes_the_connection_without_an_answer(emu, http):
    access_token = token(emu, http)
    emu.script_faults("message/send", ["drop"])
    with pytest.raises(requests.ConnectionError):
        http.post(emu.base_url + "message/send", params={"access_token": access_token}, json=text("zhangsan", "x"))
    assert emu.delivered == []
    assert send(emu, http, text("zhangsan", "y"), access_token)["errcode"] == 0


def test_keep_alive_serves_many_requests_on_one_connection(emu, http):
    access_token = token(emu, http)
    for i in range(20):
        res = http.post(emu.base_url + "message/send", params={"access_token": access_token},
                        json=text("zhangsan" if i % 2 else "lisi", str(i)))
        assert int(res.headers["Content-Length"]) == len(res.content)
        assert res.raw.version == 11
    assert emu.stats["connections"] == 1


def test_concurrent_senders_all_recorded(emu):
    access_token = emu.handle("GET", "gettoken", {"corpid": CORP_ID, "corpsecret": SECRET}, b"")[1]["access_token"]
    msgids, errors = [], []

    def worker(n):
        with requests.Session() as http:
            for i in range(25):
                body = text(list(USERS)[i % 4], f"{n}-{i}")
                answer = http.post(emu.base_url + "message/send", params={"access_token": access_token},
                                   json=body).json()
                (msgids if answer["errcode"] == 0 else errors).append(answer.get("msgid"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(msgids)) == 100
    assert len(emu.delivered) == 100


def test_control_endpoints_for_other_processes(emu, http, clock):
    root = emu.root_url + "emulator/"
    send(emu, http, text("zhangsan", "hello"))
    listing = http.get(root + "messages").json()
    assert [m["content"] for m in listing["delivered"]] == ["hello"]
    assert http.get(root + "messages", params={"target": "lisi"}).json()["delivered"] == []
    assert http.post(root + "faults", json={"path_suffix": "message/send", "faults": [["slow", 0], -1]}).json()[
        "errcode"] == 0
    assert emu.pending_faults("message/send") == 2
    assert http.post(root + "reset").json()["errcode"] == 0
    assert http.get(root + "messages").json()["delivered"] == [] and emu.pending_faults("message/send") == 0
    first = token(emu, http)
    http.post(root + "clock", json={"advance": 7200})
    assert send(emu, http, text("zhangsan", "x"), first)["errcode"] == 42001
    assert http.post(root + "webhooks", json={"key": "added"}).json()["errcode"] == 0
    answer = http.post(emu.base_url + "webhook/send", params={"key": "added"},
                       json={"msgtype": "text", "text": {"content": "x"}}).json()
    assert answer["errcode"] == 0
    assert http.get(root + "stats").json()["stats"]["delivered"] == 1


def test_stop_ends_idle_keep_alive_connections(clock):
    emulator = WeComEmulator(clock=clock).start()
    http = requests.Session()
    http.get(emulator.base_url + "gettoken", params={"corpid": "ww_demo_corp", "corpsecret": "demo-secret"})
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        http.get(emulator.base_url + "gettoken", params={"corpid": "ww_demo_corp", "corpsecret": "demo-secret"})
    http.close()


def test_runs_as_a_module_and_prints_its_base_url():
    proc = subprocess.Popen([sys.executable, "-m", "wecom.emulator", "--port", "0", "--webhook-key", "k9",
                             "--user", "zhangsan:张三:138"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(5))
        assert lines["base_url"].startswith("http://127.0.0.1:") and lines["base_url"].endswith("/cgi-bin/")
        assert lines["webhook_url"].endswith("webhook/send?key=k9")
        answer = requests.get(lines["base_url"] + "gettoken",
                              params={"corpid": lines["corp_id"], "corpsecret": lines["corp_secret"]}, timeout=5).json()
        assert answer["errcode"] == 0
        user = requests.get(lines["base_url"] + "user/get",
                            params={"access_token": answer["access_token"], "userid": "zhangsan"}, timeout=5).json()
        assert user["name"] == "张三"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
