"""What leaders ask chat for: per-plan progress counts and the extension requests waiting for them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from store.chatdata import deadlines_by_task, effective_due
from store.models import Assignment, Extension, Plan, Task, Unit


def pending_extensions(unit_ids: list[int]) -> list[Extension]:
    if not unit_ids:
        return []
    return list(
        Extension.select(Extension, Assignment, Unit, Task, Plan)
        .join(Assignment).join(Unit).switch(Assignment).join(Task).join(Plan)
        .where((Extension.state == "pending") & Assignment.unit.in_(unit_ids) & (Plan.active == True))  # noqa: E712
        .order_by(Extension.id)
    )


@dataclass(slots=True)
class Counts:
    total: int = 0
    done: int = 0
    overdue: int = 0  # not done and past the effective due date
    pending: int = 0  # extension requested, not yet decided

    @property
    def open(self) -> int:
        return self.total - self.done


@dataclass(slots=True)
class PlanSummary:
    code: str
    title: str
    tasks: int
    all: Counts
    units: dict[str, Counts]  # the asked-for units that have assignments in this plan
    overdue_seqs: dict[str, list[int]]  # unit name → its overdue task numbers, most overdue first


def plan_summaries(today: dt.date, unit_ids: list[int] | None = None) -> list[PlanSummary]:
    """Per active plan: tasks, and assignments done / open / overdue / extension pending, overall and per unit."""
    wanted = set(unit_ids or [])
    out = []
    for plan in Plan.select().where(Plan.active == True).order_by(Plan.code):  # noqa: E712
        rows = list(
            Assignment.select(Assignment.id, Assignment.task, Assignment.unit, Assignment.state,
                              Assignment.due_override, Task.seq, Unit.name)
            .join(Task).switch(Assignment).join(Unit)
            .where(Task.plan == plan).tuples()
        )
        deadlines = deadlines_by_task(r[1] for r in rows)
        summary = PlanSummary(plan.code, plan.title, Task.select().where(Task.plan == plan).count(), Counts(), {},
                              {})
        late: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
        for _aid, task_id, unit_id, state, override, seq, unit in rows:
            due, _kind = effective_due(override, deadlines.get(task_id, []), today)
            targets = [summary.all]
            if unit_id in wanted:
                targets.append(summary.units.setdefault(unit, Counts()))
            overdue = state != "done" and due is not None and due < today
            if overdue and unit_id in wanted:
                late[unit].append((due, seq))
            for counts in targets:
                counts.total += 1
                counts.done += state == "done"
                counts.overdue += overdue
                counts.pending += state == "extension_requested"
        summary.overdue_seqs = {unit: [seq for _due, seq in sorted(pairs)] for unit, pairs in late.items()}
        out.append(summary)
    return out
