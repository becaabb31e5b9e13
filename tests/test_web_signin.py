"""Signing in to the board, and bad input: reused or forged OAuth codes, strangers, expired or tampered cookies and
links, long query strings, open redirects. Each refusal is a 4xx page in Chinese that writes nothing."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from store.board_links import board_secret, group_link_params
from store.clock import clock
from store.contacts import add_leader_group
from store.models import ALL_MODELS, Contact, KeyValue
from tests.board_support import ADMIN, CORP_ID, SECRET, code_and_state, make_board, sign_in
from web.auth import SESSION_COOKIE
from wecom.emulator import WeComEmulator


@pytest.fixture
def board(db_url, tmp_path):
    emulator = WeComEmulator(corp_id=CORP_ID, corp_secret=SECRET).start()
    yield make_board(emulator, tmp_path)
    emulator.stop()


def snapshot() -> dict[str, int]:
    """Row counts of every table but the key-value one (the WeCom token cache and the board's key live there)."""
    return {m.__name__: m.select().count() for m in ALL_MODELS if m is not KeyValue}


def refused(answer, status: int, words: str) -> None:
    text = answer.get_data(as_text=True)
    assert answer.status_code == status, (answer.status_code, text[:300])
    assert words in text and '<html lang="zh-CN">' in text
    assert "Traceback" not in text and SECRET not in text


def session_cookie(client) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE, path="/board")
    return cookie.value if cookie else None


def test_an_oauth_code_works_once(board):
    client = board.client()
    code, state = code_and_state(client, board.emulator, "czj")
    assert client.get("/board/oauth", query_string={"code": code, "state": state}).status_code == 302
    before = snapshot()
    again = board.client()
    _, state2 = code_and_state(again, board.emulator, "czj")
    refused(again.get("/board/oauth", query_string={"code": code, "state": state2}), 403, "未能确认您的身份")
    assert session_cookie(again) is None and snapshot() == before


def test_forged_codes_and_states_are_refused(board):
    sign_in(board.client(), board.emulator, ADMIN)  # the access token is cached: later refusals write nothing
    before = snapshot()
    client = board.client()
    _, state = code_and_state(client, board.emulator, "czj")
    refused(client.get("/board/oauth", query_string={"code": "forged-code", "state": state}), 403, "未能确认您的身份")
    refused(client.get("/board/oauth", query_string={"code": "x" * 600, "state": state}), 403, "未能确认您的身份")
    code, _ = code_and_state(client, board.emulator, "czj")
    refused(client.get("/board/oauth", query_string={"code": code, "state": "not-the-state"}), 400, "登录请求无效")
    fresh = board.client()  # a code and state from another browser: no state cookie here
    refused(fresh.get("/board/oauth", query_string={"code": code, "state": state}), 400, "登录请求无效")
    assert session_cookie(client) is None and session_cookie(fresh) is None
    assert snapshot() == before


def test_a_stranger_or_a_removed_contact_sees_nothing(board):
    client = board.client()
    before = snapshot()
    refused(sign_in(client, board.emulator, "stranger01"), 403, "不在督办通讯录")
    assert session_cookie(client) is None
    assert snapshot() == before
    liaison = board.client()
    sign_in(liaison, board.emulator, "czj")
    assert liaison.get("/board/").status_code == 200
    Contact.update(active=False).where(Contact.userid == "czj").execute()
    refused(liaison.get("/board/"), 403, "不在督办通讯录")


