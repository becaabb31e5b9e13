"""Shared by the callback tests: the app's keys, a recording stand-in handler, HTTP helpers."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import requests

from store.config import load_config
from wecom.callback_codec import CallbackCodec
from wecom.say import reply_text

CORP_ID = "ww_test_corp"
TOKEN = "tok-QDG6eK9Xq2"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
SECRET = "corp-secret-Zr81Lq0pA7"
AGENT_ID = 1000002
PATH = "/wecom/callback"


def make_config():
    config = load_config(None, environ={})
    config["wecom"].update(corp_id=CORP_ID, token=TOKEN, encoding_aes_key=AES_KEY, secret=SECRET, agent_id=AGENT_ID)
    return config


class Recorder:
    """A stand-in chat handler and outbox that remember every call."""

    def __init__(self, answer=None) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.sent: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()
        self.sent_event = threading.Event()
        self.answer = answer or (lambda userid, text, msgid: f"收到 {userid}：{text}")

    def handler(self, userid: str, text: str, msgid: str):
        with self.lock:
            self.calls.append((userid, text, msgid))
        return self.answer(userid, text, msgid)

    def notify(self, userid: str, text: str, key: str) -> None:
        with self.lock:
            self.sent.append((userid, text, key))
        self.sent_event.set()


def post(url: str, params: dict, body: bytes, session=None) -> requests.Response:
    return (session or requests).post(f"{url}?{urlencode(params)}", data=body, timeout=10)


def reply_of(response: requests.Response) -> str:
    assert response.status_code == 200, response.status_code
    return reply_text(CallbackCodec(TOKEN, AES_KEY, CORP_ID), response.content)
