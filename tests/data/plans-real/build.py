"""Build the real-plan corpus files from their committed text sources (src/NAME.src).

A source is UTF-8 text. Lines starting with `#key: value` before the content set options:
  #file: NAME.EXT       the file to produce beside this script (.docx .xlsx .csv .txt .html .pdf)
  #encoding: gbk        for .csv/.txt/.html (default utf-8; .csv defaults to gbk, as Excel saves it)
  #site: 某某区人民政府   for .html: the site name in the page chrome (header, navigation, footer)
Then the document's text, one paragraph per line, and tables between `#table` and `#end`, one row per line,
cells separated by ` | `. In a cell, `^` continues the cell above (a vertical merge: w:vMerge in .docx, a merged
range in .xlsx, rowspan in .html, blank in .csv/.txt), `<` continues the cell to the left (gridSpan, colspan),
and `\\n` is a line break inside the cell.

Run: .venv/bin/python tests/data/plans-real/build.py [NAME ...]   (needs python-docx, openpyxl, reportlab)
     .venv/bin/python tests/data/plans-real/build.py --list        (the README's file list)
"""

from __future__ import annotations

import csv
import html
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_TIME = datetime(2024, 1, 1)  # document properties, so a rebuild gives the same file
UP, LEFT = "^", "<"


@dataclass
class Source:
    name: str
    options: dict[str, str]
    blocks: list = field(default_factory=list)  # str paragraphs and list[list[str]] tables

    @property
    def target(self) -> Path:
        return HERE / self.options["file"]

    @property
    def encoding(self) -> str:
        default = "gbk" if self.target.suffix == ".csv" else "utf-8"
        return self.options.get("encoding", default)


def load(path: Path) -> Source:
    src = Source(path.stem, {})
    table: list[list[str]] | None = None
    header = True
    for line in path.read_text(encoding="utf-8").splitlines():
        if header and line.startswith("#") and ":" in line and not line.startswith(("#table", "#end")):
            key, _, value = line[1:].partition(":")
            src.options[key.strip()] = value.strip()
            continue
        header = False
        if line.strip() == "#table":
            table = []
        elif line.strip() == "#end":
            src.blocks.append(table)
            table = None
        elif table is not None:
            table.append([c.strip().replace("\\n", "\n") for c in line.split(" | ")])
        else:
            src.blocks.append(line)
    if table is not None:
        raise SystemExit(f"{path.name}: #table without #end")
    return src


@dataclass
class Span:
    text: str
    rows: int
    cols: int


def spans(table: list[list[str]]) -> dict[tuple[int, int], Span]:
    """Top-left (row, col) of each merged area, with its size; continuation cells are absent."""
    width = max(len(r) for r in table)
    grid = [r + [""] * (width - len(r)) for r in table]
    out: dict[tuple[int, int], Span] = {}
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for i, row in enumerate(grid):
        for j, cell in enumerate(row):
            if cell == LEFT and j > 0:
                top = owner[(i, j - 1)]
                owner[(i, j)] = top
                if top[0] == i:
                    out[top].cols = max(out[top].cols, j - top[1] + 1)
            elif cell == UP and i > 0:
                top = owner[(i - 1, j)]
                owner[(i, j)] = top
                out[top].rows = max(out[top].rows, i - top[0] + 1)
            else:
                owner[(i, j)] = (i, j)
                out[(i, j)] = Span(cell, 1, 1)
    return out


def flat(table: list[list[str]]) -> list[list[str]]:
    """The table as a spreadsheet saves merged cells: the value top-left, the rest blank."""
    return [["" if c in (UP, LEFT) else c for c in row] for row in table]


def _fix_zip_times(path: Path) -> None:
    """Rewrite a zip package with fixed member times, so a rebuild gives the same bytes."""
    import zipfile

    with zipfile.ZipFile(path) as old:
        members = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in members:
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            new.writestr(fixed, data)


# --- writers ----------------------------------------------------------------------------------------------------


def write_docx(src: Source) -> None:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    for block in src.blocks:
        if isinstance(block, str):
            para = doc.add_paragraph(block)
            for run in para.runs:
                run.font.size = Pt(12)
            continue
        width = max(len(r) for r in block)
        table = doc.add_table(rows=len(block), cols=width)
        table.style = "Table Grid"
        for (i, j), span in spans(block).items():
            cell = table.cell(i, j)
            if span.rows > 1 or span.cols > 1:
                cell = cell.merge(table.cell(i + span.rows - 1, j + span.cols - 1))
            lines = span.text.split("\n")
            cell.paragraphs[0].text = lines[0]
            for extra in lines[1:]:
                cell.add_paragraph(extra)
    doc.core_properties.created = doc.core_properties.modified = FIXED_TIME
    doc.save(src.target)
    _fix_zip_times(src.target)


def write_xlsx(src: Source) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    book = Workbook()
    sheet = book.active
    sheet.title = src.options.get("sheet", "Sheet1")
    row = 1
    for block in src.blocks:
        if isinstance(block, str):
            if block.strip():
                sheet.cell(row=row, column=1, value=block)
                row += 1
            continue
        for (i, j), span in spans(block).items():
            cell = sheet.cell(row=row + i, column=j + 1, value=span.text or None)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if span.rows > 1 or span.cols > 1:
                sheet.merge_cells(start_row=row + i, start_column=j + 1,
                                  end_row=row + i + span.rows - 1, end_column=j + span.cols)
        row += len(block)
    book.properties.created = book.properties.modified = FIXED_TIME
    book.save(src.target)
    _fix_zip_times(src.target)


