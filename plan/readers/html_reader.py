"""A plan saved from a government web page (.html, UTF-8 or GBK): its tables (rowspan/colspan as merged cells)
and its text, one line per paragraph, read with lxml."""

from __future__ import annotations

import re

from i18n import _
from plan.readers import limits
from plan.readers.base import TEXT_ENCODINGS, PlanReadError, RawRow, RawTable, Source

_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)
_BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
           "td", "th", "pre", "blockquote", "dd", "dt")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")


def _decode(data: bytes, name: str) -> str:
    declared = _CHARSET.search(data[:4096])
    encodings = list(TEXT_ENCODINGS)
    if declared:
        label = declared.group(1).decode("ascii", "replace").lower()
        encodings.insert(0, "gb18030" if label in ("gbk", "gb2312", "gb18030", "x-gbk") else label)
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise PlanReadError(_('{name}: the page is neither UTF-8 nor GBK; save it again as UTF-8').format(name=name))


def _cell_text(cell) -> str:
    for br in cell.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in cell.iter("p", "div"):
        block.tail = "\n" + (block.tail or "")
    text = cell.text_content()
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines() if line.strip())


def _span(cell, attribute: str) -> int:
    try:
        return max(1, min(int(cell.get(attribute, "1")), 200))
    except ValueError:
        return 1


def _table_rows(table) -> list[RawRow]:
    rows: list[RawRow] = []
    pending: dict[int, int] = {}  # column → rows still covered by a rowspan from above
    trs = [tr for tr in table.iter("tr") if tr.getparent() is table or tr.getparent().getparent() is table]
    for number, tr in enumerate(trs, start=1):
        cells: list[str] = []
        vmerged: set[int] = set()
        hspan: set[int] = set()
        col = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while pending.get(col, 0) > 0:
                cells.append("")
                vmerged.add(col)
                pending[col] -= 1
                col += 1
            width, height = _span(td, "colspan"), _span(td, "rowspan")
            cells.append(_cell_text(td))
            for extra in range(1, width):
                cells.append("")
                hspan.add(col + extra)
            for covered in range(col, col + width):
                if height > 1:
                    pending[covered] = height - 1
            col += width
        while any(pending.get(c, 0) > 0 for c in range(col, max(pending, default=-1) + 1)):
            if pending.get(col, 0) > 0:
                vmerged.add(col)
                pending[col] -= 1
            cells.append("")
            col += 1
        rows.append(RawRow(number, cells, frozenset(vmerged), frozenset(hspan)))
    return rows


def read_html(data: bytes, name: str) -> Source:
    import lxml.html
    from lxml.etree import ParserError

    text = _decode(data, name)
    try:
        root = lxml.html.document_fromstring(text)
    except (ParserError, ValueError) as exc:
        raise PlanReadError(_('{name}: not a readable HTML page ({exc})').format(name=name, exc=exc)) from None
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    all_tables = root.xpath("//table")
    count = sum(len(t.xpath(".//tr")) for t in all_tables)
    limits.check_rows(count, count, name)
    # innermost tables first: government pages lay the page out in tables around the plan's own
    inner = [t for t in all_tables if not t.xpath(".//table")]
    tables = [RawTable(rows=_table_rows(t)) for t in inner]
    for block in root.iter(*_BLOCKS):
        block.tail = "\n" + (block.tail or "")
        if block.tag == "br":
            continue
        block.text = "\n" + (block.text or "")
    body = root.find("body")
    content = (body if body is not None else root).text_content()
    lines = [_SPACES.sub(" ", line).strip() for line in content.splitlines()]
    lines = [line for line in lines if line]
    title = root.findtext(".//title") or ""
    if tables:
        for table in tables:
            table.header_text = title
    return Source(tables=tables, lines=[title.strip(), *lines] if title.strip() else lines)
