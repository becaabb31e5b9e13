"""What a WeCom send failure means for the caller, decided by errcode (never by errmsg).

Kinds:
- 'retry'     try again later (system busy, rate limits, 5xx, timeouts, dropped connections, a token that
              stayed invalid after one refresh); `retry_after` is a suggestion in seconds, or None.
- 'config'    the deployment is wrong (secret, corp id, agent id, trusted IP, visible range, webhook key,
              appchat not created by this app): stop and tell the admin.
- 'recipient' the people addressed cannot receive: mark the contact, tell the admin.
- 'too_large' the content or file is over a WeCom limit: a bug in splitting, do not resend as is.
- 'unknown'   anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

RETRY_ERRCODES = frozenset({-1, 45009, 45033})
TOKEN_ERRCODES = frozenset({40014, 42001})
CONFIG_ERRCODES = frozenset({40001, 40013, 40056, 40091, 60020, 60011, 50002, 41001, 48002, 93000})
RECIPIENT_ERRCODES = frozenset({81013, 82001, 40003, 46004, 60111})
# 40058 is WeCom's generic "invalid Request Parameter"; it is what a robot answers for a text / markdown body
# over its byte limit, so it is treated as a size problem. 40006 / 40009 / 40010 / 40011: media size.
TOO_LARGE_ERRCODES = frozenset({45002, 40058, 40006, 40009, 40010, 40011})
# A minute block lasts 60 s (an hour block 60 min, which the errcode alone cannot tell apart).
RATE_LIMIT_RETRY_AFTER = 60.0

_SECRET_IN_URL = re.compile(r"((?:corpsecret|access_token|key)=)[^&\s'\")]+", re.IGNORECASE)


@dataclass(frozen=True)
class SendError:
    kind: str
    errcode: int | None
    message: str
    retry_after: float | None = None
    # True when the request may have reached WeCom (a timeout or a connection lost after sending): without a
    # duplicate check on WeCom's side (robots, group chats), sending again could post the message twice.
    maybe_sent: bool = False


@dataclass(frozen=True)
class SendResult:
    ok: bool
    msgid: str | None = None
    failed_users: list[str] = field(default_factory=list)
    error: SendError | None = None


@dataclass(frozen=True)
class UploadResult:
    ok: bool
    media_id: str | None = None
    error: SendError | None = None


def classify_errcode(errcode: int) -> str:
    """The kind of a non-zero WeCom errcode."""
    if errcode in RETRY_ERRCODES or errcode in TOKEN_ERRCODES:
        return "retry"
    if errcode in CONFIG_ERRCODES or 86000 <= errcode <= 86999:
        return "config"
    if errcode in RECIPIENT_ERRCODES:
        return "recipient"
    if errcode in TOO_LARGE_ERRCODES:
        return "too_large"
    return "unknown"


def error_for_errcode(errcode: int, errmsg: str = "") -> SendError:
    kind = classify_errcode(errcode)
    retry_after = RATE_LIMIT_RETRY_AFTER if errcode in (45009, 45033) else None
    text = f"errcode {errcode}: {errmsg}" if errmsg else f"errcode {errcode}"
    return SendError(kind, errcode, scrub(text), retry_after)


def error_for_http_status(status: int) -> SendError:
    kind = "retry" if status >= 500 or status == 429 else "unknown"
    return SendError(kind, None, f"HTTP {status}")


def error_for_call(exc: BaseException) -> SendError:
    """The one mapping of what a WeCom call raised (wechatpy's WeChatClientException, or requests' errors for
    the network) to a SendError."""
    from wechatpy.exceptions import WeChatClientException

    if isinstance(exc, WeChatClientException):
        if exc.errcode is None:  # wechatpy's wrapper for an HTTP error status or a broken connection
            status = getattr(exc.response, "status_code", None)
            return error_for_http_status(status) if status else SendError("retry", None, "HTTP error from WeCom")
        return error_for_errcode(int(exc.errcode), str(exc.errmsg or ""))
    return error_for_transport(exc)


def error_for_transport(exc: BaseException) -> SendError:
    """A timeout or a dropped / refused connection: the message may or may not have arrived.

    Only a connection that was never made (refused, DNS, connect timeout) is known not to have sent anything.
    """
    return SendError("retry", None, scrub(f"{type(exc).__name__}: {exc}"), maybe_sent=not _never_sent(exc))


def _never_sent(exc: BaseException) -> bool:
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        seen: set[int] = set()
        cause: BaseException | None = exc
        while cause is not None and id(cause) not in seen:  # requests wraps urllib3's MaxRetryError(reason=…)
            seen.add(id(cause))
            if isinstance(cause, NewConnectionError):
                return True
            cause = getattr(cause, "reason", None) or cause.__cause__ or cause.__context__ or (
                cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None)
        return False
    return False


def scrub(text: str) -> str:
    """Hide secrets that requests puts in its messages (URLs with corpsecret, access_token, webhook key)."""
    return _SECRET_IN_URL.sub(r"\1***", text)
