"""A plan's life after import: the same plan again, what a corrected file changes, archive, restore, delete."""

from __future__ import annotations

from typing import Any

from i18n import _
from store.db import StoreError, database
from store.models import Assignment, Extension, Plan, ReminderLog, Report, Task
from store.plans import get_plan


def same_plans(parsed: Any) -> list[Plan]:
    """Active plans with the parsed plan's title or 文号: importing it again is probably a correction."""
    found = []
    for plan in Plan.select().where(Plan.active == True).order_by(Plan.id):  # noqa: E712
        if plan.title == parsed.title[:190] or (parsed.doc_no and plan.doc_no == parsed.doc_no):
            found.append(plan)
    return found


def refuse_duplicate(parsed: Any) -> None:
    """Stop an import that would make a second copy of an active plan, saying what to do instead."""
    same = same_plans(parsed)
    if not same:
        return
    plan = same[0]
    raise StoreError(_("plan {code} ({title}, {doc_no}) is already imported and active. To update it from this file "
                       "run the import again with --replace (`duban plan diff FILE` shows what changes); to keep "
                       "both, add --as-new.").format(code=plan.code, title=plan.title, doc_no=plan.doc_no or "-"))


def _task_values(task: Any) -> dict[str, str]:
    cooperate = getattr(task, "cooperate_raw", "")
    return {
        "requirement": task.requirement,
        "units": task.units_raw + (f"；配合：{cooperate}" if cooperate else ""),
        "deadline": task.deadline_raw,
        "category": f"{task.category or ''} / {task.subcategory or ''}".strip(" /"),
    }


def diff_plan(parsed: Any, ref: str | None = None) -> dict:
    """Tasks added, removed and changed between plan `ref` (default: the active plan it matches) and `parsed`."""
    if ref:
        plan = get_plan(ref)
    else:
        same = same_plans(parsed)
        plan = same[0] if same else get_plan(None)
    stored = {}
    for task in Task.select().where(Task.plan == plan).order_by(Task.seq):
        values = _task_values(task)
        values["units"] = task.units_raw  # stored with the 配合 part already joined
        stored[task.seq] = values
    incoming = {t.seq: _task_values(t) for t in parsed.tasks}
    changed = []
    for seq in sorted(set(stored) & set(incoming), key=str):
        fields = {k: {"old": stored[seq][k], "new": incoming[seq][k]}
                  for k in ("units", "deadline", "requirement", "category") if stored[seq][k] != incoming[seq][k]}
        if fields:
            changed.append({"seq": seq, "changes": fields})
    return {
        "plan": {"code": plan.code, "title": plan.title},
        "file": parsed.source_name,
        "added": [{"seq": s, **incoming[s]} for s in sorted(set(incoming) - set(stored), key=str)],
        "removed": [{"seq": s, **stored[s]} for s in sorted(set(stored) - set(incoming), key=str)],
        "changed": changed,
        "unchanged": len(set(stored) & set(incoming)) - len(changed),
    }


def archive_plan(ref: str) -> tuple[Plan, bool]:
    """Stop reminding about a plan and hide it from chat and digests; its history and exports stay.

    Returns (plan, changed): changed is False when it was archived already."""
    plan = get_plan(ref)
    if not plan.active:
        return plan, False
    plan.active = False
    plan.save()
    return plan, True


def restore_plan(ref: str) -> tuple[Plan, bool]:
    plan = get_plan(ref)
    if plan.active:
        return plan, False
    plan.active = True
    plan.save()
    return plan, True


def recorded(plan: Plan) -> dict[str, int]:
    """What people did on a plan: reports, extension requests, reminders sent."""
    assignments = Assignment.select(Assignment.id).join(Task).where(Task.plan == plan)
    return {
        "reports": Report.select().where(Report.assignment.in_(assignments)).count(),
        "extensions": Extension.select().where(Extension.assignment.in_(assignments)).count(),
        "reminders": ReminderLog.select().where(ReminderLog.assignment.in_(assignments)).count(),
    }


def delete_plan(ref: str) -> Plan:
    """Remove a plan imported by mistake; refused once anything was recorded on it (archive it instead)."""
    plan = get_plan(ref)
    counts = recorded(plan)
    if any(counts.values()):
        raise StoreError(_("plan {code} has {reports} report(s), {extensions} extension request(s) and {reminders} "
                           "reminder(s) recorded: archive it instead (`duban plan archive {code}`), which keeps its "
                           "history").format(code=plan.code, **counts))
    with database.atomic():
        plan.delete_instance(recursive=True)
    return plan
