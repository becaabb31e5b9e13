"""The queries chat needs: who is speaking and for which units, their items, and recording what they report.

Every write is idempotent on the WeCom MsgId: the report row carries it (unique), is inserted first inside
a savepoint, and when it already exists nothing else is written and the existing report is returned.
All datetimes here are naive UTC (as stored); `today` is the local calendar date the caller computed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from store.db import StoreError, backend, write_transaction
from store.due import DeadlineLike, effective_due
from store.inbox import just_recorded, recent_messages
from store.models import (
    ROLES,
    Assignment,
    Contact,
    Deadline,
    Extension,
    Plan,
    ReminderLog,
    Report,
    Task,
    Unit,
)
from store.prepared import Prepared, insert_ignore
from store.reach import reachable

REPORT_KINDS_UNDOABLE = ("progress", "done", "extension")
UNDO_PREFIX = "撤回#"  # an 'undo' report's text, for people reading the history; Report.undoes is the link


class ChatDataError(StoreError):
    """A request chat must refuse; `code` tells chat which answer to word."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- who is speaking ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Actor:
    contact: Contact
    unit_ids: list[int]  # own unit first, then units of away contacts who delegated to this one
    unit_names: dict[int, str]
    decide_unit_ids: list[int]  # units whose extensions this contact may decide (leaders only)
    own_plans: int | None = None  # active plans in which the own unit has assignments (read with the contact)

    @property
    def is_leader(self) -> bool:
        return self.contact.role == "leader"


_CONTACT_COLUMNS = (Contact.id, Contact.unit, Contact.name, Contact.userid, Contact.mobile, Contact.role,
                    Contact.active, Contact.away_until, Contact.delegate, Contact.problem, Contact.created_at,
                    Contact.cards)
_Covered = Contact.alias()  # an away contact who named this one as their delegate
_CoveredUnit = Unit.alias()


def _own_plans() -> pw.Node:
    """How many active plans the speaker's own unit has assignments in (whether numbers need a plan code)."""
    task = Task.alias()
    return (Assignment.select(pw.fn.COUNT(task.plan.distinct()))
            .join(task, on=(Assignment.task == task.id)).join(Plan, on=(task.plan == Plan.id))
            .where((Assignment.unit == Contact.unit) & (Plan.active == True)))  # noqa: E712


# One statement: the contact, their unit, how many plans it is in, and each unit they stand in for today (a row
# each, or one row of NULLs).
_actor_query = Prepared(lambda userid, today: (
    Contact.select(*_CONTACT_COLUMNS, Unit.name, _own_plans().alias("own_plans"),
                   _Covered.unit, _CoveredUnit.name, _Covered.role)
    .join(Unit, on=(Contact.unit == Unit.id))
    .join(_Covered, pw.JOIN.LEFT_OUTER, on=((_Covered.delegate == Contact.id) & (_Covered.active == True)  # noqa: E712
                                            & (_Covered.away_until >= today)))
    .join(_CoveredUnit, pw.JOIN.LEFT_OUTER, on=(_Covered.unit == _CoveredUnit.id))
    .where((Contact.userid == userid) & (Contact.active == True))  # noqa: E712
    .order_by(_CoveredUnit.name).tuples()))


def _contact(row: tuple) -> Contact:
    """A Contact (with its unit's name) from an `_actor_query` row: building it from plain values cost a
    fraction of peewee's joined-model rows, on every message."""
    values = dict(zip((f.name for f in _CONTACT_COLUMNS), row, strict=False))
    unit_id = values.pop("unit")
    delegate_id = values.pop("delegate")
    contact = Contact(**values, unit=Unit(id=unit_id, name=row[len(_CONTACT_COLUMNS)]))
    contact.delegate_id = delegate_id
    return contact


def find_actor(userid: str, today: dt.date) -> Actor | None:
    """The active contact with this WeCom userid and the units they act for today, or None."""
    rows = _actor_query.tuples((userid or "").strip(), today)
    if not rows:
        return None
    contact = _contact(rows[0])
    unit_ids, names = [contact.unit_id], {contact.unit_id: contact.unit.name}
    decide = [contact.unit_id] if contact.role == "leader" else []
    for row in rows:
        unit_id, unit_name, role = row[-3:]
        if unit_id is None:
            continue
        if unit_id not in names:
            unit_ids.append(unit_id)
            names[unit_id] = unit_name
        # Only a leader standing in for a leader may decide that leader's unit's extensions.
        if contact.role == "leader" and role == "leader" and unit_id not in decide:
            decide.append(unit_id)
    return Actor(contact, unit_ids, names, decide, rows[0][len(_CONTACT_COLUMNS) + 1])


