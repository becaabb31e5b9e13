"""Figures for the weekly digest, the 台账 export and the status chart: plain rows, a handful of queries per plan.

Statuses of an assignment on a local date `today` (the same rules as store.tasks):
  done      its state is 'done'
  overdue   not done and its effective due date (an approved extension, else the task's earliest dated
            deadline) is before today
  on track  not done, due today or later, or with no due date at all
  due soon  on track with a due date from today to today + `due_soon_days` (a subset of on track)
A task is done when all its assignments are, overdue when any is, due soon when it is neither and one of its
assignments is due soon.

Working days are counted by a `working_days(a, b)` callable the caller passes in (jobs' WorkCalendar
`working_days_between`: working days in (a, b]); store does not know the calendar. The default counts
calendar days. The unit scorecard lives in store/scorecard_data.py.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import peewee as pw

from store.clock import clock
from store.db import backend, database
from store.due import effective_due
from store.evidence import evidence_by_assignment, evidence_count
from store.models import (
    ROLES,
    Assignment,
    Contact,
    Deadline,
    DigestLog,
    LeaderGroup,
    Outbox,
    Plan,
    ReminderLog,
    Report,
    Task,
    Unit,
    UnitGroup,
    UnresolvedUnit,
)

WorkingDays = Callable[[dt.date, dt.date], int]
REPLY_WINDOW_WORKING_DAYS = 2  # a reminder not answered within this many working days makes a unit "silent"
CHECKIN_KINDS = ("year_round", "ongoing")  # deadlines that ask for progress every month


def calendar_days(start: dt.date, end: dt.date) -> int:
    return (end - start).days


def local_date(stored: dt.datetime | None) -> dt.date | None:
    return clock.to_local(stored).date() if stored is not None else None


def local_midnight_utc(day: dt.date) -> dt.datetime:
    """The stored (naive UTC) instant at which local `day` begins."""
    return clock.to_utc(day).replace(tzinfo=None)


# --- facts: one row per task and per assignment ----------------------------------------------------------------


@dataclass(slots=True)
class TaskInfo:
    id: int
    plan_id: int
    seq: int
    category: str
    subcategory: str
    requirement: str
    units_raw: str
    deadline_raw: str
    deadlines: list[Deadline] = field(default_factory=list)  # by position
    sub: int = 0  # sub-row of the task (4-2)

    @property
    def kinds(self) -> set[str]:
        return {d.kind for d in self.deadlines}


@dataclass(slots=True)
class Fact:
    """An assignment with what the figures need, its task's strings shared through `task`."""

    id: int
    task: TaskInfo
    unit_id: int
    unit: str
    role: str
    via_group: str | None
    state: str
    due: dt.date | None
    done_at: dt.datetime | None
    done_on: dt.date | None

    def status(self, today: dt.date) -> str:
        if self.state == "done":
            return "done"
        if self.due is not None and self.due < today:
            return "overdue"
        return "open"


def load_facts(plan_ids: Iterable[int], today: dt.date | None = None) -> tuple[dict[int, TaskInfo], list[Fact]]:
    """Tasks and assignments of these plans, in plan and task order; due dates as of `today`."""
    today = today or clock.today()
    plan_ids = list(plan_ids)
    if not plan_ids:
        return {}, []
    tasks: dict[int, TaskInfo] = {}
    query = (Task.select(Task.id, Task.plan, Task.seq, Task.category, Task.subcategory, Task.requirement,
                         Task.units_raw, Task.deadline_raw, Task.sub)
             .where(Task.plan.in_(plan_ids)).order_by(Task.plan, Task.seq, Task.sub).tuples())
    for row in query:
        tasks[row[0]] = TaskInfo(*row[:-1], sub=row[-1])
    deadlines = (Deadline.select(Deadline.task, Deadline.kind, Deadline.due, Deadline.recurrence,
                                 Deadline.day_of_period).join(Task)
                 .where(Task.plan.in_(plan_ids)).order_by(Deadline.task, Deadline.position))
    for d in deadlines:
        tasks[d.task_id].deadlines.append(d)
    groups = {gid: name for gid, name in UnitGroup.select(UnitGroup.id, UnitGroup.name).tuples()}
    earliest = {tid: effective_due(None, t.deadlines, today)[0] for tid, t in tasks.items()}
    facts = []
    query = (Assignment.select(Assignment.id, Assignment.task, Assignment.unit, Unit.name, Assignment.role,
                               Assignment.via_group, Assignment.state, Assignment.due_override, Assignment.done_at)
             .join(Unit).switch(Assignment).join(Task).where(Task.plan.in_(plan_ids))
             .order_by(Task.plan, Task.seq, Assignment.id).tuples())
    done_days: dict[dt.datetime, dt.date] = {}
    for aid, task_id, unit_id, unit, role, via, state, override, done_at in query:
        done_on = None
        if done_at is not None:
            done_on = done_days.get(done_at) or done_days.setdefault(done_at, local_date(done_at))
        facts.append(Fact(aid, tasks[task_id], unit_id, unit, role, groups.get(via), state,
                          override or earliest[task_id], done_at, done_on))  # the override is effective_due's first rule
    return tasks, facts


