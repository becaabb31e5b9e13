"""plan.deadlines: the 完成时限 phrases of the seed plan and the usual others (DESIGN.md "Deadline phrases")."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan.deadlines import describe_deadline, parse_deadline_phrase, parse_deadlines, split_deadline_phrases
from plan.model import DEADLINE_KINDS, PRECISIONS, Deadline

YEAR = 2019
ISSUED = date(2019, 9, 5)  # the seed plan was printed 2019-09-05


def one(text: str, issued_on: date | None = None) -> Deadline:
    found = parse_deadlines(text, YEAR, issued_on)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "due", "precision"),
    [
        # month end
        ("10月底", date(2019, 10, 31), "month"),
        ("10月底前", date(2019, 10, 31), "month"),
        ("12月底前", date(2019, 12, 31), "month"),
        ("7月底前", date(2019, 7, 31), "month"),
        ("2月底", date(2019, 2, 28), "month"),
        ("10月末", date(2019, 10, 31), "month"),
        ("11月份", date(2019, 11, 30), "month"),
        ("2020年12月", date(2020, 12, 31), "month"),
        ("2020年2月底", date(2020, 2, 29), "month"),
        ("2020年3月底前", date(2020, 3, 31), "month"),
        ("12月底前完成", date(2019, 12, 31), "month"),
        ("10月底之前", date(2019, 10, 31), "month"),
        ("10月底以前", date(2019, 10, 31), "month"),
        # ten-day periods
        ("1月中旬", date(2019, 1, 20), "tenday"),
        ("2020年1月中旬", date(2020, 1, 20), "tenday"),
        ("3月上旬", date(2019, 3, 10), "tenday"),
        ("2月下旬", date(2019, 2, 28), "tenday"),
        # days
        ("3月20日前", date(2019, 3, 20), "day"),
        ("3月20日", date(2019, 3, 20), "day"),
        ("12月15日之前", date(2019, 12, 15), "day"),
        ("2019年12月15日前", date(2019, 12, 15), "day"),
        ("2020年3月31日前", date(2020, 3, 31), "day"),
        ("2019-12-31", date(2019, 12, 31), "day"),
        # halves, quarters, year end
        ("上半年", date(2019, 6, 30), "half"),
        ("下半年", date(2019, 12, 31), "half"),
        ("第三季度", date(2019, 9, 30), "quarter"),
        ("三季度", date(2019, 9, 30), "quarter"),
        ("第一季度末", date(2019, 3, 31), "quarter"),
        ("年底前", date(2019, 12, 31), "year"),
        ("年底", date(2019, 12, 31), "year"),
        ("2020年底前", date(2020, 12, 31), "year"),
        # ranges end with their last month
        ("11—12月", date(2019, 12, 31), "month"),
        ("11-12月", date(2019, 12, 31), "month"),
        ("11月至12月", date(2019, 12, 31), "month"),
        ("11、12月", date(2019, 12, 31), "month"),
        ("12月1日-15日", date(2019, 12, 15), "day"),
        ("12-2月", date(2020, 2, 29), "month"),
        # spelling variants
        ("11 月底前", date(2019, 11, 30), "month"),
        ("１０月底前", date(2019, 10, 31), "month"),
        ("十二月底前", date(2019, 12, 31), "month"),
        ("十月底前", date(2019, 10, 31), "month"),
        ("三月二十日前", date(2019, 3, 20), "day"),
        ("二〇二〇年三月底前", date(2020, 3, 31), "month"),
        ("次年1月底前", date(2020, 1, 31), "month"),
        ("于10月底前完成", date(2019, 10, 31), "month"),
    ],
)
def test_fixed_phrases(text: str, due: date, precision: str) -> None:
    d = one(text)
    assert (d.kind, d.due, d.precision) == ("fixed", due, precision)
    assert d.raw == text.strip()


@pytest.mark.parametrize("text", ["全年工作", "全年", "全年持续推进", " 全年工作 ", "年内", "年内完成", "本年度内"])
def test_year_round(text: str) -> None:
    d = one(text)
    assert (d.kind, d.due, d.precision, d.recurrence) == ("year_round", date(2019, 12, 31), "year", "monthly")


@pytest.mark.parametrize("text", ["长期", "持续推进", "常态化", "长期坚持", "常态化推进"])
def test_ongoing(text: str) -> None:
    d = one(text)
    assert (d.kind, d.due, d.precision, d.recurrence) == ("ongoing", None, "none", None)


@pytest.mark.parametrize(
    ("text", "issued_on", "recurrence", "day", "due"),
    [
        ("每月", None, "monthly", None, date(2019, 1, 31)),
        ("每月", ISSUED, "monthly", None, date(2019, 9, 30)),
        ("每月25日前", None, "monthly", 25, date(2019, 1, 25)),
        ("每月25日前", ISSUED, "monthly", 25, date(2019, 9, 25)),
        ("每月4日前", ISSUED, "monthly", 4, date(2019, 10, 4)),
        ("每月5日前", ISSUED, "monthly", 5, date(2019, 9, 5)),  # due on the issue day still counts
        ("每月31日前", date(2019, 2, 1), "monthly", 31, date(2019, 2, 28)),
        ("每月25日前", date(2019, 12, 26), "monthly", 25, None),  # none left in the plan year
        ("每季度", None, "quarterly", None, date(2019, 3, 31)),
        ("每季度末", ISSUED, "quarterly", None, date(2019, 9, 30)),
        ("每年12月底前", ISSUED, "yearly", None, date(2019, 12, 31)),
        ("每年3月底前", ISSUED, "yearly", None, None),
    ],
)
def test_recurring(
    text: str, issued_on: date | None, recurrence: str, day: int | None, due: date | None
) -> None:
    d = one(text, issued_on)
    assert (d.kind, d.recurrence, d.day_of_period, d.due) == ("recurring", recurrence, day, due)
    assert d.past_at_issue is False


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("12月底前\n\n全年工作", ["fixed", "year_round"]),  # seed row 47
        ("12月底前完成，全年持续推进", ["fixed", "year_round"]),
        ("6月底前；12月底前", ["fixed", "fixed"]),
        ("12月底前和全年工作", ["fixed", "year_round"]),
        ("12月底前全年工作", ["fixed", "year_round"]),
        ("6月底、12月底", ["fixed", "fixed"]),
    ],
)
def test_two_phrases_in_one_cell(text: str, kinds: list[str]) -> None:
    found = parse_deadlines(text, YEAR, ISSUED)
    assert [d.kind for d in found] == kinds
    assert [d.raw for d in found] == split_deadline_phrases(text)


def test_an_impossible_day_in_a_two_phrase_cell_is_unknown_alone() -> None:
    found = parse_deadlines("2月29日全年工作", YEAR)  # 2019 has no 2月29日
    assert [(d.raw, d.kind) for d in found] == [("2月29日", "unknown"), ("全年工作", "year_round")]
    assert parse_deadlines("2月29日", 2020)[0].due == date(2020, 2, 29)


def test_split_keeps_phrases_as_written() -> None:
    assert split_deadline_phrases("12月底前\n\n全年工作") == ["12月底前", "全年工作"]
    assert split_deadline_phrases("12月底前完成，全年持续推进") == ["12月底前完成", "全年持续推进"]
    assert split_deadline_phrases("11 月底前") == ["11 月底前"]
    assert split_deadline_phrases("12月底前（全年持续）") == ["12月底前", "全年持续"]
    assert split_deadline_phrases("按要求完成") == ["按要求完成"]
    assert split_deadline_phrases("  \n ") == []


def test_month_before_issue_stays_in_plan_year_and_is_flagged() -> None:
    d = one("7月底前", ISSUED)
    assert d.due == date(2019, 7, 31)
    assert d.past_at_issue is True
    assert one("10月底前", ISSUED).past_at_issue is False
    assert one("7月底前").past_at_issue is False  # no issue date, nothing to compare with


def test_explicit_year_wins_over_plan_year() -> None:
    d = one("2020年1月中旬", ISSUED)
    assert d.due == date(2020, 1, 20)
    assert d.past_at_issue is False
    assert d.explicit_year is True
    assert one("2018年12月底前", ISSUED).past_at_issue is True
    assert one("12月底前").explicit_year is False


@pytest.mark.parametrize(
    "text",
    ["按要求完成", "2月30日", "13月底", "0月底", "每半年", "每周", "随时报送情况", "年前", "—", "待定"],
)
def test_unreadable_phrase_is_unknown_never_guessed(text: str) -> None:
    d = one(text)
    assert (d.kind, d.due, d.precision, d.raw) == ("unknown", None, "none", text)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "\t"])
def test_empty_cell(text: str) -> None:
    assert parse_deadlines(text, YEAR) == []


def test_parse_deadline_phrase_gives_exactly_one() -> None:
    assert parse_deadline_phrase("10月底前", YEAR).due == date(2019, 10, 31)
    assert parse_deadline_phrase("12月底前，全年工作", YEAR).kind == "unknown"
    assert parse_deadline_phrase("", YEAR).kind == "unknown"


def test_bad_plan_year_does_not_raise() -> None:
    assert [d.kind for d in parse_deadlines("10月底前", 0)] == ["unknown"]
    assert [d.kind for d in parse_deadlines("每月", 10000)] == ["unknown"]
    assert parse_deadlines("2020年3月底前", 0)[0].due == date(2020, 3, 31)  # its own year is fine


@pytest.mark.parametrize(
    ("text", "issued_on", "described"),
    [
        ("10月底", None, "10月31日"),
        ("2020年3月底前", None, "2020年3月31日"),
        ("3月20日前", None, "3月20日"),
        ("1月中旬", None, "1月中旬（1月20日）"),
        ("2020年1月中旬", None, "2020年1月中旬（1月20日）"),
        ("第三季度", None, "第三季度末（9月30日）"),
        ("上半年", None, "上半年（6月30日）"),
        ("年底前", None, "年底（12月31日）"),
        ("全年工作", None, "全年（每月报进度）"),
        ("长期", None, "长期"),
        ("每月25日前", None, "每月25日前"),
        ("每月", None, "每月月底前"),
        ("每季度", None, "每季度末"),
        ("每年6月15日前", None, "每年6月15日前"),
        ("每年3月底前", ISSUED, "每年3月底前"),
        ("按要求完成", None, "按要求完成（未能识别）"),
    ],
)
def test_describe(text: str, issued_on: date | None, described: str) -> None:
    assert describe_deadline(one(text, issued_on)) == described


# ---------------------------------------------------------------------------------------- properties
PHRASE_ALPHABET = "0123456789１２十二三月日年底前中旬上下半季度每全长期、，和及 \n-—至第份"


@settings(max_examples=400)
@given(
    st.one_of(st.text(), st.text(alphabet=PHRASE_ALPHABET)),
    st.integers(-5, 12000),
    st.one_of(st.none(), st.dates()),
)
def test_never_raises_and_results_are_well_formed(text: str, year: int, issued_on: date | None) -> None:
    found = parse_deadlines(text, year, issued_on)
    assert isinstance(found, list)
    if not text.strip():
        assert found == []
    for d in found:
        assert d.kind in DEADLINE_KINDS
        assert d.precision in PRECISIONS
        assert d.raw == d.raw.strip() and d.raw
        if d.kind == "fixed":
            assert d.due is not None
        if d.kind in ("ongoing", "unknown"):
            assert d.due is None
        if d.past_at_issue:
            assert issued_on is not None and d.due is not None and d.due < issued_on
        assert isinstance(describe_deadline(d), str)
    assert [d.raw for d in found] == split_deadline_phrases(text)


@given(st.integers(1, 12), st.sampled_from(["月底", "月底前", "月份", "月末"]), st.integers(2000, 2100))
def test_any_month_end_phrase(month: int, suffix: str, year: int) -> None:
    d = parse_deadlines(f"{month}{suffix}", year)[0]
    assert d.kind == "fixed" and d.due is not None
    assert (d.due.year, d.due.month) == (year, month)
    assert date.fromordinal(d.due.toordinal() + 1).month != month  # the last day of that month


@pytest.mark.parametrize(("text", "steps"), [
    ("11月15日前完成初稿，12月底前全面完成", [(date(2019, 11, 15), "完成初稿"), (date(2019, 12, 31), "全面完成")]),
    ("①3月底前制定方案；②6月底前完成试点", [(date(2019, 3, 31), "制定方案"), (date(2019, 6, 30), "完成试点")]),
    ("2019年3月底前：制定方案；6月底前：完成试点", [(date(2019, 3, 31), "制定方案"), (date(2019, 6, 30), "完成试点")]),
    ("制定方案：3月底前；完成试点：6月底前", [(date(2019, 3, 31), "制定方案"), (date(2019, 6, 30), "完成试点")]),
    ("9月投入使用", [(date(2019, 9, 30), "投入使用")]),
    ("5月底前动工", [(date(2019, 5, 31), "动工")]),
    ("11月15日前完成初稿，报送区政府", [(date(2019, 11, 15), "完成初稿，报送区政府")]),
    ("完成时限：6月底", [(date(2019, 6, 30), "")]),
    ("8月份", [(date(2019, 8, 31), "")]),
])
def test_milestones_carry_their_step(text: str, steps: list) -> None:
    found = parse_deadlines(text, 2019)
    assert [(d.kind, d.due, d.label) for d in found] == [("fixed", due, label) for due, label in steps]
