"""How WeCom takes a file or an image: what a robot takes inline, how long an uploaded media_id lives, and the
error that says an upload was forgotten. The dispatcher (jobs/outbox.py) decides when; this says how."""

from __future__ import annotations

import base64
import hashlib

from wecom.errors import SendError
from wecom.limits import WEBHOOK_IMAGE_LIMIT

MEDIA_REUSE_SECONDS = 2 * 24 * 3600.0  # a media_id lives 3 days: an upload younger than this is reused
INVALID_MEDIA_ERRCODE = 40007
MEDIA_FIELDS = ("media_id", "media_type", "uploaded_at")  # what a row's body remembers of an upload


def robot_inline_image(channel: str, msgtype: str, data: bytes) -> dict | None:
    """A robot's image message carries the picture itself (base64 + md5, at most 2 MB); None otherwise."""
    if channel != "webhook" or msgtype != "image" or len(data) > WEBHOOK_IMAGE_LIMIT:
        return None
    return {"base64": base64.b64encode(data).decode("ascii"), "md5": hashlib.md5(data, usedforsecurity=False).hexdigest()}


def upload_msgtype(channel: str, msgtype: str) -> str:
    """What an attachment is sent as once uploaded: an image too big for a robot's inline image goes as a file."""
    return "file" if channel == "webhook" and msgtype == "image" else msgtype


def reusable_media_id(spec: dict, msgtype: str, now: float) -> str | None:
    """The media_id of an earlier upload of this row that WeCom still keeps, if any."""
    media_id = spec.get("media_id")
    if media_id and spec.get("media_type") == msgtype and now - float(spec.get("uploaded_at") or 0) < MEDIA_REUSE_SECONDS:
        return str(media_id)
    return None


def remember_upload(spec: dict, media_id: str, msgtype: str, now: float) -> dict:
    return {**spec, "media_id": media_id, "media_type": msgtype, "uploaded_at": now}


def forget_upload(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k not in MEDIA_FIELDS}


def upload_forgotten(error: SendError | None) -> bool:
    """WeCom forgot an upload before its 3 days were up: upload again."""
    return error is not None and error.errcode == INVALID_MEDIA_ERRCODE
