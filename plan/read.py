"""Read a 分工方案 file (text form, .docx, .xlsx, .csv, or .doc/.wps via LibreOffice) into a ParsedPlan."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePath

from plan.assemble import build_tasks
from plan.checks import check_plan
from plan.document import ParsedPlan
from plan.header import HeaderMatch, find_header
from plan.preamble import read_preamble, year_in
from plan.readers import PlanReadError, RawTable, read_tables

__all__ = ["read_plan", "read_plan_bytes", "PlanReadError"]

_HEADER_HELP = (
    "no recognisable header row; a plan table needs a 序号 or 工作任务 column, a 具体要求 column, "
    "and a 牵头单位/责任单位 or 完成时限 column"
)


def _pick_table(tables: list[RawTable], name: str) -> tuple[RawTable, HeaderMatch]:
    for index, table in enumerate(tables):
        match = find_header(table.rows)
        if match is None:
            continue
        rows = list(table.rows)
        footer = table.footer_text
        # a table Word split in two (page breaks) repeats the same header: join the parts
        for following in tables[index + 1 :]:
            again = find_header(following.rows)
            if again is None or again.index != 0 or again.columns.labels != match.columns.labels:
                break
            rows += following.rows[again.first_data :]
            footer = following.footer_text
        return RawTable(rows, table.header_text, footer), match
    raise PlanReadError(f"{name}: {_HEADER_HELP}")


def read_plan_bytes(data: bytes, filename: str, *, year: int | None = None,
                    title: str | None = None) -> ParsedPlan:
    """Parse a plan from its bytes; `filename` picks the format by extension. Raises PlanReadError."""
    name = PurePath(filename).name or filename
    table, match = _pick_table(read_tables(data, name), name)

    above = ["  ".join(c.strip() for c in row.cells if c.strip()) for row in table.rows[: match.index]]
    header_text = "\n".join([table.header_text, *above]).strip("\n")
    preamble = read_preamble(header_text, table.footer_text)
    plan_title = (title or preamble.title or PurePath(name).stem).strip()

    base_year = year or year_in(plan_title) or (preamble.issued_on.year if preamble.issued_on else None)
    if base_year is None:
        raise PlanReadError(
            f"{name}: cannot tell the plan's year (no year in the title and no issue date); give it with --year"
        )
    if not 2000 <= base_year <= 2100:
        raise PlanReadError(f"{name}: implausible plan year {base_year}; give the right one with --year")

    tasks, warnings = build_tasks(table.rows[match.first_data :], match.columns, year=base_year,
                                  issued_on=preamble.issued_on, source=name)
    if not tasks:
        header_row = table.rows[match.index].number
        raise PlanReadError(f"{name}: found the header on row {header_row} but no task rows below it")
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
        warnings=warnings,
    )


def read_plan(path: str | Path, *, year: int | None = None, title: str | None = None) -> ParsedPlan:
    """Parse the plan file at `path`. Raises PlanReadError (English, naming the file) for bad input."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlanReadError(f"{path.name}: file not found ({path})") from None
    except IsADirectoryError:
        raise PlanReadError(f"{path.name}: is a directory, not a plan file") from None
    except OSError as exc:
        raise PlanReadError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from None
    return read_plan_bytes(data, path.name, year=year, title=title)
