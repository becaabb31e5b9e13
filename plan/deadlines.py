"""Read the 完成时限 column of a task-division plan: Chinese deadline phrases → Deadline values.

Pure and total: every public function accepts any string and never raises. A phrase that cannot be read
becomes Deadline(kind='unknown') carrying the raw text; nothing is guessed.

Rules beyond DESIGN.md ("Deadline phrases"), decided here:
- A month range (11—12月, 11月至12月) means the end of its last month. When the right end has no year and an
  earlier month than the left end (12月—次年2月 written as 12-2月), it belongs to the following year.
- 次年/明年/翌年 name year+1; 今年/当年/本年 name the plan year; either counts as an explicit year.
- 月初 → the 10th and 月中 → the 15th (precision 'tenday'), like 上旬 → 10th, 中旬 → 20th, 下旬 → month end.
- 全年… (全年工作, 全年持续推进) is year-round even when it also says 持续; a bare 持续推进/长期/常态化 is ongoing.
- Recurring phrases: due is the first occurrence in the plan year on/after the issue date (or the first of
  the year without an issue date), None when none is left in the year. 每半年/每周 have no recurrence value
  in the model and stay 'unknown'.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import date

from plan.cntext import cn_digits, halfwidth_char
from plan.model import Deadline

__all__ = ["parse_deadlines", "parse_deadline_phrase", "split_deadline_phrases", "describe_deadline"]

_MIN_YEAR, _MAX_YEAR = 1900, 2200
_SPLIT_YEAR = 2000  # a leap year, so splitting a cell never depends on the plan year

# Phrase separators inside one cell; '、' between two numbers (11、12月) is a range, not a separator.
_SEPARATORS = "\n\r，,；;。|"
_NUMERALS = "〇零一二两三四五六七八九十"
# Skipped around phrases written in one segment (12月底前（全年）); the words only between two phrases
# (12月底前和全年工作), since 及 also starts 及时.
_PUNCT_CONNECTORS = set("、/()（）【】[]“”\"'《》")
_WORD_CONNECTORS = ("以及", "和", "及", "与", "或", "并")

# ---------------------------------------------------------------------------------------------- patterns
_PRE = r"(?:于|在|截至|截止到|截止|最迟|最晚|力争|争取|原则上|须|需|要|至|到)?"
_YEAR = r"(?:(?P<y>\d{4})年|(?P<ry>次年|明年|翌年|今年|当年|本年))?"
_SUF = r"(?:之前|以前|前|内|为止|止)?(?:完成|结束|办结|到位|上报|报送)?(?:前)?"
_TEN = r"上旬|中旬|下旬|初|中"

_P_DAY = re.compile(_PRE + _YEAR + r"(?P<m>\d{1,2})月份?(?P<d>\d{1,2})[日号]" + _SUF)
_P_TENDAY = re.compile(_PRE + _YEAR + rf"(?P<m>\d{{1,2}})月份?(?P<t>{_TEN})" + _SUF)
_P_MONTH = re.compile(_PRE + _YEAR + r"(?P<m>\d{1,2})月份?(?:底|末)?" + _SUF)
_P_ISO = re.compile(_PRE + r"(?P<y>\d{4})[-./](?P<m>\d{1,2})(?:[-./](?P<d>\d{1,2})日?)?" + _SUF)
_P_HALF = re.compile(_PRE + _YEAR + r"(?P<h>上半年|下半年|年中)(?:末|底)?" + _SUF)
_P_QUARTER = re.compile(_PRE + _YEAR + r"第?(?P<q>[1-4])季度?(?:末|底)?" + _SUF)
_P_YEAR = re.compile(_PRE + r"(?:(?P<y>\d{4})|(?P<ry>次|明|翌|今|当|本))?年度?(?P<e>底|末|内)?" + _SUF)
_P_ROUND = re.compile(_PRE + _YEAR + r"全年度?(?:工作|持续推进|持续开展|持续|推进|开展|坚持|落实|实施)*")
_P_ONGOING = re.compile(
    _PRE + r"(?:长期坚持|长期|持续推进|持续开展|持续|常态化|常态|长效|常年|经常性|日常|随时|及时)"
    r"(?:推进|坚持|开展|工作|落实|实施|进行)*"
)
_P_MONTHLY = re.compile(_PRE + r"每个?月(?:(?P<d>\d{1,2})[日号])?(?:底|末)?" + _SUF)
_P_QUARTERLY = re.compile(_PRE + r"每个?季度?(?:末|底)?" + _SUF)
_P_YEARLY = re.compile(_PRE + r"每年度?(?:(?P<m>\d{1,2})月份?(?:(?P<d>\d{1,2})[日号]|底|末)?)?" + _SUF)
# Range: a left end, a dash-like separator, then a full right end parsed by the fixed patterns above.
_P_RANGE_LEFT = re.compile(
    _PRE + _YEAR + r"(?P<m>\d{1,2})(?:月份?(?:\d{1,2}[日号]|上旬|中旬|下旬|初|底|末)?)?"
    r"(?:-|—|–|―|~|〜|至|到|、)+"
)
_P_DAYS_ONLY = re.compile(r"(?P<d>\d{1,2})[日号]" + _SUF)  # right end of 12月1日-15日


# ------------------------------------------------------------------------------------ normalization
def _normalize(segment: str) -> tuple[str, list[tuple[int, int]]]:
    """Half-width digits, no whitespace, Chinese numerals as digits; plus each output char's raw span."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _NUMERALS:
            j = i
            while j < len(segment) and segment[j] in _NUMERALS:
                j += 1
            digits = cn_digits(segment[i:j])
            if digits is not None:
                out.extend(digits)
                spans.extend([(i, j)] * len(digits))
                i = j
                continue
        out.append(halfwidth_char(ch))
        spans.append((i, i + 1))
        i += 1
    return "".join(out), spans


