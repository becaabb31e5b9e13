"""Who may do what in chat, the rate limit, MsgId idempotency, and never raising."""

import datetime as dt
import logging

import pytest

from chat import handle, handle_message
from store import chatdata
from store.clock import clock
from store.models import Assignment, Contact, Extension, Inbox, Report
from tests.chat_world import Chat, assignment, build, config, now

pytestmark = pytest.mark.usefixtures("world")


@pytest.fixture
def world(db_url):
    build()


@pytest.fixture
def chat():
    return Chat()


def test_non_contact_is_refused_politely_naming_the_admin():
    cfg = config(admin_contact="区政府办公室 督查科 0871-1234567")
    for userid in ("stranger", "", "CZJ"):
        reply = handle_message(userid, "完成 14", msgid=f"x-{userid}", now=now(), config=cfg)
        assert "还没有登记" in reply and "区政府办公室 督查科 0871-1234567" in reply
    assert Report.select().count() == 0


def test_inactive_contact_is_refused(chat):
    Contact.update(active=False).where(Contact.userid == "czj").execute()
    assert "还没有登记" in chat.say("czj", "完成 14")
    assert assignment(14, "区财政局").state == "open"


def test_liaison_cannot_touch_another_units_item(chat):
    reply = chat.say("sjj", "完成 24")
    assert "第24项不是区审计局承担的工作" in reply
    assert "不是区审计局" in chat.say("sjj", "进度 24 代报")
    assert "不是区审计局" in chat.say("sjj", "延期 24 2019-12-31 原因")
    assert assignment(24, "区财政局").state == "open"
    assert Report.select().count() == 0 and Extension.select().count() == 0
    # 14 is on both units: each acts on its own assignment only
    chat.say("sjj", "完成 14")
    assert assignment(14, "区审计局").state == "done" and assignment(14, "区财政局").state == "open"


def test_leader_only_commands(chat):
    for text in ("批准 1", "驳回 1 不行", "汇总", "summary"):
        assert "仅限单位领导使用" in chat.say("czj", text)
    assert "【汇总】" in chat.say("czjz", "汇总")


def test_leader_of_another_unit_cannot_decide(chat):
    result = chat.send("czj", "延期 24 2019-12-31 需要等上级文件")
    ext = Extension.get()
    assert [u for u, _t in result.notify] == ["czjz"]
    reply = chat.say("sjjz", f"批准 {ext.id}")
    assert "只能由该单位领导审批" in reply
    assert Extension.get().state == "pending" and assignment(24, "区财政局").due_override is None


def test_delegate_acts_for_the_away_contacts_unit(chat):
    czj, sjj = Contact.get(Contact.userid == "czj"), Contact.get(Contact.userid == "sjj")
    czj.away_until, czj.delegate = dt.date(2019, 10, 30), sjj
    czj.save()
    tasks = chat.say("sjj", "任务")
    assert "区审计局、区财政局未完成事项" in tasks and "[24]（区财政局）" in tasks
    assert chat.say("sjj", "完成 24 代张三报").startswith("已记录：第24项 区财政局 已完成")
    assert Report.get().contact_id == sjj.id
    # 14 is on both units the delegate covers: which one is asked, then answered by naming the unit
    ask = chat.say("sjj", "完成 14")
    assert "区审计局、区财政局都有" in ask and Report.select().count() == 1
    assert chat.say("sjj", "完成 14 区财政局 已发布").startswith("已记录：第14项 区财政局 已完成")
    assert assignment(14, "区审计局").state == "open"
    clock.freeze(dt.datetime(2019, 10, 31, 9, 0))  # back from leave: the delegation ends
    assert "不是区审计局承担" in chat.say("sjj", "进度 30 好")


def test_same_msgid_three_times_records_once(chat):
    clock.advance(dt.timedelta(microseconds=654321))  # MariaDB keeps whole seconds: lookups must not care
    replies = [chat.say("czj", "进度 14 已完成初稿 60%", msgid="WX-1") for _ in range(3)]
    assert replies[0] == replies[1] == replies[2]
    assert Report.select().count() == 1
    done = [chat.send("czj", "完成 24", msgid="WX-2") for _ in range(3)]
    assert {r.reply for r in done} == {done[0].reply} and "已完成" in done[0].reply
    assert Report.select().where(Report.kind == "done").count() == 1
    ext = [chat.send("czj", "延期 30 2020-01-31 年底事多", msgid="WX-3") for _ in range(3)]
    assert Extension.select().count() == 1 and len(ext[0].notify) == 1
    assert ext[1].notify == [] and ext[2].notify == [] and ext[1].reply == ext[0].reply
    free = [chat.say("czj", "正在收集材料", msgid="WX-4") for _ in range(3)]
    assert free[0] == free[2] and Report.select().where(Report.text == "正在收集材料").count() == 1


def test_record_report_is_idempotent_on_msgid():
    czj = Contact.get(Contact.userid == "czj")
    first = chatdata.record_report(assignment(14, "区财政局"), czj, "progress", "a", 10, "M1", now())
    again = chatdata.record_report(assignment(24, "区财政局"), czj, "progress", "b", 20, "M1", now())
    assert again.id == first.id and Report.select().count() == 1
    assert assignment(24, "区财政局").last_report_at is None


def test_rate_limit_past_twenty_a_minute_stores_nothing(chat):
    for i in range(20):
        assert chat.say("czj", f"进度 14 第{i}次").startswith("已记录")
    reply = chat.say("czj", "进度 14 第21次")
    assert "太快" in reply and "20" in reply
    assert Report.select().count() == 20
    assert chat.say("sjj", "进度 50 在办").startswith("已记录")  # others are not limited
    clock.advance(dt.timedelta(seconds=61))
    assert chat.say("czj", "进度 14 一分钟后").startswith("已记录")


def test_rate_limit_follows_config():
    chat = Chat(config(commands_per_minute=2))
    assert chat.say("czj", "任务").startswith("区财政局")
    assert chat.say("czj", "任务").startswith("区财政局")
    assert "每分钟最多2条" in chat.say("czj", "完成 14")
    assert assignment(14, "区财政局").state == "open"


def test_internal_error_is_an_apology_naming_the_admin(chat, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(chatdata, "open_items", broken)
    with caplog.at_level(logging.ERROR, logger="duban.chat"):
        reply = chat.say("czj", "任务")
    assert "抱歉" in reply and "区政府办公室" in reply
    assert "database went away" in caplog.text


@pytest.mark.parametrize("text", [
    "", "   ", "\x00完成\x00 14", "进度 14 " + "很长的进展" * 2000, "🙂🙂🙂", "完成 99999999999", "进度 0 x",
    "延期 14 2019-13-45 原因", "批准 99999999999999999999", "任务 999", "\ud800进度 14 x", "详情 A0",
])
def test_odd_messages_get_a_short_answer(chat, text):
    result = handle("czj", text, msgid=None, now=now(), config=config())
    assert result.reply and len(result.reply.encode()) <= 2048
    assert "抱歉，系统" not in result.reply


def test_naive_and_aware_now_mean_the_same_moment(chat):
    aware = clock.now()
    reply = handle_message("czj", "进度 14 用aware时间", msgid="T1", now=aware, config=config())
    assert reply.startswith("已记录")
    assert Report.get().at == clock.utcnow()


def test_inbox_rows_of_others_do_not_count():
    for i in range(30):
        Inbox.create(key=f"other{i}", from_user="sjj", received_at=now(), content="x")
    assert handle_message("czj", "完成 14", msgid="c1", now=now(), config=config()).startswith("已记录")
    assert Assignment.get_by_id(assignment(14, "区财政局").id).state == "done"
