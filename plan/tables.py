"""Read a simple table (.csv in UTF-8 / UTF-8 with BOM / GBK, or .xlsx) into rows of strings.

Excel in China saves CSV as GBK; GB18030 is its superset, so it is the fallback after UTF-8 (the encodings and
the binary check are the plan readers').
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from i18n import _
from plan.readers.base import TEXT_ENCODINGS, looks_binary


class TableReadError(Exception):
    """The file cannot be read as a table; the message names the file."""


def decode_text(data: bytes, name: str) -> str:
    # The same detection and encodings as the plan readers; only the wording differs (not a plan here).
    if looks_binary(data):
        raise TableReadError(_('{name}: this is a binary file, not a CSV text file').format(name=name))
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableReadError(_('{name}: cannot decode the text: save it as UTF-8 or GBK CSV').format(name=name))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(path: str | Path) -> list[list[str]]:
    """Rows of stripped strings; .csv and .xlsx only."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TableReadError(f"{path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise TableReadError(_('{path}: the file is empty').format(path=path))
    if suffix == ".csv":
        text = decode_text(data, str(path))
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    if suffix in (".xlsx", ".xlsm"):
        import zipfile

        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise TableReadError(_('{path}: not a readable .xlsx file ({exc})').format(path=path, exc=exc)) from None
        sheet = book.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    raise TableReadError(_('{path}: unsupported file type {value}: use .csv or .xlsx').format(path=path, value=suffix or '(none)'))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """The other way: rows to .xlsx, or to .csv in UTF-8 with a BOM (so Excel opens it right). Files read back
    by `read_rows` (the contacts sheet an office keeps)."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        book.save(path)
    elif path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            csv.writer(fh).writerows(rows)
    else:
        raise ValueError(f"{path.name}: the file must end in .csv or .xlsx")
