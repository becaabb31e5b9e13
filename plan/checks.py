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
    return [PlanWarning(task.seq, "date_mismatch",
                        _("task {seq}: the requirement names {said} but the deadline cell ({cell}) gives {date}").format(
                            seq=task.seq, said=said, cell=task.deadline_raw, date=cell_text))]


def _past_at_issue(task: ParsedTask, issued_on: date | None) -> list[PlanWarning]:
    if issued_on is None:
        return []
    return [
        PlanWarning(task.seq, "deadline_past_at_issue",
                    _("task {seq}: deadline {raw} ({due}) is before the plan's issue date {issued}").format(
                        seq=task.seq, raw=d.raw, due=d.due.isoformat(), issued=issued_on.isoformat()))
        for d in task.deadlines
        if d.kind in ("fixed", "year_round") and d.due is not None and (d.past_at_issue or d.due < issued_on)
    ]


def _units(task: ParsedTask) -> list[PlanWarning]:
    if "units" in task.inherited or "cooperate" in task.inherited:
        return []  # reported once, on the row that wrote the cell
    warnings = [
        PlanWarning(task.seq, "unit_unresolved",
                    _("task {seq}: cannot read the unit phrase {text!r}").format(seq=task.seq, text=fragment))
        for fragment in task.unresolved_units
    ]
    written = (task.units_raw + task.cooperate_raw).strip()
    if written and not task.units and not task.unresolved_units:
        warnings.append(PlanWarning(task.seq, "unit_unresolved",
                                    _("task {seq}: no unit found in {text!r}").format(seq=task.seq, text=written)))
    if not written:
        warnings.append(PlanWarning(task.seq, "units_missing",
                                    _("task {seq}: no responsible unit given").format(seq=task.seq)))
    return warnings


def _deadlines(task: ParsedTask) -> list[PlanWarning]:
    if not task.deadline_raw:
        return [PlanWarning(task.seq, "deadline_missing", _("task {seq}: no deadline given").format(seq=task.seq))]
    if "deadline" in task.inherited:
        return []
    return [
        PlanWarning(task.seq, "deadline_unreadable",
                    _("task {seq}: cannot read the deadline {raw!r}").format(seq=task.seq, raw=d.raw))
        for d in task.deadlines
        if d.kind == "unknown"
    ]


def _seq_order(tasks: list[ParsedTask]) -> list[PlanWarning]:
    warnings: list[PlanWarning] = []
    counts = Counter(t.seq for t in tasks)
    for seq, count in sorted(counts.items()):
        if count > 1:
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
            a=a, b=b, reason=duplicate_reason(reason)))
        for a, b, reason in likely_duplicates(names)
    ]


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
