"""Save a parsed plan (plan.document.ParsedPlan) into the store, all or nothing.

The parsed plan is taken as a plain object (duck-typed), so store/ does not depend on plan/.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from i18n import _
from i18n.words import duplicate_reason
from store.clock import utcnow
from store.db import StoreError, database
from store.holidays import unknown_year_warnings
from store.models import (
    ROLES,
    Assignment,
    Deadline,
    Plan,
    PlanWarning,
    Report,
    Task,
    TaskGroup,
    Unit,
    UnitGroup,
    UnitGroupMember,
    UnresolvedUnit,
)
from store.prepared import insert_rows
from store.units import PLAN_IMPORT_NOTE, clean_name, lookup_unit

DuplicateFinder = Callable[[Iterable[str]], list[tuple[str, str, str]]]


@dataclass
class ImportReport:
    plan_code: str
    plan_title: str
    tasks: int = 0
    assignments: int = 0
    deadlines: Counter = field(default_factory=Counter)
    units_new: list[str] = field(default_factory=list)
    units_known: list[str] = field(default_factory=list)
    groups_new: list[str] = field(default_factory=list)
    groups_known: list[str] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    already_imported: bool = False
    replaced: bool = False
    tasks_removed: list[str] = field(default_factory=list)  # labels: '12', '4-2'
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "plan": {"code": self.plan_code, "title": self.plan_title},
            "tasks": self.tasks,
            "assignments": self.assignments,
            "deadlines": dict(self.deadlines),
            "units_new": self.units_new,
            "units_known": self.units_known,
            "groups_new": self.groups_new,
            "groups_known": self.groups_known,
            "warnings": self.warnings,
            "already_imported": self.already_imported,
            "replaced": self.replaced,
            "tasks_removed": self.tasks_removed,
            "dry_run": self.dry_run,
        }


class _DryRun(Exception):
    """Raised inside the import transaction to roll it back after counting."""


def _next_code() -> str:
    used = {p.code for p in Plan.select(Plan.code)}
    letters = string.ascii_uppercase
    for length in (1, 2):
        for i in range(len(letters) ** length):
            code = ""
            n = i
            for _step in range(length):
                code = letters[n % 26] + code
                n //= 26
            if code not in used:
                return code
    raise StoreError(_('too many plans'))  # pragma: no cover


def _stronger(role: str, other: str) -> str:
    return role if ROLES.index(role) <= ROLES.index(other) else other


class _Resolver:
    """Unit and group names → rows, creating what is new and remembering what it did."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.units: dict[str, Unit] = {}
        self.groups: dict[str, UnitGroup] = {}
        self.members: dict[int, list[int]] = {}

    def unit(self, name: str) -> Unit:
        name = clean_name(name)
        if name not in self.units:
            unit = lookup_unit(name)
            if unit is None:
                unit = Unit.create(name=name, created_at=utcnow())
                self.report.units_new.append(name)
            elif unit.name not in self.report.units_known and unit.name not in self.report.units_new:
                self.report.units_known.append(unit.name)
            self.units[name] = unit
        return self.units[name]

    def group(self, name: str) -> UnitGroup:
        name = clean_name(name)
        if name not in self.groups:
            group = UnitGroup.get_or_none(UnitGroup.name == name)
            if group is None:
                group = UnitGroup.create(name=name, note=PLAN_IMPORT_NOTE, created_at=utcnow())
                self.report.groups_new.append(name)
            else:
                self.report.groups_known.append(name)
            self.groups[name] = group
            self.members[group.id] = [
                m.unit_id for m in UnitGroupMember.select(UnitGroupMember.unit).where(UnitGroupMember.group == group)
            ]
        return self.groups[name]


def _wanted_assignments(parsed_task: Any, resolver: _Resolver) -> tuple[dict[int, tuple[str, int | None]], list]:
    """unit id → (role, via group id), and the task's (group, role) links."""
    wanted: dict[int, tuple[str, int | None]] = {}
    links = []
    # Units named directly first: they win over the same unit reached through a group.
    for ref in parsed_task.units:
        if ref.is_group:
            continue
        unit = resolver.unit(ref.name)
        role = ref.role if unit.id not in wanted else _stronger(ref.role, wanted[unit.id][0])
        wanted[unit.id] = (role, None)
    for ref in parsed_task.units:
        if not ref.is_group:
            continue
        group = resolver.group(ref.name)
        links.append((group, ref.role))
        for unit_id in resolver.members[group.id]:
            if unit_id not in wanted:
                wanted[unit_id] = (ref.role, group.id)
    return wanted, links


