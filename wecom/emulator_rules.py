"""WeCom's error codes, limits and request parsing, as the WeCom emulator applies them.

The emulator's choices where WeCom documents no code are listed in wecom/emulator_core.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from wecom.limits import (  # noqa: F401 - re-exported for the emulator's modules
    APP_MARKDOWN_LIMIT,
    APP_TEXT_LIMIT,
    TEXTCARD_BTNTXT_CHARS,
    TEXTCARD_DESCRIPTION_LIMIT,
    TEXTCARD_TITLE_LIMIT,
    USER_PER_HOUR,
    USER_PER_MINUTE,
    WEBHOOK_IMAGE_LIMIT,
    WEBHOOK_MARKDOWN_LIMIT,
    WEBHOOK_PER_MINUTE,
    WEBHOOK_TEXT_LIMIT,
)

ERRMSG: dict[int, str] = {
    0: "ok",
    -1: "system busy",
    40001: "invalid credential",
    40003: "invalid userid",
    40005: "invalid media type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40010: "invalid voice size",
    40011: "invalid video size",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40029: "invalid code",
    40032: "invalid userid list size",
    40035: "invalid parameter",
    40056: "invalid agentid",
    40058: "invalid Request Parameter",
    40091: "secret is invalid",
    41001: "access_token missing",
    42001: "access_token expired",
    44001: "empty media data",
    44004: "empty content",
    45002: "content size out of limit",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    46004: "user not exist",
    47001: "data format error",
    50002: "user out of agent privilege",
    60011: "no privilege to access/modify contact/party/agent",
    60020: "not allow to access from your ip",
    60111: "userid not found",
    81013: "user & party & tag all invalid",
    82001: "all to member / party / tag invalid",
    86001: "chatid invalid",
    86003: "chat not exist",
    93000: "invalid webhook url",
}

TEXT_LIMIT = APP_TEXT_LIMIT
MARKDOWN_LIMIT = APP_MARKDOWN_LIMIT
MAX_TOUSER = 1000
DUPLICATE_DEFAULT = 1800
DUPLICATE_MAX = 14400
MEDIA_LIFETIME = 3 * 24 * 3600
MEDIA_LIMITS = {  # type -> (max bytes, errcode when over)
    "image": (10 * 1024 * 1024, 40009),
    "voice": (2 * 1024 * 1024, 40010),
    "video": (10 * 1024 * 1024, 40011),
    "file": (20 * 1024 * 1024, 40006),
}
MEDIA_MIN_BYTES = 5
APP_MSGTYPES = ("text", "markdown", "textcard", "file", "image", "template_card")

USERID_RE = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
CHATID_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")
BOUNDARY_RE = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))')
DISPOSITION_PARAM_RE = re.compile(r'(name|filename)="([^"]*)"')


def error(errcode: int, errmsg: str | None = None) -> dict[str, Any]:
    """A WeCom-style error body."""
    return {"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "error")}


def ok(**fields: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", **fields}


def cut(text: str, limit: int) -> tuple[str, bool]:
    """Cut to `limit` UTF-8 bytes the way WeCom does: at a byte, possibly inside a character."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text, False
    return raw[:limit].decode("utf-8", "replace"), True


class ApiError(Exception):
    def __init__(self, errcode: int, errmsg: str | None = None) -> None:
        super().__init__(errcode)
        self.body = error(errcode, errmsg)


def fault_suffix(path_suffix: str) -> str:
    suffix = path_suffix.strip("/")
    return suffix[len("cgi-bin/"):] if suffix.startswith("cgi-bin/") else suffix


def normalise_fault(fault: Any) -> Any:
    if isinstance(fault, bool):
        raise ValueError(f"not a fault: {fault!r}")
    if isinstance(fault, int) or fault in ("http500", "drop", "late", "truncate"):
        return fault
    if isinstance(fault, (tuple, list)) and len(fault) == 2 and fault[0] == "slow":
        return ("slow", float(fault[1]))
    raise ValueError(f"not a fault: {fault!r}")


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_json(body: bytes) -> dict:
    try:
        request = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(47001) from exc
    if not isinstance(request, dict):
        raise ApiError(47001)
    return request


def webhook_image(payload: dict) -> dict:
    try:
        data = base64.b64decode(payload.get("base64") or "", validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ApiError(40058, "image.base64 invalid. invalid Request Parameter") from exc
    if not data:
        raise ApiError(40058, "image.base64 empty. invalid Request Parameter")
    if len(data) > WEBHOOK_IMAGE_LIMIT:
        raise ApiError(40009)
    md5 = hashlib.md5(data).hexdigest()
    if str(payload.get("md5", "")).lower() != md5:
        raise ApiError(40058, "image.md5 mismatch. invalid Request Parameter")
    return {"md5": md5, "size": len(data)}


def multipart_media(body: bytes, content_type: str) -> tuple[str, bytes]:
    """Find the multipart field `media`; return its file name and bytes."""
    match = BOUNDARY_RE.search(content_type or "")
    if not match:
        raise ApiError(44001)
    boundary = b"--" + (match.group(1) or match.group(2)).encode("latin-1")
    for part in body.split(boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        params = dict(DISPOSITION_PARAM_RE.findall(head.decode("utf-8", "replace")))
        if params.get("name") == "media":
            if data.endswith(b"\r\n"):
                data = data[:-2]
            if not data:
                raise ApiError(44001)
            return params.get("filename", "media"), data
    raise ApiError(44001)