def recent_command_count(userid: str, now: dt.datetime, seconds: int = 60) -> int:
    """Messages this user sent in the last `seconds` (the callback layer writes an Inbox row per message)."""
    return recent_messages(userid, now - dt.timedelta(seconds=seconds))


def _reachable(people: Iterable[Contact], today: dt.date) -> list[Contact]:
    def delegate_of(contact_id: int) -> Contact | None:
        return Contact.get_or_none((Contact.id == contact_id) & (Contact.active == True))  # noqa: E712

    return reachable(people, today, delegate_of)


def unit_contacts(unit_id: int, role: str, today: dt.date) -> list[Contact]:
    """Who hears about a unit in this role today: the present ones, a delegate for one who is away."""
    people = list(
        Contact.select().where((Contact.unit == unit_id) & (Contact.role == role) & (Contact.active == True))  # noqa: E712
        .order_by(Contact.id)
    )
    return _reachable(people, today)


# --- items ----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ChatItem:
    assignment_id: int
    task_id: int
    unit_id: int
    unit: str
    role: str
    state: str
    plan_code: str
    seq: int
    subcategory: str
    requirement: str
    due: dt.date | None
    due_kind: str  # override | fixed | year_round | recurring | ongoing | none
    recurrence: str | None = None
    reminded_on: dt.date | None = None  # the last day a reminder about it went out
    sub_row: int = 0  # sub-row of the task: 4-2 is seq 4, sub_row 2

    @property
    def seq_label(self) -> str:
        return f"{self.seq}-{self.sub_row}" if self.sub_row else str(self.seq)


def urgency_key(item: ChatItem) -> tuple:
    """Most urgent first: earliest due date (so the longest overdue leads), undated last."""
    return (item.due is None, item.due or dt.date.max, item.plan_code, item.seq, item.sub_row, item.unit)


# Just what effective_due reads, as named tuples: a Deadline model per row cost more than the query.
DeadlineRow = namedtuple("DeadlineRow", "task kind due recurrence day_of_period")
_deadlines_query = Prepared(lambda ids: (
    Deadline.select(Deadline.task, Deadline.kind, Deadline.due, Deadline.recurrence, Deadline.day_of_period)
    .where(Deadline.task.in_(ids)).order_by(Deadline.position).tuples()))
CHUNK = 500


def deadlines_by_task(task_ids: Iterable[int]) -> dict[int, list[DeadlineLike]]:
    """Each task's deadlines (kind, due, recurrence, day_of_period), in their order."""
    out: dict[int, list[DeadlineLike]] = defaultdict(list)
    ids = sorted(set(task_ids))
    for start in range(0, len(ids), CHUNK):
        for row in _deadlines_query.tuples(ids[start:start + CHUNK]):
            out[row[0]].append(DeadlineRow._make(row))
    return out


def _items(rows: Iterable[tuple], today: dt.date) -> list[ChatItem]:
    """ChatItems from `_assignment_query` rows: an assignment's rows (one per deadline of its task, in order)
    come together. Plain tuples: building four model instances per row was most of a 「任务」 answer's time."""
    as_date = ReminderLog.sent_on.python_value  # a subquery's value comes as the database gives it
    grouped: dict[int, tuple[tuple, list[DeadlineLike]]] = {}
    for row in rows:
        found = grouped.get(row[0])
        if found is None:
            found = grouped[row[0]] = (row, [])
        if row[13] is not None:  # the task's deadline of this row (LEFT JOIN: none for a task without one)
            found[1].append(DeadlineRow(row[1], *row[13:17]))
    items = []
    for row, dls in grouped.values():
        aid, task_id, unit_id, unit, role, state, code, seq, sub, requirement, override, sub_row, reminded = row[:13]
        due, kind = effective_due(override, dls, today)
        recurrence = next((d.recurrence for d in dls if d.kind == "recurring"), None)
        items.append(ChatItem(aid, task_id, unit_id, unit, role, state, code, seq, sub, requirement, due, kind,
                              recurrence, as_date(reminded) if reminded is not None else None, sub_row))
    items.sort(key=urgency_key)
    return items


