"""Plain value types shared by the plan/ package (pure: stdlib only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

DEADLINE_KINDS = ("fixed", "year_round", "ongoing", "recurring", "unknown")
PRECISIONS = ("day", "tenday", "month", "quarter", "half", "year", "none")
RECURRENCES = ("monthly", "quarterly", "yearly")
UNIT_ROLES = ("lead", "responsible", "cooperate", "guide")


@dataclass(frozen=True)
class Deadline:
    raw: str  # the phrase as written (stripped)
    kind: str  # 'fixed' | 'year_round' | 'ongoing' | 'recurring' | 'unknown'
    # fixed: that day; year_round: 12-31 of the year; recurring: first occurrence in the year or None;
    # ongoing/unknown: None
    due: date | None
    precision: str  # 'day' | 'tenday' | 'month' | 'quarter' | 'half' | 'year' | 'none'
    # 'monthly' | 'quarterly' | 'yearly' for recurring (and 'monthly' check-in for year_round)
    recurrence: str | None = None
    day_of_period: int | None = None  # e.g. 25 for 每月25日前; None = end of period
    past_at_issue: bool = False  # due earlier than the plan's issue date
    explicit_year: bool = False  # the phrase named its own year (2020年3月底前, 次年1月), so show the year
    label: str = ""  # a milestone's step: 完成初稿 in 11月15日前完成初稿, 投入使用 in 9月投入使用


@dataclass(frozen=True)
class UnitRef:
    name: str  # normalized unit or group name
    role: str  # 'lead' | 'responsible' | 'cooperate' | 'guide'
    is_group: bool  # True when the phrase names a set of units (区政府各部门, 各有关单位 …)


@dataclass(frozen=True)
class UnitParse:
    refs: list[UnitRef]
    # fragments that looked like they should name a unit but could not be read; never silently dropped
    unresolved: list[str] = field(default_factory=list)
    # trailing clauses that name no unit (做到谁发布、谁负责) — kept for transparency
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlanWarning:
    seq: int | None
    # short snake_case code, e.g. 'deadline_unreadable', 'deadline_past_at_issue', 'date_mismatch', 'seq_gap',
    # 'unit_unresolved', 'group_without_members', 'likely_duplicate_unit', 'missing_requirement'
    code: str
    message: str  # English, one line
    sub: int = 0  # the sub-row of task `seq` (task 4-2: seq 4, sub 2), 0 for a whole task
    subject: tuple[str, ...] = ()  # what it is about, for telling warnings apart: the two unit names of a duplicate

    @property
    def label(self) -> str | None:
        return None if self.seq is None else (f"{self.seq}-{self.sub}" if self.sub else str(self.seq))
