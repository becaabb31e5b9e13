"""Import limits, checked before a file is parsed: its size, and for .docx/.xlsx (zip packages) the declared
unpacked size and the number of entries, so a zip bomb is refused without unpacking it.

The figures are module settings so the CLI can change them from the configuration ([import] max_file_mb).
"""

from __future__ import annotations

import io
import zipfile

from i18n import _
from plan.readers.base import PlanReadError

MB = 1024 * 1024
# a plan document is a few hundred kB; 20 MB leaves room for pictures in a .docx
MAX_FILE_BYTES = 20 * MB
# everything a package unpacks to (pictures included), and the XML parts alone (what the parser holds in memory)
MAX_UNPACKED_BYTES = 200 * MB
MAX_XML_BYTES = 40 * MB
MAX_ENTRIES = 2000
# the most rows a plan table may have and cells a plan may hold (a plan has tens to a few hundred tasks)
MAX_ROWS = 10000
MAX_CELLS = 300_000


def set_max_file_bytes(limit: int) -> None:
    global MAX_FILE_BYTES
    MAX_FILE_BYTES = max(1, int(limit))


def check_size(size: int, name: str) -> None:
    if size > MAX_FILE_BYTES:
        raise PlanReadError(
            _('{name}: the file is {value:.1f} MB, over the {value2:g} MB import limit ([import] max_file_mb); a plan document is far smaller: is this the right file?').format(name=name, value=size / MB, value2=MAX_FILE_BYTES / MB)
        )


def zip_kind(data: bytes) -> str | None:
    """'docx', 'xlsx', 'zip' (another zip archive) or None (not a readable zip)."""
    if not data.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return "zip"


def check_package(data: bytes, name: str, kind: str) -> None:
    """Refuse a package whose directory promises an absurd unpacked size or entry count (read from the zip's
    central directory only; nothing is decompressed). The declared sizes bind: zipfile stops at them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise PlanReadError(_('{name}: not a valid .{kind} file (damaged zip package: {exc})').format(name=name, kind=kind, exc=exc)) from None
    if len(infos) > MAX_ENTRIES:
        raise PlanReadError(_('{name}: the .{kind} package has {infos} parts (at most {MAX_ENTRIES}); refused as malformed').format(name=name, kind=kind, infos=len(infos), MAX_ENTRIES=MAX_ENTRIES))
    total = sum(info.file_size for info in infos)
    xml = sum(info.file_size for info in infos if info.filename.endswith((".xml", ".rels")))
    if total > MAX_UNPACKED_BYTES or xml > MAX_XML_BYTES:
        raise PlanReadError(
            _('{name}: the .{kind} package would unpack to {value:.0f} MB ({value2:.0f} MB of XML; limits {value3:g} MB and {value4:g} MB); refused as a likely zip bomb').format(name=name, kind=kind, value=total / MB, value2=xml / MB, value3=MAX_UNPACKED_BYTES / MB, value4=MAX_XML_BYTES / MB)
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise PlanReadError(_('{name}: the .{kind} package is encrypted; save a copy without a password').format(name=name, kind=kind))
    _count_rows(data, infos, name, kind)


_ROW_TAGS = {"docx": b"<w:tr", "xlsx": b"<row"}
_ROW_PARTS = {"docx": ("word/document.xml",), "xlsx": ("xl/worksheets/",)}


def _count_rows(data: bytes, infos: list[zipfile.ZipInfo], name: str, kind: str) -> None:
    """Count the table rows by streaming the parts (a few MB at a time) before a parser builds them all in
    memory: openpyxl takes seconds and hundreds of MB for a sheet of 100 000 rows."""
    tag = _ROW_TAGS[kind]
    rows = 0
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for info in infos:
            if not info.filename.startswith(_ROW_PARTS[kind]) or not info.filename.endswith(".xml"):
                continue
            tail = b""
            try:
                with package.open(info) as part:
                    while chunk := part.read(4 * MB):
                        block = tail + chunk
                        rows += block.count(tag)
                        tail = block[-(len(tag) - 1):]
                        if rows > MAX_ROWS:
                            raise PlanReadError(
                                _('{name}: more than {MAX_ROWS} table rows is more than a plan holds; refused').format(name=name, MAX_ROWS=MAX_ROWS))
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise PlanReadError(_('{name}: not a valid .{kind} file (damaged part {filename}: {exc})').format(name=name, kind=kind, filename=info.filename, exc=exc)
                                    ) from None


def check_rows(rows: int, cells: int, name: str) -> None:
    if rows > MAX_ROWS or cells > MAX_CELLS:
        raise PlanReadError(
            _('{name}: {rows} rows and {cells} cells is more than a plan holds (at most {MAX_ROWS} rows, {MAX_CELLS} cells); refused').format(name=name, rows=rows, cells=cells, MAX_ROWS=MAX_ROWS, MAX_CELLS=MAX_CELLS)
        )
