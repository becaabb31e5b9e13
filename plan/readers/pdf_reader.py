"""Text PDFs, read with pdfplumber: the tables it finds on each page (a table running over pages is joined) and
the text, line by line. A PDF without a text layer (a scan) is refused: duban does not read pictures of text."""

from __future__ import annotations

import io

from i18n import _
from plan.readers import limits
from plan.readers.base import PlanReadError, RawRow, RawTable, Source

MAX_PAGES = 300


def _rows(table: list[list[str | None]], start: int) -> list[RawRow]:
    rows: list[RawRow] = []
    for offset, cells in enumerate(table):
        # pdfplumber gives None for the cells a merged cell covers: "same as above" below it, a span beside it
        values = [c or "" for c in cells]
        vmerged = frozenset(i for i, c in enumerate(cells) if c is None and i == 0)
        hspan = frozenset(i for i, c in enumerate(cells) if c is None and i > 0)
        rows.append(RawRow(start + offset, values, vmerged, hspan))
    return rows


def read_pdf(data: bytes, name: str) -> Source:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        document = pdfplumber.open(io.BytesIO(data))
    except PDFPasswordIncorrect:
        raise PlanReadError(_('{name}: the PDF is password-protected; save a copy without a password').format(name=name)) from None
    except (PDFSyntaxError, Exception) as exc:  # pdfminer raises many unrelated types for broken files
        raise PlanReadError(_('{name}: not a readable PDF file ({name2})').format(name=name, name2=exc.__class__.__name__)) from None
    with document:
        pages = document.pages
        if len(pages) > MAX_PAGES:
            raise PlanReadError(_('{name}: {pages} pages is more than a plan has (at most {MAX_PAGES})').format(name=name, pages=len(pages), MAX_PAGES=MAX_PAGES))
        lines: list[str] = []
        tables: list[RawTable] = []
        chars = 0
        row_count = 0
        try:
            for page in pages:
                text = page.extract_text() or ""
                chars += len(text.strip())
                lines += text.splitlines()
                for found in page.extract_tables():
                    rows = _rows(found, row_count + 1)
                    row_count += len(rows)
                    limits.check_rows(row_count, row_count * max((len(r.cells) for r in rows), default=1), name)
                    width = max((len(r.cells) for r in rows), default=0)
                    previous = tables[-1] if tables else None
                    if previous and previous.rows and len(previous.rows[-1].cells) == width:
                        previous.rows += rows  # the table goes on over the page break
                    else:
                        tables.append(RawTable(rows=rows, header_text="\n".join(lines)))
        except PlanReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged page stream
            raise PlanReadError(_("{name}: cannot read the PDF's pages ({name2})").format(name=name, name2=exc.__class__.__name__)) from None
    if chars == 0:
        raise PlanReadError(
            _('{name}: the PDF has no text layer (a scanned document); duban cannot read pictures of text: import the original .docx/.xlsx, or run OCR and check the text first').format(name=name)
        )
    return Source(tables=tables, lines=lines)
