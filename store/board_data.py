"""What the status board (web/) shows: who is looking, and the plan's items as rows, from the digest's facts.

Statuses of an assignment on local date `today` build on store.digest_data (the digest's and 台账's rules):
  done         its state is 'done'
  overdue      not done, its effective due date is before today
  progress     not done, not overdue, and the unit has reported on it (推进中)
  not_started  not done, not overdue, never reported (未启动)
A task is done when all its assignments are, overdue when any is, in progress when any has a report or is
done, else not started.

Who sees what: the admins ([web] admins), unit leaders (contacts with role leader) and members of a leader
group sent as app messages see every active plan; a liaison sees the units they act for today (their own and
those whose away liaison named them delegate); anyone else sees nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import peewee as pw

from store.board_cache import cached
from store.chatdata import find_actor
from store.digest_data import Fact, TaskInfo, WorkingDays, calendar_days, load_facts, plans_in_scope
from store.evidence import EvidenceInfo, evidence_by_assignment, evidence_count, get_evidence
from store.models import (
    ROLES,
    Assignment,
    Contact,
    Deadline,
    Extension,
    LeaderGroup,
    Outbox,
    Plan,
    ReminderLog,
    Report,
    Task,
    Unit,
)
from store.scorecard_data import UnitScore, scorecard

STATUSES = ("done", "progress", "not_started", "overdue")
STATUS_LABELS = {"done": "已完成", "progress": "推进中", "not_started": "未启动", "overdue": "逾期"}


# --- who is looking ---------------------------------------------------------------------------------------------


@dataclass
class Viewer:
    userid: str  # '' for a digest link
    name: str
    kind: str  # admin | leader | liaison | group
    unit_ids: list[int] = field(default_factory=list)  # a liaison's units; empty for the others
    plan_id: int | None = None  # a digest link: the group's plan (None: every active plan)

    @property
    def sees_all(self) -> bool:
        return self.kind != "liaison"

    def may_see_unit(self, unit_id: int) -> bool:
        return self.sees_all or unit_id in self.unit_ids


def app_group_members() -> set[str]:
    """Userids of leader groups that are reached by app message (a list of userids)."""
    members: set[str] = set()
    for (target,) in LeaderGroup.select(LeaderGroup.target).where(LeaderGroup.channel == "app").tuples():
        members.update(u for u in target.split("|") if u)
    return members


def board_viewer(userid: str, admins: Iterable[str], today: dt.date) -> Viewer | None:
    """Who `userid` is to the board, or None: not an admin, not an active contact, not in a leader group."""
    userid = (userid or "").strip()
    if not userid or len(userid) > 64:
        return None
    actor = find_actor(userid, today)
    name = actor.contact.name if actor else userid
    if userid in set(admins):
        return Viewer(userid, name, "admin")
    if actor is not None and actor.is_leader:
        return Viewer(userid, name, "leader")
    if userid in app_group_members():
        return Viewer(userid, name, "leader")
    if actor is not None:
        return Viewer(userid, name, "liaison", list(actor.unit_ids))
    return None


def group_viewer(group: LeaderGroup) -> Viewer:
    return Viewer("", group.name, "group", plan_id=group.plan_id)


# --- plans and facts --------------------------------------------------------------------------------------------


def board_plans(viewer: Viewer, code: str | None = None) -> list[Plan]:
    """The active plans the viewer may look at (a digest link: its group's), optionally only the one `code`."""
    plans = plans_in_scope(viewer.plan_id if viewer.kind == "group" else None)
    if code:
        plans = [p for p in plans if p.code == code]
    return plans


@dataclass(slots=True)
class Row:
    """One assignment as the board shows it."""

    fact: Fact
    status: str
    plan_code: str
    last_report_at: dt.datetime | None

    @property
    def task(self) -> TaskInfo:
        return self.fact.task


def load_rows(plans: list[Plan], today: dt.date, unit_ids: Iterable[int] | None = None) -> list[Row]:
    """Every assignment of these plans (of these units only, when given), in plan and task order."""
    ids = tuple(sorted(p.id for p in plans))
    if not ids:
        return []
    rows = cached("rows", (ids, today), lambda: _compute_rows(plans, today))
    if unit_ids is None:
        return rows
    only = set(unit_ids)
    return [r for r in rows if r.fact.unit_id in only]


def _compute_rows(plans: list[Plan], today: dt.date) -> list[Row]:
    ids = [p.id for p in plans]
    codes = {p.id: p.code for p in plans}
    _, facts = load_facts(ids, today)
    reported = dict(Assignment.select(Assignment.id, Assignment.last_report_at).join(Task)
                    .where(Task.plan.in_(ids) & Assignment.last_report_at.is_null(False)).tuples())
    rows = []
    for f in facts:
        status = f.status(today)
        if status == "open":
            status = "progress" if f.id in reported else "not_started"
        rows.append(Row(f, status, codes[f.task.plan_id], reported.get(f.id)))
    return rows


def viewer_rows(viewer: Viewer, plans: list[Plan], today: dt.date) -> list[Row]:
    return load_rows(plans, today, None if viewer.sees_all else viewer.unit_ids)


def task_status(statuses: list[str]) -> str:
    if statuses and all(s == "done" for s in statuses):
        return "done"
    if "overdue" in statuses:
        return "overdue"
    if any(s in ("progress", "done") for s in statuses):
        return "progress"
    return "not_started"


# --- the overview -----------------------------------------------------------------------------------------------


@dataclass
class UnitBar:
    unit_id: int
    unit: str
    counts: dict[str, int]  # by status
    worst_days: int = 0  # the longest an item of this unit is overdue, calendar days

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Overview:
    tasks: dict[str, int]  # tasks by status
    assignments: dict[str, int]  # assignments by status
    bars: list[UnitBar]  # the status chart: most overdue first
    behind: list[UnitBar]  # units furthest behind (with overdue items)
    due_soon: list[Row]  # open items due from today to `soon_end`
    soon_end: dt.date


def unit_bars(rows: list[Row], today: dt.date) -> list[UnitBar]:
    bars: dict[int, UnitBar] = {}
    for r in rows:
        bar = bars.get(r.fact.unit_id)
        if bar is None:
            bar = bars[r.fact.unit_id] = UnitBar(r.fact.unit_id, r.fact.unit, dict.fromkeys(STATUSES, 0))
        bar.counts[r.status] += 1
        if r.status == "overdue":
            bar.worst_days = max(bar.worst_days, (today - r.fact.due).days)
    return sorted(bars.values(), key=lambda b: (-b.counts["overdue"], -b.worst_days, -b.total, b.unit))


def overview(rows: list[Row], today: dt.date, soon_end: dt.date, behind: int = 10, due_soon: int = 50) -> Overview:
    """Counts, the chart, the units furthest behind and what falls due by `soon_end` (included)."""
    assignments = dict.fromkeys(STATUSES, 0)
    by_task: dict[int, list[str]] = defaultdict(list)
    soon = []
    for r in rows:
        assignments[r.status] += 1
        by_task[r.task.id].append(r.status)
        if r.status in ("progress", "not_started") and r.fact.due is not None and today <= r.fact.due <= soon_end:
            soon.append(r)
    tasks = dict.fromkeys(STATUSES, 0)
    for statuses in by_task.values():
        tasks[task_status(statuses)] += 1
    bars = unit_bars(rows, today)
    soon.sort(key=lambda r: (r.fact.due, r.plan_code, r.task.seq, r.fact.unit))
    return Overview(tasks, assignments, bars, [b for b in bars if b.counts["overdue"]][:behind], soon[:due_soon],
                    soon_end)


# --- units ------------------------------------------------------------------------------------------------------


@dataclass
class UnitLine:
    bar: UnitBar
    score: UnitScore | None


def units_table(rows: list[Row], plans: list[Plan], today: dt.date,
                working_days: WorkingDays = calendar_days) -> list[UnitLine]:
    """Each unit's counts and its scorecard over the plans' period (issue date, else 1 January, to today)."""
    bars = unit_bars(rows, today)
    if not plans:
        return []
    start = min(p.issued_on or dt.date(p.year, 1, 1) for p in plans)
    wanted = {b.unit for b in bars}
    ids = tuple(sorted(p.id for p in plans))
    every = cached("scorecard", (ids, start, today), lambda: scorecard(
        ids, start, today, today, working_days, [r.fact for r in load_rows(plans, today)]))
    scores = {s.unit: s for s in every if s.unit in wanted}
    return [UnitLine(b, scores.get(b.unit)) for b in bars]


def get_unit_name(unit_id: int) -> str | None:
    return Unit.select(Unit.name).where(Unit.id == unit_id).scalar()


def latest_progress(assignment_ids: list[int]) -> dict[int, Report]:
    """The latest report that stands (not undone, not an undo) of each assignment."""
    out: dict[int, Report] = {}
    for start in range(0, len(assignment_ids), 500):
        chunk = assignment_ids[start:start + 500]
        query = (Report.select(Report.assignment, Report.at, Report.kind, Report.text, Report.percent)
                 .where(Report.assignment.in_(chunk) & (Report.undone == False) & (Report.kind != "undo"))  # noqa: E712
                 .order_by(Report.at, Report.id))
        for report in query:
            out[report.assignment_id] = report
    return out


def count_evidence(assignment_ids: list[int]) -> dict[int, int]:
    return evidence_count(assignment_ids)


# --- search -----------------------------------------------------------------------------------------------------


def parse_seq(query: str, codes: Iterable[str]) -> tuple[str | None, int] | None:
    """"24" → (None, 24); "A24" / "a 24" → ("A", 24) when A is a plan code; None when not a 序号."""
    text = query.strip().replace(" ", "")
    if text.isdigit() and len(text) < 7:
        return None, int(text)
    for code in sorted(codes, key=len, reverse=True):
        rest = text[len(code):]
        if text.upper().startswith(code.upper()) and rest.isdigit() and len(rest) < 7:
            return code, int(rest)
    return None


def search_rows(rows: list[Row], query: str = "", unit_id: int | None = None, status: str | None = None) -> list[Row]:
    """Rows matching a 序号 (24, A24) or words (every word in the task's text or the unit), a unit, a status."""
    out = rows
    if unit_id is not None:
        out = [r for r in out if r.fact.unit_id == unit_id]
    if status in STATUSES:
        out = [r for r in out if r.status == status]
    query = query.strip()
    if not query:
        return out
    seq = parse_seq(query, {r.plan_code for r in rows})
    if seq is not None:
        code, number = seq
        return [r for r in out if r.task.seq == number and (code is None or r.plan_code == code)]
    words = query.split()
    return [r for r in out if all(w in r.task.requirement or w in r.task.subcategory or w in r.task.category
                                  or w in r.fact.unit for w in words)]


# --- one item ---------------------------------------------------------------------------------------------------


@dataclass
class Event:
    at: dt.datetime  # naive UTC
    kind: str  # reminder | report | extension | decision | evidence
    unit: str
    text: str
    evidence: EvidenceInfo | None = None


@dataclass
class ItemPage:
    plan: Plan
    task: Task
    deadlines: list[Deadline]
    rows: list[Row]  # its assignments the viewer may see, strongest role first
    events: list[Event]  # newest first


def find_task(plan: Plan, seq: int) -> Task | None:
    return Task.get_or_none((Task.plan == plan.id) & (Task.seq == seq))


def item_page(plan: Plan, task: Task, viewer: Viewer, today: dt.date) -> ItemPage | None:
    """The item with the history of the assignments the viewer may see; None when they may see none."""
    rows = [r for r in load_rows([plan], today, None if viewer.sees_all else viewer.unit_ids) if r.task.id == task.id]
    if not rows:
        return None
    rows.sort(key=lambda r: (ROLES.index(r.fact.role) if r.fact.role in ROLES else 9, r.fact.unit))
    ids = [r.fact.id for r in rows]
    unit_of = {r.fact.id: r.fact.unit for r in rows}
    return ItemPage(plan, task, list(task.deadlines.order_by(Deadline.position)), rows,
                    item_events(ids, unit_of))


REPORT_WORDS = {"progress": "报告进展", "done": "报告完成", "extension": "申请延期", "undo": "撤回", "reopen": "重新打开",
                "admin": "管理员记录"}


def item_events(assignment_ids: list[int], unit_of: dict[int, str]) -> list[Event]:
    """Reminders sent, reports, extensions asked and decided, and evidence of these assignments."""
    events: list[Event] = []
    reminders = (ReminderLog.select(ReminderLog.assignment, ReminderLog.stage, ReminderLog.sent_on, Outbox.sent_at,
                                    Outbox.created_at)
                 .join(Outbox, pw.JOIN.LEFT_OUTER, on=(ReminderLog.outbox == Outbox.id))
                 .where(ReminderLog.assignment.in_(assignment_ids)).tuples())
    for aid, stage, sent_on, sent_at, queued in reminders:
        when = sent_at or queued or dt.datetime.combine(sent_on, dt.time())
        events.append(Event(when, "reminder", unit_of[aid], stage))
    reports = (Report.select(Report, Contact.name.alias("who"))
               .join(Contact, pw.JOIN.LEFT_OUTER, on=(Report.contact == Contact.id))
               .where(Report.assignment.in_(assignment_ids)).objects())
    for r in reports:
        words = REPORT_WORDS.get(r.kind, r.kind)
        percent = f"（{r.percent}%）" if r.percent is not None else ""
        undone = "（已撤回）" if r.undone else ""
        who = f"{r.who}：" if r.who else ""
        events.append(Event(r.at, "report", unit_of[r.assignment_id], f"{who}{words}{percent} {r.text}{undone}".strip()))
    for e in Extension.select().where(Extension.assignment.in_(assignment_ids)):
        reason = f"，理由：{e.reason}" if e.reason else ""
        events.append(Event(e.created_at, "extension", unit_of[e.assignment_id],
                            f"申请延期至{e.new_due.isoformat()}{reason}"))
        if e.decided_at is not None:
            verdict = {"approved": "同意延期", "rejected": "不同意延期"}.get(e.state, e.state)
            note = f"：{e.decision_note}" if e.decision_note else ""
            by = f"（{e.decided_by}）" if e.decided_by else ""
            events.append(Event(e.decided_at, "decision", unit_of[e.assignment_id],
                                f"{verdict}至{e.new_due.isoformat()}{by}{note}"))
    for aid, files in evidence_by_assignment(assignment_ids).items():
        for info in files:
            events.append(Event(info.sent_at, "evidence", unit_of[aid], f"{info.sender_name}：{info.filename}", info))
    order = {"reminder": 0, "extension": 1, "decision": 2, "report": 3, "evidence": 4}
    events.sort(key=lambda e: (e.at, order[e.kind]), reverse=True)
    return events


def evidence_for_viewer(evidence_id: int, viewer: Viewer) -> tuple[EvidenceInfo, Task] | None:
    """An evidence record and its task when the viewer may see the item's unit and its plan is active."""
    info = get_evidence(evidence_id)
    if info is None:
        return None
    row = (Assignment.select(Assignment.unit, Task.id, Plan.active).join(Task).join(Plan)
           .where(Assignment.id == info.assignment_id).tuples().first())
    if row is None or not row[2] or not viewer.may_see_unit(row[0]):
        return None
    return info, Task.get_by_id(row[1])
