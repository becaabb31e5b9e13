"""Media downloads: each image / file / video message is a durable job, claimed, retried, finished once."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from store.db import backend, database
from store.evidence import EvidenceInfo, record_evidence, relative_path, unit_bytes
from store.models import Assignment, Evidence, MediaDownload

LEASE_SECONDS = 300


def add_download(key: str, sender: str, media_id: str, kind: str, filename: str, assignment_id: int | None,
                 sent_at: dt.datetime, now: dt.datetime) -> tuple[MediaDownload, bool]:
    """The download job for message `key`, created now if new: (row, created)."""
    fields = {"key": key, "sender": sender, "media_id": media_id, "kind": kind, "filename": filename or None,
              "assignment": assignment_id, "state": "pending", "next_try_at": now, "sent_at": sent_at,
              "created_at": now}
    query = MediaDownload.insert(**fields).on_conflict_ignore()
    created = (query.execute() is not None) if backend() == "postgresql" else database.execute(query).rowcount == 1
    row = MediaDownload.get_or_none(MediaDownload.key == key)
    if row is None and backend() != "sqlite":
        with database.atomic():
            row = MediaDownload.select().where(MediaDownload.key == key).for_update().first()
    return row, created


def claim_due(worker: str, now: dt.datetime, limit: int = 20) -> list[MediaDownload]:
    """Pending downloads due now that no other worker holds (a claim older than the lease lapses)."""
    stale = now - dt.timedelta(seconds=LEASE_SECONDS)
    candidates = list(MediaDownload.select().where(
        (MediaDownload.state == "pending") & (MediaDownload.next_try_at <= now)
        & (MediaDownload.claimed_at.is_null() | (MediaDownload.claimed_at < stale)))
        .order_by(MediaDownload.next_try_at, MediaDownload.id).limit(limit))
    mine = []
    for row in candidates:
        taken = (MediaDownload.update(claimed_by=worker, claimed_at=now)
                 .where((MediaDownload.id == row.id) & (MediaDownload.state == "pending")
                        & (MediaDownload.claimed_at.is_null() | (MediaDownload.claimed_at < stale))
                        if row.claimed_at is not None else
                        (MediaDownload.id == row.id) & (MediaDownload.state == "pending")
                        & MediaDownload.claimed_at.is_null())
                 .execute())
        if taken:
            row.claimed_by, row.claimed_at = worker, now
            mine.append(row)
    return mine


def _mine(row: MediaDownload) -> pw.Expression:
    return (MediaDownload.id == row.id) & (MediaDownload.claimed_by == row.claimed_by) & (MediaDownload.state == "pending")


def note_file(row: MediaDownload, sha256: str, size: int, content_type: str, filename: str) -> None:
    """The file is in the evidence folder: remember what it is (a restart then does not fetch it again)."""
    MediaDownload.update(sha256=sha256, size=size, content_type=content_type[:100], filename=filename[:190]).where(
        MediaDownload.id == row.id).execute()
    row.sha256, row.size, row.content_type, row.filename = sha256, size, content_type, filename


def wait_for_item(row: MediaDownload) -> bool:
    """Downloaded, item unknown: the file waits until the sender names it (False: it was named meanwhile)."""
    return MediaDownload.update(state="waiting", claimed_by=None, claimed_at=None).where(
        _mine(row) & MediaDownload.assignment.is_null()).execute() == 1


def give_up(row: MediaDownload, error: str) -> bool:
    return MediaDownload.update(state="dead", last_error=error[:500], claimed_by=None, claimed_at=None).where(
        _mine(row)).execute() == 1


def complete(row: MediaDownload, assignment_id: int, contact_id: int | None, now: dt.datetime,
             max_unit_bytes: int, *, claimed: bool) -> tuple[EvidenceInfo | None, str]:
    """Record the downloaded file as evidence for `assignment_id` and close the job, exactly once.

    `claimed`: the caller is the download job holding the claim; else the row must be waiting (the sender
    just named the item). Returns (evidence, '') — (evidence, 'duplicate') when the same content was already
    that item's evidence — or (None, problem): 'gone' (someone else finished it),
    'unit_full' (the unit's evidence is over its limit; the job is dead, the file stays unrecorded).
    Call inside a transaction with whatever tells the sender.
    """
    guard = _mine(row) if claimed else (MediaDownload.id == row.id) & (MediaDownload.state == "waiting")
    unit_id = Assignment.select(Assignment.unit).where(Assignment.id == assignment_id).scalar()
    existing = Evidence.get_or_none((Evidence.assignment == assignment_id) & (Evidence.sha256 == row.sha256))
    if existing is None and unit_id is not None and unit_bytes(unit_id) + (row.size or 0) > max_unit_bytes:
        MediaDownload.update(state="dead", assignment=assignment_id, last_error="unit evidence limit reached",
                             claimed_by=None, claimed_at=None).where(guard).execute()
        return None, "unit_full"
    info, created = record_evidence(assignment_id, contact_id, row.sender, row.filename or "", row.kind,
                                     row.content_type or "application/octet-stream", row.size or 0, row.sha256,
                                     relative_path(row.sha256, row.filename or ""), row.key, row.sent_at, now)
    done = MediaDownload.update(state="done", assignment=assignment_id, evidence=info.id, claimed_by=None,
                                claimed_at=None).where(guard).execute()
    if not done:
        return None, "gone"
    return info, "" if created else "duplicate"


def retry_later(row: MediaDownload, error: str, now: dt.datetime, max_attempts: int) -> str:
    """Back off (30 s doubling, at most an hour) or give up after `max_attempts`; returns the new state."""
    attempts = row.attempts + 1
    state = "dead" if attempts >= max_attempts else "pending"
    delay = min(3600, 30 * 2 ** (attempts - 1))
    MediaDownload.update(state=state, attempts=attempts, last_error=error[:500],
                         next_try_at=now + dt.timedelta(seconds=delay), claimed_by=None,
                         claimed_at=None).where(_mine(row)).execute()
    return state


def get_download(download_id: int) -> MediaDownload | None:
    return MediaDownload.get_or_none(MediaDownload.id == download_id)


def name_item(download_id: int, assignment_id: int) -> MediaDownload | None:
    """The sender named the item for a file still being fetched: the job records it when the file is in."""
    MediaDownload.update(assignment=assignment_id).where(
        (MediaDownload.id == download_id) & (MediaDownload.state == "pending")).execute()
    return get_download(download_id)


def list_downloads(state: str | None = None, limit: int = 200) -> list[MediaDownload]:
    query = MediaDownload.select().order_by(MediaDownload.id.desc()).limit(limit)
    if state:
        query = query.where(MediaDownload.state == state)
    return list(query)