def _assignment_query() -> pw.ModelSelect:
    """The columns `_items` unpacks, in its order: the last reminder's day and the task's deadlines (a row each)
    in the same statement, one round trip for a whole 「任务」 list."""
    sent = ReminderLog.alias()
    reminded = sent.select(pw.fn.MAX(sent.sent_on)).where(sent.assignment == Assignment.id)
    return (
        Assignment.select(Assignment.id, Assignment.task, Assignment.unit, Unit.name, Assignment.role,
                          Assignment.state, Plan.code, Task.seq, Task.subcategory, Task.requirement,
                          Assignment.due_override, Task.sub, reminded.alias("reminded_on"),
                          Deadline.kind, Deadline.due, Deadline.recurrence, Deadline.day_of_period)
        .join(Unit).switch(Assignment).join(Task).join(Plan)
        .switch(Task).join(Deadline, pw.JOIN.LEFT_OUTER, on=(Deadline.task == Task.id))
        .where(Plan.active == True)  # noqa: E712
        .order_by(Assignment.id, Deadline.position)
        .tuples()
    )


_open_query = Prepared(lambda unit_ids: _assignment_query().where(
    Assignment.unit.in_(unit_ids) & (Assignment.state != "done")))


def open_items(unit_ids: list[int], today: dt.date) -> list[ChatItem]:
    """These units' assignments not yet done, in active plans, most urgent first."""
    if not unit_ids:
        return []
    return _items(_open_query.tuples(list(unit_ids)), today)


def unit_items(unit_ids: list[int], today: dt.date) -> list[ChatItem]:
    """These units' assignments in active plans, done ones too (evidence can follow a done item)."""
    if not unit_ids:
        return []
    return _items(_assignment_query().where(Assignment.unit.in_(unit_ids)), today)


def items_by_seq(seq: int, unit_ids: list[int], today: dt.date, plan_code: str | None = None,
                 sub: int | None = None) -> list[ChatItem]:
    """These units' assignments (any state) on task `seq` of the active plans (or of plan `plan_code`);
    with `sub`, only that sub-row (4-2)."""
    if not unit_ids:
        return []
    args: list = [list(unit_ids), seq]
    if sub is not None:
        args.append(sub)
    if plan_code:
        args.append(plan_code.upper())
    return _items(_by_seq_queries[(sub is not None, bool(plan_code))].tuples(*args), today)


def _by_seq(with_sub: bool, with_plan: bool) -> Prepared:
    def build(unit_ids: list[int], seq: int, *rest: Any) -> pw.ModelSelect:
        query = _assignment_query().where(Assignment.unit.in_(unit_ids) & (Task.seq == seq))
        rest_ = list(rest)
        if with_sub:
            query = query.where(Task.sub == rest_.pop(0))
        if with_plan:
            query = query.where(Plan.code == rest_.pop(0))
        return query

    return Prepared(build)


_by_seq_queries = {(a, b): _by_seq(a, b) for a in (False, True) for b in (False, True)}
_item_query = Prepared(lambda assignment_id: _assignment_query().where(Assignment.id == assignment_id))


def get_item(assignment_id: int, today: dt.date) -> ChatItem | None:
    found = _items(_item_query.tuples(assignment_id), today)
    return found[0] if found else None


def tasks_by_seq(seq: int, plan_code: str | None = None, sub: int | None = None) -> list[Task]:
    """Task `seq` in every active plan (a number can exist in several), or in plan `plan_code`; with `sub`,
    only that sub-row."""
    query = Task.select(Task, Plan).join(Plan).where((Plan.active == True) & (Task.seq == seq))  # noqa: E712
    if sub is not None:
        query = query.where(Task.sub == sub)
    if plan_code:
        query = query.where(Plan.code == plan_code.upper())
    return list(query.order_by(Plan.code, Task.sub))


_plan_codes_query = Prepared(lambda unit_ids: (
    Plan.select(Plan.code).join(Task).join(Assignment)
    .where((Plan.active == True) & Assignment.unit.in_(unit_ids))  # noqa: E712
    .distinct().order_by(Plan.code).tuples()))


def unit_plan_codes(unit_ids: list[int]) -> list[str]:
    """The active plans in which these units have assignments."""
    if not unit_ids:
        return []
    return [code for (code,) in _plan_codes_query.rows(list(unit_ids))]