# --------------------------------------------------------------------------------------- date helpers
def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_of(match: re.Match, plan_year: int) -> tuple[int, bool] | None:
    """The year a phrase names (explicit) or the plan year; None when the named year is implausible."""
    groups = match.groupdict()
    if groups.get("y"):
        year = int(groups["y"])
        return (year, True) if _MIN_YEAR <= year <= _MAX_YEAR else None
    relative = groups.get("ry")
    if relative:
        return (plan_year + 1, True) if relative[0] in "次明翌" else (plan_year, True)
    return plan_year, False


def _fixed(due: date, precision: str, explicit: bool) -> Deadline:
    return Deadline(raw="", kind="fixed", due=due, precision=precision, explicit_year=explicit)


# ------------------------------------------------------------------------------- per-pattern readers
def _read_day(m: re.Match, year: int) -> Deadline | None:
    y = _year_of(m, year)
    month, day = int(m["m"]), int(m["d"])
    if y is None or not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(y[0], month)[1]:
        return None
    return _fixed(date(y[0], month, day), "day", y[1])


def _read_tenday(m: re.Match, year: int) -> Deadline | None:
    y = _year_of(m, year)
    month = int(m["m"])
    if y is None or not 1 <= month <= 12:
        return None
    day = {"上旬": 10, "初": 10, "中旬": 20, "中": 15}.get(m["t"])
    due = _month_end(y[0], month) if day is None else date(y[0], month, day)
    return _fixed(due, "tenday", y[1])


def _read_month(m: re.Match, year: int) -> Deadline | None:
    y = _year_of(m, year)
    month = int(m["m"])
    if y is None or not 1 <= month <= 12:
        return None
    return _fixed(_month_end(y[0], month), "month", y[1])


def _read_iso(m: re.Match, year: int) -> Deadline | None:
    if m["d"] is None:
        return _read_month(m, year)
    return _read_day(m, year)


def _read_half(m: re.Match, year: int) -> Deadline | None:
    y = _year_of(m, year)
    if y is None:
        return None
    return _fixed(date(y[0], 12, 31) if m["h"] == "下半年" else date(y[0], 6, 30), "half", y[1])


