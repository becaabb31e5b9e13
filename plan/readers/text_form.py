"""The seed's text form: each table cell starts with a TAB at the beginning of a line.

A cell's text may go on over the following lines (wrapped mid-word, sometimes with blank lines in between);
those lines are joined without spaces, as Chinese text is. A row begins with the 序号 cell (a number), or with
a section heading cell such as "一、着眼稳定预期".
"""

from __future__ import annotations

import re

from i18n import _
from plan.readers.base import PlanReadError, RawRow, RawTable, Source, decode_text

_SEQ = re.compile(r"^[0-9０-９]{1,4}[.．、]?$")
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)])")
# the table ends at a rule line (━━━ / ───) or at the 抄送 list
_TABLE_END = re.compile(r"^\s*(?:[━─—═_]{3,}|抄送|抄报)")


def _join(lines: list[str]) -> str:
    return "".join(line.strip() for line in lines)


def _starts_row(first_line: str, current: list[list[str]]) -> bool:
    text = first_line.strip()
    if not current:
        return True
    if _SEQ.match(text):
        # a number starts a row once the current one holds more than a seq cell, or is a lone heading
        return len(current) >= 3 or (len(current) == 1 and bool(_HEADING.match(_join(current[0]))))
    return bool(_HEADING.match(text)) and len(current) >= 2


def read_text_form(data: bytes, name: str) -> Source:
    """The text: its lines, and the table of the text form when TAB-started cells are found."""
    text = decode_text(data, name)
    if not text.strip():
        raise PlanReadError(_('{name}: the file is empty').format(name=name))
    lines = text.splitlines()
    table = _table(lines)
    return Source(tables=[table] if table else [], lines=lines)


def _table(lines: list[str]) -> RawTable | None:
    tab_lines = [i for i, line in enumerate(lines) if line.startswith("\t")]
    # the table starts at its 序号 header cell; a tab-indented paragraph above it is not part of it
    start = next((i for i in tab_lines if lines[i].strip() in ("序号", "编号")), tab_lines[0] if tab_lines else None)
    if start is None:
        return None
    end = next((i for i in range(start, len(lines)) if _TABLE_END.match(lines[i])), len(lines))

    rows: list[RawRow] = []
    cells: list[list[str]] = []  # the current row's cells, each a list of source lines
    row_line = 0
    for index in range(start, end):
        line = lines[index]
        if not line.startswith("\t"):
            if cells:
                cells[-1].append(line)
            continue
        for part_no, part in enumerate(line.split("\t")[1:]):
            if part_no == 0 and _starts_row(part, cells):
                if cells:
                    rows.append(RawRow(row_line, [_join(c) for c in cells]))
                cells = []
                row_line = index + 1
            cells.append([part])
    if cells:
        rows.append(RawRow(row_line, [_join(c) for c in cells]))
    return RawTable(
        rows=rows,
        header_text="\n".join(lines[:start]),
        footer_text="\n".join(lines[end:]),
    )
