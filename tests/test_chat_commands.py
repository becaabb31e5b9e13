"""Each chat command on every backend: what it answers and what it stores."""

import datetime as dt

import pytest

from store.clock import clock
from store.models import Assignment, Deadline, Plan, ReminderLog, Report, Task, Unit
from tests.chat_world import NOW_LOCAL, Chat, assignment, build

pytestmark = pytest.mark.usefixtures("world")


@pytest.fixture
def world(db_url):
    build()


@pytest.fixture
def chat():
    return Chat()


def test_help_lists_commands_with_examples(chat):
    liaison = chat.say("czj", "帮助")
    for example in ("任务", "详情 24", "进度 24 已完成初稿 60%", "完成 24", "延期 24 2019-11-30 原因", "撤回"):
        assert example in liaison
    assert "批准" not in liaison and "区政府办公室" in liaison
    assert chat.say("czj", "？") == liaison == chat.say("czj", "help")
    leader = chat.say("czjz", "帮助")
    assert "批准 7" in leader and "驳回 7 原因" in leader and "汇总" in leader


def test_tasks_most_urgent_first_one_line_each(chat):
    reply = chat.say("czj", "任务")
    lines = reply.splitlines()
    assert lines[0].startswith("区财政局未完成事项4项")
    assert lines[1] == "[14] 推进重要决策公开 截止10月31日（剩9天）"
    assert lines[2] == "[24] 加强政策解读 截止11月15日（剩24天）"
    assert lines[3].startswith("[30] 推进财政预决算公开 全年工作，12月31日")
    assert lines[4] == "[40] 加强网站建设（配合） 长期工作"
    assert "[50]" not in reply  # 区审计局's item
    assert "逾期7天" in chat.say("sjj", "我的任务").splitlines()[1]
    assert chat.say("czj", "tasks") == reply


def test_tasks_list_leaves_out_done_items_and_pages(chat):
    Assignment.update(state="done").where(Assignment.id == assignment(14, "区财政局").id).execute()
    assert "[14]" not in chat.say("czj", "任务")
    plan = Plan.get(Plan.code == "A")
    finance = Unit.get(Unit.name == "区财政局")
    for seq in range(100, 140):
        task = Task.create(plan=plan, seq=seq, subcategory="很长的子类名称用来测试换行与截断的效果" * 2,
                           requirement="要求" * 200)
        Deadline.create(task=task, kind="fixed", due=dt.date(2019, 12, 1), raw="12月1日前")
        Assignment.create(task=task, unit=finance, role="responsible", created_at=clock.utcnow())
    first = chat.say("czj", "任务")
    assert "（第1/4页）" in first and "…等31项，发送「任务 2」查看下一页" in first
    assert len(first.encode()) <= 2048
    last = chat.say("czj", "任务 4")
    assert "（第4/4页）" in last and "下一页" not in last and "[40]" in last


def test_show_task_detail_with_history(chat):
    chat.say("czj", "进度 14 已征求意见 60%")
    reply = chat.say("czj", "详情 14")
    assert reply.startswith("【第14项】政务公开 / 推进重要决策公开")
    assert "要求：围绕重大决策事项" in reply and "…" in reply  # trimmed
    assert "区政府办公室（牵头）" in reply and "区财政局（负责）" in reply
    assert "10月底前（10月31日）" in reply
    assert "本单位：区财政局 截止10月31日（剩9天）" in reply
    assert "区财政局 进度60% 已征求意见" in reply
    chat.say("czj", "撤回")
    assert "（已撤回）" in chat.say("czj", "show 14")
    assert "在办方案中没有第99项" in chat.say("czj", "详情 99")
    assert "请写明事项编号" in chat.say("czj", "详情")


def test_progress_is_recorded_and_repeated_back(chat):
    reply = chat.say("czj", "进度 14 已完成初稿 60%")
    assert reply.startswith("已记录：第14项 区财政局 进度60%")
    assert "「已完成初稿 60%」" in reply and "30分钟内发送「撤回」" in reply
    report = Report.get()
    assert (report.kind, report.percent, report.text, report.contact.userid) == ("progress", 60, "已完成初稿 60%", "czj")
    assert report.assignment_id == assignment(14, "区财政局").id
    assert assignment(14, "区财政局").last_report_at == clock.utcnow()  # frozen on a whole second
    assert chat.say("czj", "进展 24 百分之八十").startswith("已记录：第24项 区财政局 进度80%")
    assert Report.select().where(Report.percent == 80).count() == 1
    assert "如已全部完成，请发送「完成 24」" in chat.say("czj", "progress 24 100%")


