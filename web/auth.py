"""Who is looking at the board: the signed session cookie, WeCom web OAuth, digest links and local sign-in links.

- A session is a cookie signed with the board's key (store.board_links.board_secret) holding the userid and
  the time it was made; it lasts [web] session_hours. Every request looks the person up again, so a contact
  removed or deactivated loses the board at once.
- Signing in: /login sends the browser to WeCom's authorize page with a random `state` kept in a signed
  cookie; WeCom returns it to /oauth with a code; wecom.oauth turns the code into a userid (WeCom refuses a
  used or forged code); store.board_data decides what that person sees. Nothing is written to the database.
- A digest link (/link?g&e&s) opens the overview of its leader group's plans, read-only, until it expires.
- A sign-in link (/login/link?u&e&s, `duban web open --as USERID`) signs in as USERID for 10 minutes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from store.board_data import Viewer, board_viewer
from store.board_links import board_secret, signin_signature
from store.clock import clock
from store.config import Config

SESSION_COOKIE = "duban_board"
STATE_COOKIE = "duban_oauth"
STATE_SECONDS = 600
SIGNIN_LINK_SECONDS = 600


class ClockSigner(TimestampSigner):
    """Timestamps from duban's one clock (store.clock), so tests move time instead of waiting."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def serializer(secret: bytes, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"duban-board-{purpose}", signer=ClockSigner)


@dataclass
class SessionCheck:
    viewer: Viewer | None
    problem: str  # '' | 'none' (no cookie) | 'expired' | 'bad' | 'stranger'


def read_session(config: Config, cookie: str | None) -> SessionCheck:
    """The viewer a session cookie stands for, or why there is none."""
    if not cookie:
        return SessionCheck(None, "none")
    if len(cookie) > 1024:
        return SessionCheck(None, "bad")
    hours = config.web.session_hours
    try:
        data = serializer(board_secret(config.web.secret), "session").loads(cookie, max_age=hours * 3600)
    except SignatureExpired:
        return SessionCheck(None, "expired")
    except BadSignature:
        return SessionCheck(None, "bad")
    userid = data.get("u") if isinstance(data, dict) else None
    if not isinstance(userid, str):
        return SessionCheck(None, "bad")
    viewer = board_viewer(userid, config.web.admins, clock.today())
    return SessionCheck(viewer, "" if viewer else "stranger")


def make_session(config: Config, userid: str) -> str:
    return serializer(board_secret(config.web.secret), "session").dumps({"u": userid})


def new_state(config: Config, next_path: str) -> tuple[str, str]:
    """(state for WeCom, the cookie that remembers it and where to go after signing in)."""
    nonce = secrets.token_urlsafe(16)
    return nonce, serializer(board_secret(config.web.secret), "oauth").dumps({"n": nonce, "next": next_path})


def check_state(config: Config, cookie: str | None, state: str) -> str | None:
    """Where to go after signing in when `state` is the one this browser was given; else None."""
    if not cookie or not state or len(cookie) > 2048:
        return None
    try:
        data = serializer(board_secret(config.web.secret), "oauth").loads(cookie, max_age=STATE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not secrets.compare_digest(str(data.get("n", "")), state):
        return None
    return str(data.get("next") or "")


def signin_link(config: Config, base_url: str, userid: str) -> str:
    """A link that signs in as `userid` for SIGNIN_LINK_SECONDS (`duban web open --as`)."""
    expires = int(clock.now().timestamp()) + SIGNIN_LINK_SECONDS
    signature = signin_signature(board_secret(config.web.secret), userid, expires)
    return f"{base_url.rstrip('/')}/login/link?" + urlencode({"u": userid, "e": str(expires), "s": signature})