def plans_in_scope(plan_id: int | None) -> list[Plan]:
    """A leader group's plans: its own plan while active, else every active plan."""
    query = Plan.select().where(Plan.active == True).order_by(Plan.id)  # noqa: E712
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    return list(query)


# --- reminders and their replies -------------------------------------------------------------------------------


@dataclass(slots=True)
class ReminderFact:
    id: int
    assignment_id: int
    unit_id: int
    unit: str
    stage: str
    sent_on: dt.date
    sent_at: dt.datetime  # naive UTC: the outbox row's send time, else its queue time, else local midnight
    reply_at: dt.datetime | None  # the first report on the assignment at or after sent_at


def load_reminders(plan_ids: Iterable[int]) -> list[ReminderFact]:
    """Every reminder logged for assignments of these plans, with the first report that followed it."""
    plan_ids = list(plan_ids)
    if not plan_ids:
        return []
    replies: dict[int, list[dt.datetime]] = defaultdict(list)
    reports = (Report.select(Report.assignment, Report.at).join(Assignment).join(Task)
               .where(Task.plan.in_(plan_ids)).order_by(Report.at).tuples())
    for assignment_id, at in reports:
        replies[assignment_id].append(at)
    query = (ReminderLog.select(ReminderLog.id, ReminderLog.assignment, Assignment.unit, Unit.name, ReminderLog.stage,
                                ReminderLog.sent_on, Outbox.sent_at, Outbox.created_at)
             .join(Assignment).join(Unit).switch(Assignment).join(Task)
             .switch(ReminderLog).join(Outbox, pw.JOIN.LEFT_OUTER, on=(ReminderLog.outbox == Outbox.id))
             .where(Task.plan.in_(plan_ids)).order_by(ReminderLog.sent_on, ReminderLog.id).tuples())
    out = []
    for rid, aid, unit_id, unit, stage, sent_on, sent_at, queued_at in query:
        when = sent_at or queued_at or local_midnight_utc(sent_on)
        times = replies.get(aid, [])
        k = bisect_left(times, when)
        out.append(ReminderFact(rid, aid, unit_id, unit, stage, sent_on, when, times[k] if k < len(times) else None))
    return out


# --- the digest's figures --------------------------------------------------------------------------------------


@dataclass(slots=True)
class OverdueItem:
    seq: int
    subcategory: str
    requirement: str
    unit: str
    due: dt.date
    days: int  # calendar days past due
    working_days: int


@dataclass(slots=True)
class UnitOverdue:
    unit: str
    items: list[OverdueItem]  # most overdue first

    @property
    def worst(self) -> int:
        return self.items[0].working_days if self.items else 0


@dataclass(slots=True)
class DueSoonTask:
    seq: int
    subcategory: str
    requirement: str
    due: dt.date  # the earliest due date among its units that are due soon
    units: list[str]


@dataclass(slots=True)
class Completed:
    seq: int
    subcategory: str
    requirement: str
    unit: str
    done_at: dt.datetime  # naive UTC
    evidence: int = 0  # 佐证材料 files; 0 = done on trust


@dataclass(slots=True)
class UnitCount:
    unit: str
    count: int
    seqs: list[int]