def test_expired_and_tampered_sessions(board):
    client = board.client()
    sign_in(client, board.emulator, "czj")
    value = session_cookie(client)
    assert client.get("/board/").status_code == 200
    client.set_cookie(SESSION_COOKIE, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"), path="/board")
    answer = client.get("/board/")
    refused(answer, 400, "登录信息无效")
    assert "duban_board=;" in answer.headers["Set-Cookie"]  # the bad cookie is cleared
    client.set_cookie(SESSION_COOKIE, "x" * 2000, path="/board")
    refused(client.get("/board/"), 400, "登录信息无效")
    client.set_cookie(SESSION_COOKIE, value, path="/board")
    clock.advance(dt.timedelta(hours=board.config["web"]["session_hours"], minutes=1))
    refused(client.get("/board/units"), 401, "登录已过期")


def test_digest_links_open_the_overview_read_only_until_they_expire(board):
    group = add_leader_group("区政府领导群", webhook_key="0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99")
    other = add_leader_group("另一个群", webhook_key="1d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99")
    secret = board_secret(board.config["web"]["secret"])
    params = group_link_params(secret, group, clock.utcnow(), 24)
    client = board.client()
    before = snapshot()
    page = client.get("/board/link", query_string=params)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "只读" in text and "区审计局" in text and "落后最多的单位" in text
    assert "/board/unit/" not in text and "/board/item/" not in text and "下载台账" not in text
    assert session_cookie(client) is None  # the link opens the overview only
    assert client.get("/board/units").status_code == 302
    refused(client.get("/board/link", query_string={**params, "s": "0" * 40}), 403, "链接无效")
    refused(client.get("/board/link", query_string={**params, "g": str(other.id)}), 403, "链接无效")
    longer = {**params, "e": str(int(params["e"]) + 86400)}
    refused(client.get("/board/link", query_string=longer), 403, "链接无效")
    refused(client.get("/board/link", query_string={"g": "1"}), 403, "链接无效")
    clock.advance(dt.timedelta(hours=24, seconds=1))
    refused(client.get("/board/link", query_string=params), 403, "已过期")
    assert snapshot() == before


def test_long_query_strings_paths_and_open_redirects(board):
    client = board.client()
    sign_in(client, board.emulator, ADMIN)
    refused(client.get("/board/items?q=" + "测" * 3000), 414, "地址太长")
    refused(client.get("/board/items", query_string={"q": "字" * 101}), 400, "太长")
    refused(client.get("/board/" + "a" * 600), 404, "没有找到")  # no such page, however long
    refused(client.get("/board/item/A/99999999999"), 404, "没有找到")
    refused(client.get("/board/unit/99999999999"), 404, "没有找到")
    refused(client.get("/board/../etc/passwd"), 404, "没有找到")
    for target in ("//evil.example/x", "https://evil.example/", "/elsewhere", "/board/\\evil"):
        fresh = board.client()
        answer = sign_in(fresh, board.emulator, ADMIN, target)
        assert answer.headers["Location"] == "/board/", target


def test_emulator_oauth_codes_are_single_use_and_expire(board):
    emulator = board.emulator
    base = emulator.root_url + "connect/oauth2/authorize"
    query = {"appid": CORP_ID, "redirect_uri": "http://127.0.0.1:9/board/oauth?x=1", "response_type": "code",
             "scope": "snsapi_base", "state": "s1", "agentid": str(emulator.agent_id)}
    form = requests.get(base, params=query, allow_redirects=False, timeout=10)
    assert form.status_code == 200 and 'name="emulator_userid"' in form.text  # nobody signed in to the client
    emulator.set_browser_user("czj")
    answer = requests.get(base, params=query, allow_redirects=False, timeout=10)
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.status_code == 302 and back["state"] == ["s1"] and back["x"] == ["1"]
    token = requests.get(emulator.base_url + "gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET},
                         timeout=10).json()["access_token"]

    def who(code: str) -> dict:
        return requests.get(emulator.base_url + "auth/getuserinfo", params={"access_token": token, "code": code},
                            timeout=10).json()

    assert who(back["code"][0])["userid"] == "czj"
    assert who(back["code"][0])["errcode"] == 40029
    late = emulator.issue_code("czj")
    emulator.advance_clock(301)
    assert who(late)["errcode"] == 40029
    assert requests.get(base, params={**query, "appid": "wrong"}, timeout=10).status_code == 400
    emulator.fail_user("gone01")
    answer = who(emulator.issue_code("gone01"))
    assert answer["errcode"] == 0 and "userid" not in answer and answer["openid"]


def test_web_open_prints_a_sign_in_link(board, cli, monkeypatch):
    env = {"DUBAN_WECOM_CORP_ID": CORP_ID, "DUBAN_WEB_SECRET": "k" * 40, "DUBAN_WEB_ADMINS": ADMIN}
    board.config["web"]["secret"] = "k" * 40
    result = cli("web", "open", "--as", "czj", env=env)
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/board/login/link\?u=czj&e=\d+&s=[0-9a-f]{40}", link)
    client = board.client()
    path = link.split("8080", 1)[1]
    answer = client.get(path)
    assert answer.status_code == 302 and answer.headers["Location"] == "/board/"
    assert "区财政局" in client.get("/board/").get_data(as_text=True)
    before = snapshot()
    refused(board.client().get(path.replace("u=czj", "u=sjj")), 403, "登录链接无效")
    clock.advance(dt.timedelta(minutes=11))
    refused(board.client().get(path), 403, "已过期")
    stranger = cli("web", "open", "--as", "nobody", env=env)
    assert stranger.exit_code == 1 and "nobody" in stranger.output
    assert snapshot() == before


def test_digest_carries_the_signed_link(board):
    from jobs.calendar import WorkCalendar
    from jobs.digest import build_digest

    group = add_leader_group("区政府领导群", webhook_key="0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99")
    config = board.config
    assert "/board/link?" not in build_digest(group, clock.today(), clock.utcnow(), config, WorkCalendar()).markdown
    config["web"]["public_url"] = "https://duban.example.gov.cn"
    digest = build_digest(group, clock.today(), clock.utcnow(), config, WorkCalendar())
    link = re.search(r"\(https://duban\.example\.gov\.cn(/board/link\?[^)]+)\)", digest.markdown)
    assert link and digest.parts[-1].endswith(link.group(0))
    page = board.client().get(link.group(1))
    assert page.status_code == 200 and "只读" in page.get_data(as_text=True)


def test_serve_puts_the_board_beside_the_callback(board):
    import logging

    from commands.service import start_web_server
    from commands.web import stop_board
    from tests.callback_support import AES_KEY, TOKEN, Recorder

    config = board.config
    config["wecom"].update(token=TOKEN, encoding_aes_key=AES_KEY)
    config["server"]["port"] = 0
    recorder = Recorder()
    running = start_web_server(config, True, lambda _c: {"handler": recorder.handler, "quick_handler": None},
                               lambda: recorder.notify,
                               logging.getLogger("test"))
    try:
        board_page = requests.get(running.url + "/board/", allow_redirects=False, timeout=10)
        assert board_page.status_code == 302 and board_page.headers["Location"].startswith("/board/login")
        unsigned = requests.get(running.url + config["server"]["path"], timeout=10)
        assert 400 <= unsigned.status_code < 500 and "督办" not in unsigned.text  # the callback's own refusal
        assert running.app.extensions["duban_board_refresher"].thread.is_alive()
    finally:
        running.stop()
        stop_board(running.app)
    assert not running.app.extensions["duban_board_refresher"].thread.is_alive()
    config["web"]["enabled"] = False
    assert start_web_server(config, False, None, None, logging.getLogger("test")) is None
