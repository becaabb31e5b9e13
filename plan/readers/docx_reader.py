"""Tables and paragraphs of a .docx file, read from its WordprocessingML.

Merged cells: a vertically merged continuation (w:vMerge="continue") means "same as above" and is reported in
RawRow.vmerged with an empty value; the grid columns a horizontally merged cell spans after its first are
reported in RawRow.hspan.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from i18n import _
from plan.readers.base import PlanReadError, RawRow, RawTable, Source
from plan.readers.limits import check_rows

# The document's own XML (WordprocessingML), read with defusedxml: python-docx has no public way to tell a
# vertically merged continuation from the cell above it.
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RUN_TEXT = {W + "tab": "\t", W + "br": "\n", W + "cr": "\n", W + "noBreakHyphen": "-"}


def _val(element: Element | None, default: str | None = None) -> str | None:
    return default if element is None else element.get(W + "val", default)


def paragraph_text(p: Element) -> str:
    """The text of a w:p as Word shows it: runs' text, tabs, line breaks (hyperlinks and fields included)."""
    out = []
    for el in p.iter():
        if el.tag == W + "t":
            out.append(el.text or "")
        elif el.tag in _RUN_TEXT:
            out.append(_RUN_TEXT[el.tag])
    return "".join(out)


def _cell_text(tc: Element) -> str:
    return "\n".join(paragraph_text(p) for p in tc.findall(W + "p"))  # a table nested in a cell is not its text


def _int_val(element: Element | None, default: int) -> int:
    value = _val(element)
    return int(value) if value is not None and value.isdigit() else default


def _table_rows(tbl: Element) -> list[RawRow]:
    rows: list[RawRow] = []
    width = len(tbl.findall(f"{W}tblGrid/{W}gridCol"))
    for number, tr in enumerate(tbl.findall(W + "tr"), start=1):
        cells: list[str] = [""] * _int_val(tr.find(f"{W}trPr/{W}gridBefore"), 0)
        vmerged: set[int] = set()
        hspan: set[int] = set()
        for tc in tr.findall(W + "tc"):
            col = len(cells)
            props = tc.find(W + "tcPr")
            span = max(1, _int_val(props.find(W + "gridSpan") if props is not None else None, 1))
            v_merge = props.find(W + "vMerge") if props is not None else None
            h_merge = props.find(W + "hMerge") if props is not None else None
            if v_merge is not None and _val(v_merge, "continue") == "continue":
                cells.extend([""] * span)
                vmerged.update(range(col, col + span))
                continue
            if h_merge is not None and _val(h_merge, "continue") == "continue":
                # legacy Word 97 horizontal merge, still found in files converted from .doc
                cells.extend([""] * span)
                hspan.update(range(col, col + span))
                continue
            cells.append(_cell_text(tc))
            cells.extend([""] * (span - 1))
            hspan.update(range(col + 1, col + span))
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        rows.append(RawRow(number, cells, frozenset(vmerged), frozenset(hspan)))
    return rows


def _body(data: bytes, name: str) -> Element:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            xml = package.read("word/document.xml")
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except (zipfile.BadZipFile, KeyError, SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise PlanReadError(_('{name}: not a valid .docx file ({name2}: {exc})').format(
            name=name, name2=exc.__class__.__name__, exc=exc)) from exc
    body = root.find(W + "body")
    if body is None:
        raise PlanReadError(_('{name}: not a valid .docx file ({name2}: {exc})').format(
            name=name, name2="document.xml", exc="no w:body"))
    return body


def read_docx(data: bytes, name: str) -> Source:
    """Every top-level table of the document, each with the paragraphs before and after it, and the paragraphs."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise PlanReadError(_('{name}: not a valid .docx file (it is not a zip package)').format(name=name))
    blocks = [b for b in _body(data, name) if b.tag in (W + "p", W + "tbl")]
    tables_xml = [b for b in blocks if b.tag == W + "tbl"]
    row_count = sum(len(t.findall(W + "tr")) for t in tables_xml)
    check_rows(row_count, row_count * max((len(t.findall(f"{W}tblGrid/{W}gridCol")) for t in tables_xml),
                                          default=1), name)
    texts = [paragraph_text(b) for b in blocks if b.tag == W + "p"]
    tables: list[RawTable] = []
    seen_paragraphs = 0
    for block in blocks:
        if block.tag == W + "p":
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
