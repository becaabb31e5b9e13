"""Downloading what people send the app: media/get (document 90254) for an image, file or video message.

The media id lives 3 days, so duban fetches at once (a durable job in jobs/evidence.py retries). The answer
is the file itself, with its name in Content-Disposition; an error is JSON with an errcode (40007: the id is
unknown or expired). A body shorter than its Content-Length (the connection dropped mid-way) is a failure
to retry, never a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

import requests

from wecom.client import DubanWeChatClient
from wecom.errors import (
    TOKEN_ERRCODES,
    SendError,
    error_for_errcode,
    error_for_http_status,
    error_for_transport,
)

CHUNK = 64 * 1024
EXPIRED_ERRCODE = 40007
_FILENAME_STAR = re.compile(r"filename\*\s*=\s*UTF-8''([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)', re.IGNORECASE)


@dataclass(frozen=True)
class Download:
    ok: bool
    data: bytes = b""
    filename: str = ""
    content_type: str = ""
    error: SendError | None = None
    too_large: bool = False  # over `max_bytes`: not downloaded further

    @property
    def expired(self) -> bool:
        return self.error is not None and self.error.errcode == EXPIRED_ERRCODE


def filename_of(disposition: str) -> str:
    """The file name in a Content-Disposition header ('' when there is none)."""
    star = _FILENAME_STAR.search(disposition or "")
    if star:
        return unquote(star.group(1).strip())
    plain = _FILENAME.search(disposition or "")
    if not plain:
        return ""
    return unquote((plain.group(1) if plain.group(1) is not None else plain.group(2)).strip())


def download_media(client: DubanWeChatClient, media_id: str, max_bytes: int,
                   session: requests.Session | None = None) -> Download:
    """Fetch one medium; never raises for WeCom or network failures. The access token is refreshed once."""
    http = session or requests.Session()
    for attempt in (1, 2):
        token = client.access_token
        try:
            answer = _fetch(http, client, token, media_id, max_bytes)
        except requests.RequestException as exc:
            return Download(False, error=error_for_transport(exc))
        if answer.error is not None and answer.error.errcode in TOKEN_ERRCODES and attempt == 1:
            client.refresh_token(token)
            continue
        return answer
    return Download(False, error=SendError("retry", None, "token refused twice"))


def _fetch(http: requests.Session, client: DubanWeChatClient, token: str, media_id: str, max_bytes: int) -> Download:
    url = client.API_BASE_URL + "media/get"
    with http.get(url, params={"access_token": token, "media_id": media_id}, timeout=client.timeout,
                  stream=True) as res:
        if res.status_code >= 400:
            return Download(False, error=error_for_http_status(res.status_code))
        content_type = (res.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type in ("application/json", "text/plain") and "Content-Disposition" not in res.headers:
            try:
                body = res.json()
            except ValueError:
                return Download(False, error=SendError("retry", None, "media/get answered neither a file nor JSON"))
            code = int(body.get("errcode", 0) or 0)
            return Download(False, error=error_for_errcode(code, str(body.get("errmsg", ""))))
        announced = int(res.headers.get("Content-Length") or 0)
        if announced > max_bytes:
            return Download(False, too_large=True, error=SendError("too_large", None, f"{announced} bytes"))
        chunks, size = [], 0
        for chunk in res.iter_content(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                return Download(False, too_large=True, error=SendError("too_large", None, f"over {max_bytes} bytes"))
            chunks.append(chunk)
        data = b"".join(chunks)
        if announced and len(data) != announced:
            return Download(False, error=SendError("retry", None, f"download cut at {len(data)} of {announced} bytes"))
        return Download(True, data, filename_of(res.headers.get("Content-Disposition", "")), content_type)
