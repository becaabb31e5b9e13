"""WeCom web OAuth (网页授权) in the emulator: the authorize page a WeCom client opens, and code → userid.

WeCom's flow (developer.work.weixin.qq.com/document/path/91022, 91023): a page inside WeCom redirects to
`open.weixin.qq.com/connect/oauth2/authorize?appid=CORPID&redirect_uri=…&response_type=code&scope=snsapi_base
&state=…&agentid=…#wechat_redirect`; WeCom sends the browser back to `redirect_uri?code=CODE&state=STATE`; the
server asks `GET cgi-bin/auth/getuserinfo?access_token&code` (older: `cgi-bin/user/getuserinfo`, which answers
`UserId`) for who it is. A code lives 5 minutes and works once; a bad or used code is errcode 40029.

The emulator's stand-in for "the person holding the phone": `set_browser_user(userid)` (or POST
/emulator/browser_user {"userid"}); with nobody set, the authorize page is a small form asking for a userid.
Choices where WeCom documents nothing: a wrong appid is 40013 as an HTML page; a userid not in the directory
gets a code anyway and `getuserinfo` answers it as a non-member (`openid`, no userid), as WeCom does for
someone outside the company.
"""

from __future__ import annotations

import html
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wecom.emulator_rules import ApiError, ok

CODE_LIFETIME = 300  # seconds (WeCom: 5 minutes)
AUTHORIZE_PATH = "/connect/oauth2/authorize"


class OAuthMixin:
    """Needs from its host class: `_lock`, `now()`, `corp_id`, `agent_id`, `_user_exists()`, `stats`."""

    def _init_oauth(self) -> None:
        self._codes: dict[str, tuple[str, float]] = {}  # code -> (userid, expiry)
        self._browser_user: str | None = None

    def set_browser_user(self, userid: str | None) -> None:
        """Who the emulated WeCom client is signed in as (None: the authorize page asks)."""
        with self._lock:
            self._browser_user = userid or None

    def issue_code(self, userid: str) -> str:
        """An OAuth code for `userid`, as WeCom gives one after authorize (tests use it directly)."""
        with self._lock:
            code = secrets.token_urlsafe(24)
            self._codes[code] = (userid, self.now() + CODE_LIFETIME)
            self.stats["oauth_codes"] += 1
            return code

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """The authorize page: (status, headers, html body); a 302 back to redirect_uri with a code."""
        if query.get("appid") != self.corp_id:
            return 400, {}, _page("appid 参数错误（40013）")
        redirect = query.get("redirect_uri", "")
        parts = urlsplit(redirect)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return 400, {}, _page("redirect_uri 参数错误")
        if query.get("response_type") != "code" or query.get("scope") not in ("snsapi_base", "snsapi_privateinfo"):
            return 400, {}, _page("response_type 或 scope 参数错误")
        userid = query.get("emulator_userid") or self._browser_user
        if not userid:
            hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                             for k, v in query.items() if k != "emulator_userid")
            return 200, {}, _page("企业微信模拟器：以哪个成员身份打开？",
                                  f'<form method="get">{hidden}<input name="emulator_userid" placeholder="userid">'
                                  '<button type="submit">继续</button></form>')
        code = self.issue_code(userid)
        params = parse_qsl(parts.query, keep_blank_values=True) + [("code", code), ("state", query.get("state", ""))]
        location = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))
        return 302, {"Location": location}, ""

    def _take_code(self, query: dict) -> str:
        code = query.get("code", "")
        entry = self._codes.pop(code, None) if code else None
        if entry is None or entry[1] <= self.now():
            raise ApiError(40029)
        return entry[0]

    def _api_auth_getuserinfo(self, query: dict, body: bytes, content_type: str) -> dict:
        userid = self._take_code(query)
        if self._user_exists(userid):
            return ok(userid=userid, user_ticket=secrets.token_urlsafe(16), expires_in=1800)
        return ok(openid="o" + secrets.token_hex(12), external_userid="")

    def _api_user_getuserinfo(self, query: dict, body: bytes, content_type: str) -> dict:
        userid = self._take_code(query)
        if self._user_exists(userid):
            return ok(UserId=userid, DeviceId="")
        return ok(OpenId="o" + secrets.token_hex(12), DeviceId="")


OAUTH_ROUTES = {"auth/getuserinfo": "_api_auth_getuserinfo", "user/getuserinfo": "_api_user_getuserinfo"}


def _page(title: str, body: str = "") -> str:
    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><h3>{html.escape(title)}</h3>'
            f"{body}</html>")
