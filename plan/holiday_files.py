"""The text of a holiday notice from the file an admin has: .txt (UTF-8 or GBK), .docx, .html (a saved page)."""

from __future__ import annotations

from pathlib import PurePath

from plan.holidays import Notice, NoticeError, parse_notice
from plan.readers.base import TEXT_ENCODINGS, looks_binary

_BLOCKS = ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
           "table", "ul", "ol", "pre", "blockquote", "title")


def _decode(data: bytes, name: str) -> str:
    if looks_binary(data):
        raise NoticeError(f"{name}: a binary file; save the notice as .txt, .docx or .html")
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NoticeError(f"{name}: the text is neither UTF-8 nor GBK/GB18030; save it as UTF-8 and try again")


def _html_text(data: bytes, name: str) -> str:
    import lxml.etree
    import lxml.html  # a dependency of python-docx

    try:
        doc = lxml.html.document_fromstring(data)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise NoticeError(f"{name}: cannot read this web page ({exc})") from None
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for element in doc.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
    return doc.text_content()


def _docx_text(data: bytes, name: str) -> str:
    import io
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise NoticeError(f"{name}: not a readable .docx ({exc})") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def notice_text(data: bytes, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".docx":
        return _docx_text(data, filename)
    if suffix in (".html", ".htm", ".mhtml") or data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return _html_text(data, filename)
    if suffix in (".doc", ".wps", ".pdf", ".xlsx", ".xls"):
        raise NoticeError(f"{filename}: {suffix} is not read; copy the notice's text into a .txt file or save the "
                          "web page as .html")
    return _decode(data, filename)


def read_notice(data: bytes, filename: str) -> Notice:
    """Read one notice file (`-` for standard input is the caller's bytes with the name '-')."""
    name = "standard input" if filename == "-" else PurePath(filename).name
    return parse_notice(notice_text(data, name if filename == "-" else filename), name)
