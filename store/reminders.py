"""The queries reminder planning needs, shaped for speed: plain tuples, a handful of queries per run."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import peewee as pw

from store.db import database
from store.models import Assignment, Contact, Deadline, Plan, ReminderLog, Task, Unit
from store.prepared import insert_columns

CHUNK = 500  # keeps IN (…) lists under every backend's parameter limit


@dataclass(slots=True)
class DeadlineRow:
    id: int
    kind: str
    due: dt.date | None
    recurrence: str | None
    day_of_period: int | None
    label: str = ""  # a milestone's step: 完成初稿


@dataclass(slots=True)
class OpenAssignment:
    id: int
    unit_id: int
    unit: str
    role: str
    state: str
    due_override: dt.date | None
    last_report_at: dt.datetime | None
    created_at: dt.datetime
    seq: int
    plan_code: str
    plan_issued_on: dt.date | None
    requirement: str
    subcategory: str
    deadlines: list[DeadlineRow] = field(default_factory=list)
    sub: int = 0  # sub-row of the task: 4-2 is seq 4, sub 2

    @property
    def seq_label(self) -> str:
        return f"{self.seq}-{self.sub}" if self.sub else str(self.seq)


@dataclass(slots=True)
class ContactRow:
    id: int
    userid: str
    name: str
    unit_id: int
    role: str
    away_until: dt.date | None
    delegate_id: int | None


def open_assignments() -> list[OpenAssignment]:
    """Every assignment not yet done, in active plans, with its task's deadlines."""
    tasks = {
        task_id: (seq, code, issued, requirement, sub, row)
        for task_id, seq, code, issued, requirement, sub, row in (
            Task.select(Task.id, Task.seq, Plan.code, Plan.issued_on, Task.requirement, Task.subcategory, Task.sub)
            .join(Plan).where(Plan.active == True).tuples()  # noqa: E712
        )
    }
    query = (
        Assignment.select(
            Assignment.id, Assignment.unit, Unit.name, Assignment.role, Assignment.state, Assignment.due_override,
            Assignment.last_report_at, Assignment.created_at, Assignment.task,
        )
        .join(Unit)
        .where((Assignment.state != "done") & Assignment.task.in_(Task.select(Task.id).join(Plan).where(
            Plan.active == True)))  # noqa: E712
        .tuples()
    )
    by_task: dict[int, list[OpenAssignment]] = defaultdict(list)
    rows = []
    units: dict[str, str] = {}
    for aid, unit_id, unit, role, state, override, last, created, task_id in query:
        # Task strings are shared between a task's assignments, which keeps 100k rows small.
        seq, code, issued, requirement, sub, sub_row = tasks[task_id]
        unit = units.setdefault(unit, unit)
        row = OpenAssignment(aid, unit_id, unit, role, state, override, last, created, seq, code, issued,
                             requirement, sub, sub=sub_row)
        by_task[task_id].append(row)
        rows.append(row)
    deadlines = (
        Deadline.select(Deadline.task, Deadline.id, Deadline.kind, Deadline.due, Deadline.recurrence,
                        Deadline.day_of_period, Deadline.label)
        .join(Task).join(Plan)
        .where(Plan.active == True)  # noqa: E712
        .order_by(Deadline.task, Deadline.position)
        .tuples()
    )
    for task_id, did, kind, due, recurrence, day, label in deadlines:
        for row in by_task.get(task_id, ()):
            row.deadlines.append(DeadlineRow(did, kind, due, recurrence, day, label or ""))
    return rows


def active_plan_count() -> int:
    return Plan.select().where(Plan.active == True).count()  # noqa: E712


def contacts_by_unit() -> tuple[dict[int, list[ContactRow]], dict[int, ContactRow]]:
    """Active contacts grouped by unit, and all of them by id."""
    by_unit: dict[int, list[ContactRow]] = defaultdict(list)
    by_id: dict[int, ContactRow] = {}
    query = (
        Contact.select(Contact.id, Contact.userid, Contact.name, Contact.unit, Contact.role, Contact.away_until,
                       Contact.delegate)
        .where((Contact.active == True) & (Contact.problem.is_null()))  # noqa: E712
        .order_by(Contact.id)
        .tuples()
    )
    for row in query:
        contact = ContactRow(*row)
        by_unit[contact.unit_id].append(contact)
        by_id[contact.id] = contact
    return by_unit, by_id


def reminded(keys: Iterable[tuple[int, int, str]]) -> set[tuple[int, int, str]]:
    """Which of these (assignment, deadline, stage) were already reminded."""
    keys = set(keys)
    assignment_ids = sorted({k[0] for k in keys})
    found = set()
    for start in range(0, len(assignment_ids), CHUNK):
        chunk = assignment_ids[start:start + CHUNK]
        query = (
            ReminderLog.select(ReminderLog.assignment, ReminderLog.deadline, ReminderLog.stage)
            .where(ReminderLog.assignment.in_(chunk))
            .tuples()
        )
        found.update(k for k in query if k in keys)
    return found


def claim_each(items: Iterable[tuple[int, int, str]], today: dt.date) -> list[tuple[int, int, str]]:
    """Record each reminder as sent today unless some run recorded it first; returns the ones this call
    recorded (one insert each, so a concurrent run's rows are told apart). Call inside the transaction that
    then writes the outbox row and `link_outbox`."""
    claimed = []
    for a, d, stage in items:
        query = ReminderLog.insert(assignment=a, deadline=d, stage=stage, sent_on=today).on_conflict_ignore()
        if query.as_rowcount().execute():
            claimed.append((a, d, stage))
    return claimed


def claim_all(items: Sequence[tuple[tuple[int, int, str], int]], today: dt.date) -> bool:
    """Record reminders ((assignment, deadline, stage), outbox id) as sent today by those outbox rows: all of
    them, or none and False when some run recorded one first. A plain insert in a savepoint, which a duplicate
    key fails: checking each of a daily send's 77,000 rows for a conflict first (ON CONFLICT DO NOTHING) made
    its claims about 15 % slower on PostgreSQL. Call inside the transaction that wrote the outbox rows."""
    if not items:
        return True
    keys, outbox_ids = zip(*items, strict=True)
    assignments, deadlines, stages = zip(*keys, strict=True)
    try:
        with database.atomic():
            insert_columns(ReminderLog, {"assignment": assignments, "deadline": deadlines, "stage": stages,
                                         "outbox": outbox_ids}, {"sent_on": today})
    except pw.IntegrityError:
        # Most likely another run's claim; any other broken constraint fails again, and is raised, when the
        # caller claims one by one (claim_each).
        return False
    return True


def link_outbox(items: Iterable[tuple[int, int, str]], outbox_id: int) -> None:
    """Point the reminder-log rows this run just claimed at the outbox row that carries them."""
    for a, d, stage in items:
        ReminderLog.update(outbox=outbox_id).where(
            (ReminderLog.assignment == a) & (ReminderLog.deadline == d) & (ReminderLog.stage == stage)).execute()


def reminder_history(limit: int = 50) -> list[dict]:
    query = (
        ReminderLog.select(ReminderLog, Assignment, Unit, Task)
        .join(Assignment).join(Unit).switch(Assignment).join(Task)
        .order_by(ReminderLog.id.desc()).limit(limit)
    )
    return [
        {"sent_on": r.sent_on.isoformat(), "seq": r.assignment.task.seq, "unit": r.assignment.unit.name,
         "stage": r.stage}
        for r in query
    ]


def count_reminders() -> int:
    return ReminderLog.select(pw.fn.COUNT(ReminderLog.id)).scalar()
