"""Turn the data rows under a recognised header into tasks.

A blank 工作任务 / 牵头单位 / 完成时限 cell means "same as above" (the printed form of a merged cell) and is
recorded in ParsedTask.inherited. A row whose 序号 is not a number is a section heading when it holds a single
text (一、着眼稳定预期), otherwise it is reported and skipped; so is a row without 具体要求.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from plan.deadlines import parse_deadlines
from plan.document import ParsedTask
from plan.header import ColumnMap, parse_seq, squeeze
from plan.model import Deadline, PlanWarning, UnitParse, UnitRef
from plan.readers.base import RawRow
from plan.units import parse_units

_ORDINAL = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十]+部分)\s*")
_CN_ORDINAL = re.compile(r"^[一二三四五六七八九十]+[、.．]?$")
_SUB_ORDINAL = re.compile(r"^\s*[（(][一二三四五六七八九十]+[）)]")


def flat(text: str) -> str:
    """Category-like cells: line breaks inside are only wrapping."""
    return "".join(line.strip() for line in text.splitlines())


def paragraphs(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def unit_lines(text: str) -> str:
    """Units one per line stay on their lines: parse_units reads a line break as a clause break."""
    return paragraphs(text)


def deadline_lines(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


@dataclass
class _Carry:
    """Values of the previous task (or of a section heading) that a blank cell takes over."""

    category: str = ""
    subcategory: str = ""
    units: str = ""
    # the units cells with each column's default role, as parse_units reads them
    units_parts: list[tuple[str, str | None]] = field(default_factory=list)
    cooperate: str = ""
    deadline: str = ""


class TaskBuilder:
    def __init__(self, columns: ColumnMap, year: int, issued_on: date | None, source: str,
                 first_is_lead: bool = False, everyone: tuple[UnitRef, ...] = ()) -> None:
        self.columns = columns
        self.first_is_lead = first_is_lead
        self.everyone = everyone  # units the notice puts on every task, unless the task names them itself
        self.year = year
        self.issued_on = issued_on
        self.source = source
        self.tasks: list[ParsedTask] = []
        self.warnings: list[PlanWarning] = []
        self._carry = _Carry()
        self._unit_cache: dict[str, UnitParse] = {}
        self._deadline_cache: dict[str, list[Deadline]] = {}
        # a 备注 column may hold the deadline; a 进展情况 column's dates are progress, not deadlines
        self._note_is_deadline = (columns.deadline is None and columns.note is not None
                                  and "备注" in columns.labels[columns.note])

    # -- cell access -------------------------------------------------------------------------------------------
    def _cell(self, row: RawRow, col: int | None) -> str:
        if col is None or col >= len(row.cells):
            return ""
        return row.cells[col].strip()

    def _content_cells(self, row: RawRow) -> list[str]:
        return [c.strip() for i, c in enumerate(row.cells) if c.strip() and i not in row.hspan]

    def _units(self, text: str, default_role: str | None = None) -> UnitParse:
        key = f"{default_role}|{text}"
        if key not in self._unit_cache:
            self._unit_cache[key] = parse_units(text, default_role)
        return self._unit_cache[key]

    def _first_leads(self, parsed: UnitParse) -> UnitParse:
        """The plan's rule 列第一位者为牵头单位: in a list without a lead, the first responsible unit leads."""
        named = [r for r in parsed.refs if r.role != "cooperate"]
        if not self.first_is_lead or len(named) < 2 or any(r.role == "lead" for r in parsed.refs):
            return parsed
        first = next((i for i, r in enumerate(parsed.refs) if r.role == "responsible"), None)
        if first is None:
            return parsed
        refs = list(parsed.refs)
        refs[first] = replace(refs[first], role="lead")
        return replace(parsed, refs=refs)

    def _deadlines(self, text: str) -> list[Deadline]:
        if text not in self._deadline_cache:
            self._deadline_cache[text] = parse_deadlines(text, self.year, self.issued_on)
        return self._deadline_cache[text]

    def _warn(self, seq: int | None, code: str, message: str) -> None:
        self.warnings.append(PlanWarning(seq, code, message))

    # -- rows --------------------------------------------------------------------------------------------------
    def add(self, row: RawRow) -> None:
        content = self._content_cells(row)
        if not content:
            return
        cols = self.columns
        if _trimmed([squeeze(c) for c in row.cells]) == _trimmed(cols.labels):
            return  # the header row repeated (a table that runs over several pages)
        seq_text = self._cell(row, cols.seq)
        sub = 0
        if cols.seq is not None:
            seq = parse_seq(seq_text)
            if seq is None and self._is_sub_row(row, seq_text, content):
                # a row under a merged (or, in a text table, blank) 序号 with its own requirement: task 4-2
                previous = self.tasks[-1]
                if previous.sub == 0:
                    previous.sub = 1
                seq, sub = previous.seq, previous.sub + 1
            elif seq is None:
                self._non_task_row(row, seq_text, content)
                return
        else:
            seq = len(self.tasks) + 1
        requirement = self._requirement(row)
        if not requirement:
            self._warn(seq, "missing_requirement",
                       f"{self.source} row {row.number}: task {seq} has no 具体要求; row skipped")
            return
        self._add_task(row, seq, requirement)
        if sub:
            self.tasks[-1].sub = sub

    def _requirement(self, row: RawRow) -> str:
        col = self.columns.requirement
        text = paragraphs(self._cell(row, col))
        while not text and col is not None and col > 0 and col in row.hspan:
            col -= 1  # the cell to the left spans over the 具体要求 column: its text is the requirement
            text = paragraphs(self._cell(row, col))
        return text

    def _is_sub_row(self, row: RawRow, seq_text: str, content: list[str]) -> bool:
        cols = self.columns
        if seq_text or not self.tasks or not self.columns.inherit_blanks:
            return False
        lone_requirement = (len(content) == 1 and cols.requirement is not None
                            and self._cell(row, cols.requirement) == content[0] and not _ORDINAL.match(content[0]))
        if cols.seq not in row.vmerged and len({flat(c) for c in content}) < 2 and not lone_requirement:
            return False  # a lone text in a blank-序号 row is a heading, unless it stands in the 具体要求 column
        requirement = self._requirement(row)
        return bool(requirement) and requirement != self.tasks[-1].requirement

    def _non_task_row(self, row: RawRow, seq_text: str, content: list[str]) -> None:
        distinct = {flat(c) for c in content}
        if len(distinct) == 2 and _CN_ORDINAL.match(seq_text):
            distinct.discard(seq_text)  # 序号 "一" with the heading text in the next cell
        if len(distinct) == 1:
            heading = distinct.pop()
            name = _ORDINAL.sub("", heading).strip() or heading
            if _SUB_ORDINAL.match(heading) and self.columns.subcategory is not None:
                self._carry.subcategory = name
            else:
                self._carry.category = name
                self._carry.subcategory = ""
            return
        label = seq_text or "(blank)"
        self._warn(None, "row_not_task",
                   f"{self.source} row {row.number}: 序号 {label!r} is not a number; row skipped")

    def _take(self, row: RawRow, col: int | None, text: str, carried: str, field: str,
              inherited: list[str], *, blank_inherits: bool = True) -> str:
        if col is None:
            return ""
        if text or col in row.hspan:
            return text
        if ((blank_inherits and self.columns.inherit_blanks) or col in row.vmerged) and carried:
            inherited.append(field)
            return carried
        return ""

    def _add_task(self, row: RawRow, seq: int, requirement: str) -> None:
        cols, carry = self.columns, self._carry
        inherited: list[str] = []
        category = self._take(row, cols.category, flat(self._cell(row, cols.category)), carry.category,
                              "category", inherited)
        if cols.category is None and carry.category:
            category = carry.category  # no category column: the section heading above is the category
        if category != carry.category:
            carry.subcategory = ""  # a new category starts its own sub-categories
        subcategory = self._take(row, cols.subcategory, flat(self._cell(row, cols.subcategory)),
                                 carry.subcategory, "subcategory", inherited)
        if cols.subcategory is None and carry.subcategory:
            subcategory = carry.subcategory

        texts = [(unit_lines(self._cell(row, c)), cols.unit_roles.get(c)) for c in cols.units]
        units_text = "；".join(t for t, _ in texts if t)
        units_parts = [(t, r) for t, r in texts if t]
        units_col = cols.units[0] if cols.units else None
        units_raw = self._take(row, units_col, units_text, carry.units, "units", inherited)
        if units_raw != units_text:
            units_parts = carry.units_parts
        cooperate_raw = self._take(row, cols.cooperate, unit_lines(self._cell(row, cols.cooperate)),
                                   carry.cooperate, "cooperate", inherited, blank_inherits=False)
        deadline_raw, deadlines = self._deadline_for(row, inherited)

        lead = UnitParse([])
        for text, role in units_parts if units_raw else []:
            parsed = self._units(text, role)
            lead = UnitParse(lead.refs + parsed.refs, lead.unresolved + parsed.unresolved,
                             lead.dropped + parsed.dropped)
        lead = self._first_leads(lead)
        coop = self._units(cooperate_raw, "cooperate") if cooperate_raw else UnitParse([])
        refs: list[UnitRef] = list(lead.refs) + [replace(r, role="cooperate") for r in coop.refs]
        named = {r.name for r in refs}
        refs += [r for r in self.everyone if r.name not in named]
        self.tasks.append(
            ParsedTask(
                seq=seq,
                category=category,
                subcategory=subcategory,
                requirement=requirement,
                units_raw=units_raw,
                deadline_raw=deadline_raw,
                units=_dedupe(refs),
                unresolved_units=list(lead.unresolved) + list(coop.unresolved),
                deadlines=deadlines,
                inherited=inherited,
                row=row.number,
                cooperate_raw=cooperate_raw,
                ignored_units=list(lead.dropped) + list(coop.dropped),
            )
        )
        carry.category, carry.subcategory = category, subcategory
        carry.units, carry.cooperate, carry.deadline = units_raw, cooperate_raw, deadline_raw
        carry.units_parts = units_parts

    def _deadline_for(self, row: RawRow, inherited: list[str]) -> tuple[str, list[Deadline]]:
        cols = self.columns
        if self._note_is_deadline:
            # no 完成时限 column: a 备注 that holds a deadline phrase stands in for it
            note = deadline_lines(self._cell(row, cols.note))
            found = [d for d in self._deadlines(note) if d.kind != "unknown"] if note else []
            if found:
                return note, found
            if not note and cols.note in row.vmerged and self._carry.deadline:
                inherited.append("deadline")
                return self._carry.deadline, self._deadlines(self._carry.deadline)
            return "", []
        text = self._take(row, cols.deadline, deadline_lines(self._cell(row, cols.deadline)),
                          self._carry.deadline, "deadline", inherited)
        return text, (self._deadlines(text) if text else [])


def _trimmed(labels: list[str]) -> list[str]:
    return [label for label in labels if label]


def _dedupe(refs: list[UnitRef]) -> list[UnitRef]:
    seen: set[tuple[str, str]] = set()
    out: list[UnitRef] = []
    for ref in refs:
        if (ref.name, ref.role) not in seen:
            seen.add((ref.name, ref.role))
            out.append(ref)
    return out


def build_tasks(rows: list[RawRow], columns: ColumnMap, *, year: int, issued_on: date | None,
                source: str, first_is_lead: bool = False,
                everyone: tuple[UnitRef, ...] = ()) -> tuple[list[ParsedTask], list[PlanWarning]]:
    builder = TaskBuilder(columns, year, issued_on, source, first_is_lead, everyone)
    for row in rows:
        builder.add(row)
    return builder.tasks, builder.warnings
