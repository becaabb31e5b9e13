"""WeCom web OAuth (网页授权) for the status board: the authorize URL, and who a returned code belongs to.

Authorize: `open.weixin.qq.com/connect/oauth2/authorize` for the real WeCom; when [wecom] api_base_url points
elsewhere (the emulator), the same path on that host. Identity: wechatpy's `oauth.get_user_info(code)`
(`cgi-bin/user/getuserinfo`), which WeCom answers with `UserId` for a member of the company and `OpenId`
for anyone else. A code works once and for 5 minutes; WeCom answers a used, expired or forged one 40029.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from wechatpy.exceptions import WeChatClientException

from store.config import Config
from wecom.client import DEFAULT_API_BASE_URL, DubanWeChatClient, make_client
from wecom.token_cache import DatabaseTokenStorage

WECOM_AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
AUTHORIZE_PATH = "/connect/oauth2/authorize"


class OAuthRefused(Exception):
    """WeCom did not vouch for the code: `reason` is short and safe to log (never the code itself)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OAuthSettings:
    corp_id: str
    agent_id: int
    authorize_url: str


def oauth_settings(config: Config) -> OAuthSettings:
    w = config.wecom
    base = w.api_base_url or DEFAULT_API_BASE_URL
    if base.rstrip("/") == DEFAULT_API_BASE_URL.rstrip("/"):
        authorize = WECOM_AUTHORIZE_URL
    else:
        parts = urlsplit(base)
        authorize = urlunsplit((parts.scheme, parts.netloc, AUTHORIZE_PATH, "", ""))
    return OAuthSettings(w.corp_id, int(w.agent_id or 0), authorize)


def authorize_url(settings: OAuthSettings, redirect_uri: str, state: str) -> str:
    """Where to send a browser so WeCom returns it to `redirect_uri?code=…&state=…` (silent, snsapi_base)."""
    query = urlencode({"appid": settings.corp_id, "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": "snsapi_base", "state": state, "agentid": str(settings.agent_id)})
    return f"{settings.authorize_url}?{query}#wechat_redirect"


def client_from_config(config: Config) -> DubanWeChatClient:
    w = config.wecom
    return make_client(w.corp_id, w.secret, int(w.agent_id or 0), w.api_base_url, float(w.timeout),
                       session=DatabaseTokenStorage())


def userid_for_code(client: DubanWeChatClient, code: str) -> str:
    """The company member's userid the code was issued to; OAuthRefused for anything else."""
    if not code or len(code) > 512:
        raise OAuthRefused("bad-code")
    try:
        answer = client.oauth.get_user_info(code)
    except WeChatClientException as exc:
        raise OAuthRefused(f"errcode-{exc.errcode}") from None
    except requests.RequestException:
        raise OAuthRefused("unreachable") from None
    userid = answer.get("UserId") or answer.get("userid")
    if not userid:
        raise OAuthRefused("not-a-member")
    return str(userid)
