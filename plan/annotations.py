"""Responsibility and deadline annotations of a paragraph plan item.

`（牵头单位：州行政审批服务局；责任单位：州司法局…，6月底完成）`, `〔责任单位：…，完成时限：全年〕`, a labelled line
`牵头单位：区发改局`, or unlabelled `（区财政局牵头，各街道配合，2023年6月底前完成）` read by its verbs. An annotation
becomes a unit text for parse_units (labels kept, so roles follow them) and a deadline text for parse_deadlines;
pieces that are neither are kept as leftovers and reported, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plan.deadlines import parse_deadlines
from plan.model import UnitRef
from plan.units import parse_units

# unit labels (role from the word: see plan.units), deadline labels, and labels of people (not units)
UNIT_LABELS = (
    "牵头单位", "牵头部门", "责任单位", "责任部门", "主责单位", "主责部门", "配合单位", "配合部门", "参与单位",
    "参与部门", "协办单位", "协办部门", "协作单位", "落实单位", "承办单位", "主办单位", "责任主体", "牵头",
    "配合", "参与", "协办", "责任", "负责", "主责", "指导单位", "牵头责任单位", "牵头负责单位", "协同责任单位",
    "配合责任单位", "协同单位", "协同部门", "主要责任单位",
)
DEADLINE_LABELS = ("完成时限", "完成时间", "时间节点", "时间安排", "进度安排", "完成期限", "完成节点", "截止时间",
                   "办结时限", "时间要求", "时限")
PEOPLE_LABELS = ("牵头负责领导", "牵头领导", "责任领导", "分管领导", "负责领导", "分管负责领导", "联系人", "项目责任人", "责任人", "牵头市领导", "牵头区领导",
                 "分管市领导", "分管区领导", "实际完成情况", "完成情况", "进展情况")
_ALL = sorted((*UNIT_LABELS, *DEADLINE_LABELS, *PEOPLE_LABELS), key=len, reverse=True)
LABEL_RE = re.compile("(" + "|".join(_ALL) + r")\s*[:：]")
_BRACKET_LABEL_RE = re.compile(r"[【\[［〔]\s*(" + "|".join(_ALL) + r")\s*[】\]］〕]\s*")
LINE_LABEL_RE = re.compile(r"^\s*(?:" + "|".join(_ALL) + r")\s*[:：]")
_OPENERS = {"（": "）", "(": ")", "〔": "〕", "【": "】", "[": "]", "［": "］"}
_PIECE_SEP = re.compile(r"[，,；;。]")
_VERB_RE = re.compile(r"牵头|负责|配合|参与|协办|协助|指导|主责|落实|承办")
# 列第一位者为牵头单位 / 排在首位的为牵头单位 / 第一个单位为牵头单位 / 首位单位为牵头单位
RULE_RE = re.compile(r"(?:列|排|位)?(?:在|于)?(?:第一位|首位|第一个|排名第一|最前)(?:的|者)?(?:单位|部门)?(?:为|是)牵头")
# bracketed words after a title or a name that are not units
_NOT_UNITS = ("试行", "暂行", "草案", "征求意见稿", "修订", "送审稿")
# 除特别注明的外，各县（市、区）政府和金华开发区…管委会都是配合单位: units named on every task
EVERYONE_RE = re.compile(r"除(?:特别|另行|单独|另有)?(?:注明|标注|明确|规定)(?:的)?外[，,]?\s*([^。；;]{2,80}?)"
                         r"(?:都|均|也)(?:是|为|作为)(配合|责任|参与|协办)单位")
_TRAILING_PUNCT = " \t\u3000。.；;，,、"


@dataclass
class Annotation:
    units: list[str] = field(default_factory=list)  # texts for parse_units (label kept: 牵头单位：区发改局)
    deadlines: list[str] = field(default_factory=list)  # texts for parse_deadlines
    leftovers: list[str] = field(default_factory=list)  # pieces read as neither

    def __bool__(self) -> bool:
        return bool(self.units or self.deadlines)

    def extend(self, other: Annotation) -> None:
        self.units += other.units
        self.deadlines += other.deadlines
        self.leftovers += other.leftovers


def plan_wide_units(text: str) -> list[UnitRef]:
    """Units the plan's notice puts on every task (除特别注明的外，…都是配合单位), with that role."""
    found: list[UnitRef] = []
    for match in EVERYONE_RE.finditer(text):
        role = "responsible" if match.group(2) == "责任" else "cooperate"
        found += [UnitRef(r.name, role, r.is_group) for r in parse_units(match.group(1)).refs]
    return found


