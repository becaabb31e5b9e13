"""plan.units: the 牵头落实单位 phrases of the seed plan (all ~30 of them) and a few usual others."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan.model import UNIT_ROLES
from plan.units import is_group_name, likely_duplicates, normalize_unit_name, parse_units

L, R, C, G = "lead", "responsible", "cooperate", "guide"


def refs(text: str) -> list[tuple[str, str, bool]]:
    parsed = parse_units(text)
    assert parsed.unresolved == [], parsed
    return [(r.name, r.role, r.is_group) for r in parsed.refs]


SEED_PHRASES = [
    ("区政府各部门分别负责落实", [("区政府各部门", R, True)]),
    ("区政府各部门负责落实", [("区政府各部门", R, True)]),
    (
        "区委网信办加强对主管部门指导，区政府各部门负责落实",
        [("区委网信办", G, False), ("区政府各部门", R, True)],
    ),
    (
        "区委网信办加强对主管部门指导，区政府涉及主管部门负责落实",
        [("区委网信办", G, False), ("区政府涉及主管部门", R, True)],
    ),
    (
        "区政府新闻办会同区政府办共同牵头，区级各部门分别负责落实",
        [("区政府新闻办", L, False), ("区政府办", L, False), ("区级各部门", R, True)],
    ),
    ("区审计局、区政府目督办分别落实", [("区审计局", R, False), ("区政府目督办", R, False)]),
    ("区司法局牵头，各行政执法部门具体负责落实", [("区司法局", L, False), ("各行政执法部门", R, True)]),
    ("区财政局牵头落实", [("区财政局", L, False)]),
    ("区财政局负责落实", [("区财政局", R, False)]),
    ("区农业农村局牵头，区属各部门按照职责分工负责", [("区农业农村局", L, False), ("区属各部门", R, True)]),
    (
        "市生态环境局五华分局、区水务局、区农业农村局、区城市管理局按照职责分工牵头，区属各部门按照职责分工负责",
        [
            ("市生态环境局五华分局", L, False),
            ("区水务局", L, False),
            ("区农业农村局", L, False),
            ("区城市管理局", L, False),
            ("区属各部门", R, True),
        ],
    ),
    (
        "区政管局、区发改局、区科信局、区人社局、区住建局、区市场监管局、区税务局等各有关单位分别负责落实",
        [
            ("区政管局", R, False),
            ("区发改局", R, False),
            ("区科信局", R, False),
            ("区人社局", R, False),
            ("区住建局", R, False),
            ("区市场监管局", R, False),
            ("区税务局", R, False),
            ("各有关单位", R, True),
        ],
    ),
    ("区发改局、区市场监管局牵头负责落实", [("区发改局", L, False), ("区市场监管局", L, False)]),
    (
        "区政管局，区级各行政审批职能部门分别负责落实",
        [("区政管局", R, False), ("区级各行政审批职能部门", R, True)],
    ),
    (
        "区政管局、市发改局、区司法局、区市场监管局按职能分工分别负责落实",
        [("区政管局", R, False), ("市发改局", R, False), ("区司法局", R, False), ("区市场监管局", R, False)],
    ),
    ("区政府办公室，区政府各部门分别负责落实", [("区政府办公室", R, False), ("区政府各部门", R, True)]),
    (
        "区教育体育局、区人力资源社会保障局、区退役军人事务局分别牵头负责落实",
        [("区教育体育局", L, False), ("区人力资源社会保障局", L, False), ("区退役军人事务局", L, False)],
    ),
    ("区教育体育局牵头负责落实", [("区教育体育局", L, False)]),
    (
        "区市场监管局、区卫生健康局、区医保局按照职能分工分别牵头负责落实",
        [("区市场监管局", L, False), ("区卫生健康局", L, False), ("区医保局", L, False)],
    ),
    ("区自然资源局", [("区自然资源局", L, False)]),
    ("区政府办公室", [("区政府办公室", L, False)]),
    ("区科信局牵头，区政府各部门分别负责落实", [("区科信局", L, False), ("区政府各部门", R, True)]),
    ("区科信局牵头负责落实", [("区科信局", L, False)]),
    ("区政府办公室，区融媒体中心分别负责落实", [("区政府办公室", R, False), ("区融媒体中心", R, False)]),
    (
        "区融媒体中心、区科信局牵头，区政府各部门分别负责落实",
        [("区融媒体中心", L, False), ("区科信局", L, False), ("区政府各部门", R, True)],
    ),
    (
        "区政管局牵头，区级各行政审批职能部门配合落实",
        [("区政管局", L, False), ("区级各行政审批职能部门", C, True)],
    ),
    (
        "区政府办公室、区政管局牵头，区政府各部门分别负责落实",
        [("区政府办公室", L, False), ("区政管局", L, False), ("区政府各部门", R, True)],
    ),
    ("区政府办公室牵头，区政府各部门分别负责落实", [("区政府办公室", L, False), ("区政府各部门", R, True)]),
    (
        "区政府办公室负责，区委目督办、区政府目督办配合落实",
        [("区政府办公室", R, False), ("区委目督办", C, False), ("区政府目督办", C, False)],
    ),
    ("区政府办公室牵头负责落实", [("区政府办公室", L, False)]),
]

OTHER_PHRASES = [
    # 和 inside a unit name is not a separator
    (
        "区人力资源和社会保障局、区住房和城乡建设局牵头",
        [("区人力资源和社会保障局", L, False), ("区住房和城乡建设局", L, False)],
    ),
    ("区发展和改革局及区财政局负责", [("区发展和改革局", R, False), ("区财政局", R, False)]),
    ("区财政局与区审计局协助", [("区财政局", C, False), ("区审计局", C, False)]),
    ("区财政局参与", [("区财政局", C, False)]),
    ("区财政局协同落实", [("区财政局", C, False)]),
    ("区财政局具体负责", [("区财政局", R, False)]),
    ("区财政局按照职责分工负责落实", [("区财政局", R, False)]),
    ("由区财政局牵头", [("区财政局", L, False)]),
    ("区就业指导中心负责", [("区就业指导中心", R, False)]),
    ("区财政局 区审计局", [("区财政局", L, False), ("区审计局", L, False)]),
    ("区财政局 牵头", [("区财政局", L, False)]),
    ("区政府 办公室", [("区政府办公室", L, False)]),
    ("区财政局\n区审计局配合", [("区财政局", C, False), ("区审计局", C, False)]),
    ("区财政局（牵头）、区审计局（配合）", [("区财政局", L, False), ("区审计局", C, False)]),
    ("牵头单位：区财政局；配合单位：区审计局", [("区财政局", L, False), ("区审计局", C, False)]),
    (
        "牵头单位：区财政局\n配合单位：区审计局、区税务局",
        [("区财政局", L, False), ("区审计局", C, False), ("区税务局", C, False)],
    ),
    ("各县（市、区）负责落实", [("各县（市、区）", R, True)]),
    ("各县(市、区)负责落实", [("各县（市、区）", R, True)]),
    ("区财政局牵头，区审计局", [("区财政局", L, False), ("区审计局", L, False)]),
    ("各街道办事处", [("各街道办事处", L, True)]),
    ("区财政局、区财政局负责", [("区财政局", R, False)]),  # the same ref once
]


@pytest.mark.parametrize(("text", "expected"), SEED_PHRASES + OTHER_PHRASES)
def test_phrase(text: str, expected: list[tuple[str, str, bool]]) -> None:
    assert refs(text) == expected


def test_seed_phrases_drop_nothing_except_the_slogan() -> None:
    for text, _ in SEED_PHRASES:
        assert parse_units(text).dropped == []
    parsed = parse_units("区委网信办和区科信局牵头，区政府各部门分别负责落实，做到谁发布、谁负责")
    assert [(r.name, r.role, r.is_group) for r in parsed.refs] == [
        ("区委网信办", L, False),
        ("区科信局", L, False),
        ("区政府各部门", R, True),
    ]
    assert parsed.dropped == ["做到谁发布、谁负责"]
    assert parsed.unresolved == []


def test_vague_etc_is_kept_in_dropped() -> None:
    parsed = parse_units("区税务局等部门负责")
    assert [(r.name, r.role) for r in parsed.refs] == [("区税务局", R)]
    assert parsed.dropped == ["等部门"]


@pytest.mark.parametrize(
    ("text", "names", "unresolved"),
    [
        ("负责落实", [], ["负责落实"]),
        ("张三负责", [], ["张三负责"]),
        ("待定", [], ["待定"]),
        ("区财政局、张三负责", ["区财政局"], ["张三"]),
        ("区财政局、城管执法配合", ["区财政局"], ["城管执法"]),
    ],
)
def test_unreadable_fragments_are_reported(text: str, names: list[str], unresolved: list[str]) -> None:
    parsed = parse_units(text)
    assert [r.name for r in parsed.refs] == names
    assert parsed.unresolved == unresolved


def test_a_sentence_is_not_a_unit() -> None:
    parsed = parse_units("进一步整合优化各级政务服务实体办事大厅“一站式”功能，加快实现“一个窗口” “一次办理”")
    assert parsed.refs == []
    assert len(parsed.unresolved) == 2


@pytest.mark.parametrize("text", ["", "  ", "\n"])
def test_empty_cell(text: str) -> None:
    parsed = parse_units(text)
    assert (parsed.refs, parsed.unresolved, parsed.dropped) == ([], [], [])


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("区政府 办公室", "区政府办公室"),
        ("各县(市、区)", "各县（市、区）"),
        ("各县（市、区）", "各县（市、区）"),
        ("区ＩＴ中心", "区IT中心"),
        ("\u3000区财政局\t", "区财政局"),
        ("市１２３４５热线办", "市12345热线办"),
    ],
)
def test_normalize_unit_name(raw: str, normalized: str) -> None:
    assert normalize_unit_name(raw) == normalized


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("区政府各部门", True),
        ("区属各部门", True),
        ("区级各部门", True),
        ("区级各行政审批职能部门", True),
        ("各行政执法部门", True),
        ("各有关单位", True),
        ("各街道办事处", True),
        ("各县（市、区）", True),
        ("区直各局办", True),
        ("有关单位", True),
        ("区政府涉及主管部门", True),
        ("区政府办公室", False),
        ("区财政局", False),
        ("市生态环境局五华分局", False),
        ("", False),
    ],
)
def test_is_group_name(name: str, group: bool) -> None:
    assert is_group_name(name) is group


def test_likely_duplicates() -> None:
    names = [
        "区政府办",
        "区政府办公室",
        "市发改局",
        "区发改局",
        "区政府各部门",
        "区财政局",
        "区审计局",
        "区发改局",
    ]
    assert likely_duplicates(names) == [
        ("区政府办", "区政府办公室", "contains"),
        ("市发改局", "区发改局", "level_twin"),
    ]
    assert likely_duplicates(["区政府各部门", "市政府各部门"]) == []  # groups are left out
    assert likely_duplicates(["区委", "区委网信办"]) == []  # a one-character remainder proves nothing
    assert likely_duplicates(["市生态环境局", "市生态环境局五华分局"]) == [
        ("市生态环境局", "市生态环境局五华分局", "contains"),
    ]


# ---------------------------------------------------------------------------------------- properties
UNIT_ALPHABET = "区市各政府部门办公室局委牵头负责落实配合协助指导分别按照职责分工和及与会同等有关单位（）()、，,； \n谁做到"


@settings(max_examples=400)
@given(st.one_of(st.text(), st.text(alphabet=UNIT_ALPHABET)))
def test_parse_units_never_raises_and_is_well_formed(text: str) -> None:
    parsed = parse_units(text)
    for ref in parsed.refs:
        assert ref.role in UNIT_ROLES
        assert ref.name and ref.name == normalize_unit_name(ref.name)
        assert ref.is_group == is_group_name(ref.name)
    if text.strip() and not parsed.refs:
        assert parsed.unresolved, "a non-empty cell that names nobody must say so"
    assert len(set(parsed.refs)) == len(parsed.refs)


@given(st.text())
def test_normalize_unit_name_is_idempotent(text: str) -> None:
    once = normalize_unit_name(text)
    assert normalize_unit_name(once) == once
    assert not any(ch.isspace() for ch in once)


@given(st.lists(st.text(alphabet=UNIT_ALPHABET, max_size=8), max_size=12))
def test_likely_duplicates_never_pairs_groups_or_equals(names: list[str]) -> None:
    for a, b, reason in likely_duplicates(names):
        assert a != b and reason in ("contains", "level_twin")
        assert not is_group_name(a) and not is_group_name(b)