def _read_quarter(m: re.Match, year: int) -> Deadline | None:
    y = _year_of(m, year)
    if y is None:
        return None
    return _fixed(_month_end(y[0], int(m["q"]) * 3), "quarter", y[1])


def _read_year(m: re.Match, year: int) -> Deadline | None:
    if not (m["y"] or m["ry"] or m["e"]):
        return None  # a bare 年 / 年前 (before Spring Festival?) is not read
    y = _year_of(m, year)
    if y is None:
        return None
    if m["e"] == "内":  # 年内, 本年度内: work through the year, due at its end, like 全年
        return replace(_read_round(m, year) or _fixed(date(y[0], 12, 31), "year", y[1]), explicit_year=y[1])
    return _fixed(date(y[0], 12, 31), "year", y[1])


def _read_round(m: re.Match, year: int) -> Deadline | None:
    y = _year_of(m, year)
    if y is None:
        return None
    return Deadline(
        raw="",
        kind="year_round",
        due=date(y[0], 12, 31),
        precision="year",
        recurrence="monthly",
        explicit_year=y[1],
    )


def _read_ongoing(m: re.Match, year: int) -> Deadline | None:
    return Deadline(raw="", kind="ongoing", due=None, precision="none")


def _first_on_or_after(candidates: list[date], issued_on: date | None) -> date | None:
    for candidate in candidates:
        if issued_on is None or candidate >= issued_on:
            return candidate
    return None


def _read_monthly(m: re.Match, year: int, issued_on: date | None) -> Deadline | None:
    day = int(m["d"]) if m["d"] else None
    if day is not None and not 1 <= day <= 31:
        return None
    dues = [
        _month_end(year, month) if day is None else date(year, month, min(day, _month_end(year, month).day))
        for month in range(1, 13)
    ]
    return Deadline(
        raw="",
        kind="recurring",
        due=_first_on_or_after(dues, issued_on),
        precision="month" if day is None else "day",
        recurrence="monthly",
        day_of_period=day,
    )


def _read_quarterly(m: re.Match, year: int, issued_on: date | None) -> Deadline | None:
    dues = [_month_end(year, month) for month in (3, 6, 9, 12)]
    return Deadline(
        raw="",
        kind="recurring",
        due=_first_on_or_after(dues, issued_on),
        precision="quarter",
        recurrence="quarterly",
    )


def _read_yearly(m: re.Match, year: int, issued_on: date | None) -> Deadline | None:
    if m["m"] is None:
        due, precision = date(year, 12, 31), "year"
    else:
        month = int(m["m"])
        if not 1 <= month <= 12:
            return None
        if m["d"]:
            day = int(m["d"])
            if not 1 <= day <= calendar.monthrange(year, month)[1]:
                return None
            due, precision = date(year, month, day), "day"
        else:
            due, precision = _month_end(year, month), "month"
    return Deadline(
        raw="",
        kind="recurring",
        due=_first_on_or_after([due], issued_on),
        precision=precision,
        recurrence="yearly",
    )


_FIXED_READERS = ((_P_DAY, _read_day), (_P_TENDAY, _read_tenday), (_P_MONTH, _read_month))
_READERS = (
    *_FIXED_READERS,
    (_P_ISO, _read_iso),
    (_P_HALF, _read_half),
    (_P_QUARTER, _read_quarter),
    (_P_YEAR, _read_year),
    (_P_ROUND, _read_round),
    (_P_ONGOING, _read_ongoing),
)
_RECURRING_READERS = ((_P_MONTHLY, _read_monthly), (_P_QUARTERLY, _read_quarterly), (_P_YEARLY, _read_yearly))


