"""Format readers: each turns a plan file into candidate raw tables (rows of cell strings + surrounding text)."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from plan.readers.base import PlanReadError, RawRow, RawTable, looks_binary
from plan.readers.convert import convert_with_soffice
from plan.readers.csv_reader import read_csv
from plan.readers.docx_reader import read_docx
from plan.readers.text_form import read_text_form
from plan.readers.xlsx_reader import read_xlsx

__all__ = ["PlanReadError", "RawRow", "RawTable", "read_tables", "SUPPORTED"]

SUPPORTED = ".docx, .xlsx, .csv, the text form (.txt), and .doc/.wps/.xls/.et when LibreOffice is installed"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office / WPS files


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
    except zipfile.BadZipFile:
        return None
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return None


def read_tables(data: bytes, filename: str) -> list[RawTable]:
    """Candidate tables of the file, in the order they should be tried; PlanReadError for unreadable input."""
    name = PurePath(filename).name or filename
    ext = PurePath(name).suffix.lower()
    if not data.strip():
        raise PlanReadError(f"{name}: the file is empty")
    if data.startswith(b"%PDF") or ext == ".pdf":
        raise PlanReadError(
            f"{name}: PDF files cannot be imported; use the original .docx/.xlsx (or export the table to one)"
        )
    if ext in (".doc", ".wps", ".docx", ".wpt", ".dot") and data.startswith(_OLE_MAGIC):
        return read_docx(convert_with_soffice(data, name, "docx"), name)
    if ext in (".xls", ".et", ".xlsx") and data.startswith(_OLE_MAGIC):
        return read_xlsx(convert_with_soffice(data, name, "xlsx"), name)
    if ext in (".docx", ".docm"):
        return read_docx(data, name)
    if ext in (".xlsx", ".xlsm"):
        return read_xlsx(data, name)
    if ext == ".csv":
        return read_csv(data, name)
    if ext in (".txt", ".text"):
        return [read_text_form(data, name)]
    if ext in (".doc", ".wps"):
        return read_docx(convert_with_soffice(data, name, "docx"), name)
    if ext in (".xls", ".et"):
        return read_xlsx(convert_with_soffice(data, name, "xlsx"), name)
    if ext == "":
        kind = _zip_kind(data)
        if kind == "docx":
            return read_docx(data, name)
        if kind == "xlsx":
            return read_xlsx(data, name)
        if not looks_binary(data):
            return [read_text_form(data, name)]
        raise PlanReadError(f"{name}: unrecognised binary file; supported: {SUPPORTED}")
    raise PlanReadError(f"{name}: unsupported file type '{ext}'; supported: {SUPPORTED}")
