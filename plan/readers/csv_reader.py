"""A .csv export of the plan table: UTF-8 (with or without BOM) or GBK/GB18030, comma/tab/semicolon separated."""

from __future__ import annotations

import csv
import io

from i18n import _
from plan.readers import limits
from plan.readers.base import PlanReadError, RawRow, RawTable, Source, decode_text, table_lines


def read_csv(data: bytes, name: str) -> Source:
    text = decode_text(data, name)
    if not text.strip():
        raise PlanReadError(_('{name}: the file is empty').format(name=name))
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    records: list[list[str]] = []
    cells = 0
    try:
        for record in csv.reader(io.StringIO(text, newline=""), dialect):
            records.append(record)
            cells += len(record)
            if len(records) > limits.MAX_ROWS or cells > limits.MAX_CELLS:
                limits.check_rows(len(records), cells, name)
    except csv.Error as exc:
        raise PlanReadError(_('{name}: not a readable CSV file ({exc})').format(name=name, exc=exc)) from exc
    rows = [RawRow(number, list(cells)) for number, cells in enumerate(records, start=1)]
    tables = [RawTable(rows=rows)]
    return Source(tables=tables, lines=table_lines(tables))
