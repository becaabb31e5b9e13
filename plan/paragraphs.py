"""Paragraph plans: numbered prose whose items carry their responsibility and deadline as annotations.

Items are found by their markers, text runs up to the next marker: 一、 (category), （一） (sub-category),
1. and （1） (tasks), ① (points of the item above, folded into it). A labelled line (牵头单位：区发改局) belongs to
the item above it. Which items are tasks:
- an item whose descendants carry annotations is a heading: its annotated descendants are the tasks, and every
  item beside an annotated one (same parent, same marker) is a task too (without annotation it is warned);
- an annotated item without annotated descendants is a task, its sub-points folded into its requirement; when it
  is a short heading (no sentence of its own) with numbered items under it, those items are the tasks and share
  its annotation;
- a section without any annotation is not read as tasks (said in a warning); a document without any annotation
  at all has its deepest items as tasks (each warned as having no unit).
The result is rows for the table path (plan.assemble), so tasks, warnings and --json have the same shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plan.annotations import LINE_LABEL_RE, Annotation, read_annotation, strip_annotations
from plan.header import ColumnMap
from plan.readers.base import RawRow
from plan.units import UNIT_SUFFIXES

_CN = "一二三四五六七八九十"
_MARKERS = (
    re.compile(rf"^(?:第([{_CN}]+)(?:部分|章)\s*|([{_CN}]+)[、.．]\s*)"),
    re.compile(rf"^[（(]([{_CN}]+)[）)]\s*"),
    re.compile(r"^([0-9０-９]{1,3})(?:[.．、](?![0-9０-９])|\s+(?=[\u4e00-\u9fff]))\s*"),
    re.compile(r"^[（(]([0-9０-９]{1,3})[）)]\s*"),
    re.compile(r"^([①-⑳])\s*"),
)
_FOLDED_RANK = 4
_END = re.compile(r"^\s*(?:抄送|抄报|[━─—═_]{3,})")
_SENTENCE_END = re.compile(r"[。；;！!？?]")
COLUMNS = ColumnMap(seq=0, category=1, subcategory=2, requirement=3, units=[4], deadline=5,
                    labels=["序号", "一级任务", "二级任务", "具体要求", "责任单位", "完成时限"], inherit_blanks=False,
                    unit_roles={4: "responsible"})


def _cn_value(text: str) -> int | None:
    if not text:
        return None
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    if len(text) == 1 and "①" <= text <= "⑳":
        return ord(text) - ord("①") + 1
    if "十" in text:
        head, _, tail = text.partition("十")
        return (_CN.index(head) + 1 if head else 1) * 10 + (_CN.index(tail) + 1 if tail else 0)
    return _CN.index(text) + 1 if text in _CN else None


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


def outline(lines: list[str]) -> Outline:
    """The items of the text, nested by marker rank."""
    preamble: list[str] = []
    footer: list[str] = []
    roots: list[Item] = []
    stack: list[Item] = []
    current: Item | None = None
    label_line = ""  # a labelled line (牵头单位：…), which may wrap onto the next lines

    def flush() -> None:
        nonlocal label_line
        if current is not None and label_line:
            annotation = read_annotation(label_line, need_label=True)
            if annotation is not None:
                current.labelled.extend(annotation)
        label_line = ""

    for number, raw in enumerate(lines, start=1):
        line = raw.strip().replace("\u3000", " ").strip()
        if not line:
            continue
        if current is not None and (footer or _END.match(line)):
            flush()
            footer.append(line)
            continue
        if current is not None and LINE_LABEL_RE.match(line):
            flush()
            label_line = line
            continue
        found = _marker(line)
        if found is None:
            if current is None:
                preamble.append(line)
            elif label_line and _wrapped(label_line, line):
                label_line += line  # the labelled line wrapped mid-name (a PDF's line ends: 市公安|局)
            else:
                flush()
                current.text += line  # a wrapped line, or the next paragraph of the item
            continue
        flush()
        rank, value, rest = found
        while stack and stack[-1].rank >= rank:
            stack.pop()
        item = Item(rank, value, number, rest, parent=stack[-1] if stack else None)
        (stack[-1].children if stack else roots).append(item)
        stack.append(item)
        current = item
    flush()
    return Outline(preamble, roots, footer)


def _annotate(item: Item) -> None:
    stripped = strip_annotations(item.text)
    item.body = stripped.text
    item.annotation = stripped.annotation
    item.annotation.extend(item.labelled)
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
    annotated_ranks = {i.rank for i in items if i.rank < _FOLDED_RANK and i.own()}
    for item in items:
        if item.rank >= _FOLDED_RANK:
            continue
        annotation = _merge(inherited, item.annotation)
        kids = [c for c in item.children if c.rank < _FOLDED_RANK]
        folded = [c for c in item.children if c.rank >= _FOLDED_RANK]
        if any(k.any_annotated() for k in kids):
            found += _tasks(item.children, annotation, [*path, item], bare)
        elif kids and (annotation or bare) and (item.is_heading() or bare):
            found += _tasks(item.children, annotation, [*path, item], bare)
        elif item.own() or item.rank in annotated_ranks or (inherited and path) or (bare and not kids):
            found.append(Found(item, path, annotation, _folded_text(item.children if not kids else folded)))
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
