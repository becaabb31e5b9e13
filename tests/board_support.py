"""Shared by the status board tests: the sample world, a board app wired like `duban serve`, signing in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from flask import Flask

from commands.web import mount_board
from store.clock import clock
from store.config import load_config
from tests.world import build_world
from wecom.emulator import WeComEmulator

CORP_ID = "ww_board_corp"
SECRET = "board-secret-8fQ2"
ADMIN = "admin01"
TODAY = dt.datetime(2019, 11, 5, 10, 0)  # a Tuesday: items of October are overdue, November's are due


@dataclass
class Board:
    app: Flask
    config: object
    emulator: WeComEmulator

    def client(self):
        return self.app.test_client()


def board_config(emulator: WeComEmulator, tmp_path, **web):
    config = load_config(None, environ={})
    config["wecom"].update(corp_id=CORP_ID, secret=SECRET, agent_id=emulator.agent_id, api_base_url=emulator.base_url)
    config["web"].update(admins=[ADMIN], **web)
    config["evidence"]["dir"] = str(tmp_path / "evidence")
    return config


def make_board(emulator: WeComEmulator, tmp_path, **web) -> Board:
    build_world()
    clock.freeze(TODAY)
    config = board_config(emulator, tmp_path, **web)
    app = Flask("test-board")
    mount_board(app, config)
    return Board(app, config, emulator)


def sign_in(client, emulator: WeComEmulator, userid: str, next_path: str = "/board/"):
    """The whole WeCom web OAuth round: the board → the emulator's authorize page → the board's /oauth."""
    start = client.get("/board/login", query_string={"next": next_path})
    assert start.status_code == 302
    authorize = start.headers["Location"]
    answer = requests.get(authorize.split("#")[0], params={"emulator_userid": userid}, allow_redirects=False,
                          timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return client.get(back.path, query_string={k: v[0] for k, v in parse_qs(back.query).items()})


def code_and_state(client, emulator: WeComEmulator, userid: str) -> tuple[str, str]:
    """Start a sign-in and let WeCom issue a code, without handing it to the board yet."""
    start = client.get("/board/login")
    query = parse_qs(urlsplit(start.headers["Location"].split("#")[0]).query)
    return emulator.issue_code(userid), query["state"][0]
