"""Sheets of an .xlsx workbook, read with openpyxl.

In a merged range only the top-left cell holds the value: the cells below it are reported in RawRow.vmerged
("same as above"), the cells to its right in RawRow.hspan.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

from openpyxl import load_workbook

from i18n import _
from plan.readers.base import PlanReadError, RawRow, RawTable, Source, table_lines
from plan.readers.limits import check_rows


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        # a real date in a 完成时限 cell: write it the way the deadline phrases are written
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, time):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet_rows(sheet, name: str) -> list[RawRow]:
    width = sheet.max_column or 0
    check_rows(sheet.max_row or 0, (sheet.max_row or 0) * width, name)
    vmerged: dict[int, set[int]] = {}
    hspan: dict[int, set[int]] = {}
    for merged in sheet.merged_cells.ranges:
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                if row > merged.min_row:
                    vmerged.setdefault(row, set()).add(col - 1)
                elif col > merged.min_col:
                    hspan.setdefault(row, set()).add(col - 1)
    rows: list[RawRow] = []
    for number, values in enumerate(sheet.iter_rows(max_col=width, values_only=True), start=1):
        rows.append(
            RawRow(
                number,
                [cell_text(v) for v in values],
                frozenset(vmerged.get(number, ())),
                frozenset(hspan.get(number, ())),
            )
        )
    return rows


def read_xlsx(data: bytes, name: str) -> Source:
    """Every sheet of the workbook, the active sheet first."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise PlanReadError(_('{name}: not a valid .xlsx file (it is not a zip package)').format(name=name))
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for broken packages
        raise PlanReadError(_('{name}: not a valid .xlsx file ({name2}: {exc})').format(name=name, name2=exc.__class__.__name__, exc=exc)) from exc
    sheets = list(workbook.worksheets)
    active = workbook.active
    if active in sheets:
        sheets.remove(active)
        sheets.insert(0, active)
    tables = [RawTable(rows=_sheet_rows(sheet, name)) for sheet in sheets]
    return Source(tables=tables, lines=table_lines(tables[:1]))