def active_plan_codes() -> list[str]:
    return [p.code for p in Plan.select(Plan.code).where(Plan.active == True).order_by(Plan.code)]  # noqa: E712


def plan_titles(codes: list[str]) -> list[tuple[str, str]]:
    """(code, title) for these plan codes, in the order given."""
    titles = dict(Plan.select(Plan.code, Plan.title).where(Plan.code.in_(codes)).tuples()) if codes else {}
    return [(code, titles.get(code, "")) for code in codes]


@dataclass(slots=True)
class TaskView:
    task: Task
    plan_code: str
    deadlines: list[Deadline]
    assignments: list[Assignment]  # strongest role first
    reports: list[Report]  # newest first, at most `history`
    report_count: int
    extensions: list[Extension]  # newest first


def task_view(task_id: int, history: int = 5) -> TaskView:
    task = Task.select(Task, Plan).join(Plan).where(Task.id == task_id).get()
    assignments = sorted(
        Assignment.select(Assignment, Unit).join(Unit).where(Assignment.task == task),
        key=lambda a: (ROLES.index(a.role) if a.role in ROLES else 9, a.unit.name),
    )
    reports = (
        Report.select(Report, Assignment, Unit).join(Assignment).join(Unit)
        .where((Assignment.task == task) & (Report.kind != "undo"))
    )
    extensions = (
        Extension.select(Extension, Assignment, Unit).join(Assignment).join(Unit)
        .where(Assignment.task == task).order_by(Extension.id.desc()).limit(history)
    )
    return TaskView(
        task, task.plan.code, list(task.deadlines.order_by(Deadline.position)), assignments,
        list(reports.order_by(Report.at.desc(), Report.id.desc()).limit(history)), reports.count(),
        list(extensions),
    )


# --- recording ------------------------------------------------------------------------------------------------


_report_by_msgid = Prepared(lambda msgid: Report.select().where(Report.msgid == msgid).limit(1))


def report_by_msgid(msgid: str | None) -> Report | None:
    if not msgid:
        return None
    return _report_by_msgid.first(msgid)


def _earlier_report(msgid: str | None) -> Report | None:
    """The report this MsgId already recorded; no look-up for a message the inbox has just recorded as new."""
    return None if just_recorded(msgid) else report_by_msgid(msgid)


def _insert_report(assignment_id: int, contact: Contact | None, kind: str, text: str, percent: int | None,
                   msgid: str | None, now: dt.datetime) -> tuple[Report, bool]:
    """(report, created). A MsgId seen before returns its report, written by whichever call came first: an
    insert that skips a duplicate key, so nothing fails and no savepoint is needed (PostgreSQL stays usable),
    and no look-up before it."""
    fields = {"assignment": assignment_id, "contact": contact.id if contact is not None else None, "at": now,
              "kind": kind, "text": text, "percent": percent, "msgid": msgid or None}
    new_id = insert_ignore(Report, fields)
    if new_id is None:
        # Another transaction wrote it first; under MySQL's repeatable read only a locking read sees that row.
        existing = report_by_msgid(msgid) or (
            Report.select().where(Report.msgid == msgid).for_update().first() if msgid and backend() != "sqlite"
            else None)
        if existing is None:
            raise StoreError(f"report for assignment {assignment_id} was not recorded")
        return existing, False
    report = Report(id=new_id, **{**fields, "contact": contact})
    report.undone, report.undoes = False, None
    return report, True


_touch_query = Prepared(lambda now, assignment_id: (
    Assignment.update(last_report_at=now).where(Assignment.id == assignment_id)))
_state_query = Prepared(lambda assignment_id: (
    Assignment.select(Assignment.state).where(Assignment.id == assignment_id).tuples()))
_done_query = Prepared(lambda now, assignment_id: (
    Assignment.update(state="done", done_at=now, last_report_at=now).where(Assignment.id == assignment_id)))


def _id(assignment: Assignment | ChatItem | int) -> int:
    if isinstance(assignment, int):
        return assignment
    return assignment.assignment_id if isinstance(assignment, ChatItem) else assignment.id


def record_report(assignment: Assignment | ChatItem | int, contact: Contact | None, kind: str, text: str,
                  percent: int | None, msgid: str | None, now: dt.datetime) -> Report:
    """Add a report to an assignment's history; the same msgid again returns the first report, writing nothing."""
    with write_transaction():
        report, created = _insert_report(_id(assignment), contact, kind, text, percent, msgid, now)
        if created:
            _touch_query.execute(now, _id(assignment))
    return report