@dataclass(slots=True)
class SilentUnit:
    unit: str
    reminders: int  # reminders unanswered for more than REPLY_WINDOW_WORKING_DAYS working days
    oldest: dt.date  # the day the oldest of them was sent
    seqs: list[int]


@dataclass
class PlanFigures:
    plan_id: int
    code: str
    title: str
    today: dt.date
    since: dt.datetime | None
    due_soon_days: int
    tasks: int = 0
    tasks_done: int = 0
    tasks_overdue: int = 0
    tasks_due_soon: int = 0
    assignments: int = 0
    done: int = 0
    on_track: int = 0
    due_soon: int = 0
    overdue: int = 0
    overdue_by_unit: list[UnitOverdue] = field(default_factory=list)
    due_soon_tasks: list[DueSoonTask] = field(default_factory=list)
    completed_since: list[Completed] = field(default_factory=list)
    unreported_this_month: list[UnitCount] = field(default_factory=list)  # year-round / ongoing, no report
    silent_units: list[SilentUnit] = field(default_factory=list)
    no_contact_units: list[str] = field(default_factory=list)  # open items, nobody reachable (无联络员)
    with_evidence: int = 0  # assignments with at least one 佐证材料 file
    done_without_evidence: int = 0  # done, no file: "done on trust"

    def as_dict(self) -> dict:
        data = asdict(self)
        for item in data["completed_since"]:
            item["done_at"] = clock.to_local(item["done_at"]).strftime("%Y-%m-%d %H:%M")
        data["since"] = clock.to_local(self.since).strftime("%Y-%m-%d %H:%M") if self.since else None
        return data


def plan_figures(plan: Plan, today: dt.date, *, due_soon_days: int = 14, since: dt.datetime | None = None,
                 working_days: WorkingDays = calendar_days) -> PlanFigures:
    """Everything a digest says about one plan on local date `today`; `since` (naive UTC) bounds "completed"."""
    tasks, facts = load_facts([plan.id], today)
    fig = PlanFigures(plan.id, plan.code, plan.title, today, since, due_soon_days, tasks=len(tasks),
                      assignments=len(facts))
    soon_end = today + dt.timedelta(days=due_soon_days)
    by_task: dict[int, list[Fact]] = defaultdict(list)
    late: dict[str, list[OverdueItem]] = defaultdict(list)
    counted: dict[dt.date, int] = {}
    files = evidence_count(f.id for f in facts)
    fig.with_evidence = len(files)
    for f in facts:
        by_task[f.task.id].append(f)
        status = f.status(today)
        if status == "done":
            fig.done += 1
            fig.done_without_evidence += f.id not in files
            if since is not None and f.done_at is not None and f.done_at >= since:
                fig.completed_since.append(Completed(f.task.seq, f.task.subcategory, f.task.requirement, f.unit,
                                                     f.done_at, files.get(f.id, 0)))
        elif status == "overdue":
            fig.overdue += 1
            if f.due not in counted:
                counted[f.due] = working_days(f.due, today)
            late[f.unit].append(OverdueItem(f.task.seq, f.task.subcategory, f.task.requirement, f.unit, f.due,
                                            (today - f.due).days, counted[f.due]))
        else:
            fig.on_track += 1
            if f.due is not None and f.due <= soon_end:
                fig.due_soon += 1
    for task_id, task in tasks.items():
        mine = by_task.get(task_id, [])
        states = [f.status(today) for f in mine]
        if mine and all(s == "done" for s in states):
            fig.tasks_done += 1
        elif "overdue" in states:
            fig.tasks_overdue += 1
        else:
            soon = [f for f, s in zip(mine, states, strict=True)
                    if s == "open" and f.due is not None and f.due <= soon_end]
            if soon:
                fig.tasks_due_soon += 1
                due = min(f.due for f in soon)
                fig.due_soon_tasks.append(DueSoonTask(task.seq, task.subcategory, task.requirement, due,
                                                      [f.unit for f in soon]))
    for items in late.values():
        items.sort(key=lambda i: (-i.days, i.seq))
    fig.overdue_by_unit = sorted((UnitOverdue(unit, items) for unit, items in late.items()),
                                 key=lambda u: (-u.items[0].days, -len(u.items), u.unit))
    fig.due_soon_tasks.sort(key=lambda t: (t.due, t.seq))
    fig.completed_since.sort(key=lambda c: (c.done_at, c.seq, c.unit))
    fig.unreported_this_month = _unreported_this_month(plan, facts, today)
    fig.silent_units = silent_units([plan.id], today, working_days, facts)
    fig.no_contact_units = units_without_contact(facts)
    return fig


