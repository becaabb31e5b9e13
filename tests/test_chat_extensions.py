"""Extension requests and decisions, undo, several active plans, and leaders' summaries in chat."""

import datetime as dt

import pytest

from store.clock import clock
from store.models import Assignment, Contact, Extension, Report
from tests.chat_world import Chat, add_plan_b, assignment, build, config

pytestmark = pytest.mark.usefixtures("world")


@pytest.fixture
def world(db_url):
    build()


@pytest.fixture
def chat():
    return Chat()


def test_extension_request_approval_and_the_liaison_told(chat):
    asked = chat.send("czj", "延期 24 11月30日 需等待市级文件下发")
    ext = Extension.get()
    assert (ext.state, ext.new_due, ext.reason) == ("pending", dt.date(2019, 11, 30), "需等待市级文件下发")
    a = assignment(24, "区财政局")
    assert a.state == "extension_requested" and a.due_override is None
    assert Report.get().kind == "extension"
    assert f"申请编号{ext.id}" in asked.reply and "11月15日→11月30日" in asked.reply and "李局长" in asked.reply
    [(leader, notice)] = asked.notify
    assert leader == "czjz" and f"批准 {ext.id}" in notice and f"驳回 {ext.id} 原因" in notice
    assert "需等待市级文件下发" in notice and "11月15日延至11月30日" in notice
    assert "延期审批中" in chat.say("czj", "任务")

    decided = chat.send("czjz", f"批准 {ext.id}")
    assert decided.reply.startswith(f"已批准：申请#{ext.id} 区财政局 第24项，截止日期延至11月30日")
    assert "已通知张三" in decided.reply
    [(liaison, told)] = decided.notify
    assert liaison == "czj" and "延期已批准" in told and "11月30日" in told
    a = assignment(24, "区财政局")
    assert a.state == "open" and a.due_override == dt.date(2019, 11, 30)
    ext = Extension.get()
    assert ext.state == "approved" and "李局长" in ext.decided_by and ext.decided_at is not None
    assert "[24] 加强政策解读 延期至11月30日（剩39天）" in chat.say("czj", "任务")

    again = chat.send("czjz", f"批准 {ext.id}")
    assert "已批准，无需再审批" in again.reply and again.notify == []


def test_extension_rejected_keeps_the_date(chat):
    chat.say("czj", "延期 24 2019-12-31 人手不足")
    ext = Extension.get()
    result = chat.send("czjz", f"驳回 {ext.id} 请按原计划完成")
    assert result.reply.startswith(f"已驳回：申请#{ext.id}")
    [(liaison, told)] = result.notify
    assert liaison == "czj" and "未获批准" in told and "请按原计划完成" in told
    a = assignment(24, "区财政局")
    assert a.state == "open" and a.due_override is None
    assert Extension.get().state == "rejected"


@pytest.mark.parametrize("text, answer", [
    ("延期 24 2019-11-10 原因", "须晚于现在的截止日期（11月15日）"),
    ("延期 24 2019-10-01 原因", "须晚于今天"),
    ("延期 24 2019-11-30", "请写明延期原因"),
    ("延期 24 原因而已", "请写明新的截止日期"),
    ("延期 24 2019-02-30 原因", "这个日期不存在"),
])
def test_extension_request_errors_store_nothing(chat, text, answer):
    assert answer in chat.say("czj", text)
    assert Extension.select().count() == 0 and Report.select().count() == 0


def test_extension_without_a_leader_names_the_admin(chat):
    result = chat.send("zfb", "延期 14 2019-11-30 统筹需要")
    assert "尚未登记领导账号" in result.reply and "区政府办公室" in result.reply
    assert result.notify == [] and Extension.get().state == "pending"


def test_away_leader_delegate_hears_and_decides(chat):
    boss, deputy = Contact.get(Contact.userid == "czjz"), Contact.get(Contact.userid == "sjjz")
    boss.away_until, boss.delegate = dt.date(2019, 11, 1), deputy
    boss.save()
    asked = chat.send("czj", "延期 24 2019-11-30 原因")
    assert [u for u, _t in asked.notify] == ["sjjz"]
    ext = Extension.get()
    assert chat.say("sjjz", f"批准 {ext.id}").startswith("已批准")


def test_undo_within_thirty_minutes(chat):
    chat.say("czj", "进度 14 初稿 60%")
    clock.advance(dt.timedelta(minutes=5))
    chat.say("czj", "完成 24 已报送")
    clock.advance(dt.timedelta(minutes=20))
    reply = chat.say("czj", "撤回")
    assert reply.startswith("已撤回：第24项 区财政局 完成") and "恢复为未完成" in reply
    a = assignment(24, "区财政局")
    assert a.state == "open" and a.done_at is None and a.last_report_at is None
    assert Report.get(Report.kind == "done").undone
    assert Report.select().where(Report.kind == "undo").count() == 1
    clock.advance(dt.timedelta(minutes=4))  # the progress report is now 29 minutes old
    assert chat.say("czj", "undo").startswith("已撤回：第14项 区财政局 进度60%")
    assert assignment(14, "区财政局").last_report_at is None
    assert "还没有可撤回的记录" in chat.say("czj", "撤回")


def test_undo_after_thirty_minutes_is_refused(chat):
    chat.say("czj", "完成 24")
    clock.advance(dt.timedelta(minutes=31))
    reply = chat.say("czj", "撤回")
    assert "已超过30分钟" in reply and "区政府办公室" in reply
    assert assignment(24, "区财政局").state == "done" and not Report.get(Report.kind == "done").undone


