"""Read a 分工方案 file (.docx, .xlsx, .csv, .txt, .html, text .pdf, or .doc/.wps via LibreOffice) into a ParsedPlan.

A plan is a table (found by its header) or numbered paragraphs with annotations (plan.paragraphs); the table
wins when it gives tasks. A file with neither is refused, saying what was looked for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePath

from i18n import N_, _
from plan.annotations import RULE_RE, plan_wide_units
from plan.assemble import build_tasks
from plan.checks import check_plan, limit_warnings
from plan.document import ParsedPlan
from plan.header import ColumnMap, find_header
from plan.model import PlanWarning, UnitRef
from plan.paragraphs import COLUMNS as PARAGRAPH_COLUMNS
from plan.paragraphs import read_paragraphs
from plan.preamble import common_year, doc_no_year, read_preamble, year_in
from plan.readers import PlanReadError, RawRow, RawTable, Source, read_source
from plan.readers.limits import check_size

__all__ = ["read_plan", "read_plan_bytes", "PlanReadError"]

_NOTHING_FOUND = N_(
    "no plan found (no recognisable header row, no numbered items with annotations): looked for a table with a "
    "header row (序号 or 工作任务/主要任务, 具体要求/主要内容, and 牵头单位/责任单位 or 完成时限) and for numbered "
    "items (一、 （一） 1. （1）) with 牵头单位/责任单位/完成时限 annotations; found neither"
)


@dataclass
class _Candidate:
    rows: list[RawRow]
    columns: ColumnMap
    header_text: str
    footer_text: str
    notes: dict[int, list[str]]
    skipped: list[str]
    header_row: int | None = None  # source row of the header (tables)


def _width(rows: list[RawRow]) -> int:
    return max((len(r.cells) for r in rows), default=0)


def _table_candidate(tables: list[RawTable]) -> _Candidate | None:
    for index, table in enumerate(tables):
        match = find_header(table.rows)
        if match is None:
            continue
        rows = list(table.rows)
        footer = table.footer_text
        # a table Word split in two (page breaks) repeats the same header, or goes on without one: join the parts
        width = _width(rows[match.first_data :])
        for following in tables[index + 1 :]:
            again = find_header(following.rows)
            if again is None and following.rows and _width(following.rows) == width:
                rows += following.rows
            elif again is not None and again.index == 0 and again.columns.labels == match.columns.labels:
                rows += following.rows[again.first_data :]
            else:
                break
            footer = following.footer_text
        above = ["  ".join(c.strip() for c in row.cells if c.strip()) for row in rows[: match.index]]
        header_text = "\n".join([table.header_text, *above]).strip("\n")
        return _Candidate(rows[match.first_data :], match.columns, header_text, footer, {}, [],
                          rows[match.index].number)
    return None


def _paragraph_candidate(lines: list[str]) -> _Candidate | None:
    found = read_paragraphs(lines)
    if found is None:
        return None
    return _Candidate(found.rows, PARAGRAPH_COLUMNS, found.header_text, found.footer_text, found.notes,
                      found.skipped)


def read_plan_bytes(data: bytes, filename: str, *, year: int | None = None,
                    title: str | None = None, default_year: int | None = None) -> ParsedPlan:
    """Parse a plan from its bytes; `filename` picks the format by extension. Raises PlanReadError.
    `default_year` (the caller's current year) is taken, with a warning, when the file names no year at all."""
    name = PurePath(filename).name or filename
    source: Source = read_source(data, name)
    text = "\n".join(source.lines)
    first_is_lead = bool(RULE_RE.search(text))
    everyone = tuple(plan_wide_units(text))
    last_error: PlanReadError | None = None
    # the table first; the paragraphs only when no table gives a plan
    for find in (lambda: _table_candidate(source.tables), lambda: _paragraph_candidate(source.lines)):
        candidate = find()
        if candidate is None:
            continue
        try:
            return _build(candidate, data, name, year=year, title=title, first_is_lead=first_is_lead,
                          all_text=text, everyone=everyone, default_year=default_year)
        except PlanReadError as exc:
            last_error = exc
    raise last_error or PlanReadError(f"{name}: {_(_NOTHING_FOUND)}")


def _build(candidate: _Candidate, data: bytes, name: str, *, year: int | None, title: str | None,
           first_is_lead: bool, all_text: str, everyone: tuple[UnitRef, ...] = (),
           default_year: int | None = None) -> ParsedPlan:
    preamble = read_preamble(candidate.header_text, candidate.footer_text)
    plan_title = (title or preamble.title or PurePath(name).stem).strip()

    base_year = (year or year_in(plan_title) or (preamble.issued_on.year if preamble.issued_on else None)
                 or doc_no_year(preamble.doc_no) or common_year(candidate.header_text))
    guessed = assumed = None
    if base_year is None:
        base_year = guessed = common_year(all_text)
    if base_year is None and default_year is not None:
        base_year = assumed = default_year
    if base_year is None:
        raise PlanReadError(
            _("{name}: cannot tell the plan's year (no year in the title and no issue date); give it with --year").format(name=name)
        )
    if not 2000 <= base_year <= 2100:
        raise PlanReadError(_('{name}: implausible plan year {base_year}; give the right one with --year').format(name=name, base_year=base_year))

    tasks, warnings = build_tasks(candidate.rows, candidate.columns, year=base_year,
                                  issued_on=preamble.issued_on, source=name, first_is_lead=first_is_lead,
                                  everyone=everyone)
    if not tasks:
        where = f"on row {candidate.header_row}" if candidate.header_row else "in the text"
        raise PlanReadError(_("{name}: found the plan's header {where} but no task rows below it").format(name=name, where=where))
    if guessed is not None:
        warnings.append(PlanWarning(None, "plan_year_guessed", _(
            "{name}: the title and the notice give no year; took {year}, the year the text names most; "
            "if wrong, import again with --year").format(name=name, year=guessed)))
    if assumed is not None:
        warnings.append(PlanWarning(None, "plan_year_assumed", _(
            "{name}: the file names no year at all; took {year}, the current year; if wrong, import again with "
            "--year").format(name=name, year=assumed)))
    if candidate.columns.seq is None:
        warnings.append(PlanWarning(None, "seq_numbered_in_order", _(
            "{name}: the table has no 序号 column; tasks are numbered 1–{count} in the order of the rows"
        ).format(name=name, count=len(tasks))))
    by_row = {task.row: task for task in tasks}
    for row, pieces in candidate.notes.items():
        task = by_row.get(row)
        for piece in pieces:
            warnings.append(PlanWarning(task.seq if task else None, "annotation_unread", _(
                "task {seq}: cannot read {text!r} in the annotation as a unit or a deadline"
            ).format(seq=task.label if task else "?", text=piece), sub=task.sub if task else 0))
    if candidate.skipped:
        warnings.append(PlanWarning(None, "section_without_tasks", _(
            "sections without any 牵头单位/责任单位/完成时限 were not read as tasks: {sections}"
        ).format(sections="; ".join(candidate.skipped))))
    warnings += check_plan(tasks, year=base_year, issued_on=preamble.issued_on)
    return ParsedPlan(
        title=plan_title,
        doc_no=preamble.doc_no,
        issuer=preamble.issuer,
        year=base_year,
        issued_on=preamble.issued_on,
        source_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        tasks=tasks,
        warnings=limit_warnings(warnings),
    )


def read_plan(path: str | Path, *, year: int | None = None, title: str | None = None,
              default_year: int | None = None) -> ParsedPlan:
    """Parse the plan file at `path`. Raises PlanReadError (English, naming the file) for bad input."""
    path = Path(path)
    try:
        check_size(path.stat().st_size, path.name)
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlanReadError(_('{name}: file not found ({path})').format(name=path.name, path=path)) from None
    except IsADirectoryError:
        raise PlanReadError(_('{name}: is a directory, not a plan file').format(name=path.name)) from None
    except OSError as exc:
        raise PlanReadError(_('{name}: cannot read the file ({value})').format(name=path.name, value=exc.strerror or exc)) from None
    return read_plan_bytes(data, path.name, year=year, title=title, default_year=default_year)