def _unreported_this_month(plan: Plan, facts: list[Fact], today: dt.date) -> list[UnitCount]:
    """Open year-round and ongoing items with no report since the month began (none in the plan's first month)."""
    month_start = today.replace(day=1)
    if plan.issued_on is not None and plan.issued_on >= month_start:
        return []
    candidates = [f for f in facts if f.status(today) == "open" and f.task.kinds & set(CHECKIN_KINDS)]
    if not candidates:
        return []
    reported = {aid for (aid,) in Report.select(Report.assignment).join(Assignment).join(Task)
                .where((Task.plan == plan.id) & (Report.at >= local_midnight_utc(month_start))).tuples()}
    by_unit: dict[str, list[int]] = defaultdict(list)
    for f in candidates:
        if f.id not in reported:
            by_unit[f.unit].append(f.task.seq)
    return sorted((UnitCount(unit, len(seqs), sorted(seqs)) for unit, seqs in by_unit.items()),
                  key=lambda u: (-u.count, u.unit))


def silent_units(plan_ids: list[int], today: dt.date, working_days: WorkingDays,
                 facts: list[Fact] | None = None) -> list[SilentUnit]:
    """Units with a reminder on a still-open item that no report followed within the reply window."""
    if facts is None:
        facts = load_facts(plan_ids, today)[1]
    open_ids = {f.id for f in facts if f.state != "done"}
    seq_of = {f.id: f.task.seq for f in facts}
    by_unit: dict[str, list[ReminderFact]] = defaultdict(list)
    ages: dict[dt.date, int] = {}
    for r in load_reminders(plan_ids):
        if r.reply_at is not None or r.assignment_id not in open_ids:
            continue
        if r.sent_on not in ages:
            ages[r.sent_on] = working_days(r.sent_on, today)
        if ages[r.sent_on] > REPLY_WINDOW_WORKING_DAYS:
            by_unit[r.unit].append(r)
    out = []
    for unit, rows in by_unit.items():
        seqs = sorted({seq_of[r.assignment_id] for r in rows})
        out.append(SilentUnit(unit, len(rows), min(r.sent_on for r in rows), seqs))
    return sorted(out, key=lambda s: (s.oldest, -s.reminders, s.unit))


def units_without_contact(facts: list[Fact]) -> list[str]:
    """Units with an item not done and no active contact WeCom can reach (liaison or leader)."""
    units = {f.unit_id: f.unit for f in facts if f.state != "done"}
    if not units:
        return []
    reachable = {uid for (uid,) in Contact.select(Contact.unit).where(
        (Contact.active == True) & Contact.problem.is_null()).tuples()}  # noqa: E712
    return sorted(name for uid, name in units.items() if uid not in reachable)


# --- leader groups and the digest log --------------------------------------------------------------------------


def leader_groups(names: Iterable[str] | None = None) -> list[LeaderGroup]:
    query = LeaderGroup.select().order_by(LeaderGroup.id)
    if names is not None:
        query = query.where(LeaderGroup.name.in_(list(names)))
    return list(query)


def last_digest_at(group_id: int) -> dt.datetime | None:
    """When the group's last digest was logged (naive UTC), or None."""
    return DigestLog.select(pw.fn.MAX(DigestLog.sent_at)).where(DigestLog.group == group_id).scalar()


def digest_logged(group_id: int, week: str) -> bool:
    return DigestLog.select().where((DigestLog.group == group_id) & (DigestLog.week == week)).exists()


def claim_digest(group_id: int, week: str, sent_at: dt.datetime) -> bool:
    """Log the group's digest for `week`; False when it already was (another process, an earlier run).

    Call inside the transaction that also enqueues the digest. INSERT … ON CONFLICT DO NOTHING / INSERT IGNORE
    waits for a concurrent insert of the same key to commit, then does nothing, and never aborts the
    surrounding PostgreSQL transaction.
    """
    query = DigestLog.insert(group=group_id, week=week, sent_at=sent_at).on_conflict_ignore()
    if backend() == "postgresql":
        return query.execute() is not None  # RETURNING id: None when the row existed
    return database.execute(query).rowcount == 1


