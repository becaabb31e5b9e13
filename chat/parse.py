"""A chat message → a Command. Pure: no database; never raises on any text.

Positions are found in the half-width fold of the message and used to slice the original, so the text a
person wrote (full-width brackets and all) is what gets stored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chat.dates import find_date
from chat.textnorm import CN_NUMERAL_CHARS, cn_number, halfwidth

# Argument shapes a command word takes.
NONE, PAGE, REF, REF_TEXT, REF_DATE_TEXT, ID_TEXT = "none", "page", "ref", "ref_text", "ref_date_text", "id_text"
FREE, EMPTY = "free", "empty"  # not a command: free text, or nothing at all
MAX_SEQ = 9999
MAX_TEXT = 1000  # characters kept from a report; a WeCom text message is at most 2048 bytes anyway

_CN = f"[{CN_NUMERAL_CHARS}]{{1,6}}"
_NOT_A_REF_AFTER = r"(?!\d)(?!\s*(?:%|[.\-/]\d|月|年))(?!日|个|天|周|人|次)"
_REF = re.compile(
    r"^[\s:,，、;；]*[#\[【]?\s*(?:"
    rf"(?P<di>第)?\s*(?P<code>[A-Za-z]{{1,4}})?(?P<num>\d{{1,4}})(?:-(?P<sub>\d{{1,2}})(?![\d\-/.]|月|日|号))?"
    rf"{_NOT_A_REF_AFTER}"
    rf"|第\s*(?P<cn1>{_CN})(?=\s*(?:项|号|条)|\s|$)"
    rf"|(?P<cn2>{_CN})(?=\s*(?:项|号|条))"
    r")\s*(?:项|号|条)?\s*[\]】]?"
)
# A free text only counts as naming its item in the unmistakable forms: #24, [24], 【24】, 第24项, A24 is not one.
_FREE_REF = re.compile(r"^\s*(?:#\s*(?P<a>\d{1,4})|[\[【]\s*(?P<b>\d{1,4})\s*[\]】]|第\s*(?P<c>\d{1,4})\s*项)(?!\d)")
_ID = re.compile(r"^[\s:,，、;；]*(?:申请)?\s*#?\s*(?:第\s*)?(?P<id>\d{1,9})(?!\d)\s*(?:号|条)?")
_PAGE = re.compile(r"^[\s:,，、;；]*(?:第\s*)?(?P<page>\d{1,3})(?!\d)\s*页?")
_PERCENT = re.compile(r"(?<![\d.])(?P<n>\d{1,3}(?:\.\d+)?)\s*%")
_CN_PERCENT = re.compile(rf"百分之(?P<n>{_CN})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # never stored (PostgreSQL refuses NUL)
_SEPARATORS = " \t\r\n:,，、;；.。!！-—~～"
_BOUNDARY = set(_SEPARATORS) | set("#[【(（第?") | set("0123456789")


@dataclass(frozen=True)
class TaskRef:
    seq: int
    plan: str | None = None  # plan code as typed (upper-cased), when given: A24
    sub: int = 0  # a sub-row of the task: 完成 4-2

    def __str__(self) -> str:
        return f"{self.plan or ''}{self.seq}" + (f"-{self.sub}" if self.sub else "")


@dataclass(frozen=True)
class Command:
    name: str  # a registered command name, FREE or EMPTY
    word: str = ""  # the command word as matched (lower-case)
    ref: TaskRef | None = None
    number: int | None = None  # an extension id (批准 7) or a page (任务 2)
    text: str = ""  # the rest as written: progress, note, reason
    percent: int | None = None
    new_due: dt.date | None = None
    problem: str | None = None  # no_ref | bad_ref | no_date | bad_date | no_number


def _strip(text: str) -> str:
    return text.strip(_SEPARATORS)[:MAX_TEXT]


def _is_ascii_word(word: str) -> bool:
    return word.isascii() and word[:1].isalpha()


def _match_word(folded: str, words: list[str]) -> str | None:
    """The longest command word the message starts with, when what follows lets it be a command."""
    lower = folded.lower()
    for word in words:
        if not lower.startswith(word):
            continue
        after = folded[len(word):len(word) + 2]
        if not after:
            return word
        if _is_ascii_word(word):
            if not ("a" <= after[0].lower() <= "z"):
                return word
            continue
        # 完成了初稿 is a sentence, not 完成 + text: the word must be followed by a separator or a number.
        if after[0] in _BOUNDARY or (after[0].isascii() and after[0].isalpha() and after[1:2].isdigit()):
            return word
        if _cn_ref_follows(folded[len(word):]):  # 完成二十四项
            return word
    return None


def _cn_ref_follows(rest: str) -> bool:
    m = _REF.match(rest)
    return bool(m and (m["cn1"] or m["cn2"]))


def parse_ref(folded: str) -> tuple[TaskRef | None, int, str | None]:
    """A task number at the start: (ref, where it ends, problem)."""
    m = _REF.match(folded)
    if not m:
        return None, 0, None
    raw = m["num"] or m["cn1"] or m["cn2"]
    seq = int(raw) if m["num"] else cn_number(raw)
    if seq is None or not 1 <= seq <= MAX_SEQ:
        return None, m.end(), "bad_ref"
    code = m["code"].upper() if m["code"] else None
    sub = int(m["sub"]) if m["num"] and m["sub"] else 0
    if m["sub"] and not 1 <= sub <= 99:
        return None, m.end(), "bad_ref"
    return TaskRef(seq, code, sub), m.end(), None


def parse_percent(folded: str) -> int | None:
    """The last percentage in the text (60%, 60％, 百分之六十), when it is 0–100."""
    found = [(m.start(), m["n"], False) for m in _PERCENT.finditer(folded)]
    found += [(m.start(), m["n"], True) for m in _CN_PERCENT.finditer(folded)]
    if not found:
        return None
    _start, raw, chinese = max(found)
    value = cn_number(raw) if chinese else round(float(raw))
    return value if value is not None and 0 <= value <= 100 else None


def _args(name: str, word: str, shape: str, folded: str, original: str, today: dt.date) -> Command:
    if shape == NONE:
        return Command(name, word)
    if shape == PAGE:
        m = _PAGE.match(folded)
        page = int(m["page"]) if m else None
        return Command(name, word, number=page if page and page >= 1 else None)
    if shape == ID_TEXT:
        m = _ID.match(folded)
        if not m:
            return Command(name, word, text=_strip(original), problem="no_number")
        return Command(name, word, number=int(m["id"]), text=_strip(original[m.end():]))
    ref, end, problem = parse_ref(folded)
    if ref is None:
        return Command(name, word, text=_strip(original), problem=problem or "no_ref")
    rest, rest_original = folded[end:], original[end:]
    if shape == REF:
        return Command(name, word, ref=ref, text=_strip(rest_original))
    if shape == REF_TEXT:
        return Command(name, word, ref=ref, text=_strip(rest_original), percent=parse_percent(rest))
    found = find_date(rest, today)  # REF_DATE_TEXT
    if found is None:
        return Command(name, word, ref=ref, text=_strip(rest_original), problem="no_date")
    reason = _strip(_strip(rest_original[:found.start]) + " " + _strip(rest_original[found.end:]))
    if found.day is None:
        return Command(name, word, ref=ref, text=reason, problem="bad_date")
    return Command(name, word, ref=ref, text=reason, new_due=found.day)


_WORDS: dict[int, tuple[Mapping[str, tuple[str, str]], list[str]]] = {}


def _longest_first(grammar: Mapping[str, tuple[str, str]]) -> list[str]:
    """The grammar's words, longest first: sorted once per grammar (the registry gives the same one each time)."""
    known = _WORDS.get(id(grammar))
    if known is not None and known[0] is grammar and len(known[1]) == len(grammar) - ("?" in grammar):
        return known[1]
    words = sorted((w for w in grammar if w != "?"), key=len, reverse=True)
    if len(_WORDS) > 32:
        _WORDS.clear()
    _WORDS[id(grammar)] = (grammar, words)
    return words