def _read_range(s: str, pos: int, year: int) -> tuple[int, Deadline] | None:
    """11—12月, 11月至12月, 2019年11月-2020年1月, 12月1日-15日 → the right end."""
    left = _P_RANGE_LEFT.match(s, pos)
    if left is None:
        return None
    left_year = _year_of(left, year)
    if left_year is None:
        return None
    left_month = int(left["m"])
    if not 1 <= left_month <= 12:
        return None
    best: tuple[int, Deadline] | None = None
    for pattern, reader in _FIXED_READERS:
        right = pattern.match(s, left.end())
        if right is None or right.end() <= left.end():
            continue
        right_year = _year_of(right, left_year[0])
        if right_year is None:
            continue
        base = left_year[0]
        if not right_year[1] and int(right["m"]) < left_month:
            base += 1  # 12-2月: a range runs forward, so its right end is next year
        found = reader(right, base)
        if found is not None and (best is None or right.end() > best[0]):
            explicit = left_year[1] or right_year[1] or base != year
            best = (right.end(), replace(found, explicit_year=explicit))
    days = _P_DAYS_ONLY.match(s, left.end())
    if best is None and days is not None and "月" in left.group(0):
        try:
            due = date(left_year[0], left_month, int(days["d"]))
        except ValueError:
            return None
        best = (days.end(), _fixed(due, "day", left_year[1]))
    return best


def _read_token(s: str, pos: int, year: int, issued_on: date | None) -> tuple[int, Deadline] | None:
    """The longest readable phrase starting at s[pos]: (end, Deadline without raw)."""
    best: tuple[int, Deadline] | None = None
    for pattern, reader in _READERS:
        m = pattern.match(s, pos)
        if m is not None and m.end() > pos and (best is None or m.end() > best[0]):
            found = reader(m, year)
            if found is not None:
                best = (m.end(), found)
    for pattern, reader in _RECURRING_READERS:
        m = pattern.match(s, pos)
        if m is not None and m.end() > pos and (best is None or m.end() > best[0]):
            found = reader(m, year, issued_on)
            if found is not None:
                best = (m.end(), found)
    ranged = _read_range(s, pos, year)
    if ranged is not None and (best is None or ranged[0] > best[0]):
        best = ranged
    return best


def _skip_punct(s: str, pos: int) -> int:
    while pos < len(s) and s[pos] in _PUNCT_CONNECTORS:
        pos += 1
    return pos


_STEP_FIRST = re.compile(r"^([\u4e00-\u9fff“”、]{2,16})[:：]\s*(.+)$")
_MILESTONE_VERBS = ("完成", "结束", "办结", "到位", "上报", "报送")
# the step after a date: 完成初稿, 全面完成, 投入使用, 动工 (short, no digits, no further date)
_MILESTONE_LABEL = re.compile(r"^[\u4e00-\u9fff“”\"、]{1,16}$")


def _milestone_label(s: str, end: int) -> str | None:
    rest = s[end:].strip().lstrip(":")  # 3月底前：制定方案 (full-width colons are ASCII here)
    if not _MILESTONE_LABEL.match(rest) or any(w in rest for w in ("月", "年", "日", "季度", "旬")):
        return None
    verb = next((v for v in _MILESTONE_VERBS if s[:end].endswith(v)), "")
    return verb + rest


def _tokenize(segment: str, year: int, issued_on: date | None) -> list[tuple[str, Deadline]] | None:
    """Read a whole segment as one or more phrases; None when any part of it is unreadable. A phrase followed
    by a short step (11月15日前完成初稿) is a milestone: the step is the deadline's label."""
    s, spans = _normalize(segment)
    tokens: list[tuple[str, Deadline]] = []
    pos = _skip_punct(s, 0)
    while pos < len(s):
        found = _read_token(s, pos, year, issued_on)
        if found is not None and found[1].kind == "fixed":
            label = _milestone_label(s, found[0])
            after = _skip_punct(s, found[0])
            word = next((w for w in _WORD_CONNECTORS if s.startswith(w, after)), "")
            follows = _read_token(s, _skip_punct(s, after + len(word)), year, issued_on) if after < len(s) else None
            if label is not None and follows is None:
                raw = segment[spans[pos][0] :].strip()
                tokens.append((raw, replace(found[1], label=label)))
                break
        if found is None and tokens:
            word = next((w for w in _WORD_CONNECTORS if s.startswith(w, pos)), None)
            if word is not None:
                pos = _skip_punct(s, pos + len(word))
                found = _read_token(s, pos, year, issued_on) if pos < len(s) else None
        if found is None:
            return None
        end, deadline = found
        raw = segment[spans[pos][0] : spans[end - 1][1]].strip()
        tokens.append((raw, deadline))
        pos = _skip_punct(s, end)
    return tokens or None


