"""A .csv export of the plan table: UTF-8 (with or without BOM) or GBK/GB18030, comma/tab/semicolon separated."""

from __future__ import annotations

import csv
import io

from plan.readers.base import PlanReadError, RawRow, RawTable, decode_text


def read_csv(data: bytes, name: str) -> list[RawTable]:
    text = decode_text(data, name)
    if not text.strip():
        raise PlanReadError(f"{name}: the file is empty")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise PlanReadError(f"{name}: not a readable CSV file ({exc})") from exc
    rows = [RawRow(number, list(cells)) for number, cells in enumerate(records, start=1)]
    return [RawTable(rows=rows)]