# --- the 台账 (ledger) and the status chart ---------------------------------------------------------------------


@dataclass(slots=True)
class UnitStatus:
    unit: str
    role: str
    via_group: str | None
    state: str  # open | done | extension_requested
    status: str  # open | done | overdue on the day
    due: dt.date | None
    done_on: dt.date | None
    days_overdue: int


@dataclass(slots=True)
class LedgerRow:
    plan_code: str
    seq: int
    category: str
    subcategory: str
    requirement: str
    units_raw: str
    deadline_raw: str
    units: list[UnitStatus]
    unresolved: list[str]
    last_progress: str | None
    last_progress_unit: str | None
    last_progress_on: dt.date | None
    completed_on: dt.date | None  # when every unit is done: the last of their completion days
    sub: int = 0  # sub-row of the task (4-2)
    evidence: list[str] = field(default_factory=list)  # 佐证材料: "区财政局：发布截图.jpg"

    @property
    def seq_label(self) -> int | str:
        return f"{self.seq}-{self.sub}" if self.sub else self.seq

    @property
    def overdue(self) -> bool:
        return any(u.status == "overdue" for u in self.units)


def ledger_rows(plan: Plan, today: dt.date) -> list[LedgerRow]:
    """One row per task as offices keep their 台账, statuses as of local date `today`."""
    tasks, facts = load_facts([plan.id], today)
    by_task: dict[int, list[Fact]] = defaultdict(list)
    for f in facts:
        by_task[f.task.id].append(f)
    unresolved: dict[int, list[str]] = defaultdict(list)
    for task_id, phrase in (UnresolvedUnit.select(UnresolvedUnit.task, UnresolvedUnit.phrase).join(Task)
                            .where(Task.plan == plan.id).order_by(UnresolvedUnit.id).tuples()):
        unresolved[task_id].append(phrase)
    latest: dict[int, tuple[dt.datetime, str, str]] = {}
    reports = (Report.select(Assignment.task, Report.at, Report.text, Unit.name).join(Assignment).join(Unit)
               .switch(Assignment).join(Task)
               .where((Task.plan == plan.id) & (Report.undone == False) & (Report.kind != "undo"))  # noqa: E712
               .order_by(Report.at, Report.id).tuples())
    for task_id, at, text, unit in reports:
        if text and text.strip() and text != "(admin)":  # the latest note someone wrote, not an empty report
            latest[task_id] = (at, text, unit)
    evidence = evidence_by_assignment(f.id for f in facts)
    rows = []
    for task_id, task in tasks.items():
        mine = sorted(by_task.get(task_id, []), key=lambda f: (ROLES.index(f.role) if f.role in ROLES else 9, f.unit))
        units = [UnitStatus(f.unit, f.role, f.via_group, f.state, f.status(today), f.due, f.done_on,
                            (today - f.due).days if f.status(today) == "overdue" else 0) for f in mine]
        last = latest.get(task_id)
        done_days = [f.done_on for f in mine]
        completed = max(done_days) if mine and all(f.state == "done" for f in mine) and all(done_days) else None
        files = [f"{f.unit}：{e.filename}" for f in mine for e in evidence.get(f.id, [])]
        rows.append(LedgerRow(plan.code, task.seq, task.category, task.subcategory, task.requirement, task.units_raw,
                              task.deadline_raw, units, unresolved.get(task_id, []), last[1] if last else None,
                              last[2] if last else None, local_date(last[0]) if last else None, completed,
                              task.sub, files))
    return rows


def unit_status_counts(plan_ids: list[int], today: dt.date) -> list[tuple[str, int, int, int]]:
    """(unit, done, on track, overdue) per unit, most overdue first."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    index = {"done": 0, "open": 1, "overdue": 2}
    for f in load_facts(plan_ids, today)[1]:
        counts[f.unit][index[f.status(today)]] += 1
    return sorted(((u, *c) for u, c in counts.items()), key=lambda r: (-r[3], -(r[1] + r[2] + r[3]), r[0]))