def parse(text: str | None, grammar: Mapping[str, tuple[str, str]], today: dt.date) -> Command:
    """`grammar` maps each command word (lower-case) to (command name, argument shape)."""
    original = _CONTROL.sub("", text or "").strip()
    folded = halfwidth(original)
    if not folded.strip(_SEPARATORS + "?"):
        if folded and set(folded.strip()) <= {"?"} and "?" in grammar:
            return Command(grammar["?"][0], "?")
        return Command(EMPTY)
    word = _match_word(folded, _longest_first(grammar))
    if word is None:
        ref, end, _problem = parse_ref(folded)
        if ref is not None and not folded[end:].strip(_SEPARATORS):  # only an item number (74, 第74项, A14 …)
            return Command(FREE, ref=ref)
        m = _FREE_REF.match(folded)
        if m:
            seq = int(m["a"] or m["b"] or m["c"])
            if 1 <= seq <= MAX_SEQ:
                rest = _strip(original[m.end():])
                return Command(FREE, ref=TaskRef(seq), text=rest or _strip(original), percent=parse_percent(folded))
        return Command(FREE, text=_strip(original) or original[:MAX_TEXT], percent=parse_percent(folded))
    name, shape = grammar[word]
    return _args(name, word, shape, folded[len(word):], original[len(word):], today)
