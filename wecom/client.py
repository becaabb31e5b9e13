"""Sending to WeCom: a wechatpy client fixed for our needs, and `WeComSender`, which never raises for
WeCom or network failures but returns a `SendResult` with a classified `SendError` (see wecom/errors.py).

Why a wechatpy subclass (wecom-notes.md, "wechatpy 1.8.18 traps"):
- `fetch_access_token()` always calls the real host; ours uses the configured API base URL;
- the token fetch has no timeout; ours does, and every other call gets `timeout` too;
- `auto_retry=True` retries token errors without bound; we refresh the token once and retry once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

from wecom.errors import (
    TOKEN_ERRCODES,
    SendError,
    SendResult,
    UploadResult,
    error_for_call,
    error_for_errcode,
    error_for_http_status,
    error_for_transport,
)
from wecom.log_scrub import remember_secret

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin/"
MAX_TOUSER = 1000
DUPLICATE_CHECK_MAX = 14400

__all__ = ["DubanWeChatClient", "WeComSender", "make_client", "new_memory_token_cache", "SendError", "SendResult",
           "UploadResult"]


class DubanWeChatClient(WeChatClient):
    """wechatpy's enterprise client with a configurable host, timeouts and one bounded token retry."""

    def __init__(self, corp_id: str, secret: str, agent_id: int, *, api_base_url: str = DEFAULT_API_BASE_URL,
                 timeout: float = 10.0, session: Any = None) -> None:
        super().__init__(corp_id, secret, session=session, timeout=timeout, auto_retry=False)
        # An instance attribute shadows WeChatClient.API_BASE_URL, which _request() reads.
        self.API_BASE_URL = api_base_url if api_base_url.endswith("/") else api_base_url + "/"
        settle_environment(self._http, self.API_BASE_URL)
        self.agent_id = int(agent_id)
        self._refresh_lock = threading.Lock()

    def fetch_access_token(self) -> dict:
        """Like wechatpy's, but from API_BASE_URL and with a timeout."""
        logger.info("fetching a WeCom access token")
        res = self._http.get(self.API_BASE_URL + "gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret},
                             timeout=self.timeout)
        try:
            res.raise_for_status()
        except requests.RequestException as exc:
            raise WeChatClientException(None, None, client=self, request=exc.request, response=exc.response) from None
        result = res.json()
        if result.get("errcode", 0) != 0:
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self,
                                        request=res.request, response=res)
        expires_in = int(result.get("expires_in", 7200))
        remember_secret(result.get("access_token"))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        caller_params = kwargs.get("params")
        token_given = isinstance(caller_params, dict) and "access_token" in caller_params
        first = {**kwargs, "params": dict(caller_params or {})}
        try:
            return super()._request(method, url_or_endpoint, **first)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRCODES or token_given:
                raise
        self.refresh_token(first["params"].get("access_token"))
        return super()._request(method, url_or_endpoint, **{**kwargs, "params": dict(caller_params or {})})

    def refresh_token(self, rejected: str | None) -> None:
        """Fetch a new token unless another thread (or process sharing the session) already did."""
        with self._refresh_lock:
            forget = getattr(self.session, "forget", None)
            if forget is not None:
                forget(self.access_token_key)  # another process may have fetched a new one: read it again
            current = self.session.get(self.access_token_key)
            if current and current != rejected:
                return
            logger.info("WeCom rejected the access token; fetching a new one and retrying once")
            self.fetch_access_token()


def settle_environment(http: requests.Session, *urls: str) -> requests.Session:
    """Read proxy and CA-bundle settings from the environment once, for the hosts in `urls`, instead of on
    every request (requests re-reads them per request unless told not to: a tenth of a send's time).

    Offices reach WeCom through a proxy (HTTPS_PROXY, NO_PROXY …): it keeps working, fixed at start-up.
    When the hosts disagree about bypassing the proxy, the session keeps reading the environment itself.
    """
    if not http.trust_env:
        return http
    choices = [requests.utils.get_environ_proxies(url) for url in urls]
    if any(choice != choices[0] for choice in choices):
        return http
    http.proxies.update(choices[0] if choices else {})
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and http.verify is True:
        http.verify = bundle
    http.trust_env = False
    return http


