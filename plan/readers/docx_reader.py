"""Tables of a .docx file, read with python-docx.

Merged cells: a vertically merged continuation (w:vMerge="continue") means "same as above" and is reported in
RawRow.vmerged with an empty value; the grid columns a horizontally merged cell spans after its first are
reported in RawRow.hspan.
"""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from i18n import _
from plan.readers.base import PlanReadError, RawRow, RawTable, Source
from plan.readers.limits import check_rows


def _is_hmerge_continue(tc) -> bool:
    # legacy Word 97 horizontal merge, still found in files converted from .doc
    tc_pr = tc.tcPr
    if tc_pr is None:
        return False
    h_merge = tc_pr.find(qn("w:hMerge"))
    return h_merge is not None and h_merge.get(qn("w:val"), "continue") == "continue"


def _table_rows(table: Table) -> list[RawRow]:
    rows: list[RawRow] = []
    width = len(table._tbl.tblGrid.gridCol_lst) if table._tbl.tblGrid is not None else 0
    for number, tr in enumerate(table._tbl.tr_lst, start=1):
        cells: list[str] = [""] * tr.grid_before
        vmerged: set[int] = set()
        hspan: set[int] = set()
        for tc in tr.tc_lst:
            col = len(cells)
            span = max(1, tc.grid_span)
            if tc.vMerge == "continue":
                cells.extend([""] * span)
                vmerged.update(range(col, col + span))
                continue
            if _is_hmerge_continue(tc):
                cells.extend([""] * span)
                hspan.update(range(col, col + span))
                continue
            cells.append(_Cell(tc, table).text)
            cells.extend([""] * (span - 1))
            hspan.update(range(col + 1, col + span))
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        rows.append(RawRow(number, cells, frozenset(vmerged), frozenset(hspan)))
    return rows


def read_docx(data: bytes, name: str) -> Source:
    """Every top-level table of the document, each with the paragraphs before and after it, and the paragraphs."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise PlanReadError(_('{name}: not a valid .docx file (it is not a zip package)').format(name=name))
    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for broken packages
        raise PlanReadError(_('{name}: not a valid .docx file ({name2}: {exc})').format(name=name, name2=exc.__class__.__name__, exc=exc)) from exc

    blocks = list(document.iter_inner_content())
    row_count = sum(len(b._tbl.tr_lst) for b in blocks if isinstance(b, Table))
    check_rows(row_count, row_count * max((len(b._tbl.tblGrid.gridCol_lst) for b in blocks
                                           if isinstance(b, Table) and b._tbl.tblGrid is not None), default=1), name)
    texts = [b.text for b in blocks if isinstance(b, Paragraph)]
    tables: list[RawTable] = []
    seen_paragraphs = 0
    for block in blocks:
        if isinstance(block, Paragraph):
            seen_paragraphs += 1
            continue
        tables.append(
            RawTable(
                rows=_table_rows(block),
                header_text="\n".join(texts[:seen_paragraphs]),
                footer_text="\n".join(texts[seen_paragraphs:]),
            )
        )
    # soft line breaks inside a paragraph are lines of their own (a labelled 牵头单位 line after the item)
    lines = [line for text in texts for line in text.splitlines()]
    return Source(tables=tables, lines=lines)
