"""The evidence download job: fetch each image / file / video message from WeCom at once (media ids live
3 days), keep the file in the evidence folder by its sha256, and record it for its item.

Exactly once through crashes: the file is written to a temporary name and renamed (never half-stored);
the row notes the sha256 before the item is recorded, so a restart between download and store finds the
file and does not fetch it again; the evidence row, the job's state and the confirmation to the sender are
one transaction, and evidence is unique per (assignment, sha256).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import mimetypes
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from store import downloads
from store.clock import clock
from store.config import Config
from store.db import database
from store.evidence import confirmation, evidence_dir, relative_path, task_seq_of
from store.files import DIR_MODE, FILE_MODE, private_dir
from store.models import Contact, MediaDownload
from wecom.media import Download, download_media

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
KIND_NAMES = {"image": "图片", "file": "文件", "video": "视频"}


@dataclass
class FetchResult:
    done: int = 0
    waiting: int = 0
    retried: int = 0
    dead: int = 0
    messages: list[str] = field(default_factory=list)


def default_name(row: MediaDownload, content_type: str) -> str:
    """A name for a file WeCom sent without one (photos): 图片-20191022-0915.jpg."""
    local = clock.to_local(row.sent_at)
    ext = mimetypes.guess_extension(content_type or "") or {"image": ".jpg", "video": ".mp4"}.get(row.kind, "")
    return f"{KIND_NAMES.get(row.kind, '文件')}-{local:%Y%m%d-%H%M%S}{ext}"


def store_file(folder: Path, data: bytes, filename: str) -> str:
    """Write `data` under its sha256 (atomically: a temporary name, then rename); returns the sha256."""
    sha = hashlib.sha256(data).hexdigest()
    target = folder / relative_path(sha, filename)
    if target.exists() and target.stat().st_size == len(data):
        return sha
    private_dir(folder)  # evidence is its owner's alone: 0700 folders, 0600 files, never another user's folder
    target.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
    return sha


def _tell(enqueue, row: MediaDownload, text: str, suffix: str) -> None:
    enqueue(f"evidence-{suffix}:{row.key}", "app", row.sender, text)


def fetch_downloads(config: Config, client, enqueue, *, now: dt.datetime | None = None,
                    worker: str | None = None, session=None) -> FetchResult:
    """Run every due download once. `client` is the WeCom client (wechatpy), `enqueue(key, channel, target,
    text)` the outbox."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    now = now or clock.utcnow()
    result = FetchResult()
    max_unit = config.evidence.max_unit_mb * 1024 * 1024
    for row in downloads.claim_due(worker, now):
        if download_row(row, config, client, enqueue, now, result, session=session):
            _settle(row, enqueue, now, result, max_unit)
    return result


def download_row(row: MediaDownload, config: Config, client, enqueue, now: dt.datetime, result: FetchResult,
                 session=None) -> bool:
    """Stage one for a claimed row: the file in the evidence folder and noted on the row (True), unless a
    previous run already did that (a restart between download and store fetches nothing again)."""
    folder = evidence_dir(config)
    if row.sha256 and (folder / relative_path(row.sha256, row.filename or "")).exists():
        return True
    max_file = config.evidence.max_file_mb * 1024 * 1024
    answer = download_media(client, row.media_id, max_file, session=session)
    return _downloaded(row, answer, folder, enqueue, now, result, max_file)


def _downloaded(row: MediaDownload, answer: Download, folder: Path, enqueue, now: dt.datetime,
                result: FetchResult, max_file: int) -> bool:
    if answer.ok and not answer.data:
        answer = Download(False, error=None)
        with database.atomic():
            downloads.give_up(row, "empty file")
            _tell(enqueue, row, "收到的文件是空的（0字节），未作为佐证材料保存，请重新发送。", "empty")
        result.dead += 1
        return False
    if not answer.ok:
        if answer.too_large or answer.expired:
            text = (f"文件超过{max_file // (1024 * 1024)}MB，未保存。请压缩后重新发送，或联系管理员。" if answer.too_large
                    else "文件已过期（企业微信只保留3天），未能保存，请重新发送。")
            with database.atomic():
                downloads.give_up(row, answer.error.message if answer.error else "gone")
                _tell(enqueue, row, text, "failed")
            result.dead += 1
            return False
        state = downloads.retry_later(row, answer.error.message if answer.error else "unknown", now, MAX_ATTEMPTS)
        if state == "dead":
            _tell(enqueue, row, "文件多次下载失败，未能保存，请稍后重新发送。", "failed")
            result.dead += 1
        else:
            result.retried += 1
        return False
    filename = row.filename or answer.filename or default_name(row, answer.content_type)
    sha = store_file(folder, answer.data, filename)
    downloads.note_file(row, sha, len(answer.data), answer.content_type or "application/octet-stream", filename)
    return True


def _settle(row: MediaDownload, enqueue, now: dt.datetime, result: FetchResult, max_unit: int) -> None:
    with database.atomic():
        current = downloads.get_download(row.id)
        assignment_id = current.assignment_id if current else None
        if assignment_id is None:
            if downloads.wait_for_item(row):
                result.waiting += 1
                return
            current = downloads.get_download(row.id)
            assignment_id = current.assignment_id
        contact_id = Contact.select(Contact.id).where(Contact.userid == row.sender).scalar()
        info, problem = downloads.complete(row, assignment_id, contact_id, now, max_unit, claimed=True)
        if info is not None:
            number = str(task_seq_of(assignment_id))
            text = confirmation(info.filename, number, duplicate=problem == "duplicate")
            _tell(enqueue, row, text, "stored")
            result.done += 1
            result.messages.append(text)
        elif problem == "unit_full":
            _tell(enqueue, row, "本单位的佐证材料已达存储上限，这个文件未保存，请联系管理员。", "failed")
            result.dead += 1


def run_downloads(config: Config, client) -> FetchResult:
    """One pass of the download job with the outbox as the way to tell senders (`duban serve` runs it with
    every dispatcher flush; `duban evidence fetch` once)."""
    from jobs.outbox import enqueue_message

    def enqueue(key: str, channel: str, target: str, text: str) -> None:
        enqueue_message(key, channel, target, text)

    result = fetch_downloads(config, client, enqueue)
    if result.done or result.dead or result.retried:
        log.info("evidence downloads: %d stored, %d waiting for their item, %d to retry, %d given up",
                 result.done, result.waiting, result.retried, result.dead)
    return result