def _task_values(pt: Any) -> dict[str, Any]:
    return {
        "category": pt.category, "subcategory": pt.subcategory, "requirement": pt.requirement,
        "units_raw": pt.units_raw + (f"；配合：{pt.cooperate_raw}" if getattr(pt, "cooperate_raw", "") else ""),
        "deadline_raw": pt.deadline_raw, "inherited": ",".join(pt.inherited),
    }


def _insert_new_tasks(plan: Plan, tasks: list[Any], resolver: _Resolver, report: ImportReport) -> None:
    """The tasks new to this plan and everything under them, a hundred rows per statement (one statement and
    one look-up per row made a 5,000-task import take seconds). Counted in `report` as they are written."""
    if not tasks:
        return
    insert_rows(Task, [{"plan": plan.id, "seq": pt.seq, "sub": getattr(pt, "sub", 0), **_task_values(pt)}
                       for pt in tasks])
    ids = {(seq, sub): i for i, seq, sub in Task.select(Task.id, Task.seq, Task.sub).where(Task.plan == plan)
           .tuples()}
    now = utcnow()
    children: dict[type, list[dict]] = {Deadline: [], UnresolvedUnit: [], TaskGroup: [], Assignment: []}
    for pt in tasks:
        task_id = ids[(pt.seq, getattr(pt, "sub", 0))]
        for position, d in enumerate(pt.deadlines):
            children[Deadline].append(_deadline_row(task_id, position, d))
            report.deadlines[d.kind] += 1
        children[UnresolvedUnit] += [{"task": task_id, "phrase": phrase} for phrase in pt.unresolved_units]
        wanted, links = _wanted_assignments(pt, resolver)
        seen_groups = set()
        for group, role in links:
            if group.id not in seen_groups:
                seen_groups.add(group.id)
                children[TaskGroup].append({"task": task_id, "group": group.id, "role": role})
        children[Assignment] += [{"task": task_id, "unit": unit_id, "role": role, "via_group": via,
                                  "created_at": now} for unit_id, (role, via) in wanted.items()]
        report.assignments += len(wanted)
        report.tasks += 1
    for model, rows in children.items():
        insert_rows(model, rows)


def _deadline_row(task_id: int, position: int, d: Any) -> dict[str, Any]:
    return {"task": task_id, "position": position, "kind": d.kind, "due": d.due, "raw": d.raw[:190],
            "precision": d.precision, "recurrence": d.recurrence, "day_of_period": d.day_of_period,
            "past_at_issue": d.past_at_issue, "label": getattr(d, "label", "")[:100]}


def _write_task_children(task: Task, parsed_task: Any, resolver: _Resolver, report: ImportReport) -> None:
    for position, d in enumerate(parsed_task.deadlines):
        Deadline.create(**_deadline_row(task.id, position, d))
        report.deadlines[d.kind] += 1
    for phrase in parsed_task.unresolved_units:
        UnresolvedUnit.create(task=task, phrase=phrase)
    wanted, links = _wanted_assignments(parsed_task, resolver)
    seen_groups = set()
    for group, role in links:
        if group.id in seen_groups:
            continue
        seen_groups.add(group.id)
        TaskGroup.create(task=task, group=group, role=role)
    now = utcnow()
    existing = {a.unit_id: a for a in Assignment.select().where(Assignment.task == task)}
    for unit_id, (role, via) in wanted.items():
        current = existing.pop(unit_id, None)
        if current is None:
            Assignment.create(task=task, unit=unit_id, role=role, via_group=via, created_at=now)
        elif (current.role, current.via_group_id) != (role, via):
            current.role, current.via_group = role, via
            current.save()
        report.assignments += 1
    for stale in existing.values():
        # A unit no longer named on a surviving task: drop it unless it already reported.
        if Report.select().where(Report.assignment == stale).exists():
            report.warnings.append({
                "seq": task.seq, "code": "assignment_kept",
                "message": _("{unit} is no longer named on task {seq} but has reports; kept").format(
                    unit=stale.unit.name, seq=task.seq),
            })
            report.assignments += 1
        else:
            stale.delete_instance()


def _plan_to_replace(parsed: Any) -> Plan | None:
    from store.plan_lifecycle import same_plans

    candidates = same_plans(parsed) or list(
        Plan.select().where((Plan.title == parsed.title) & (Plan.year == parsed.year)))
    if len(candidates) > 1:
        codes = ", ".join(p.code for p in candidates)
        raise StoreError(_("several imported plans ({codes}) match {title!r}: archive or delete all but one first").format(
            codes=codes, title=parsed.title))
    return candidates[0] if candidates else None


