"""Tasks and assignments as people browse them: status, effective due dates, the admin's done/reopen."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from i18n import _
from store.clock import clock, utcnow
from store.db import StoreError, database
from store.due import effective_due
from store.models import (
    ROLE_LABELS,
    Assignment,
    Deadline,
    Plan,
    PlanWarning,
    Report,
    Task,
    TaskGroup,
    Unit,
    UnitGroup,
    UnresolvedUnit,
)
from store.plans import get_plan
from store.units import get_unit

STATUSES = ("open", "done", "overdue")


def assignment_due(assignment: Assignment, deadlines: list[Deadline], today: dt.date) -> dt.date | None:
    return effective_due(assignment.due_override, deadlines, today)[0]


def assignment_status(assignment: Assignment, due: dt.date | None, today: dt.date) -> str:
    if assignment.state == "done":
        return "done"
    if due is not None and due < today:
        return "overdue"
    return "open"


def _deadlines_by_task(task_ids: list[int]) -> dict[int, list[Deadline]]:
    out: dict[int, list[Deadline]] = defaultdict(list)
    if task_ids:
        for d in Deadline.select().where(Deadline.task.in_(task_ids)).order_by(Deadline.position):
            out[d.task_id].append(d)
    return out


def list_tasks(
    plan: str | None = None,
    unit: str | None = None,
    status: str | None = None,
    due_before: dt.date | None = None,
    today: dt.date | None = None,
) -> list[dict]:
    """Tasks (or, with `unit`, that unit's assignments) with their status on `today`."""
    today = today or clock.today()
    query = Task.select(Task, Plan).join(Plan).where(Plan.active == True)  # noqa: E712
    if plan:
        query = query.where(Task.plan == get_plan(plan))
    only_unit = get_unit(unit) if unit else None
    tasks = list(query.order_by(Plan.id, Task.seq))
    ids = [t.id for t in tasks]
    deadlines = _deadlines_by_task(ids)
    assignments: dict[int, list[Assignment]] = defaultdict(list)
    if ids:
        a_query = Assignment.select(Assignment, Unit).join(Unit).where(Assignment.task.in_(ids))
        if only_unit:
            a_query = a_query.where(Assignment.unit == only_unit)
        for a in a_query:
            assignments[a.task_id].append(a)
    rows = []
    for task in tasks:
        mine = assignments.get(task.id, [])
        if only_unit and not mine:
            continue
        dls = deadlines.get(task.id, [])
        states = [assignment_status(a, assignment_due(a, dls, today), today) for a in mine]
        dues = [d for d in (assignment_due(a, dls, today) for a in mine) if d]
        if not mine:
            dues = [d for d in [effective_due(None, dls, today)[0]] if d]
        due = min(dues) if dues else None
        if states and all(s == "done" for s in states):
            task_status = "done"
        elif "overdue" in states:
            task_status = "overdue"
        else:
            task_status = "open"
        if status and task_status != status:
            continue
        if due_before and (due is None or due >= due_before):
            continue
        rows.append({
            "plan": task.plan.code,
            "seq": task.seq,
            "requirement": task.requirement,
            "deadline": task.deadline_raw,
            "due": due.isoformat() if due else None,
            "status": task_status,
            "units": [
                {"name": a.unit.name, "role": a.role, "state": a.state}
                for a in sorted(mine, key=lambda a: (a.role != "lead", a.unit.name))
            ],
            "done": sum(1 for s in states if s == "done"),
            "assignments": len(mine),
        })
    return rows


def split_seq(seq: int | str) -> tuple[int, int]:
    """'4' → (4, 0); '4-2' (a sub-row under one merged 序号) → (4, 2)."""
    match = re.fullmatch(r"\s*(\d{1,6})(?:-(\d{1,3}))?\s*", str(seq))
    if match is None:
        raise StoreError(_('{seq!r} is not a task number (write 24, or 4-2 for a sub-row)').format(seq=seq))
    return int(match.group(1)), int(match.group(2) or 0)


def get_task(seq: int | str, plan: str | None = None) -> Task:
    target = get_plan(plan)
    number, sub = split_seq(seq)
    task = Task.get_or_none((Task.plan == target) & (Task.seq == number) & (Task.sub == sub))
    if task is None:
        rows = [t.label for t in Task.select().where((Task.plan == target) & (Task.seq == number))
                .order_by(Task.sub)]
        if rows:
            raise StoreError(_('task {number} of plan {code} is split into {rows}: give one of them').format(number=number, code=target.code, rows=', '.join(rows)))
        raise StoreError(_('plan {code} has no task {seq}').format(code=target.code, seq=seq))
    return task


def task_detail(seq: int | str, plan: str | None = None, today: dt.date | None = None) -> dict:
    today = today or clock.today()
    task = get_task(seq, plan)
    dls = list(task.deadlines.order_by(Deadline.position))
    assignments = list(Assignment.select(Assignment, Unit).join(Unit).where(Assignment.task == task))
    reports = (
        Report.select(Report, Assignment, Unit).join(Assignment).join(Unit)
        .where(Assignment.task == task).order_by(Report.at)
    )
    return {
        "plan": task.plan.code,
        "seq": task.seq,
        "category": task.category,
        "subcategory": task.subcategory,
        "requirement": task.requirement,
        "units_raw": task.units_raw,
        "deadline_raw": task.deadline_raw,
        "inherited": [f for f in task.inherited.split(",") if f],
        "deadlines": [
            {"raw": d.raw, "kind": d.kind, "due": d.due.isoformat() if d.due else None,
             "past_at_issue": d.past_at_issue}
            for d in dls
        ],
        "groups": [
            {"name": link.group.name, "role": link.role}
            for link in TaskGroup.select(TaskGroup, UnitGroup).join(UnitGroup).where(TaskGroup.task == task)
        ],
        "unresolved": [u.phrase for u in UnresolvedUnit.select().where(UnresolvedUnit.task == task)],
        "assignments": [
            {
                "unit": a.unit.name, "role": a.role, "role_label": ROLE_LABELS[a.role],
                "via_group": a.via_group.name if a.via_group_id else None, "state": a.state,
                "due": (assignment_due(a, dls, today) or "") and assignment_due(a, dls, today).isoformat(),
                "status": assignment_status(a, assignment_due(a, dls, today), today),
            }
            for a in sorted(assignments, key=lambda a: (list(ROLE_LABELS).index(a.role), a.unit.name))
        ],
        "reports": [
            {"at": clock.to_local(r.at).strftime("%Y-%m-%d %H:%M"), "unit": r.assignment.unit.name, "kind": r.kind,
             "text": r.text, "percent": r.percent, "undone": r.undone}
            for r in reports
        ],
        "warnings": [
            {"code": w.code, "message": w.message}
            for w in PlanWarning.select().where((PlanWarning.plan == task.plan) & (PlanWarning.seq == task.seq))
        ],
        "evidence": _evidence(assignments),
    }


def _evidence(assignments: list[Assignment]) -> list[dict]:
    """The task's evidence files (佐证材料), oldest first."""
    from store.evidence import evidence_by_assignment

    units = {a.id: a.unit.name for a in assignments}
    files = [e for infos in evidence_by_assignment(units).values() for e in infos]
    return [{"unit": units[e.assignment_id], "filename": e.filename, "kind": e.kind, "size": e.size,
             "sha256": e.sha256, "path": e.path, "sender": e.sender_name,
             "sent_at": clock.to_local(e.sent_at).strftime("%Y-%m-%d %H:%M")}
            for e in sorted(files, key=lambda e: (e.sent_at, e.id))]


def get_assignment(seq: int | str, unit: str, plan: str | None = None) -> Assignment:
    task = get_task(seq, plan)
    owner = get_unit(unit)
    assignment = Assignment.get_or_none((Assignment.task == task) & (Assignment.unit == owner))
    if assignment is None:
        named = ", ".join(a.unit.name for a in task.assignments) or "none"
        raise StoreError(_('{name} has no assignment on task {seq} (units on it: {named})').format(name=owner.name, seq=seq, named=named))
    return assignment


def set_done(seq: int | str, unit: str, note: str = "", plan: str | None = None, done: bool = True) -> Assignment:
    """The admin records what a unit reported by phone: done (or reopened), with a report in the history."""
    with database.atomic():
        assignment = get_assignment(seq, unit, plan)
        now = utcnow()
        assignment.already = (assignment.state == "done") == done  # a rerun: nothing to record
        if assignment.already:
            return assignment
        if done:
            assignment.state, assignment.done_at = "done", now
        else:
            assignment.state, assignment.done_at = "open", None
        assignment.last_report_at = now
        assignment.save()
        Report.create(assignment=assignment, at=now, kind="done" if done else "reopen", text=note or "(admin)")
    return assignment


def list_plans() -> list[dict]:
    rows = []
    for p in Plan.select().order_by(Plan.id):
        rows.append({
            "code": p.code, "title": p.title, "doc_no": p.doc_no, "year": p.year,
            "issued_on": p.issued_on.isoformat() if p.issued_on else None, "active": p.active,
            "tasks": p.tasks.count(),
            "assignments": Assignment.select().join(Task).where(Task.plan == p).count(),
            "warnings": p.warnings.count(), "source": p.source_name,
        })
    return rows


def plan_detail(ref: str | None) -> dict:
    plan = get_plan(ref)
    info = next(p for p in list_plans() if p["code"] == plan.code)
    info["issuer"] = plan.issuer
    info["warnings_list"] = [
        {"seq": w.seq, "code": w.code, "message": w.message}
        for w in plan.warnings.order_by(PlanWarning.seq, PlanWarning.id)
    ]
    status = defaultdict(int)
    for row in list_tasks(plan=plan.code):
        status[row["status"]] += 1
    info["status"] = dict(status)
    return info