def new_memory_token_cache() -> SessionStorage:
    """A token cache several clients in one process can share (pass it as `session` to make_client).

    Between processes, pass any wechatpy SessionStorage backed by shared storage instead.
    """
    return MemoryStorage()


def make_client(corp_id: str, secret: str, agent_id: int, api_base_url: str = DEFAULT_API_BASE_URL,
                timeout: float = 10.0, session: Any = None) -> DubanWeChatClient:
    """A client for one WeCom app. `session` is a wechatpy SessionStorage to share the token cache.

    The cache key wechatpy uses contains the start of the secret: never log or show it.
    """
    return DubanWeChatClient(corp_id, secret, agent_id, api_base_url=api_base_url, timeout=timeout, session=session)


class WeComSender:
    """Sends app messages, appchat messages and robot webhooks; uploads media. Returns results, never raises
    for WeCom or network failures (it does raise ValueError for arguments that can never be sent)."""

    def __init__(self, client: DubanWeChatClient, webhook_base_url: str | None = None,
                 session: requests.Session | None = None) -> None:
        self.client = client
        base = webhook_base_url or client.API_BASE_URL
        base = base if base.endswith("/") else base + "/"
        self._webhook_send_url = base + "webhook/send"
        self._webhook_upload_url = base + "webhook/upload_media"
        self._http = session or settle_environment(requests.Session(), self._webhook_send_url)
        self._timeout = client.timeout

    # ----- app messages -----

    def send_app(self, touser: list[str], msgtype: str, content: dict | str, *,
                 duplicate_check_interval: int | None = 1800) -> SendResult:
        """Send to up to 1000 userids. A falsy `duplicate_check_interval` turns WeCom's duplicate check off."""
        users = list(dict.fromkeys(touser))
        if not users or len(users) > MAX_TOUSER:
            raise ValueError(f"touser needs 1 to {MAX_TOUSER} userids, got {len(users)}")
        msg: dict[str, Any] = {"msgtype": msgtype, msgtype: _payload(msgtype, content)}
        if duplicate_check_interval:
            msg["enable_duplicate_check"] = 1
            msg["duplicate_check_interval"] = min(int(duplicate_check_interval), DUPLICATE_CHECK_MAX)
        return self._send_via_client(lambda: self.client.message.send(self.client.agent_id, users, msg=msg), users)

    def send_appchat(self, chatid: str, msgtype: str, content: dict | str) -> SendResult:
        """Post into a group chat this app created with appchat/create."""
        data = {"chatid": chatid, "msgtype": msgtype, msgtype: _payload(msgtype, content), "safe": 0}
        return self._send_via_client(lambda: self.client.post("appchat/send", data=data), [])

    def create_appchat(self, userlist: list[str], name: str = "", owner: str | None = None,
                       chatid: str | None = None) -> tuple[str | None, SendError | None]:
        """Create a group chat owned by this app; returns (chatid, None) or (None, error)."""
        try:
            answer = self.client.appchat.create(chat_id=chatid, name=name or None, owner=owner, user_list=userlist)
        except (WeChatClientException, requests.RequestException) as exc:
            return None, error_for_call(exc)
        return answer.get("chatid"), None

    def _send_via_client(self, call: Callable[[], Any], users: list[str]) -> SendResult:
        try:
            answer = call()
        except WeChatClientException as exc:  # APILimitedException (45009) is a subclass
            error = error_for_call(exc)
            failed = users if error.kind == "recipient" else []
            body = _json_body(exc.response)
            if error.kind == "recipient" and body and body.get("invaliduser"):
                failed = _split_users(body.get("invaliduser"))
            return self._failed(error, failed)
        except requests.RequestException as exc:
            return self._failed(error_for_transport(exc), [])
        if not isinstance(answer, dict):
            return self._failed(SendError("unknown", None, "answer is not JSON"), [])
        failed = _split_users(answer.get("invaliduser")) + _split_users(answer.get("unlicenseduser"))
        if failed:
            logger.warning("WeCom accepted the message but %d recipient(s) got nothing", len(failed))
        return SendResult(True, answer.get("msgid") or None, failed, None)

    # ----- robot webhooks -----

    def send_webhook(self, key: str, msgtype: str, content: dict | str, *,
                     mentioned_list: list[str] | None = None) -> SendResult:
        """Post through a group robot. The key is a credential: it is never logged."""
        remember_secret(key)
        payload = _payload(msgtype, content)
        if mentioned_list and msgtype == "text":
            payload = {**payload, "mentioned_list": list(mentioned_list)}
        body = json.dumps({"msgtype": msgtype, msgtype: payload}, ensure_ascii=False).encode("utf-8")
        answer = self._webhook_post(self._webhook_send_url, {"key": key}, data=body,
                                    headers={"Content-Type": "application/json; charset=utf-8"})
        if isinstance(answer, SendError):
            return self._failed(answer, [])
        return SendResult(True, None, [], None)

    def _webhook_post(self, url: str, params: dict, **kwargs: Any) -> dict | SendError:
        try:
            res = self._http.post(url, params=params, timeout=self._timeout, **kwargs)
        except requests.RequestException as exc:
            return error_for_transport(exc)
        if res.status_code >= 400:
            return error_for_http_status(res.status_code)
        answer = _json_body(res)
        if answer is None:
            return SendError("unknown", None, "answer is not JSON")
        errcode = int(answer.get("errcode", 0))
        if errcode != 0:
            return error_for_errcode(errcode, str(answer.get("errmsg", "")))
        return answer

    # ----- media -----

    def upload_media(self, content: bytes, filename: str, media_type: str = "file", *,
                     webhook_key: str | None = None) -> UploadResult:
        """Upload a temporary medium (valid 3 days). With `webhook_key` the id is usable only by that robot."""
        media = {"media": (filename, content)}  # bytes, not a file object: the token retry resends it
        remember_secret(webhook_key)
        if webhook_key is not None:
            answer = self._webhook_post(self._webhook_upload_url, {"key": webhook_key, "type": media_type},
                                        files=media)
            if isinstance(answer, SendError):
                return UploadResult(False, None, self._log(answer))
            return UploadResult(True, answer.get("media_id"), None)
        try:
            answer = self.client.media.upload(media_type, media["media"])
        except WeChatClientException as exc:
            return UploadResult(False, None, self._log(error_for_call(exc)))
        except requests.RequestException as exc:
            return UploadResult(False, None, self._log(error_for_transport(exc)))
        return UploadResult(True, answer.get("media_id"), None)

    def _failed(self, error: SendError, failed_users: list[str]) -> SendResult:
        return SendResult(False, None, failed_users, self._log(error))

    @staticmethod
    def _log(error: SendError) -> SendError:
        logger.warning("WeCom send failed: kind=%s errcode=%s %s", error.kind, error.errcode, error.message)
        return error


def _payload(msgtype: str, content: dict | str) -> dict:
    if isinstance(content, dict):
        return dict(content)
    if msgtype in ("text", "markdown"):
        return {"content": content}
    if msgtype in ("file", "image", "voice", "video"):
        return {"media_id": content}
    raise ValueError(f"{msgtype} content must be a dict")


def _split_users(value: Any) -> list[str]:
    return [u for u in value.split("|") if u] if isinstance(value, str) else []


def _json_body(res: Any) -> dict | None:
    if res is None:
        return None
    try:
        body = res.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


