"""The parsed form of a whole plan document, and its documented JSON shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from plan.model import Deadline, PlanWarning, UnitRef
from plan.readers.base import PlanReadError

__all__ = ["ParsedTask", "ParsedPlan", "PlanReadError", "to_json_dict"]

# names used in ParsedTask.inherited; 'cooperate' only appears for a vertically merged 配合单位 cell
INHERITABLE = ("category", "subcategory", "units", "cooperate", "deadline")


@dataclass
class ParsedTask:
    seq: int
    category: str
    subcategory: str
    requirement: str
    units_raw: str  # the 牵头/责任单位 cell as written (after inheritance)
    deadline_raw: str  # the 完成时限 cell as written (after inheritance)
    units: list[UnitRef]  # lead/responsible/guide refs, then the 配合单位 column's refs with role 'cooperate'
    unresolved_units: list[str]
    deadlines: list[Deadline]
    inherited: list[str]  # fields taken from the row above (blank or merged cell): see INHERITABLE
    row: int  # 1-based source line (text form) or table/sheet/CSV row
    cooperate_raw: str = ""  # the separate 配合单位 cell, when the table has one
    ignored_units: list[str] = field(default_factory=list)  # clauses of the unit cells that name no unit
    sub: int = 0  # sub-row under one merged 序号: task 4-1 is seq 4, sub 1

    @property
    def label(self) -> str:
        """The 序号 as people write it: '4', or '4-1' for a sub-row."""
        return f"{self.seq}-{self.sub}" if self.sub else str(self.seq)


@dataclass
class ParsedPlan:
    title: str
    doc_no: str | None
    issuer: str | None
    year: int
    issued_on: date | None
    source_name: str
    sha256: str
    tasks: list[ParsedTask] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def to_json_dict(plan: ParsedPlan) -> dict:
    """The documented JSON shape (plan, tasks, warnings); dates as YYYY-MM-DD or null."""
    return {
        "plan": {
            "title": plan.title,
            "doc_no": plan.doc_no,
            "year": plan.year,
            "issued_on": _iso(plan.issued_on),
        },
        "tasks": [
            {
                "seq": task.label if task.sub else task.seq,
                "category": task.category,
                "subcategory": task.subcategory,
                "requirement": task.requirement,
                "units": [{"name": u.name, "role": u.role} for u in task.units if not u.is_group],
                "groups": [{"name": u.name, "role": u.role} for u in task.units if u.is_group],
                "deadlines": [
                    {"raw": d.raw, "kind": d.kind, "due": _iso(d.due), **({"label": d.label} if d.label else {})}
                    for d in task.deadlines
                ],
                "inherited": list(task.inherited),
            }
            for task in plan.tasks
        ],
        "warnings": [
            {"seq": w.label if w.sub else w.seq, "code": w.code, "message": w.message} for w in plan.warnings
        ],
    }
