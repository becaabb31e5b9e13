"""Raw table shapes shared by the format readers, and the one error they raise."""

from __future__ import annotations

from dataclasses import dataclass, field

from i18n import _


class PlanReadError(Exception):
    """A plan file that cannot be read; the message is English and names the file (and row if any)."""


@dataclass
class RawRow:
    number: int  # 1-based source position: line (text form), table row (docx), sheet row (xlsx), record (csv)
    cells: list[str]
    # column indexes that continue a vertical merge (docx vMerge=continue, xlsx merged range below its top row):
    # the cell explicitly means "same as above"
    vmerged: frozenset[int] = frozenset()
    # column indexes that continue a horizontal merge to their left: they carry no value of their own
    hspan: frozenset[int] = frozenset()


@dataclass
class RawTable:
    rows: list[RawRow]
    header_text: str = ""  # text before the table (title rows of a sheet, paragraphs above a docx table)
    footer_text: str = ""  # text after the table (抄送, the issuing office and 印发 date)


@dataclass
class Source:
    """What a reader found in a file: its tables (may be none) and its running text, paragraph by paragraph."""

    tables: list[RawTable] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def table_lines(tables: list[RawTable]) -> list[str]:
    """The running text of a sheet: each row's non-blank cells, one line per cell line (a paragraph plan pasted
    into a spreadsheet is one paragraph a row)."""
    lines: list[str] = []
    for table in tables:
        for row in table.rows:
            for cell in row.cells:
                lines.extend(cell.splitlines())
    return lines


TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters: not a text file whatever its extension says."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(4, len(sample) // 100)


def decode_text(data: bytes, name: str) -> str:
    """Decode a text file: UTF-8 (with or without BOM), then GB18030 (a superset of GBK and GB2312)."""
    if looks_binary(data):
        raise PlanReadError(_('{name}: this is a binary file, not text; cannot read it as a plan').format(name=name))
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlanReadError(_('{name}: the text is neither UTF-8 nor GBK/GB18030; save it as UTF-8 and try again').format(name=name))