def mark_done(assignment: Assignment | ChatItem | int, contact: Contact | None, text: str, msgid: str | None,
              now: dt.datetime) -> Report:
    """The unit says it is done: state done, a 'done' report; a pending extension request is withdrawn."""
    aid = _id(assignment)
    with write_transaction():
        existing = _earlier_report(msgid)
        if existing is not None:
            return existing
        state = _state_query.tuples(aid)
        if not state:
            raise Assignment.DoesNotExist(f"assignment {aid} does not exist")
        if state[0][0] == "done":
            raise ChatDataError("already_done", f"assignment {aid} is already done")
        report, created = _insert_report(aid, contact, "done", text, None, msgid, now)
        if created:
            _done_query.execute(now, aid)
            _withdraw_pending(aid, now)
    return report


_withdraw_query = Prepared(lambda now, assignment_id: (
    Extension.update(state="withdrawn", decided_at=now)
    .where((Extension.assignment == assignment_id) & (Extension.state == "pending"))))


def _withdraw_pending(assignment_id: int, now: dt.datetime) -> int:
    return _withdraw_query.execute(now, assignment_id)[1].rowcount


@dataclass(slots=True)
class ExtensionRequest:
    extension: Extension | None
    report: Report
    created: bool  # False: this msgid was recorded before and nothing was written now
    replaced: list[int] = field(default_factory=list)  # ids of earlier pending requests this one replaces


def request_extension(assignment: Assignment | ChatItem | int, contact: Contact | None, new_due: dt.date,
                      reason: str, msgid: str | None, now: dt.datetime) -> ExtensionRequest:
    """A pending Extension, state 'extension_requested' and an 'extension' report; replaces an earlier pending one."""
    aid = _id(assignment)
    with write_transaction():
        existing = _earlier_report(msgid)
        if existing is not None:
            return ExtensionRequest(extension_of_report(existing), existing, False)
        current = Assignment.get_by_id(aid)
        if current.state == "done":
            raise ChatDataError("already_done", f"assignment {aid} is already done")
        text = f"延至{new_due.isoformat()}" + (f"：{reason}" if reason else "")
        report, created = _insert_report(aid, contact, "extension", text, None, msgid, now)
        if not created:
            return ExtensionRequest(extension_of_report(report), report, False)
        replaced = [
            e.id for e in Extension.select(Extension.id).where(
                (Extension.assignment == aid) & (Extension.state == "pending"))
        ]
        _withdraw_pending(aid, now)
        extension = Extension.create(assignment=aid, requested_by=contact, new_due=new_due, reason=reason,
                                     created_at=now)
        Assignment.update(state="extension_requested", last_report_at=now).where(Assignment.id == aid).execute()
    return ExtensionRequest(extension, report, True, replaced)


def extension_of_report(report: Report) -> Extension | None:
    """The extension an 'extension' report asked for: the newest from that contact on that assignment."""
    query = Extension.select().where((Extension.assignment == report.assignment_id) & (Extension.created_at <= report.at
                                     + dt.timedelta(seconds=1)))
    if report.contact_id:
        query = query.where(Extension.requested_by == report.contact_id)
    return query.order_by(Extension.id.desc()).first()


def get_extension(extension_id: int) -> Extension | None:
    return (
        Extension.select(Extension, Assignment, Unit, Task, Plan)
        .join(Assignment).join(Unit).switch(Assignment).join(Task).join(Plan)
        .where(Extension.id == extension_id).first()
    )


def decide_extension(extension_id: int, decider: Contact | str, approve: bool, note: str,
                     now: dt.datetime) -> Extension:
    """Approve (the assignment's due date becomes new_due) or reject (it keeps its date); either way it reopens.

    `decider` is the leader's contact, or a label such as "admin" when decided from the command line."""
    with write_transaction():
        extension = get_extension(extension_id)
        if extension is None:
            raise ChatDataError("no_extension", f"no extension request {extension_id}")
        if extension.state != "pending":
            raise ChatDataError("already_decided", f"extension {extension_id} is {extension.state}")
        changed = (
            Extension.update(state="approved" if approve else "rejected",
                             decided_by=(decider if isinstance(decider, str)
                                         else f"{decider.name}({decider.userid})")[:100],
                             decision_note=note, decided_at=now)
            .where((Extension.id == extension_id) & (Extension.state == "pending")).execute()
        )
        if not changed:  # decided by someone else a moment ago
            raise ChatDataError("already_decided", f"extension {extension_id} was just decided")
        if approve:  # recorded even when the unit finished meanwhile: the later date is the one agreed
            Assignment.update(due_override=extension.new_due).where(Assignment.id == extension.assignment_id).execute()
        (Assignment.update(state="open")
         .where((Assignment.id == extension.assignment_id) & (Assignment.state == "extension_requested")).execute())
    return get_extension(extension_id)


