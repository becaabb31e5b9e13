"""Reminder planning through 2019 on the sample plan (the injected clock travels; nothing sleeps)."""

import datetime as dt

import pytest

from jobs.calendar import load_calendar
from jobs.reminders import plan_reminders
from store.contacts import set_away
from store.models import Assignment, Contact, Task, Unit
from store.tasks import set_done
from tests.world import at, build_world, config


@pytest.fixture
def world(db_url):
    build_world()


def run_on(day, cfg=None):
    now = at(day)
    return plan_reminders(dt.date.fromisoformat(day), now, cfg or config(), load_calendar())


def stages(run, userid, seq):
    return sorted({i.stage.key for m in run.messages if m.userid == userid for i in m.items if i.assignment.seq == seq})


def test_task_14_seven_then_three_working_days(world):
    run = run_on("2019-10-22")
    for userid in ("czj", "zfb", "sjj"):  # the members of 区政府各部门
        assert stages(run, userid, 14) == ["before_7"]
    text = next(m.text for m in run.messages if m.userid == "czj")
    assert "[14] 推进重要决策公开 截止10月31日（还剩7个工作日）" in text
    assert "回复「完成 编号」" in text
    assert stages(run_on("2019-10-28"), "czj", 14) == ["before_3"]
    assert stages(run_on("2019-10-31"), "czj", 14) == ["due_today"]
    assert stages(run_on("2019-11-01"), "czj", 14) == ["overdue_1"]


def test_nothing_on_national_day_and_makeup_saturday_is_a_workday(world):
    for day in range(1, 8):
        run = run_on(f"2019-10-0{day}")
        assert not run.workday and run.messages == []
    saturday = run_on("2019-10-12")
    assert saturday.workday


def test_one_message_per_contact_bundling_items(world):
    run = run_on("2019-10-22")
    userids = [m.userid for m in run.messages if m.kind == "remind"]
    assert len(userids) == len(set(userids))
    office = next(m for m in run.messages if m.userid == "zfb")
    assert {i.assignment.seq for i in office.items} >= {14, 53, 59, 74}
    assert all(len(m.text.encode()) <= 2048 for m in run.messages)


def test_done_assignment_is_never_reminded(world):
    set_done(14, "区财政局")
    for day in ("2019-10-22", "2019-10-31", "2019-11-06"):
        assert stages(run_on(day), "czj", 14) == []
    assert stages(run_on("2019-10-22"), "zfb", 14) == ["before_7"]


def test_recent_progress_silences_before_stages_only(world):
    a = Assignment.select().join(Task).where(Task.seq == 14).switch(Assignment).join(Unit).where(
        Unit.name == "区财政局").get()
    a.last_report_at = at("2019-10-21")
    a.save()
    assert stages(run_on("2019-10-22"), "czj", 14) == []
    assert stages(run_on("2019-10-31"), "czj", 14) == ["due_today"]


def test_cooperating_units_get_only_due_and_overdue(world):
    # task 56: 区政府办公室 responsible; 区委目督办 and 区政府目督办 cooperate
    from store.contacts import add_contact

    add_contact("区委目督办", "目督联络员", "mdb")
    assert stages(run_on("2019-11-22"), "mdb", 56) == []  # before_7 for the responsible unit only
    assert stages(run_on("2019-11-22"), "zfb", 56) == ["before_7"]
    assert stages(run_on("2019-11-29"), "mdb", 56) == ["due_today"]
    assert stages(run_on("2019-12-02"), "mdb", 56) == ["overdue_1"]


def test_escalation_goes_to_the_leader_once_three_days_late(world):
    late = run_on("2019-11-05")  # 3 working days after 10-31
    escalations = [m for m in late.messages if m.kind == "escalate"]
    assert [m.userid for m in escalations] == ["czjz"]
    assert {i.assignment.seq for i in escalations[0].items} >= {14, 53, 74}
    assert "联络员：财政联络员" in escalations[0].text
    assert not [m for m in run_on("2019-11-04").messages if m.kind == "escalate"]


def test_away_liaison_delegate_else_leader_else_unreachable(world):
    from store.contacts import add_contact

    add_contact("区财政局", "财政副联络员", "czj2")
    set_away("czj", dt.date(2019, 10, 25), "czj2")
    run = run_on("2019-10-22")
    assert stages(run, "czj", 14) == [] and stages(run, "czj2", 14) == ["before_7"]
    Contact.delete().where(Contact.userid == "czj2").execute()
    run = run_on("2019-10-22")
    assert stages(run, "czjz", 14) == ["before_7"]  # no liaison reachable: the leader hears
    Contact.delete().where(Contact.userid == "czjz").execute()
    run = run_on("2019-10-22")
    assert "区财政局" in run.unreachable


def test_year_round_monthly_checkin(world):
    run = run_on("2019-10-08")  # first working day of October
    assert stages(run, "czj", 24) == ["checkin_2019-10"]
    text = next(m.text for m in run.messages if m.userid == "czj")
    assert "全年及长期工作" in text and "请报告本月进展" in text and len(text.splitlines()) < 8
    a = Assignment.select().join(Task).where(Task.seq == 24).get()
    a.last_report_at = at("2019-10-09")
    a.save()
    assert stages(run_on("2019-10-10"), "czj", 24) == []  # reported this month
    assert stages(run_on("2019-09-06"), "czj", 24) == []  # the plan was issued this month


def test_approved_extension_moves_the_due_date(world):
    a = Assignment.select().join(Task).where(Task.seq == 14).switch(Assignment).join(Unit).where(
        Unit.name == "区财政局").get()
    a.due_override = dt.date(2019, 11, 29)
    a.save()
    assert stages(run_on("2019-11-01"), "czj", 14) == []
    assert stages(run_on("2019-11-20"), "czj", 14) == ["before_7"]