@pytest.mark.parametrize("text, answer", [
    ("进度 14", "请写明进展内容"),
    ("进度 已完成初稿", "请写明事项编号"),
    ("进度 60%", "请写明事项编号"),
    ("进度 99 好", "没有第99项"),
])
def test_progress_errors_store_nothing(chat, text, answer):
    assert answer in chat.say("czj", text)
    assert Report.select().count() == 0


def test_done_marks_the_unit_assignment_only(chat):
    reply = chat.say("czj", "完成 14 已在网站发布")
    assert reply.startswith("已记录：第14项 区财政局 已完成") and "已在网站发布" in reply
    mine, theirs = assignment(14, "区财政局"), assignment(14, "区审计局")
    assert mine.state == "done" and mine.done_at is not None and theirs.state == "open"
    again = chat.say("czj", "完成 14")
    assert "已标记完成" in again
    assert Report.select().where(Report.kind == "done").count() == 1
    assert "已标记完成" in chat.say("czj", "进度 14 补充材料")
    assert Report.select().count() == 1


def test_free_text_goes_to_the_one_item_needing_attention(chat):
    # 区财政局: only 14 is due within 14 days (24 is 24 days away).
    reply = chat.say("czj", "材料已报区政府办公室审核")
    assert reply.startswith("已将这条消息记为进展：第14项 区财政局")
    assert "撤回" in reply
    assert Report.get().text == "材料已报区政府办公室审核"


def test_free_text_asks_which_item_when_several_need_attention(chat):
    # a reminder this week about 24 makes it need attention as well
    ReminderLog.create(assignment=assignment(24, "区财政局"), stage="before_7", sent_on=dt.date(2019, 10, 21))
    reply = chat.say("czj", "材料已报送")
    assert reply.startswith("这条消息是哪一项的进展？")
    assert "[14]" in reply and "[24]" in reply and "[30]" not in reply
    assert "尚未记录" in reply and Report.select().count() == 0
    assert chat.say("czj", "#24 材料已报送").startswith("已记录：第24项 区财政局")


def test_free_text_pleasantries_and_leaders_record_nothing(chat):
    assert "您好" in chat.say("czj", "你好！")
    assert "帮助" in chat.say("czjz", "收到，马上安排")
    assert "帮助" in chat.say("czj", "")
    assert Report.select().count() == 0


def test_free_text_with_many_open_items_fits_one_message(chat):
    plan = Plan.get(Plan.code == "A")
    audit = Unit.get(Unit.name == "区审计局")
    for seq in range(200, 260):
        task = Task.create(plan=plan, seq=seq, subcategory="审计整改公开" * 4, requirement="要求")
        Deadline.create(task=task, kind="fixed", due=dt.date(2019, 10, 25), raw="10月25日前")
        Assignment.create(task=task, unit=audit, role="lead", created_at=clock.utcnow())
    reply = chat.say("sjj", "本周内全部完成" * 50)
    assert len(reply.encode()) <= 2048
    assert "…等" in reply and "发送「任务」查看全部" in reply
    assert Report.select().count() == 0


def test_detail_says_how_long_ago_within_a_week_and_the_date_after(chat):
    chat.say("czj", "进度 14 已征求意见 60%")
    assert "刚才 区财政局 进度60%" in chat.say("czj", "详情 14")
    clock.freeze(NOW_LOCAL + dt.timedelta(days=3))
    assert "3天前 区财政局 进度60%" in chat.say("czj", "详情 14")
    clock.freeze(NOW_LOCAL + dt.timedelta(days=9))
    assert f"{NOW_LOCAL:%m-%d} 区财政局 进度60%" in chat.say("czj", "详情 14")


@pytest.mark.parametrize("text", ["24", "#24", "＃２４", "第24项", "第２４项", "24号", "２４", "【24】", "第二十四项",
                                  "A24", "Ａ２４"])
def test_a_message_that_is_only_an_item_number_shows_the_item_and_records_nothing(chat, text):
    # before: 第24项 was recorded as a progress report "第24项", and a bare 24 as progress on item 14
    assert chat.say("czj", text).startswith("【第24项】")
    assert Report.select().count() == 0


def test_an_item_only_message_for_an_unknown_or_sub_item_records_nothing(chat):
    chat.say("czj", "4-2")
    chat.say("czj", "74")
    assert Report.select().count() == 0
