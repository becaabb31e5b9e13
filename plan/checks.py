"""Cross-checks over a parsed plan: things an admin should look at before the plan goes live."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from i18n import _
from i18n.words import duplicate_reason
from plan.deadlines import parse_deadlines
from plan.document import ParsedTask
from plan.model import PlanWarning
from plan.units import likely_duplicates

# a date written in the 具体要求 text: 2019年12月15日前, 12月底前, 2020年1月中旬
_REQUIREMENT_DATE = re.compile(
    r"(?:(?:\d{4}|次|明)年)?[0-9一二三四五六七八九十]{1,3}月(?:份)?"
    r"(?:[0-9一二三四五六七八九十]{1,3}[日号]|底|末|上旬|中旬|下旬)(?:之前|以前|前)?"
)


# two unit names written without a separator: 派出所工商质监所 (a name ending 所/局/站/院/队 and another after it)
_RUN_TOGETHER = re.compile(r"^[^（）]{2,}?(?:所|局|站|院)(?!办|长|务)[^（）、]{2,}(?:所|(?<!分)局|站|院|中心)$")


def _warn(task: ParsedTask, code: str, message: str) -> PlanWarning:
    return PlanWarning(task.seq, code, message, sub=task.sub)


def requirement_dates(text: str, year: int) -> set[date]:
    """Fixed dates the requirement itself names."""
    dues: set[date] = set()
    for match in _REQUIREMENT_DATE.finditer(text):
        for deadline in parse_deadlines(match.group(0), year):
            if deadline.kind == "fixed" and deadline.due is not None:
                dues.add(deadline.due)
    return dues


def _date_mismatch(task: ParsedTask, year: int) -> list[PlanWarning]:
    cell = {d.due for d in task.deadlines if d.kind == "fixed" and d.due is not None}
    written = requirement_dates(task.requirement, year)
    if not cell or not written or not written.isdisjoint(cell):
        return []
    said = ", ".join(sorted(d.isoformat() for d in written))
    cell_text = ", ".join(sorted(d.isoformat() for d in cell))
    return [_warn(task, "date_mismatch",
                        _("task {seq}: the requirement names {said} but the deadline cell ({cell}) gives {date}").format(
                            seq=task.label, said=said, cell=task.deadline_raw, date=cell_text))]


def _past_at_issue(task: ParsedTask, issued_on: date | None) -> list[PlanWarning]:
    if issued_on is None:
        return []
    return [
        _warn(task, "deadline_past_at_issue",
                    _("task {seq}: deadline {raw} ({due}) is before the plan's issue date {issued}").format(
                        seq=task.label, raw=d.raw, due=d.due.isoformat(), issued=issued_on.isoformat()))
        for d in task.deadlines
        if d.kind in ("fixed", "year_round") and d.due is not None and (d.past_at_issue or d.due < issued_on)
    ]


def _units(task: ParsedTask) -> list[PlanWarning]:
    if "units" in task.inherited or "cooperate" in task.inherited:
        return []  # reported once, on the row that wrote the cell
    warnings = [
        _warn(task, "unit_unresolved",
                    _("task {seq}: cannot read the unit phrase {text!r}").format(seq=task.label, text=fragment))
        for fragment in task.unresolved_units
    ]
    warnings += [
        _warn(task, "unit_fragment_ignored",
              _("task {seq}: {text!r} in the unit cell names no unit; ignored").format(seq=task.label, text=fragment))
        for fragment in task.ignored_units
    ]
    warnings += [
        _warn(task, "unit_name_suspect",
              _("task {seq}: {name!r} may be two units written together").format(seq=task.label, name=ref.name))
        for ref in task.units if not ref.is_group and _RUN_TOGETHER.search(ref.name)
    ]
    written = (task.units_raw + task.cooperate_raw).strip()
    if written and not task.units and not task.unresolved_units:
        warnings.append(_warn(task, "unit_unresolved",
                                    _("task {seq}: no unit found in {text!r}").format(seq=task.label, text=written)))
    if not written:
        warnings.append(_warn(task, "units_missing",
                                    _("task {seq}: no responsible unit given").format(seq=task.label)))
    return warnings


def _deadlines(task: ParsedTask) -> list[PlanWarning]:
    if not task.deadline_raw:
        return [_warn(task, "deadline_missing", _("task {seq}: no deadline given").format(seq=task.label))]
    if "deadline" in task.inherited:
        return []
    return [
        _warn(task, "deadline_unreadable",
                    _("task {seq}: cannot read the deadline {raw!r}").format(seq=task.label, raw=d.raw))
        for d in task.deadlines
        if d.kind == "unknown"
    ]


def _seq_order(tasks: list[ParsedTask]) -> list[PlanWarning]:
    warnings: list[PlanWarning] = []
    counts = Counter(t.seq for t in tasks)
    whole = Counter((t.seq, t.sub) for t in tasks)
    for seq, count in sorted(counts.items()):
        if count > 1 and any(whole[(seq, t.sub)] > 1 for t in tasks if t.seq == seq):
            rows = ", ".join(str(t.row) for t in tasks if t.seq == seq)
            warnings.append(PlanWarning(seq, "duplicate_seq", _("序号 {seq} is used {count} times (rows {rows})").format(
                seq=seq, count=count, rows=rows)))
    previous = 0
    for seq in sorted(counts):
        if seq > previous + 1:
            missing = f"{previous + 1}" if seq == previous + 2 else f"{previous + 1}–{seq - 1}"
            said = _("序号 {missing} missing (between {previous} and {seq})") if previous else \
                _("序号 {missing} missing (before {seq})")
            warnings.append(PlanWarning(seq, "seq_gap", said.format(missing=missing, previous=previous, seq=seq)))
        previous = seq
    return warnings


def _duplicate_units(tasks: list[ParsedTask]) -> list[PlanWarning]:
    names = list(dict.fromkeys(ref.name for task in tasks for ref in task.units))
    return [
        PlanWarning(None, "likely_duplicate_unit", _("units {a!r} and {b!r} may be the same unit ({reason})").format(
            a=a, b=b, reason=duplicate_reason(reason)), subject=tuple(sorted((a, b))))
        for a, b, reason in likely_duplicates(names)
    ]


MAX_WARNINGS = 300
_MAX_JOINED = 8
_TASK_PREFIX = re.compile(r"^(?:task|任务) ?[0-9-]+[:：] ?")


def limit_warnings(warnings: list[PlanWarning]) -> list[PlanWarning]:
    """At most one warning of a kind per task (the others' details joined into it), and at most MAX_WARNINGS
    in all, the rest counted in a last "… N more" warning."""
    merged: dict[tuple, list[PlanWarning]] = {}
    order: list[tuple] = []
    for index, warning in enumerate(warnings):
        key = ("plan", index) if warning.seq is None else (warning.seq, warning.sub, warning.code)
        if key not in merged:
            merged[key] = []
            order.append(key)
        merged[key].append(warning)
    result: list[PlanWarning] = []
    for key in order:
        first, *rest = merged[key]
        if rest:
            extra = [_TASK_PREFIX.sub("", w.message) for w in rest]
            shown = "; ".join(extra[:_MAX_JOINED])
            more = f"; … {len(extra) - _MAX_JOINED}" if len(extra) > _MAX_JOINED else ""
            first = PlanWarning(first.seq, first.code, f"{first.message}; {shown}{more}", sub=first.sub)
        result.append(first)
    if len(result) > MAX_WARNINGS:
        rest_count = len(result) - MAX_WARNINGS + 1
        result = result[: MAX_WARNINGS - 1] + [
            PlanWarning(None, "more_warnings", _("… {count} more warnings").format(count=rest_count))]
    return result


def check_plan(tasks: list[ParsedTask], *, year: int, issued_on: date | None) -> list[PlanWarning]:
    """Warnings per task (in task order), then about the 序号 sequence, then about unit names."""
    warnings: list[PlanWarning] = []
    for task in tasks:
        warnings += _units(task)
        warnings += _deadlines(task)
        warnings += _past_at_issue(task, issued_on)
        warnings += _date_mismatch(task, year)
    warnings += _seq_order(tasks)
    warnings += _duplicate_units(tasks)
    return warnings