# --- undo -----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Undone:
    report: Report  # the report taken back
    reopened: bool  # a 'done' was taken back and the assignment is open again
    withdrawn: int | None  # the extension request withdrawn, if the report asked for one
    created: bool  # False: this msgid undid something before and nothing was written now


def undo_last_report(contact: Contact, now: dt.datetime, minutes: int, msgid: str | None) -> Undone:
    """Take back the contact's newest report if it is at most `minutes` old."""
    with write_transaction():
        previous = report_by_msgid(msgid)
        if previous is not None:
            if previous.kind != "undo":
                raise ChatDataError("msgid_used", f"message {msgid} already recorded a {previous.kind}")
            return Undone(undone_target(previous) or previous, False, None, False)
        last = (
            Report.select().where((Report.contact == contact) & (Report.undone == False)  # noqa: E712
                                  & Report.kind.in_(REPORT_KINDS_UNDOABLE))
            .order_by(Report.at.desc(), Report.id.desc()).first()
        )
        if last is None:
            raise ChatDataError("nothing_to_undo", "nothing to undo")
        if last.at < now - dt.timedelta(minutes=minutes):
            raise ChatDataError("too_late", f"the last report is older than {minutes} minutes")
        extension = extension_of_report(last) if last.kind == "extension" else None
        if extension is not None and extension.state in ("approved", "rejected"):
            raise ChatDataError("extension_decided", f"extension {extension.id} is already {extension.state}")
        undo, created = _insert_report(last.assignment_id, contact, "undo", f"{UNDO_PREFIX}{last.id}", None,
                                      msgid, now)
        if not created:
            return Undone(last, False, None, False)
        Report.update(undoes=last.id).where(Report.id == undo.id).execute()
        Report.update(undone=True).where(Report.id == last.id).execute()
        last.undone = True
        withdrawn = None
        if extension is not None and extension.state == "pending":
            Extension.update(state="withdrawn", decided_at=now).where(Extension.id == extension.id).execute()
            withdrawn = extension.id
        state = Assignment.get_by_id(last.assignment_id).state
        reopened = last.kind == "done" and state == "done"
        latest = (
            Report.select(Report.at)
            .where((Report.assignment == last.assignment_id) & (Report.undone == False)  # noqa: E712
                   & (Report.kind != "undo"))
            .order_by(Report.at.desc()).first()
        )
        changes: dict = {"last_report_at": latest.at if latest else None}
        if reopened:
            changes.update(state="open", done_at=None)
        elif withdrawn and state == "extension_requested":
            changes["state"] = "open"
        Assignment.update(**changes).where(Assignment.id == last.assignment_id).execute()
    return Undone(last, reopened, withdrawn, True)


def undone_target(undo: Report) -> Report | None:
    """The report an 'undo' report took back."""
    if undo.kind != "undo" or undo.undoes_id is None:
        return None
    return Report.get_or_none(Report.id == undo.undoes_id)


def list_extensions(state: str | None = "pending") -> list[dict]:
    """Extension requests for the admin, newest first."""
    query = (
        Extension.select(Extension, Assignment, Unit, Task, Plan)
        .join(Assignment).join(Unit).switch(Assignment).join(Task).join(Plan)
        .order_by(Extension.id.desc())
    )
    if state:
        query = query.where(Extension.state == state)
    return [
        {"id": e.id, "plan": e.assignment.task.plan.code, "seq": e.assignment.task.seq, "unit": e.assignment.unit.name,
         "new_due": e.new_due.isoformat(), "reason": e.reason, "state": e.state, "decided_by": e.decided_by,
         "requested_by": e.requested_by.name if e.requested_by_id else None}
        for e in query
    ]
