"""Plans copied from a page in traditional characters (牽頭單位 …) are read in simplified ones.

Reposting sites often serve a traditional-character copy of a mainland notice; every rule of the plan readers
is written in simplified characters. OpenCC (t2s) converts, loaded only when the text needs it.
"""

from __future__ import annotations

from dataclasses import replace

from plan.readers.base import RawTable, Source

# characters that exist only in the traditional script and are common in plans
_TRADITIONAL = set("單責務門縣區員會與為關於發這組織時間們個項劃產長東點歲實際業環資導動農體廣義")
_SAMPLE = 20000


def looks_traditional(text: str) -> bool:
    sample = text[:_SAMPLE]
    hits = sum(1 for ch in sample if ch in _TRADITIONAL)
    return hits >= 5 and hits * 50 >= sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff")


def simplified(source: Source) -> Source:
    """The source in simplified characters when it is written in traditional ones; unchanged otherwise."""
    text = "\n".join(source.lines) + "\n".join(c for t in source.tables[:1] for r in t.rows[:50] for c in r.cells)
    if not looks_traditional(text):
        return source
    import opencc

    convert = opencc.OpenCC("t2s.json").convert
    tables = [RawTable([replace(r, cells=[convert(c) for c in r.cells]) for r in t.rows], convert(t.header_text),
                       convert(t.footer_text)) for t in source.tables]
    return Source(tables=tables, lines=[convert(line) for line in source.lines])