def split_pieces(text: str) -> list[str]:
    """Split on ，；。 outside brackets (各县（市、区） stays whole)."""
    pieces, current, depth = [], [], 0
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)" and depth:
            depth -= 1
        if depth == 0 and _PIECE_SEP.fullmatch(ch):
            pieces.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current).strip())
    return [p for p in pieces if p]


def is_deadline_text(text: str) -> bool:
    found = parse_deadlines(text, 2000)
    return bool(found) and all(d.kind != "unknown" for d in found)


def reads_as_units(text: str) -> bool:
    parsed = parse_units(text)
    return bool(parsed.refs) and not parsed.unresolved


def _sections(text: str) -> list[tuple[str | None, str]]:
    """(label or None, body) in order; the text before the first label has no label."""
    matches = list(LABEL_RE.finditer(text))
    if not matches:
        return [(None, text)]
    out: list[tuple[str | None, str]] = []
    if text[: matches[0].start()].strip(_TRAILING_PUNCT):
        out.append((None, text[: matches[0].start()]))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        out.append((match.group(1), text[match.end() : end]))
    return out


def read_annotation(text: str, *, need_label: bool = False) -> Annotation | None:
    """The annotation in `text` (bracket content or a labelled line); None when it is not one: no label and
    (need_label, or pieces that read neither as units with a role verb nor as deadlines)."""
    sections = _sections(text)
    labelled = any(label for label, _ in sections)
    if not labelled and need_label:
        return None
    found = Annotation()
    for label, body in sections:
        body = body.strip(_TRAILING_PUNCT)
        if not body or label in PEOPLE_LABELS:
            continue
        if label in DEADLINE_LABELS:
            found.deadlines.append(body)
            continue
        unit_pieces: list[str] = []
        for piece in split_pieces(body):
            if is_deadline_text(piece):
                found.deadlines.append(piece)
            elif label is not None or reads_as_units(piece):
                unit_pieces.append(piece)
            else:
                found.leftovers.append(piece)
        if unit_pieces:
            joined = "，".join(unit_pieces)
            found.units.append(f"{label}：{joined}" if label else joined)
    if labelled:
        return found
    # unlabelled: every piece must be read as units (区财政局牵头; a bare （市教育局）) or deadlines
    if found.leftovers or not found or any(w in text for w in _NOT_UNITS):
        return None
    return found


@dataclass
class Stripped:
    text: str  # the item text without its annotations
    annotation: Annotation


def _groups(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of top-level bracket groups."""
    spans: list[tuple[int, int]] = []
    stack: list[str] = []
    start = 0
    for index, ch in enumerate(text):
        if ch in _OPENERS:
            if not stack:
                start = index
            stack.append(_OPENERS[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                spans.append((start, index + 1))
    return spans


def bracket_labels(text: str) -> str:
    """【责任单位】市教育局【完成时限】9月中旬前 → ；责任单位：市教育局；完成时限：9月中旬前."""
    return _BRACKET_LABEL_RE.sub(lambda m: f"；{m.group(1)}：", text)


def strip_annotations(text: str) -> Stripped:
    """Take the annotations out of an item's text: bracketed ones anywhere when labelled, at the end when read
    by their verbs; an inline label (…。牵头单位：X) takes the rest of the text."""
    text = bracket_labels(text)
    found = Annotation()
    keep: list[str] = []
    position = 0
    for start, end in _groups(text):
        trailing = not text[end:].strip(_TRAILING_PUNCT + "）)")
        annotation = read_annotation(text[start + 1 : end - 1], need_label=not trailing)
        if annotation is None:
            continue
        keep.append(text[position:start])
        found.extend(annotation)
        position = end
    keep.append(text[position:])
    rest = "".join(keep)
    inline = next((m for m in LABEL_RE.finditer(rest) if m.start() == 0 or rest[m.start() - 1] in "。；; \u3000"),
                  None)
    if inline:
        annotation = read_annotation(rest[inline.start() :], need_label=True)
        if annotation is not None:
            found.extend(annotation)
            rest = rest[: inline.start()]
    return Stripped(rest.strip().rstrip("，,；;"), found)
