"""Paragraph plans: numbered prose whose items carry their responsibility and deadline as annotations.

Items are found by their markers, text runs up to the next marker: 一、 (category), （一） (sub-category),
1. and （1） (tasks), ① (points of the item above, folded into it). A labelled line (牵头单位：区发改局) belongs to
the item above it. Which items are tasks:
- an item whose descendants carry annotations is a heading: its annotated descendants are the tasks, and every
  item beside an annotated one (same parent, same marker) is a task too (without annotation it is warned);
- an annotated item without annotated descendants is a task, its sub-points folded into its requirement; when it
  is a short heading 一、 or （一） (no sentence of its own) with numbered items under it, those items are the tasks
  and share its annotation; an annotation on a line of its own after （1）（2） measures closes their 1. item;
- a section without any annotation is not read as tasks (said in a warning); a document without any annotation
  at all has its deepest items as tasks (each warned as having no unit).
The result is rows for the table path (plan.assemble), so tasks, warnings and --json have the same shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plan.annotations import (
    LINE_LABEL_RE,
    Annotation,
    bracket_labels,
    is_deadline_text,
    read_annotation,
    strip_annotations,
)
from plan.cntext import cn_number
from plan.header import ColumnMap
from plan.readers.base import RawRow
from plan.units import UNIT_SUFFIXES, parse_units

_CN = "一二三四五六七八九十"
_MARKERS = (
    re.compile(rf"^(?:第([{_CN}]+)(?:部分|章)\s*|([{_CN}]+)[、.．]\s*)"),
    re.compile(rf"^[（(]([{_CN}]+)[）)]\s*"),
    re.compile(r"^([0-9０-９]{1,3})(?:[.．、](?![0-9０-９])|\s+(?=[\u4e00-\u9fff]))\s*"),
    re.compile(r"^[（(]([0-9０-９]{1,3})[）)]\s*"),
    re.compile(r"^([①-⑳])\s*"),
)
_FOLDED_RANK = 4
_TASK_RANK = 2  # 1. items
_MILESTONE_HEAD = re.compile(r"^(?:进度安排|时间安排|时间节点|进度要求|完成时限)[:：]?$")
_DATE_HEAD = re.compile(r"^(?:(?:19|20)\d{2}年)?(?:第[一二三四1-4]季度|[上下]半年|[0-9一二三四五六七八九十]{1,2}月(?:份|底|末|上旬|中旬|下旬)?"
                        r"(?:[0-9一二三四五六七八九十]{1,3}[日号])?|年底|年内)")
# 一、县示范区管委会牵头工作（8项）: the heading names the unit that leads every item under it
_HEADING_LEAD = re.compile(r"^(.{2,30}?)牵头(?:的|负责的)?(?:重点|主要)?(?:工作|事项|任务)")
_OWN_LINE = re.compile(r"^[（(〔【\[［].*[）)〕】\]］]$")
# the text after the plan: 抄送, a rule line
_END = re.compile(r"^\s*(?:抄送|抄报|[━─—═_]{3,})")
# lines that belong to no item: 附件：1.分工方案 (the list of attachments, or the 附件1 mark above one), and
# （此件公开发布）, which ends the notice before the plan in its 附件
_SKIP = re.compile(r"^\s*(?:附件\s*[0-9一二三四五六七八九十]*\s*(?:[:：].*)?|[（(]此件[^）)]*[）)])$")
_SENTENCE_END = re.compile(r"[。；;！!？?]")
COLUMNS = ColumnMap(seq=0, category=1, subcategory=2, requirement=3, units=[4], deadline=5,
                    labels=["序号", "一级任务", "二级任务", "具体要求", "责任单位", "完成时限"], inherit_blanks=False,
                    unit_roles={4: "responsible"})


def _cn_value(text: str) -> int | None:
    if not text:
        return None
    if len(text) == 1 and "①" <= text <= "⑳":
        return ord(text) - ord("①") + 1
    return cn_number(text)


@dataclass
class Item:
    rank: int
    number: int | None
    line: int  # 1-based line where the item starts
    text: str
    parent: Item | None = None
    children: list[Item] = field(default_factory=list)
    labelled: Annotation = field(default_factory=Annotation)  # from labelled lines after the item
    body: str = ""  # text without annotations (set by _annotate)
    annotation: Annotation = field(default_factory=Annotation)

    def own(self) -> bool:
        return bool(self.annotation)

    def any_annotated(self) -> bool:
        return self.own() or any(c.any_annotated() for c in self.children)

    def title(self) -> str:
        head = _SENTENCE_END.split(self.body, maxsplit=1)[0]
        return head.strip("。：:，, ") or self.body

    def is_heading(self) -> bool:
        return len(self.body) <= 40 and not _SENTENCE_END.search(self.body.rstrip("。"))


def _marker(line: str) -> tuple[int, int | None, str] | None:
    for rank, pattern in enumerate(_MARKERS):
        match = pattern.match(line)
        if match:
            value = next((g for g in match.groups() if g), None)
            rest = line[match.end() :].strip()
            if rest:
                return rank, _cn_value(value or ""), rest
    return None


def _wrapped(label_line: str, line: str) -> bool:
    """The line goes on with the name the labelled line broke off: its last fragment is no unit name yet."""
    last = re.split(r"[、，,；;：:\s]", label_line)[-1]
    if not last or "。" in line or last.endswith(UNIT_SUFFIXES):
        return False
    head = re.split(r"[、，,；;\s]", line)[0]
    return (last + head).endswith(UNIT_SUFFIXES)


@dataclass
class Outline:
    preamble: list[str]
    items: list[Item]  # top-level items
    footer: list[str]


class _Outliner:
    """Reads the lines one by one into nested items (see `outline`)."""

    def __init__(self, numbered: bool) -> None:
        self.numbered = numbered  # False: a plan of unnumbered items, each a title line before labelled lines
        self.preamble: list[str] = []
        self.footer: list[str] = []
        self.roots: list[Item] = []
        self.stack: list[Item] = []
        self.current: Item | None = None
        self.label_line = ""  # a labelled line (牵头单位：…), which may wrap onto the next lines
        self.last_plain: tuple[int, str] | None = None  # an unnumbered plan's candidate item title
        self.milestones = False  # inside a 进度安排 block: 第一季度工作进展：完成设计招标工作

    def flush(self) -> None:
        if self.current is not None and self.label_line:
            annotation = read_annotation(self.label_line, need_label=True)
            if annotation is not None:
                self.current.labelled.extend(annotation)
        self.label_line = ""

    def start(self, rank: int, value: int | None, number: int, text: str) -> None:
        self.flush()
        while self.stack and self.stack[-1].rank >= rank:
            self.stack.pop()
        item = Item(rank, value, number, text, parent=self.stack[-1] if self.stack else None)
        (self.stack[-1].children if self.stack else self.roots).append(item)
        self.stack.append(item)
        self.current = item

    def add(self, number: int, line: str) -> None:
        current = self.current
        if _SKIP.match(line):
            return
        if current is not None and (self.footer or _END.match(line)):
            self.flush()
            self.footer.append(line)
            return
        if LINE_LABEL_RE.match(line):
            if not self.numbered and self.last_plain is not None:
                # an unnumbered item: its title is the plain line just before its labelled lines
                title_line, title = self.last_plain
                if current is None:
                    self.preamble.remove(title)
                else:
                    current.text = current.text.removesuffix(title)
                self.start(_TASK_RANK, None, title_line, title)
            if self.current is not None:
                self.flush()
                self.label_line, self.last_plain, self.milestones = line, None, False
                return
        if current is not None and _MILESTONE_HEAD.match(line):
            self.flush()
            self.milestones = True
            return
        if current is not None and self.milestones:
            milestone = _milestone(line)
            if milestone:
                current.labelled.deadlines.append(milestone)
                return
            self.milestones = False
        found = _marker(line) if self.numbered else None
        if found is None and current is not None and _OWN_LINE.match(line):
            stripped = strip_annotations(line)
            if stripped.annotation and not stripped.text.strip("（）()〔〕【】 "):
                self.flush()
                # an annotation on a line of its own after an item's measures (（1）…（2）…) closes the item
                owner = next((i for i in reversed(self.stack) if i.rank <= _TASK_RANK), current)
                owner.labelled.extend(stripped.annotation)
                return
        if found is not None:
            self.start(found[0], found[1], number, found[2])
            return
        if self.label_line and _wrapped(self.label_line, line):
            self.label_line += line  # the labelled line wrapped mid-name (a PDF's line ends: 市公安|局)
            return
        self.flush()
        self.last_plain = (number, line) if len(line) <= 60 and line[-1] not in "：:。；;，," else None
        if current is None:
            self.preamble.append(line)
        else:
            current.text += line  # a wrapped line, or the next paragraph of the item


def _milestone(line: str) -> str | None:
    """第一季度工作进展：完成设计招标工作 → 第一季度完成设计招标工作 (a dated step for parse_deadlines)."""
    parts = re.match(r"^(.{1,20}?)[：:]\s*(.+)$", line)
    if parts is None:
        return None
    head, step = parts.groups()
    phrase = _DATE_HEAD.match(head.strip())
    if phrase is None or not is_deadline_text(phrase.group(0)):
        return None
    return phrase.group(0) + step.strip().rstrip("。；;")


def outline(lines: list[str]) -> Outline:
    """The items of the text, nested by marker rank; in a text without any marker, a line followed by labelled
    lines (牵头单位：…) is an item."""
    cleaned = [(n, bracket_labels(raw.strip().replace("\u3000", " ").strip()).lstrip("；"))
               for n, raw in enumerate(lines, start=1)]
    cleaned = [(n, line) for n, line in cleaned if line]
    outliner = _Outliner(numbered=any(_marker(line) for _, line in cleaned))
    for number, line in cleaned:
        outliner.add(number, line)
    outliner.flush()
    return Outline(outliner.preamble, outliner.roots, outliner.footer)


def _annotate(item: Item) -> None:
    stripped = strip_annotations(item.text)
    item.body = stripped.text
    item.annotation = stripped.annotation
    item.annotation.extend(item.labelled)
    lead = _HEADING_LEAD.match(item.body)
    if not item.annotation and item.children and lead:
        parsed = parse_units(lead.group(1))
        if parsed.refs and not parsed.unresolved:  # a unit, not a person (王丹县长牵头重点工作)
            item.annotation.units.append(f"牵头单位：{lead.group(1)}")
    for child in item.children:
        _annotate(child)


def _merge(inherited: Annotation, own: Annotation) -> Annotation:
    return Annotation(
        units=list(own.units or inherited.units),
        deadlines=list(own.deadlines or inherited.deadlines),
        leftovers=list(own.leftovers),
    )


@dataclass
class Found:
    item: Item
    path: list[Item]
    annotation: Annotation
    folded: list[Item]


def _folded_text(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    for item in items:
        out.append(item)
        out += _folded_text(item.children)
    return out


def _tasks(items: list[Item], inherited: Annotation, path: list[Item], bare: bool) -> list[Found]:
    found: list[Found] = []
    # an item beside an annotated task is a task too (its annotation forgotten); beside an annotated heading, not
    annotated_ranks = {i.rank for i in items if i.rank < _FOLDED_RANK and i.own()
                       and not any(c.rank < _FOLDED_RANK for c in i.children)}
    for item in items:
        if item.rank >= _FOLDED_RANK:
            continue
        annotation = _merge(inherited, item.annotation)
        kids = [c for c in item.children if c.rank < _FOLDED_RANK]
        if any(k.any_annotated() for k in kids):
            found += _tasks(item.children, annotation, [*path, item], bare)
        elif kids and (annotation or bare) and (bare or (item.is_heading() and item.rank < _TASK_RANK)):
            found += _tasks(item.children, annotation, [*path, item], bare)
        elif item.own() or item.rank in annotated_ranks or (inherited and path) or (bare and not kids):
            found.append(Found(item, path, annotation, _folded_text(item.children)))
    return found


@dataclass
class ParagraphPlan:
    rows: list[RawRow]
    header_text: str
    footer_text: str
    notes: dict[int, list[str]]  # row number → warnings about the item (annotation pieces left unread)
    skipped: list[str]  # headings of sections without any annotation


def read_paragraphs(lines: list[str]) -> ParagraphPlan | None:
    """Rows (序号, category, sub-category, requirement, units, deadline) of a paragraph plan; None when the text
    has no numbered items."""
    tree = outline(lines)
    if not tree.items:
        return None
    for item in tree.items:
        _annotate(item)
    bare = not any(item.any_annotated() for item in tree.items)
    found = _tasks(tree.items, Annotation(), [], bare)
    if not found:
        return None
    numbers = [f.item.number for f in found]
    own_numbers = numbers == list(range(1, len(found) + 1))
    rows: list[RawRow] = []
    notes: dict[int, list[str]] = {}
    for index, task in enumerate(found, start=1):
        seq = task.item.number if own_numbers else index
        category = task.path[0].title() if task.path else ""
        subcategory = task.path[-1].title() if len(task.path) > 1 else ""
        requirement = "\n".join([task.item.body, *(f.body for f in task.folded if f.body)])
        folded_notes = Annotation()
        for sub in task.folded:
            folded_notes.extend(sub.annotation)
        units = "；".join(task.annotation.units + folded_notes.units)
        deadlines = "；".join(task.annotation.deadlines + folded_notes.deadlines)
        rows.append(RawRow(task.item.line, [str(seq), category, subcategory, requirement, units, deadlines]))
        leftovers = task.annotation.leftovers + folded_notes.leftovers
        if leftovers:
            notes[task.item.line] = leftovers
    skipped = [item.title() for item in tree.items if not item.any_annotated() and not bare]
    return ParagraphPlan(rows, "\n".join(tree.preamble), "\n".join(tree.footer), notes, skipped)