def _segments(text: str) -> list[str]:
    """Split a cell on line breaks and punctuation; keep 11、12月 together."""
    pieces: list[str] = []
    current: list[str] = []
    for i, ch in enumerate(text):
        is_range_comma = (
            ch == "、"
            and 0 < i < len(text) - 1
            and (text[i - 1].isdigit() or text[i - 1] in _NUMERALS)
            and (text[i + 1].isdigit() or text[i + 1] in _NUMERALS)
        )
        if ch in _SEPARATORS or "①" <= ch <= "⑳" or (ch == "、" and not is_range_comma):
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]


def _unknown(raw: str) -> Deadline:
    return Deadline(raw=raw, kind="unknown", due=None, precision="none")


def _finish(raw: str, deadline: Deadline, issued_on: date | None) -> Deadline:
    past = bool(
        issued_on is not None
        and deadline.kind in ("fixed", "year_round")
        and deadline.due is not None
        and deadline.due < issued_on
    )
    return replace(deadline, raw=raw, past_at_issue=past)


# ------------------------------------------------------------------------------------------ public API
def split_deadline_phrases(text: str) -> list[str]:
    """The phrases of one 完成时限 cell, as written (stripped), in order. Never raises."""
    try:
        if not isinstance(text, str):
            return []
        phrases: list[str] = []
        for segment in _segments(text):
            tokens = _tokenize(segment, _SPLIT_YEAR, None)
            phrases.extend([raw for raw, _ in tokens] if tokens else [segment])
        return phrases
    except Exception:  # noqa: BLE001 - the contract is total; an unreadable cell is one raw phrase
        return [text.strip()] if isinstance(text, str) and text.strip() else []


def parse_deadline_phrase(phrase: str, year: int, issued_on: date | None = None) -> Deadline:
    """Exactly one Deadline for one phrase (kind 'unknown' when it cannot be read). Never raises."""
    raw = phrase.strip() if isinstance(phrase, str) else ""
    try:
        tokens = _tokenize(raw, year, issued_on)
        if not tokens or len(tokens) != 1:
            return _unknown(raw)
        return _finish(raw, tokens[0][1], issued_on)
    except Exception:  # noqa: BLE001 - e.g. an out-of-range plan year
        return _unknown(raw)


def parse_deadlines(text: str, year: int, issued_on: date | None = None) -> list[Deadline]:
    """All deadlines in one 完成时限 cell, one per phrase of split_deadline_phrases, in order; [] for an
    empty cell. Never raises."""
    try:
        found: list[Deadline] = []
        for phrase in split_deadline_phrases(text):
            deadline = parse_deadline_phrase(phrase, year, issued_on)
            step = _STEP_FIRST.match(phrase)
            if deadline.kind == "unknown" and step:
                # 制定方案：3月底前 — the step written before its date
                dated = parse_deadline_phrase(step.group(2), year, issued_on)
                if dated.kind != "unknown" and not dated.label:
                    field = any(w in step.group(1) for w in ("时限", "时间", "节点", "期限", "截止", "进度"))
                    deadline = replace(dated, raw=phrase, label="" if field else step.group(1))
            if deadline.kind == "unknown" and found and found[-1].label and _MILESTONE_LABEL.match(phrase):
                # 11月15日前完成初稿，报送区政府: the step goes on after the comma
                last = found[-1]
                found[-1] = replace(last, raw=f"{last.raw}，{phrase}", label=f"{last.label}，{phrase}")
                continue
            found.append(deadline)
        return found
    except Exception:  # noqa: BLE001
        return [_unknown(text.strip())] if isinstance(text, str) and text.strip() else []


from plan.deadline_words import describe_deadline  # noqa: E402 - re-exported: the wording lives there
