"""Read the text around the table: the plan's title, document number (文号), issuing office and issue date."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from plan.cntext import cn_number

_DOC_NO = re.compile(r"[\u4e00-\u9fff]{1,12}\s*[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]\s*第?\s*\d{1,4}\s*号")
_DATE = re.compile(r"((?:19|20)\d{2}|[〇零○Ｏ一二三四五六七八九]{4})\s*年\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*月"
                   r"\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*日")
_PRINTED = re.compile(_DATE.pattern + r"\s*印发?")
_ORG_SUFFIX = re.compile(r"(办公室|办公厅|人民政府|政府|委员会|局|办|厅|部|中心|领导小组|指挥部)$")
_TITLE_WORDS = ("方案", "要点", "清单", "台账", "计划", "任务", "分解", "分工", "安排", "责任")
_NOTICE = re.compile(r"关于印发(.+?)的通知")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


@dataclass
class Preamble:
    title: str | None
    doc_no: str | None
    issuer: str | None
    issued_on: date | None


def _to_date(match: re.Match[str]) -> date | None:
    try:
        return date(cn_number(match.group(1)), cn_number(match.group(2)), cn_number(match.group(3)))
    except (TypeError, ValueError):
        return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def find_doc_no(text: str) -> str | None:
    found = None
    for line in _lines(text):
        for match in _DOC_NO.finditer(line):
            if match.group(0) == line:
                return line  # a line of its own under the masthead: the document's own number
            quoted = match.start() > 0 and line[match.start() - 1] in "（(《"
            if found is None and not quoted:
                found = match.group(0)
    return found


def find_issue_date(header: str, footer: str) -> date | None:
    for text in (footer, header):
        printed = [m for line in _lines(text) for m in _PRINTED.finditer(line)]
        if printed:
            return _to_date(printed[-1])
    # the signature date: a line holding only a date, nearest to the table
    for lines in (_lines(footer), list(reversed(_lines(header)))):
        for line in lines:
            match = _DATE.fullmatch(line)
            if match:
                return _to_date(match)
    return None


def find_issuer(header: str, footer: str) -> str | None:
    lines = [line for line in _lines(header) if line]
    for line in lines:
        if line.endswith("文件") and _ORG_SUFFIX.search(line[:-2]):
            return line[:-2]
    for before, line in zip(lines, lines[1:], strict=False):
        if line.startswith("关于") and _ORG_SUFFIX.search(before) and len(before) <= 30:
            return before
    for line in _lines(footer):
        match = _DATE.search(line)
        if match:
            head = line[: match.start()].strip()
            if head and _ORG_SUFFIX.search(head) and len(head) <= 30:
                return head
    return None


def _is_title_candidate(line: str) -> bool:
    if not line or len(line) > 60 or line[-1] in "。；;：:，,":
        return False
    if line[0] in "（(" and line[-1] in "）)":
        return False  # （此件公开发布）
    if re.fullmatch(r"附件\s*[0-9一二三四五六七八九十]*[:：]?", line) or _DOC_NO.fullmatch(line):
        return False
    if _DATE.search(line) and not any(w in line for w in _TITLE_WORDS):
        return False
    return bool(re.search(r"[\u4e00-\u9fff]", line))


def find_title(header: str) -> str | None:
    lines = [line for line in _lines(header) if line]
    for pos in range(len(lines) - 1, -1, -1):
        line = lines[pos]
        if not _is_title_candidate(line):
            continue
        if not any(w in line for w in _TITLE_WORDS) and pos > 0:
            joined = lines[pos - 1] + line  # a title wrapped over two lines
            if _is_title_candidate(joined) and any(w in joined for w in _TITLE_WORDS):
                return joined
        return line
    notice = _NOTICE.search("".join(lines))
    return notice.group(1) if notice else None


def year_in(text: str | None) -> int | None:
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def read_preamble(header: str, footer: str) -> Preamble:
    return Preamble(
        title=find_title(header),
        doc_no=find_doc_no(header) or find_doc_no(footer),
        issuer=find_issuer(header, footer),
        issued_on=find_issue_date(header, footer),
    )


def doc_no_year(doc_no: str | None) -> int | None:
    """The year in a 文号: 平政办〔2013〕11号 → 2013."""
    match = re.search(r"[〔\[［【(（]\s*((?:19|20)\d{2})\s*[〕\]］】)）]", doc_no or "")
    return int(match.group(1)) if match else None


def common_year(text: str) -> int | None:
    """The year the notice talks about most (提出了2013年市政府要做好的8项重点工作), for a page without a title."""
    years = Counter(int(y) for y in _YEAR.findall(text or "") if 2000 <= int(y) <= 2100)
    return years.most_common(1)[0][0] if years else None
