"""Read the 牵头落实单位 column of a task-division plan: who leads, who is responsible, who cooperates.

Pure and total: parse_units never raises. A phrase is cut into clauses at ，,；;。 and line breaks; each clause
is "names + role words" (区司法局牵头, 区属各部门按照职责分工负责). Rules decided here:
- Role words, strongest first: 牵头 → lead; 指导/督促 → guide; 配合/协助/参与/协同/协办/参加 → cooperate;
  负责/落实/承办/实施/… → responsible. The role applies to every unit named in its clause.
- A clause without role words takes the role of the nearest FOLLOWING clause that names units and has role
  words (区政府办公室，区政府各部门分别负责落实 → both responsible). With none after it, its units lead
  (a lone unit with no verb leads).
- "X加强对主管部门指导": X guides; the object of 对 is not extracted as a unit.
- 和/及/与/以及 and whitespace separate units only when the text before them already ends like a unit name,
  so 区人力资源和社会保障局 stays whole while 区委网信办和区科信局 splits; whitespace also needs a level
  prefix or 各 after it (区政府 办公室 is one name). 会同 and 、 always separate.
- "…区税务局等各有关单位": 等 separates the last unit from the group; a bare 等部门/等单位 names nobody.
- A clause that names no unit goes to `dropped` when another clause does name one (做到谁发布、谁负责);
  otherwise the phrase as a whole failed to name anybody and the clause goes to `unresolved`.
- Inside a clause that names units, a fragment that does not look like a unit name goes to `unresolved`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from plan.cntext import halfwidth_char
from plan.model import UnitParse, UnitRef

__all__ = ["parse_units", "normalize_unit_name", "is_group_name", "likely_duplicates", "UNIT_SUFFIXES"]

_CLAUSE_SEPARATORS = "，,；;。\n\r"
_OPEN, _CLOSE = "（", "）"

_LEAD_WORDS = ("牵头", "主抓", "统筹")
_GUIDE_WORDS = ("指导", "督促")
_COOPERATE_WORDS = ("配合", "协助", "参与", "协同", "协办", "参加")
_RESPONSIBLE_WORDS = (
    "负责",
    "落实",
    "承办",
    "实施",
    "办理",
    "执行",
    "承担",
    "主办",
    "抓好",
    "做好",
    "推进",
    "完成",
    "组织",
)
_QUALIFIER_WORDS = (
    "按照职责分工",
    "按照职能分工",
    "按职责分工",
    "按职能分工",
    "按照各自职责",
    "按照职责",
    "按照职能",
    "按职责",
    "按职能",
    "根据职责分工",
    "根据职责",
    "结合职责",
    "共同",
    "分别",
    "具体",
    "各自",
    "积极",
    "认真",
    "切实",
    "全面",
    "要",
    "的",
)
_LEADING_WORDS = ("由", "请")
_TAIL_WORDS = sorted(
    {*_LEAD_WORDS, *_GUIDE_WORDS, *_COOPERATE_WORDS, *_RESPONSIBLE_WORDS, *_QUALIFIER_WORDS},
    key=len,
    reverse=True,
)
_TAIL_RE = re.compile("(?:" + "|".join(map(re.escape, _TAIL_WORDS)) + ")+$")
_GUIDE_OBJECT_RE = re.compile(r"(?:要|应)?(?:加强|负责)?对.*$")
_LABELS = (
    ("牵头单位", "lead"), ("牵头部门", "lead"), ("主办单位", "lead"), ("牵头", "lead"),
    ("主责单位", "responsible"), ("主责部门", "responsible"), ("责任单位", "responsible"),
    ("责任部门", "responsible"), ("责任主体", "responsible"), ("落实单位", "responsible"),
    ("承办单位", "responsible"),
    ("配合单位", "cooperate"), ("配合部门", "cooperate"), ("协办单位", "cooperate"), ("协办部门", "cooperate"),
    ("参与单位", "cooperate"), ("参与部门", "cooperate"), ("协作单位", "cooperate"), ("指导单位", "guide"),
    ("牵头责任单位", "lead"), ("牵头负责单位", "lead"), ("牵头落实单位", "lead"), ("协同责任单位", "cooperate"),
    ("配合责任单位", "cooperate"), ("协同单位", "cooperate"), ("协同部门", "cooperate"), ("主要责任单位", "responsible"),
    ("配合", "cooperate"), ("参与", "cooperate"), ("协办", "cooperate"), ("责任", "responsible"),
    ("负责", "responsible"), ("主责", "responsible"), ("指导", "guide"),
)
_LABEL_ROLES = dict(_LABELS)
_LABEL_RE = re.compile("^(" + "|".join(sorted(_LABEL_ROLES, key=len, reverse=True)) + ")[:：]")
_BRACKET_ROLE_RE = re.compile(r"^(.+)（(牵头|牵头单位|主责|负责|责任单位|配合|配合单位|协办|参与)）$")
_BRACKET_ROLES = {
    "牵头": "lead",
    "牵头单位": "lead",
    "配合": "cooperate",
    "配合单位": "cooperate",
    "协办": "cooperate",
    "参与": "cooperate",
}
# a bare type word after 和/、 belongs to the phrase before it: 各科室、单位; 市各有关部门和单位;
# 各县（市、区）党委和人民政府; 高新区党工委和管委会
_BARE_TYPES = ("单位", "部门", "机构", "人民政府", "政府", "管委会", "党委", "党工委", "党组")
_BARE_RE = re.compile("(?:" + "|".join(_BARE_TYPES) + r")(?=$|[和及与、 ，,；;])")

# Endings of unit names; a fragment with none of them is not read as a unit.
UNIT_SUFFIXES = (
    "局",
    "办",
    "办公室",
    "中心",
    "委",
    "委员会",
    "部",
    "部门",
    "单位",
    "院",
    "所",
    "站",
    "队",
    "处",
    "科",
    "会",
    "室",
    "厅",
    "署",
    "政府",
    "街道",
    "办事处",
    "社区",
    "公司",
    "集团",
    "馆",
    "台",
    "社",
    "团",
    "联",
    "组",
    "行",
    "校",
    "机关",
    "指挥部",
    "人大",
    "政协",
    "分局",
    "团体",
    "园区",
    "管委会",
    "县（市、区）",
    "区",
    "县",
    "市",
    "镇",
    "乡",
    "园",
    "村",
    "党委",
    "党工委",
    "党组",
    "机构",
    "专班",
    "海关",
)
_GROUP_SUFFIXES = (
    "各部门",
    "各单位",
    "各有关单位",
    "有关单位",
    "有关部门",
    "相关单位",
    "相关部门",
    "主管部门",
    "成员单位",
    "各局办",
    "各直属单位",
    "各街道办事处",
    "各行政执法部门",
    "各行政审批职能部门",
    "各县（市、区）",
)
_LEVEL_PREFIXES = ("区", "市", "县", "省")
# Longer than this, or quoting something, it is a sentence (a requirement pasted in the wrong column).
_MAX_NAME_LENGTH = 30
_NOT_IN_NAMES = '“”"《》'
# words of a sentence, not of a name: 具体任务均涉及相关市（州）人民政府，不再做分工
_SENTENCE_WORDS = re.compile(r"均涉及|以下统称|以下简称|统称为|不再|均由|均为|根据|按照|确保|以上|下同|要求|如有|其中|包括")
# 等 before these ends a list: 区税务局等各有关单位 → 区税务局 + 各有关单位.
_ETC_RE = re.compile(r"等(?=各|有关|相关|部门$|单位$|$)")
_VAGUE_AFTER_ETC = ("部门", "单位", "")
_EDGE_PUNCT = " \t、，,；;。:：.“”\"'‘’《》【】[]·"


def normalize_unit_name(s: str) -> str:
    """No whitespace, half-width ASCII, but Chinese full-width brackets （） for both bracket widths."""
    if not isinstance(s, str):
        return ""
    out = []
    for ch in s:
        if ch.isspace():
            continue
        ch = ch if ch in "（）" else halfwidth_char(ch)
        out.append({"(": "（", ")": "）"}.get(ch, ch))
    return "".join(out)


def is_group_name(name: str) -> bool:
    """True when the name stands for a set of units (区政府各部门, 各有关单位, 区级各行政审批职能部门)."""
    if not isinstance(name, str):
        return False
    name = normalize_unit_name(name)
    if not name:
        return False
    # 各 after a short level prefix (区政府各部门, 区级各行政审批职能部门), not deep inside a sentence.
    prefixed_each = "各" in name[1:6] and name.endswith(UNIT_SUFFIXES)
    return name.startswith("各") or prefixed_each or name.endswith(_GROUP_SUFFIXES)


_QUALIFIER_RE = re.compile(r"（[^（）]*）$")


def _looks_like_unit(name: str) -> bool:
    if not 2 <= len(name) <= _MAX_NAME_LENGTH or any(ch in name for ch in _NOT_IN_NAMES):
        return False
    if _SENTENCE_WORDS.search(_QUALIFIER_RE.sub("", name)):
        return False
    # a parenthesised qualifier stays part of the name: 高新园（邹区镇）
    base = _QUALIFIER_RE.sub("", name) or name
    return is_group_name(name) or base.endswith(UNIT_SUFFIXES)


def _strip_level(name: str) -> str:
    return name[1:] if name.startswith(_LEVEL_PREFIXES) and len(name) > 1 else name


def likely_duplicates(names: Iterable[str]) -> list[tuple[str, str, str]]:
    """Pairs (a, b, reason) that probably mean the same unit: 'level_twin' (市发改局/区发改局) or 'contains'
    (区政府办/区政府办公室, compared without a leading 区/市/县/省). Groups are left out. Never raises."""
    try:
        seen: list[str] = []
        for raw in names:
            name = normalize_unit_name(raw)
            if name and name not in seen and not is_group_name(name):
                seen.append(name)
    except Exception:  # noqa: BLE001 - e.g. a non-iterable; no pairs rather than a crash
        return []
    pairs: list[tuple[str, str, str]] = []
    for i, a in enumerate(seen):
        for b in seen[i + 1 :]:
            bare_a, bare_b = _strip_level(a), _strip_level(b)
            if bare_a == bare_b:
                pairs.append((a, b, "level_twin"))
            elif min(len(bare_a), len(bare_b)) >= 2 and (bare_a in bare_b or bare_b in bare_a):
                pairs.append((a, b, "contains"))
    return pairs


# ------------------------------------------------------------------------------------------ splitting
def _split_outside_brackets(text: str, separators: str) -> list[str]:
    """Split on single characters, but never inside （…） (各县（市、区） stays whole)."""
    parts, current, depth = [], [], 0
    for ch in text:
        if ch == _OPEN:
            depth += 1
        elif ch == _CLOSE and depth:
            depth -= 1
        if ch in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _split_soft(fragment: str) -> list[str]:
    """Split on 和/及/与/以及/whitespace only where the text before ends like a unit name."""
    pieces: list[str] = []
    start, i = 0, 0
    while i < len(fragment):
        word = next((w for w in ("以及", "和", "及", "与", " ") if fragment.startswith(w, i)), None)
        left = fragment[start:i].strip(_EDGE_PUNCT)
        right = fragment[i + len(word) :].strip() if word else ""
        # A space is weaker than 和: 区政府 办公室 is one name, 区财政局 区审计局 and 安监站 安监所 two.
        right_word = right.split(" ")[0].strip(_EDGE_PUNCT)
        spaced_unit = right_word.endswith(UNIT_SUFFIXES) and right_word not in UNIT_SUFFIXES
        right_ok = bool(right) and (word != " " or right.startswith((*_LEVEL_PREFIXES, "各")) or spaced_unit)
        # a bare type word joins the phrase before it (市各有关部门和单位, 党委和人民政府)
        right_ok = (right_ok and not _BARE_RE.match(right)) or (word == " " and spaced_unit)
        if word and left and left.endswith(UNIT_SUFFIXES) and right_ok:
            pieces.append(fragment[start:i])
            start = i + len(word)
            i = start
            continue
        i += 1
    pieces.append(fragment[start:])
    return pieces


def _split_names(names_part: str) -> tuple[list[str], list[str]]:
    """Names in one clause, and vague leftovers (等部门) that name nobody."""
    names: list[str] = []
    vague: list[str] = []
    parts: list[str] = []
    glue = False
    for part in _split_outside_brackets(names_part, "、/"):
        bare = part.strip(_EDGE_PUNCT)
        after_each = bool(parts) and re.fullmatch(r"各[县市区镇乡州旗]", parts[-1].strip(_EDGE_PUNCT)) is not None
        if parts and (glue or after_each or bare in _BARE_TYPES or len(bare) == 1):
            # 各科室、单位, 各县、市、区政府 and 各县、区人民政府: one group phrase
            parts[-1] += "、" + part
            glue = len(bare) == 1
        else:
            parts.append(part)
            glue = False
    for part in parts:
        for piece in part.split("会同"):
            for soft in _split_soft(piece):
                chunks = _ETC_RE.split(soft)
                for index, chunk in enumerate(chunks):
                    chunk = chunk.strip(_EDGE_PUNCT)
                    if index > 0 and chunk in _VAGUE_AFTER_ETC:
                        if chunk:
                            vague.append("等" + chunk)
                        continue
                    if chunk:
                        names.append(chunk)
    return names, vague


def _clean_name(name: str) -> str:
    name = name.strip(_EDGE_PUNCT)
    changed = True
    while changed and name:
        changed = False
        for word in (*_LEADING_WORDS, *_QUALIFIER_WORDS):
            if name.startswith(word) and len(name) > len(word):
                name, changed = name[len(word) :], True
        tail = _TAIL_RE.search(name)
        if tail and tail.start() > 0:
            name, changed = name[: tail.start()], True
        name = name.strip(_EDGE_PUNCT)
    return name


def _role_of(words: str) -> str | None:
    if any(w in words for w in _LEAD_WORDS):
        return "lead"
    if any(w in words for w in _GUIDE_WORDS):
        return "guide"
    if any(w in words for w in _COOPERATE_WORDS):
        return "cooperate"
    if any(w in words for w in _RESPONSIBLE_WORDS):
        return "responsible"
    return None


class _Clause:
    """One clause: its text, role (None when it has no role words) and the names it mentions."""

    def __init__(self, raw: str) -> None:
        self.raw = raw.strip()
        self.role: str | None = None
        self.names: list[tuple[str, str | None]] = []  # (name, role from a （牵头） note or None)
        self.unreadable: list[str] = []
        self.vague: list[str] = []
        self._read()

    def _read(self) -> None:
        text = self.raw
        label = _LABEL_RE.match(text)
        self.label_role: str | None = None
        if label:
            self.role = self.label_role = _LABEL_ROLES.get(label.group(1), "responsible")
            text = text[label.end() :]
        tail = _TAIL_RE.search(text)
        names_part = text
        if tail:
            names_part = text[: tail.start()]
            self.role = _role_of(tail.group(0)) or self.role  # a verb in the clause wins over its label
        if self.role == "guide":
            names_part = _GUIDE_OBJECT_RE.sub("", names_part)
        names, self.vague = _split_names(names_part)
        for name in names:
            note = _BRACKET_ROLE_RE.match(name)
            own_role = None
            if note:
                name, own_role = note.group(1), _BRACKET_ROLES.get(note.group(2), "responsible")
            name = normalize_unit_name(_clean_name(name))
            if not name:
                continue
            if _looks_like_unit(name):
                self.names.append((name, own_role))
            else:
                self.unreadable.append(name)


def _prepare(text: str) -> str:
    """A label after a space starts a clause (牵头单位：A 责任单位：B); line breaks become clause commas; whitespace runs become one space (a possible unit separator) except
    next to role words (区财政局 牵头 负责); everything else as normalize_unit_name."""
    text = re.sub(r"[\r\n]+", "，", text)
    text = re.sub(r"[ \t\u3000]+(?=(?:" + "|".join(_LABEL_ROLES) + r")[:：])", "；", text)
    text = re.sub(r"\s+", " ", text)
    text = "".join(" " if ch == " " else normalize_unit_name(ch) for ch in text)
    pieces = text.split(" ")
    joined = pieces[0]
    for piece in pieces[1:]:
        glue = "" if joined.endswith(tuple(_TAIL_WORDS)) or piece.startswith(tuple(_TAIL_WORDS)) else " "
        joined += glue + piece
    return joined


# a remark in brackets after a name, not a qualifier of it: （列第一位者为牵头或汇总单位，下同）
_REMARK_RE = re.compile(r"（[^（）]*(?:，|。|；|下同|以下|为牵头|[^（）]{13,})[^（）]*）")


def _parse(text: str, default_role: str | None) -> UnitParse:
    prepared = _prepare(text)
    remarks = [m.group(0) for m in _REMARK_RE.finditer(prepared)]
    prepared = _REMARK_RE.sub("", prepared)
    normalized = normalize_unit_name(prepared)
    clauses = [
        _Clause(c) for c in _split_outside_brackets(prepared, _CLAUSE_SEPARATORS) if c.strip(_EDGE_PUNCT)
    ]
    if not clauses and normalized:
        return UnitParse(refs=[], unresolved=[normalized], dropped=[])

    # A clause after a label (牵头单位：A；责任单位：B，C) keeps that label's role until the next label; any
    # other clause without role words borrows from the next clause that names units and has a role.
    label_role: str | None = None
    own: list[str | None] = []
    for clause in clauses:
        if clause.label_role:
            label_role = clause.label_role
        own.append(clause.role or label_role)
    next_role: str | None = None
    roles: list[str] = [""] * len(clauses)
    for index in range(len(clauses) - 1, -1, -1):
        clause = clauses[index]
        if clause.names and own[index] and not label_role:
            next_role = own[index]
        roles[index] = own[index] or next_role or default_role or "lead"

    refs: list[UnitRef] = []
    unresolved: list[str] = []
    dropped: list[str] = []
    names_anybody = any(clause.names for clause in clauses)
    for clause, role in zip(clauses, roles):  # noqa: B905 - same length by construction
        if not clause.names:
            (dropped if names_anybody else unresolved).append(clause.raw)
            continue
        for name, own_role in clause.names:
            ref = UnitRef(name=name, role=own_role or role, is_group=is_group_name(name))
            if ref not in refs:
                refs.append(ref)
        unresolved.extend(clause.unreadable)
        dropped.extend(clause.vague)
    return UnitParse(refs=refs, unresolved=unresolved, dropped=dropped + remarks)


def parse_units(text: str, default_role: str | None = None) -> UnitParse:
    """Units named in one 牵头落实单位 cell with their roles. `default_role` is the role of units written
    without a role word or label (the column's: a 配合单位 or 责任单位 column); without it they borrow the
    role of the clause after them, else lead. Never raises."""
    try:
        if not isinstance(text, str) or not text.strip():
            return UnitParse(refs=[], unresolved=[], dropped=[])
        return _parse(text, default_role)
    except Exception:  # noqa: BLE001 - the contract is total; an unreadable cell is reported, not raised
        return UnitParse(refs=[], unresolved=[text.strip()], dropped=[])
