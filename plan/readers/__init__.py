"""Format readers: each turns a plan file into a Source (candidate raw tables and the running text).

The format libraries (python-docx, openpyxl, lxml, pdfplumber) are imported only when a file of their format is
read, so importing plan/ stays cheap.
"""

from __future__ import annotations

from pathlib import PurePath

from i18n import _
from plan.readers.base import PlanReadError, RawRow, RawTable, Source, looks_binary
from plan.readers.limits import check_package, check_size, zip_kind

__all__ = ["PlanReadError", "RawRow", "RawTable", "Source", "read_source", "read_tables", "SUPPORTED"]

SUPPORTED = (
    ".docx, .xlsx, .csv, .txt, .html, text .pdf, and .doc/.wps/.xls/.et when LibreOffice is installed"
)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office / WPS files (and encrypted OOXML)
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")
_DOCUMENT_EXT = (".docx", ".docm", ".xlsx", ".xlsm", ".doc", ".wps", ".xls", ".et", ".csv", ".txt", ".pdf")
_HTML_EXT = (".html", ".htm", ".shtml", ".xhtml", ".mht")


def _docx(data: bytes, name: str) -> Source:
    check_package(data, name, "docx")
    from plan.readers.docx_reader import read_docx

    return read_docx(data, name)


def _xlsx(data: bytes, name: str) -> Source:
    check_package(data, name, "xlsx")
    from plan.readers.xlsx_reader import read_xlsx

    return read_xlsx(data, name)


def _converted(data: bytes, name: str, target: str) -> Source:
    from plan.readers.convert import convert_with_soffice

    converted = convert_with_soffice(data, name, target)
    return _docx(converted, name) if target == "docx" else _xlsx(converted, name)


def _text(data: bytes, name: str) -> Source:
    from plan.readers.text_form import read_text_form

    return read_text_form(data, name)


def _html(data: bytes, name: str) -> Source:
    from plan.readers.html_reader import read_html

    return read_html(data, name)


def _pdf(data: bytes, name: str) -> Source:
    from plan.readers.pdf_reader import read_pdf

    return read_pdf(data, name)


def _looks_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in data[:4096].lower()


def read_source(data: bytes, filename: str) -> Source:
    """The tables and text of the file (in simplified characters); PlanReadError (one line, naming the file)
    for unreadable input."""
    from plan.readers.simplify import simplified

    return simplified(_read_source(data, filename))


def _read_source(data: bytes, filename: str) -> Source:
    name = PurePath(filename).name or filename
    ext = PurePath(name).suffix.lower()
    check_size(len(data), name)
    if not data.strip():
        raise PlanReadError(_('{name}: the file is empty').format(name=name))
    if data.startswith(b"%PDF"):
        return _pdf(data, name)
    if data.startswith(_IMAGE_MAGIC) or ext in (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"):
        what = f"not a valid {ext} file: it is an image" if ext in _DOCUMENT_EXT else "this is an image"
        raise PlanReadError(
            _('{name}: {what}, not a document; duban reads text, not pictures of it: import the original .docx/.xlsx (or retype the plan)').format(name=name, what=what)
        )
    if data.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise PlanReadError(_('{name}: the file is password-protected (encrypted); save a copy without a password and import that').format(name=name))
        if ext in (".xls", ".et", ".xlsx", ".xlsm"):
            return _converted(data, name, "xlsx")
        return _converted(data, name, "docx")
    if ext == ".pdf":
        raise PlanReadError(_('{name}: not a valid PDF file (no %PDF header)').format(name=name))
    kind = zip_kind(data)
    if ext in (".docx", ".docm", ".xlsx", ".xlsm") and kind is None:
        raise PlanReadError(_('{name}: not a valid {ext} file (it is not a zip package, or it is damaged)').format(name=name, ext=ext))
    if kind == "docx":
        return _docx(data, name)
    if kind == "xlsx":
        return _xlsx(data, name)
    if kind == "zip":
        raise PlanReadError(_('{name}: a zip archive that is not a Word or Excel document; unpack it first').format(name=name))
    if ext == ".csv":
        from plan.readers.csv_reader import read_csv

        return read_csv(data, name)
    if ext in _HTML_EXT or _looks_html(data):
        return _html(data, name)
    if ext in (".txt", ".text", ".md", ""):
        if looks_binary(data):
            raise PlanReadError(_('{name}: unrecognised binary file; supported: {SUPPORTED}').format(name=name, SUPPORTED=SUPPORTED))
        return _text(data, name)
    if ext in (".doc", ".wps", ".xls", ".et"):
        raise PlanReadError(_('{name}: not a valid {ext} file').format(name=name, ext=ext))
    raise PlanReadError(_("{name}: unsupported file type '{ext}'; supported: {SUPPORTED}").format(name=name, ext=ext, SUPPORTED=SUPPORTED))


def read_tables(data: bytes, filename: str) -> list[RawTable]:
    """Candidate tables of the file, in the order they should be tried."""
    return read_source(data, filename).tables
