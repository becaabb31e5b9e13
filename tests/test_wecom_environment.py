"""Proxy settings come from the environment once, and still work: offices reach WeCom through a proxy."""

import pytest
from wecom_support import AGENT_ID, CORP_ID, SECRET, USERS

from wecom.client import WeComSender, make_client
from wecom.emulator import WeComEmulator

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
              "no_proxy")


@pytest.fixture
def clean_env(monkeypatch):
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_an_environment_proxy_carries_every_send(clean_env):
    with WeComEmulator(CORP_ID, SECRET, AGENT_ID, users=USERS) as emu:
        # The emulator stands in for the office proxy: a host nobody can resolve is reachable only through it.
        clean_env.setenv("HTTP_PROXY", emu.base_url.split("/cgi-bin/")[0])
        sender = WeComSender(make_client(CORP_ID, SECRET, AGENT_ID, api_base_url="http://wecom.invalid/cgi-bin/",
                                         timeout=5.0))
        clean_env.delenv("HTTP_PROXY")  # resolved at start-up: later changes do not matter
        assert sender.send_app(["zhangsan"], "text", "经代理发送").ok
        assert sender.send_app(["lisi"], "text", "第二条").ok
        assert [m["content"] for m in emu.delivered] == ["经代理发送", "第二条"]
        assert sender.client._http.trust_env is False and sender._http.trust_env is False


def test_no_proxy_is_honoured_and_settings_are_read_once(clean_env):
    clean_env.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    through = make_client(CORP_ID, SECRET, AGENT_ID, api_base_url="https://wecom.example/cgi-bin/")
    assert through._http.proxies.get("https") == "http://proxy.example:3128"
    clean_env.setenv("NO_PROXY", "wecom.example")
    direct = make_client(CORP_ID, SECRET, AGENT_ID, api_base_url="https://wecom.example/cgi-bin/")
    assert "https" not in direct._http.proxies
    assert through._http.trust_env is False and direct._http.trust_env is False
