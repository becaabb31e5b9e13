"""Find the header row of a plan table and map its columns by meaning (序号, 工作任务, 具体要求 …)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from plan.annotations import is_deadline_text, reads_as_units
from plan.cntext import halfwidth
from plan.readers.base import RawRow

# checked in this order: the first role whose synonym the header contains wins
# (时限要求 is a deadline although it contains 要求; 具体任务 a sub-category although it contains 任务)
_SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("people", ("分管领导", "牵头领导", "责任领导", "责任人", "联系人", "分管区领导", "分管市领导", "领导")),
    ("seq", ("序号", "编号", "指标序号", "项目序号")),
    ("deadline", ("完成时限", "时限要求", "完成时间", "时间节点", "完成期限", "办结时限", "时间要求", "时限", "完成日期",
                  "进度安排", "时间安排", "时间进度", "进度要求", "计划完成时间")),
    ("cooperate", ("配合单位", "协同单位", "协作单位", "参与单位", "配合部门", "协同部门", "协作部门", "参与部门",
                   "协办单位", "协办部门", "配合", "参与", "协办")),
    (
        "units",
        (
            "牵头落实单位", "主要责任单位", "牵头单位", "责任单位", "责任部门", "责任科室", "牵头部门",
            "落实单位", "承办单位", "主责单位", "责任主体", "牵头科室", "责任处室", "牵头", "责任", "主责",
        ),
    ),
    ("note", ("备注", "进展情况", "完成情况", "目标类型", "进度情况", "工作进展", "推进情况", "当前进度", "落实情况",
              "是否达序", "说明")),
    ("requirement", ("具体要求", "工作要求", "主要内容", "工作措施", "具体措施", "任务要求", "具体内容", "工作内容",
                     "细化措施", "内容与要求", "指标要求", "目标要求", "工作目标", "目标任务", "建设内容", "主要措施",
                     "工作举措", "实施内容", "任务内容", "整治内容", "民生实事", "项目内容", "目标任务", "要求")),
    ("subcategory", ("二级任务", "具体任务", "具体事项", "子任务")),
    ("category", ("一级任务", "工作任务", "重点任务", "主要任务", "工作事项", "任务名称", "项目名称", "行业名称",
                  "类别", "领域", "任务")),
)
# default role of a units column's names written without a role word
_LEAD_HEADER = ("牵头",)
_RESPONSIBLE_HEADER = ("责任", "主责", "承办", "落实")

_SEQ_TEXT = re.compile(r"^[（(]?([0-9]{1,4})[)）]?[.．、]?$")
_SPACE = re.compile(r"[\s\u3000]+")
MAX_HEADER_SCAN = 30


def squeeze(text: str) -> str:
    """Header cells are often spaced out or wrapped: "具 体 要 求", "完成\\n时限"."""
    return _SPACE.sub("", text).strip("*＊:：")


def classify_header(text: str) -> str | None:
    label = squeeze(text)
    if not label:
        return None
    for role, words in _SYNONYMS:
        if label in words:
            return role
    for role, words in _SYNONYMS:
        # a longer label that names the role, e.g. 责任单位（牵头） or 完成时限（截止）
        if len(label) <= 12 and any(w in label for w in words if len(w) >= 2):
            # a combined 牵头单位及配合单位 column is a units column; parse_units reads the roles
            return role if role != "cooperate" or not any(w in label for w in ("牵头", "责任")) else "units"
    return None


def parse_seq(text: str) -> int | None:
    label = halfwidth(squeeze(text))
    match = _SEQ_TEXT.match(label)
    return int(match.group(1)) if match else None


@dataclass
class ColumnMap:
    seq: int | None = None
    category: int | None = None
    subcategory: int | None = None
    requirement: int | None = None
    units: list[int] = field(default_factory=list)
    cooperate: int | None = None
    deadline: int | None = None
    note: int | None = None
    labels: list[str] = field(default_factory=list)  # the squeezed header cells, after span fixes
    # role of units written without a role word, per units column (None: borrow from the next clause, else lead)
    unit_roles: dict[int, str] = field(default_factory=dict)
    inherit_blanks: bool = True  # a blank cell means "same as above" (tables); paragraph plans say it explicitly

    def is_usable(self) -> bool:
        return self.requirement is not None and (bool(self.units) or self.deadline is not None)


@dataclass
class HeaderMatch:
    index: int  # position of the header row in the rows list
    first_data: int  # position of the first row after the header (one more when the header takes two rows)
    columns: ColumnMap


def _map_columns(labels: list[str], hspan: frozenset[int]) -> ColumnMap:
    columns = ColumnMap(labels=labels)
    task_cols: list[tuple[int, str]] = []
    for col, label in enumerate(labels):
        role = classify_header(label)
        if role in ("category", "subcategory"):
            task_cols.append((col, role))
            continue
        if role == "seq" and columns.seq is None:
            columns.seq = col
        elif role == "requirement" and columns.requirement is None:
            columns.requirement = col
        elif role == "units":
            columns.units.append(col)
            if any(w in label for w in _LEAD_HEADER):
                columns.unit_roles[col] = "lead"
            elif any(w in label for w in _RESPONSIBLE_HEADER):
                columns.unit_roles[col] = "responsible"
        elif role == "cooperate" and columns.cooperate is None:
            columns.cooperate = col
        elif role == "deadline" and columns.deadline is None:
            columns.deadline = col
        elif role == "note" and columns.note is None:
            columns.note = col
    spanned = False
    if len(task_cols) == 1:
        col, role = task_cols[0]
        follower = col + 1
        # one 工作任务 header spanning two columns: category and sub-category
        spans = follower < len(labels) and (follower in hspan or not labels[follower])
        if role == "category":
            columns.category = col
            if spans:
                columns.subcategory, spanned = follower, True
        else:
            columns.subcategory = col
    elif task_cols:
        explicit_sub = [c for c, r in task_cols if r == "subcategory"]
        categories = [c for c, r in task_cols if r == "category"]
        if explicit_sub:
            columns.subcategory = explicit_sub[0]
            columns.category = categories[0] if categories else None
        else:
            columns.category, columns.subcategory = categories[0], categories[1]
    if columns.requirement is None:
        # no 具体要求 column: the task's own words are in its lowest task column (工作事项, 行业名称, 任务)
        if columns.subcategory is not None and not spanned:
            columns.requirement, columns.subcategory = columns.subcategory, None
        elif spanned:  # the header spans its cells' width: the cells hold the task's words
            columns.requirement, columns.category, columns.subcategory = columns.category, None, None
        elif columns.category is not None:
            columns.requirement, columns.category = columns.category, None
    return columns


def _data_width(rows: list[RawRow]) -> int:
    widths = Counter(len(_trim(r.cells)) for r in rows[:200] if any(c.strip() for c in r.cells))
    return widths.most_common(1)[0][0] if widths else 0


def _trim(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


_SAMPLE_ROWS = 40
_SHARE = 0.6


def _reads(cells: list[str], test) -> bool:  # noqa: ANN001 - a predicate on one cell
    return len(cells) >= 2 and sum(1 for c in cells if test(c)) >= _SHARE * len(cells)


def _by_content(columns: ColumnMap, rows: list[RawRow]) -> ColumnMap:
    """Columns whose header word is unusual, recognised by what their cells hold: a column of deadline phrases is
    the deadline column, one of unit phrases a units column (a column of people's names reads as neither), and
    without a 具体要求 header the column of the longest texts holds the requirement."""
    known = {columns.seq, columns.category, columns.subcategory, columns.requirement, columns.cooperate,
             columns.deadline, columns.note, *columns.units}
    unknown = [col for col, label in enumerate(columns.labels) if col not in known and classify_header(label) is None]
    sample = [r for r in rows[:_SAMPLE_ROWS] if any(c.strip() for c in r.cells)]

    def cells(col: int) -> list[str]:
        return [r.cells[col].strip() for r in sample if col < len(r.cells) and r.cells[col].strip()]

    for col in unknown:
        values = cells(col)
        if columns.deadline is None and _reads(values, is_deadline_text):
            columns.deadline = col
        elif not columns.units and _reads(values, reads_as_units):
            columns.units.append(col)
    if columns.requirement is None:
        texts = {col: cells(col) for col in unknown if col != columns.deadline and col not in columns.units}
        longest = max(texts, key=lambda c: sum(map(len, texts[c])) / max(1, len(texts[c])), default=None)
        if longest is not None and texts[longest] and sum(map(len, texts[longest])) / len(texts[longest]) >= 8:
            columns.requirement = longest
    return columns


def _header_like(labels: list[str]) -> bool:
    """A row of short words (编号 | 事项 | 单位 | 时间) with at least one known header word."""
    words = [label for label in labels if label]
    return len(words) >= 3 and all(len(w) <= 8 for w in words) and any(classify_header(w) for w in words)


def find_header(rows: list[RawRow]) -> HeaderMatch | None:
    for index, row in enumerate(rows[:MAX_HEADER_SCAN]):
        labels = [squeeze(c) for c in row.cells]
        if sum(1 for label in labels if classify_header(label)) < 2 and not _header_like(labels):
            continue  # a title row, or data
        hspan = row.hspan
        first_data = index + 1
        # a two-row header: 工作任务 above 一级任务 | 二级任务
        if first_data < len(rows):
            below = rows[first_data]
            below_roles = [classify_header(c) for c in below.cells if c.strip()]
            if below_roles and all(below_roles) and parse_seq(below.cells[0] if below.cells else "") is None:
                for col, cell in enumerate(below.cells):
                    if cell.strip() and col < len(labels):
                        labels[col] = squeeze(cell)
                    elif cell.strip():
                        labels.append(squeeze(cell))
                hspan = frozenset()
                first_data += 1
        columns = _map_columns(labels, hspan)
        if not columns.is_usable():
            columns = _by_content(columns, rows[first_data:])
        if not columns.is_usable():
            continue
        # the seed's text form: the header has one cell fewer than the data rows, as 工作任务 spans two columns
        width = _data_width(rows[first_data:])
        if columns.category is not None and columns.subcategory is None and width == len(_trim(labels)) + 1:
            labels = labels[: columns.category + 1] + [""] + labels[columns.category + 1 :]
            columns = _map_columns(labels, frozenset())
        return HeaderMatch(index, first_data, columns)
    return None
