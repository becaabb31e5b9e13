"""Evidence (佐证材料): files contacts sent for an item, one record per (assignment, sha256).

The bytes live in a folder (`[evidence] dir`), one file per sha256 under `ab/abcdef….ext`, so the same photo
sent for two items is stored once on disk and recorded once per item. Nothing here serves a file to anyone:
callers (chat, the CLI, the web board) check who may see the item first.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from store.config import Config
from store.db import backend, database
from store.models import Assignment, Contact, Evidence, Task

FILENAME_MAX = 190


@dataclass(frozen=True)
class EvidenceInfo:
    id: int
    assignment_id: int
    filename: str
    kind: str  # image | file | video
    content_type: str
    size: int
    sha256: str
    path: str  # relative to the evidence folder
    sender: str  # WeCom userid
    sender_name: str  # the contact's name, or the userid when the contact is gone
    sent_at: dt.datetime  # naive UTC
    stored_at: dt.datetime


def evidence_dir(config: Config) -> Path:
    """The folder evidence files live in: `[evidence] dir`, else "evidence" beside the SQLite database, else
    ./evidence."""
    configured = config.evidence.dir
    if configured:
        return Path(configured)
    url = config.database_url
    if url.startswith("sqlite:///") and url[len("sqlite:///"):] not in ("", ":memory:"):
        return Path(os.path.dirname(os.path.abspath(url[len("sqlite:///"):]))) / "evidence"
    return Path("evidence")


def relative_path(sha256: str, filename: str) -> str:
    """Where a file with this content is kept inside the evidence folder (the extension helps people browsing)."""
    ext = os.path.splitext(filename)[1].lower()
    ext = ext if 1 < len(ext) <= 10 and ext[1:].isalnum() else ""
    return f"{sha256[:2]}/{sha256}{ext}"


def _info(row: Evidence, name: str | None) -> EvidenceInfo:
    return EvidenceInfo(row.id, row.assignment_id, row.filename, row.kind, row.content_type, row.size, row.sha256,
                        row.path, row.sender, name or row.sender, row.sent_at, row.stored_at)


def _query() -> pw.ModelSelect:
    return (Evidence.select(Evidence, Contact.name.alias("contact_name"))
            .join(Contact, pw.JOIN.LEFT_OUTER, on=(Evidence.contact == Contact.id))
            .order_by(Evidence.sent_at, Evidence.id).objects())


def _rows(query: pw.ModelSelect) -> list[EvidenceInfo]:
    return [_info(row, row.contact_name) for row in query]


def list_evidence(assignment_id: int) -> list[EvidenceInfo]:
    """An item's (assignment's) evidence, oldest first."""
    return _rows(_query().where(Evidence.assignment == assignment_id))


def evidence_by_assignment(assignment_ids: Iterable[int]) -> dict[int, list[EvidenceInfo]]:
    """Evidence of many assignments at once: {assignment id: [EvidenceInfo, …]} (ids without any are absent)."""
    ids = list(dict.fromkeys(assignment_ids))
    out: dict[int, list[EvidenceInfo]] = {}
    for start in range(0, len(ids), 500):
        for info in _rows(_query().where(Evidence.assignment.in_(ids[start:start + 500]))):
            out.setdefault(info.assignment_id, []).append(info)
    return out


def evidence_for_task(task_id: int) -> list[EvidenceInfo]:
    """Every unit's evidence for one task."""
    ids = [a.id for a in Assignment.select(Assignment.id).where(Assignment.task == task_id)]
    return [e for infos in evidence_by_assignment(ids).values() for e in infos]


def get_evidence(evidence_id: int) -> EvidenceInfo | None:
    """One record by id (the caller checks the right to see its item before serving the file)."""
    rows = _rows(_query().where(Evidence.id == evidence_id))
    return rows[0] if rows else None


