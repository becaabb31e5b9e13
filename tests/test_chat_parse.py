"""Parsing chat messages: pure, no database."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chat.dates import find_date
from chat.parse import EMPTY, FREE, Command, TaskRef, parse, parse_percent
from chat.registry import registry
from chat.replies import MAX_BYTES, fit, fit_lines
from chat.textnorm import cn_number, halfwidth

TODAY = dt.date(2019, 10, 22)
GRAMMAR = registry.grammar()


def p(text: str) -> Command:
    return parse(text, GRAMMAR, TODAY)


# Text a liaison could type: Chinese, full-width forms, digits, the command words, odd unicode.
_words = st.sampled_from(sorted(GRAMMAR) + ["第", "项", "号", "#", "＃", "%", "％", "月", "日", "百分之", "A", "二十四",
                                            "２４", "　", "\n", "-", "/", "【", "】", "\x00", "\ud7ff", "🙂"])
_messages = st.lists(st.one_of(_words, st.text(max_size=6), st.integers(0, 99999).map(str)), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(_messages)
def test_parser_never_raises_and_answers_a_command(text):
    cmd = p(text)
    assert cmd.name in {spec.name for spec in registry.specs()} | {FREE, EMPTY}
    if cmd.ref is not None:
        assert 1 <= cmd.ref.seq <= 9999
    if cmd.percent is not None:
        assert 0 <= cmd.percent <= 100


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parser_never_raises_on_any_unicode(text):
    p(text)
    assert len(halfwidth(text)) == len(text)


@pytest.mark.parametrize("text", [
    "完成 24", "完成24", "完成 #24", "完成＃２４", "完成 第24项", "完成 24号", "完成　２４", "  完成   24  ",
    "完成第二十四项", "完成 二十四项", "done 24", "DONE 24", "完成：24", "完成，24",
])
def test_number_forms(text):
    cmd = p(text)
    assert cmd.name == "done" and cmd.ref == TaskRef(24), cmd


def test_plan_code_prefix():
    assert p("完成 A24").ref == TaskRef(24, "A")
    assert p("完成 a24").ref == TaskRef(24, "A")
    assert p("详情 Ｂ７").ref == TaskRef(7, "B")
    assert p("进度 第A24项 好").ref == TaskRef(24, "A")


@pytest.mark.parametrize("text, percent", [
    ("进度 24 已完成初稿 60%", 60), ("进度 24 已完成初稿 60％", 60), ("进度 24 已完成初稿６０％", 60),
    ("进度 24 已完成百分之六十", 60), ("进度 24 百分之百", 100), ("进度 24 约 33.4 %", 33),
    ("进度 24 已起草", None), ("进度 24 完成150%", None), ("进度 24 3个部门", None),
])
def test_progress_percent(text, percent):
    cmd = p(text)
    assert cmd.name == "progress" and cmd.ref == TaskRef(24) and cmd.percent == percent


def test_progress_text_is_kept_as_written():
    cmd = p("进度２４　已征求意见（第二轮）６０％")
    assert cmd.text == "已征求意见（第二轮）６０％" and cmd.percent == 60


@pytest.mark.parametrize("text, due", [
    ("延期 24 2019-11-30 人手不足", dt.date(2019, 11, 30)),
    ("延期 24 11月30日 人手不足", dt.date(2019, 11, 30)),
    ("延期 24 11-30 人手不足", dt.date(2019, 11, 30)),
    ("延期 24 2019/11/30 人手不足", dt.date(2019, 11, 30)),
    ("延期 24 2019年11月30日 人手不足", dt.date(2019, 11, 30)),
    ("延期 24 １１月３０日 人手不足", dt.date(2019, 11, 30)),
    ("延期 24 人手不足，延到11月底", dt.date(2019, 11, 30)),
    ("延期 24 1月15日 跨年", dt.date(2020, 1, 15)),  # earlier than today without a year: next year
])
def test_extension_dates(text, due):
    cmd = p(text)
    assert cmd.name == "extend" and cmd.ref == TaskRef(24) and cmd.new_due == due and cmd.problem is None
    assert "人手不足" in cmd.text or "跨年" in cmd.text
    assert str(due.day) not in cmd.text.replace("人手不足", "").replace("跨年", "").replace("延到", "")


def test_extension_problems():
    assert p("延期 24 2月30日 原因").problem == "bad_date"
    assert p("延期 24 原因没写日期").problem == "no_date"
    assert p("延期 2019-11-30 原因").problem == "no_ref"


def test_free_text_versus_commands():
    assert p("完成了初稿，正在审核").name == FREE
    assert p("任务已经推进").name == FREE
    assert p("helpme").name == FREE
    assert p("？").name == "help" and p("?").name == "help" and p("Help").name == "help"
    assert p("").name == EMPTY and p("   ").name == EMPTY and p(None).name == EMPTY
    assert p("任务 2").number == 2
    free = p("#24 已报送材料")
    assert free.name == FREE and free.ref == TaskRef(24) and free.text == "已报送材料"
    assert p("3个部门已完成").ref is None


def test_approve_and_reject_numbers():
    assert p("批准 7") == Command("approve", "批准", number=7)
    cmd = p("驳回 #7 时间过长")
    assert cmd.name == "reject" and cmd.number == 7 and cmd.text == "时间过长"
    assert p("驳回").problem == "no_number"


def test_cn_numbers_and_dates():
    assert [cn_number(x) for x in ("二十四", "十", "十五", "一百", "百", "六〇", "两千零五")] == [24, 10, 15, 100, 100, 60, 2005]
    assert cn_number("二三十") is None and cn_number("abc") is None and cn_number("") is None
    assert parse_percent("百分之八十五") == 85
    assert find_date("没有日期", TODAY) is None
    assert find_date("13月1日", TODAY).day is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=300), max_size=40))
def test_fit_never_exceeds_the_byte_limit(lines):
    text = fit("\n".join(lines))
    assert len(text.encode("utf-8")) <= MAX_BYTES
    listed = fit_lines(["头"], lines, ["尾"], lambda n: f"…等{n}项，发送「任务」查看全部")
    assert len(listed.encode("utf-8")) <= MAX_BYTES


@pytest.mark.parametrize("text, ref", [
    ("74", TaskRef(74)), ("#74", TaskRef(74)), ("＃７４", TaskRef(74)), ("第74项", TaskRef(74)),
    ("第１５项", TaskRef(15)), ("74号", TaskRef(74)), ("７４", TaskRef(74)), ("【74】", TaskRef(74)),
    ("第七十四项", TaskRef(74)), ("A14", TaskRef(14, "A")), ("ａ１４", TaskRef(14, "A")), ("4-2", TaskRef(4, None, 2)),
    (" 第74项。", TaskRef(74)),
])
def test_a_message_that_is_only_an_item_reference_names_the_item_with_no_text(text, ref):
    assert p(text) == Command(FREE, ref=ref)


def test_an_item_reference_followed_by_words_keeps_its_text():
    assert p("第74项 已报送") == Command(FREE, ref=TaskRef(74), text="已报送")
    assert p("74 已完成").ref is None