def write_csv(src: Source) -> None:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    for block in src.blocks:
        if isinstance(block, str):
            if block.strip():
                out.writerow([block])
        else:
            out.writerows(flat(block))
    src.target.write_bytes(buf.getvalue().encode(src.encoding))


def write_txt(src: Source) -> None:
    lines: list[str] = []
    for block in src.blocks:
        if isinstance(block, str):
            lines.append(block)
        else:
            lines += ["\t".join(c.replace("\n", " ") for c in row) for row in flat(block)]
    src.target.write_bytes(("\r\n".join(lines) + "\r\n").encode(src.encoding))


def html_body(src: Source) -> str:
    parts: list[str] = []
    for block in src.blocks:
        if isinstance(block, str):
            if block.strip():
                parts.append(f"<p style=\"text-indent:2em\">{html.escape(block)}</p>")
            continue
        cells = spans(block)
        rows = []
        for i in range(len(block)):
            tds = []
            for j in range(max(len(r) for r in block)):
                span = cells.get((i, j))
                if span is None:
                    continue
                attrs = (f" rowspan=\"{span.rows}\"" if span.rows > 1 else "") + (
                    f" colspan=\"{span.cols}\"" if span.cols > 1 else "")
                text = "<br>".join(html.escape(t) for t in span.text.split("\n"))
                tds.append(f"<td{attrs}>{text}</td>")
            rows.append("<tr>" + "".join(tds) + "</tr>")
        parts.append("<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\">\n" + "\n".join(rows) + "\n</table>")
    return "\n".join(parts)


def write_html(src: Source) -> None:
    site = src.options.get("site", "人民政府门户网站")
    charset = "gb2312" if src.encoding.lower() in ("gbk", "gb2312", "gb18030") else "utf-8"
    title = next((b for b in src.blocks if isinstance(b, str) and b.strip()), src.name)
    page = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(title)}_{html.escape(site)}</title>
<link rel="stylesheet" href="/css/style.css">
<script src="/js/jquery.min.js"></script>
</head>
<body>
<div class="top"><a href="/">首页</a> | <a href="/wza/">无障碍</a> | <a href="/mobile/">手机版</a> | 繁体</div>
<div class="header"><h1>{html.escape(site)}</h1></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/xxgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/">政务公开</a> &gt; 通知公告</div>
<div class="article">
<div class="info">发布时间：{html.escape(src.options.get("published", ""))} 来源：{html.escape(site)} 字体：[大 中 小]</div>
<div class="content" id="zoom">
{html_body(src)}
</div>
<div class="share">【打印本页】【关闭窗口】</div>
</div>
<div class="footer">
<p>主办：{html.escape(site)} 网站标识码：0000000000</p>
<p>版权所有 未经许可不得复制 建议使用1366×768分辨率浏览</p>
</div>
</body>
</html>
"""
    src.target.write_bytes(page.encode(src.encoding, errors="strict"))


def write_pdf(src: Source) -> None:
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    rl_config.invariant = 1  # the same bytes on every build
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK")
    cell_style = ParagraphStyle("cell", fontName="STSong-Light", fontSize=9, leading=12, wordWrap="CJK")
    has_table = any(not isinstance(b, str) for b in src.blocks)
    size = landscape(A4) if has_table else A4
    story = []
    for block in src.blocks:
        if isinstance(block, str):
            story.append(Paragraph(html.escape(block), body) if block.strip() else Spacer(1, 8))
            continue
        width = max(len(r) for r in block)
        grid = [[Paragraph(html.escape(c).replace("\n", "<br/>"), cell_style) if c not in (UP, LEFT) else ""
                 for c in row + [""] * (width - len(row))] for row in block]
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        for (i, j), span in spans(block).items():
            if span.rows > 1 or span.cols > 1:
                style.append(("SPAN", (j, i), (j + span.cols - 1, i + span.rows - 1)))
        weights = [float(w) for w in src.options.get("widths", "").split()] or [1.0] * width
        total = size[0] - 72
        story.append(Table(grid, colWidths=[total * w / sum(weights) for w in weights], style=TableStyle(style),
                           repeatRows=1))
    SimpleDocTemplate(str(src.target), pagesize=size, leftMargin=36, rightMargin=36, topMargin=36,
                      bottomMargin=36, title=src.options.get("title", src.name)).build(story)


WRITERS = {".docx": write_docx, ".xlsx": write_xlsx, ".csv": write_csv, ".txt": write_txt, ".html": write_html,
           ".pdf": write_pdf}


def file_list() -> str:
    """The README's list of files, from the gold files: `build.py --list`."""
    import json
    from collections import Counter

    golds = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(HERE.glob("*.gold.json"))]
    kinds, formats = Counter(g["kind"] for g in golds), Counter(g["format"] for g in golds)
    lines = [f"{len(golds)} plans ({kinds['paragraph']} paragraph, {kinds['table']} table), "
             f"{sum(len(g['tasks']) for g in golds)} task rows; "
             + ", ".join(f"{n} .{f}" for f, n in formats.most_common()) + ".", "",
             "| file | format | kind | tasks | year | title | source |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for g in golds:
        fmt = g["format"] + (f" ({g['encoding']})" if g.get("encoding") else "")
        lines.append(f"| {g['file']} | {fmt} | {g['kind']} | {len(g['tasks'])} | {g['year']} | {g['title']} | "
                     f"{g['source']} |")
    return "\n".join(lines)


def main(names: list[str]) -> None:
    if names == ["--list"]:
        print(file_list())
        return
    for path in sorted((HERE / "src").glob("*.src")):
        if names and path.stem not in names:
            continue
        src = load(path)
        WRITERS[src.target.suffix](src)
        print(f"{path.name} -> {src.target.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