def evidence_count(assignment_ids: Iterable[int]) -> dict[int, int]:
    """{assignment id: number of evidence files} for the ids that have any."""
    ids = list(dict.fromkeys(assignment_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        query = (Evidence.select(Evidence.assignment, pw.fn.COUNT(Evidence.id).alias("n"))
                 .where(Evidence.assignment.in_(ids[start:start + 500])).group_by(Evidence.assignment))
        for row in query.dicts():
            out[row["assignment"]] = row["n"]
    return out


def unit_bytes(unit_id: int) -> int:
    """Bytes of evidence recorded for one unit's items (what `[evidence] max_unit_mb` limits)."""
    total = (Evidence.select(pw.fn.COALESCE(pw.fn.SUM(Evidence.size), 0))
             .join(Assignment, on=(Evidence.assignment == Assignment.id))
             .where(Assignment.unit == unit_id).scalar())
    return int(total or 0)


def record_evidence(assignment_id: int, contact_id: int | None, sender: str, filename: str, kind: str,
                    content_type: str, size: int, sha256: str, path: str, msgid: str | None,
                    sent_at: dt.datetime, now: dt.datetime) -> tuple[EvidenceInfo, bool]:
    """Record a stored file for an assignment; (info, created). The same content twice for one assignment is
    one record: the second call returns the first one with created False."""
    fields = {"assignment": assignment_id, "contact": contact_id, "sender": sender,
              "filename": clip_filename(filename), "kind": kind, "content_type": content_type[:100], "size": size,
              "sha256": sha256, "path": path, "msgid": msgid, "sent_at": sent_at, "stored_at": now}
    query = Evidence.insert(**fields).on_conflict_ignore()
    if backend() == "postgresql":
        created = query.execute() is not None
    else:
        created = database.execute(query).rowcount == 1
    row = (Evidence.select().where((Evidence.assignment == assignment_id) & (Evidence.sha256 == sha256)).first())
    if row is None and backend() != "sqlite":
        with database.atomic():
            row = (Evidence.select().where((Evidence.assignment == assignment_id) & (Evidence.sha256 == sha256))
                   .for_update().first())
    name = Contact.select(Contact.name).where(Contact.id == row.contact_id).scalar() if row.contact_id else None
    return _info(row, name), created


def clip_filename(filename: str) -> str:
    """A file name that fits the column (the extension kept)."""
    if len(filename) <= FILENAME_MAX:
        return filename
    stem, ext = os.path.splitext(filename)
    ext = ext[:20]
    return stem[:FILENAME_MAX - len(ext)] + ext


def confirmation(filename: str, number: str, duplicate: bool = False) -> str:
    """What the sender reads once a file is recorded (chat and the download job say the same)."""
    if duplicate:
        return f"这个文件与已收到的《{filename}》相同，[{number}]的佐证材料未重复保存。"
    return f"已收到《{filename}》，作为[{number}]的佐证材料。"


def task_seq_of(assignment_id: int) -> int | None:
    """The 序号 of an assignment's task (for messages)."""
    return (Task.select(Task.seq).join(Assignment, on=(Assignment.task == Task.id))
            .where(Assignment.id == assignment_id).scalar())


@dataclass(frozen=True)
class ExportRow:
    unit: str
    plan_code: str
    seq_label: str  # 24, or 4-2 for a sub-row
    title: str
    evidence: EvidenceInfo


def export_rows(plan_ids: list[int]) -> list[ExportRow]:
    """Every evidence record of these plans with its unit and item, by unit then item then time."""
    from store.models import Plan, Unit

    query = (Assignment.select(Assignment.id, Unit.name, Plan.code, Task.seq, Task.sub, Task.subcategory,
                               Task.requirement)
             .join(Unit).switch(Assignment).join(Task).join(Plan).where(Plan.id.in_(plan_ids)).tuples())
    items = {aid: (unit, code, f"{seq}-{sub}" if sub else str(seq), sub_title or requirement)
             for aid, unit, code, seq, sub, sub_title, requirement in query}
    rows = [ExportRow(items[a][0], items[a][1], items[a][2], items[a][3], e)
            for a, infos in evidence_by_assignment(items).items() for e in infos]
    return sorted(rows, key=lambda r: (r.unit, r.plan_code, [int(x) for x in r.seq_label.split("-")],
                                       r.evidence.sent_at))