def _already_one_unit(warning: Any) -> bool:
    """A "may be the same unit" warning about two names the admin already made one (an alias)."""
    if warning.code != "likely_duplicate_unit":
        return False
    names = re.findall(r"'([^']+)'", warning.message)
    if len(names) != 2:
        return False
    first, second = (lookup_unit(n) for n in names)
    return first is not None and second is not None and first.id == second.id


def save_plan(
    parsed: Any,
    *,
    replace: bool = False,
    as_new: bool = False,
    dry_run: bool = False,
    likely_duplicates: DuplicateFinder | None = None,
) -> ImportReport:
    """Write `parsed` in one transaction (or, with dry_run, count everything and write nothing)."""
    same_file = Plan.get_or_none(Plan.sha256 == parsed.sha256)
    if same_file is not None:
        report = ImportReport(plan_code=same_file.code, plan_title=same_file.title, already_imported=True)
        report.tasks = same_file.tasks.count()
        return report
    if not replace and not as_new:
        from store.plan_lifecycle import refuse_duplicate

        refuse_duplicate(parsed)
    report = ImportReport(plan_code="", plan_title=parsed.title, dry_run=dry_run)
    try:
        with database.atomic():
            _save(parsed, report, replace, likely_duplicates)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _save(parsed: Any, report: ImportReport, replace: bool, likely_duplicates: DuplicateFinder | None) -> None:
    now = utcnow()
    resolver = _Resolver(report)
    target = _plan_to_replace(parsed) if replace else None
    fields = {
        "title": parsed.title[:190], "doc_no": parsed.doc_no, "issuer": parsed.issuer, "year": parsed.year,
        "issued_on": parsed.issued_on, "source_name": parsed.source_name[:190], "sha256": parsed.sha256,
    }
    if target is None:
        plan = Plan.create(code=_next_code(), imported_at=now, **fields)
    else:
        plan = target
        for key, value in fields.items():
            setattr(plan, key, value)
        plan.imported_at = now
        plan.save()
        report.replaced = True
        PlanWarning.delete().where(PlanWarning.plan == plan).execute()
    report.plan_code, report.plan_title = plan.code, plan.title

    old_tasks = {(t.seq, t.sub): t for t in Task.select().where(Task.plan == plan)} if target else {}
    kept = [pt for pt in parsed.tasks if (pt.seq, getattr(pt, "sub", 0)) in old_tasks]
    _insert_new_tasks(plan, [pt for pt in parsed.tasks if (pt.seq, getattr(pt, "sub", 0)) not in old_tasks],
                      resolver, report)
    for pt in kept:  # tasks the replaced plan had: updated in place, their reports stay
        values = _task_values(pt)
        sub = getattr(pt, "sub", 0)
        task = old_tasks.pop((pt.seq, sub), None)
        if task is None:
            task = Task.create(plan=plan, seq=pt.seq, sub=sub, **values)
        else:
            for key, value in values.items():
                setattr(task, key, value)
            task.save()
            for model in (Deadline, TaskGroup, UnresolvedUnit):
                model.delete().where(model.task == task).execute()
        _write_task_children(task, pt, resolver, report)
        report.tasks += 1
    for _key, task in sorted(old_tasks.items()):
        task.delete_instance(recursive=True)
        report.tasks_removed.append(task.label)

    warnings = [{"seq": w.seq, "sub": getattr(w, "sub", 0), "code": w.code, "message": w.message,
                 "subject": list(getattr(w, "subject", ()))}
                for w in parsed.warnings
                if not _already_one_unit(w)]
    for name, group in resolver.groups.items():
        if not resolver.members[group.id]:
            warnings.append({
                "seq": None, "code": "group_without_members",
                "message": _("unit group {name} has no members yet: {fix}").format(
                    name=name, fix=f"`duban group add-member {name} UNIT…`"),
            })
    warnings += unknown_year_warnings(parsed)
    if likely_duplicates and report.units_new:
        named = {frozenset(w.get("subject") or ()) for w in warnings if w["code"] == "likely_duplicate_unit"}
        for a, b, reason in likely_duplicates(u.name for u in Unit.select(Unit.name)):
            if (a in report.units_new or b in report.units_new) and frozenset((a, b)) not in named:
                warnings.append({
                    "seq": None, "code": "likely_duplicate_unit", "subject": sorted((a, b)),
                    "message": _("{a} and {b} may be the same unit ({reason}): `duban unit merge` if so").format(
                        a=a, b=b, reason=duplicate_reason(reason)),
                })
    report.warnings = warnings + report.warnings
    for w in report.warnings:
        PlanWarning.create(plan=plan, seq=w["seq"], code=w["code"], message=w["message"])