def test_undo_minutes_follows_config():
    chat = Chat(config(undo_minutes=5))
    chat.say("czj", "进度 14 x")
    clock.advance(dt.timedelta(minutes=6))
    assert "已超过5分钟" in chat.say("czj", "撤回")


def test_undo_withdraws_a_pending_extension_and_tells_the_leader(chat):
    chat.say("czj", "延期 24 2019-11-30 原因")
    ext = Extension.get()
    result = chat.send("czj", "撤回")
    assert f"延期申请#{ext.id}已撤回" in result.reply
    assert Extension.get().state == "withdrawn" and assignment(24, "区财政局").state == "open"
    assert [u for u, _t in result.notify] == ["czjz"]
    assert "已由申请人撤回" in chat.say("czjz", f"批准 {ext.id}")
    assert assignment(24, "区财政局").due_override is None


def test_undo_after_approval_is_refused(chat):
    chat.say("czj", "延期 24 2019-11-30 原因")
    chat.say("czjz", f"批准 {Extension.get().id}")
    assert "已经审批，不能撤回" in chat.say("czj", "撤回")
    assert assignment(24, "区财政局").due_override == dt.date(2019, 11, 30)


def test_undo_same_msgid_twice_undoes_one_report(chat):
    chat.say("czj", "进度 14 一")
    chat.say("czj", "进度 14 二")
    first = chat.say("czj", "撤回", msgid="U1")
    second = chat.say("czj", "撤回", msgid="U1")
    assert first == second
    assert [r.text for r in Report.select().where(Report.undone == True)] == ["二"]  # noqa: E712


def test_done_withdraws_a_pending_extension(chat):
    chat.say("czj", "延期 24 2019-11-30 原因")
    reply = chat.say("czj", "完成 24")
    assert "延期申请已自动撤回" in reply
    assert Extension.get().state == "withdrawn" and assignment(24, "区财政局").state == "done"


def test_several_plans_need_the_plan_code(chat):
    add_plan_b()
    tasks = chat.say("czj", "任务")
    assert "[A14]" in tasks and "[B24]" in tasks and "[A24]" in tasks and "[B7]" in tasks
    ask = chat.say("czj", "完成 24")
    assert "A24" in ask and "B24" in ask and "多个在办方案" in ask
    assert Report.select().count() == 0
    assert "多个在办方案" in chat.say("czj", "详情 24")
    assert chat.say("czj", "完成 B24").startswith("已记录：第B24项 区财政局 已完成")
    assert assignment(24, "区财政局", "B").state == "done" and assignment(24, "区财政局", "A").state == "open"
    assert chat.say("czj", "进度 7 开始").startswith("已记录：第B7项")  # only in plan B: no question
    assert "没有代码为 C 的在办方案" in chat.say("czj", "完成 C24")
    # 区审计局 has items in plan A only: bare numbers and no codes for them
    assert chat.say("sjj", "进度 50 在办").startswith("已记录：第50项")
    assert "[50]" in chat.say("sjj", "任务")


def test_summary_for_leaders(chat):
    chat.say("czj", "完成 14")
    chat.say("czj", "延期 24 2019-11-30 原因")
    reply = chat.say("czjz", "汇总")
    assert reply.startswith("【汇总】截至10月22日")
    assert "方案A《五华区2019年政务公开工作要点分工方案》5项任务" in reply
    assert "全部单位：完成1/7，逾期1，延期待批1" in reply
    assert "区财政局：完成1/4，延期待批1" in reply
    assert f"申请#{Extension.get().id} 第24项 区财政局 延至11月30日" in reply
    audit = chat.say("sjjz", "汇总")
    assert "区审计局：完成0/2，逾期1（逾期：50）" in audit
    assert Assignment.select().where(Assignment.state == "done").count() == 1


def test_leader_asking_for_own_unit_may_approve_it(chat):
    asked = chat.send("czjz", "延期 24 2019-11-30 市里要求调整")
    assert asked.notify == [] and "可直接发送「批准" in asked.reply and "尚未登记领导" not in asked.reply
    decided = chat.send("czjz", f"批准 {Extension.get().id}")
    assert decided.reply.startswith("已批准") and decided.notify == []
    assert assignment(24, "区财政局").due_override == dt.date(2019, 11, 30)


def test_a_new_request_replaces_the_pending_one(chat):
    chat.say("czj", "延期 24 2019-11-30 原因一")
    first = Extension.get()
    reply = chat.say("czj", "延期 24 2019-12-15 原因二")
    assert f"此前的申请#{first.id}已作废" in reply
    assert [e.state for e in Extension.select().order_by(Extension.id)] == ["withdrawn", "pending"]
    assert "已由申请人撤回" in chat.say("czjz", f"批准 {first.id}")
    assert assignment(24, "区财政局").due_override is None


def test_undo_keeps_the_last_report_time_of_earlier_reports(chat):
    chat.say("czj", "进度 14 一")
    first_at = clock.utcnow()
    clock.advance(dt.timedelta(minutes=2))
    chat.say("czj", "进度 14 二")
    assert assignment(14, "区财政局").last_report_at == clock.utcnow()
    chat.say("czj", "撤回")
    assert assignment(14, "区财政局").last_report_at == first_at
