"""When digests are due, that each goes once a week through the outbox, and that every part fits its channel."""

import datetime as dt
import re
import uuid

import pytest

from jobs.calendar import WorkCalendar, load_calendar
from jobs.digest import build_digest, due_digests, parse_schedule, scheduled_day, send_digests
from jobs.outbox import enqueue_message
from store.clock import clock
from store.contacts import add_leader_group
from store.models import Assignment, Deadline, DigestLog, Outbox, Plan, Task, Unit
from tests.world import at, build_world, config

WEBHOOK_KEY = "12345678-1234-1234-1234-123456789abc"


@pytest.fixture
def world(db_url):
    build_world()


def local(day: str, hour: int, minute: int = 0) -> dt.datetime:
    at(day, hour, minute)
    return clock.local_now()


# --- pure: schedules and the holiday shift ---------------------------------------------------------------------


def test_parse_schedule():
    assert parse_schedule("mon 09:10") == (0, dt.time(9, 10))
    assert parse_schedule("Fri 16:30") == (4, dt.time(16, 30))
    assert parse_schedule("周三 8:00") == (2, dt.time(8, 0))
    assert parse_schedule("10:00") == (0, dt.time(10, 0))
    with pytest.raises(ValueError):
        parse_schedule("every monday")


def test_holiday_monday_moves_to_the_first_working_day_of_its_week():
    cal = WorkCalendar()
    assert cal.is_workday(dt.date(2019, 9, 30))
    assert scheduled_day(dt.date(2019, 9, 30), 0, cal) == dt.date(2019, 9, 30)
    assert not cal.is_workday(dt.date(2019, 10, 7))  # National Day holiday, a Monday
    assert cal.first_workday_of_week(dt.date(2019, 10, 7)) == dt.date(2019, 10, 8)
    assert scheduled_day(dt.date(2019, 10, 9), 0, cal) == dt.date(2019, 10, 8)
    # Friday 2019-10-04 is a holiday and no working day follows in that week: the last one before it
    assert scheduled_day(dt.date(2019, 10, 1), 4, cal) == dt.date(2019, 9, 30)


# --- due groups, idempotent sends ------------------------------------------------------------------------------


def test_due_on_schedule_day_after_its_time_and_holiday_shift(world):
    add_leader_group("区领导群", webhook_key=WEBHOOK_KEY)
    cal, cfg = load_calendar(), config()
    assert due_digests(local("2019-09-30", 9, 0), cfg, cal) == []  # before 09:10
    assert [g.name for g in due_digests(local("2019-09-30", 9, 30), cfg, cal)] == ["区领导群"]
    assert due_digests(local("2019-10-07", 10), cfg, cal) == []  # National Day
    assert due_digests(local("2019-10-08", 9, 0), cfg, cal) == []
    assert [g.name for g in due_digests(local("2019-10-08", 9, 30), cfg, cal)] == ["区领导群"]
    # a service that was down on the day catches up later in the same week
    assert [g.name for g in due_digests(local("2019-10-09", 8), cfg, cal)] == ["区领导群"]


def test_one_digest_per_group_and_week_through_the_real_outbox(world):
    add_leader_group("区领导群", webhook_key=WEBHOOK_KEY)
    add_leader_group("主任群", chat_id="wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA")
    add_leader_group("分管领导", userids=["leader1", "leader2"], schedule="tue 10:00")
    cal, cfg = load_calendar(), config()

    at("2019-10-08", 9, 30)  # Monday 10-07 was a holiday
    sent = send_digests(clock.now(), cfg, cal, enqueue_message)
    assert sorted(d.group for d in sent) == ["主任群", "区领导群"]  # 分管领导: Tuesday 10:00
    rows = list(Outbox.select().order_by(Outbox.id))
    assert len(rows) == sum(len(d.parts) for d in sent)
    assert {(r.channel, r.target, r.msgtype) for r in rows} == {
        ("webhook", WEBHOOK_KEY, "markdown"), ("appchat", "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA", "markdown")}
    assert all(r.dedupe_key.startswith("digest:") and r.dedupe_key.endswith(":2019-W41:1") for r in rows)

    at("2019-10-08", 10, 30)
    again = send_digests(clock.now(), cfg, cal, enqueue_message)
    assert [d.group for d in again] == ["分管领导"]
    app_row = Outbox.select().where(Outbox.channel == "app").get()
    assert (app_row.target, app_row.msgtype) == ("leader1|leader2", "markdown")
    count = Outbox.select().count()
    for day in ("2019-10-09", "2019-10-11", "2019-10-12"):  # 10-12 is a make-up Saturday (working day)
        at(day, 11)
        assert send_digests(clock.now(), cfg, cal, enqueue_message) == []
    assert Outbox.select().count() == count
    assert DigestLog.select().count() == 3

    at("2019-10-14", 9, 30)
    sent = send_digests(clock.now(), cfg, cal, enqueue_message)
    assert sorted(d.group for d in sent) == ["主任群", "区领导群"]
    assert {log.week for log in DigestLog.select()} == {"2019-W41", "2019-W42"}
    # "completed since" now starts at the group's previous digest
    previous = DigestLog.get((DigestLog.week == "2019-W41") & (DigestLog.group == sent[0].group_id))
    assert sent[0].since == previous.sent_at == dt.datetime(2019, 10, 8, 1, 30)


def test_a_second_process_that_lost_the_race_enqueues_nothing(world):
    group = add_leader_group("区领导群", webhook_key=WEBHOOK_KEY)
    now = at("2019-10-28", 9, 30)
    DigestLog.create(group=group, week="2019-W44", sent_at=now)  # the other process committed first
    calls = []
    sent = send_digests(clock.now(), config(), load_calendar(), lambda *a, **k: calls.append(a),
                        groups=[group])
    assert sent == [] and calls == [] and Outbox.select().count() == 0


def test_a_failed_enqueue_leaves_no_digest_log(world):
    group = add_leader_group("区领导群", webhook_key=WEBHOOK_KEY)
    at("2019-10-28", 9, 30)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        send_digests(clock.now(), config(), load_calendar(), broken, groups=[group])
    assert DigestLog.select().count() == 0
    assert [d.group for d in send_digests(clock.now(), config(), load_calendar(), enqueue_message)] == ["区领导群"]


# --- splitting -------------------------------------------------------------------------------------------------


def many_overdue_plan(units: int = 60, tasks: int = 4) -> Plan:
    created = dt.datetime(2019, 9, 1)
    plan = Plan.create(code="B", title="某区重点工作任务分工方案", year=2019, issued_on=dt.date(2019, 9, 1),
                       source_name="many.txt", sha256=uuid.uuid4().hex, imported_at=created)
    unit_rows = [Unit.create(name=f"区第{i:02d}街道办事处综合协调科", created_at=created) for i in range(units)]
    for t in range(tasks):
        task = Task.create(plan=plan, seq=t + 1, subcategory=f"重点难点工作任务第{t + 1}类事项推进落实",
                           requirement="按要求推进", deadline_raw="10月中旬")
        Deadline.create(task=task, kind="fixed", due=dt.date(2019, 10, 10 + t), raw="10月中旬")
        for u in unit_rows:
            Assignment.create(task=task, unit=u, role="lead", created_at=created)
    return plan


@pytest.mark.parametrize("channel", ["webhook", "appchat", "app"])
def test_parts_fit_each_channel_and_cut_between_lines(db_url, channel):
    plan = many_overdue_plan()
    kwargs = {"webhook": {"webhook_key": WEBHOOK_KEY}, "appchat": {"chat_id": "chat1"},
              "app": {"userids": ["leader1"]}}[channel]
    group = add_leader_group("领导群", plan=plan.code, **kwargs)
    now = at("2019-10-28")
    digest = build_digest(group, dt.date(2019, 10, 28), now, config(), load_calendar())
    limit = {"webhook": 4096, "appchat": 2048, "app": 2048}[channel]
    assert digest.limit == limit
    assert len(digest.parts) > 1
    assert all(len(p.encode("utf-8")) <= limit for p in digest.parts)
    for i, part in enumerate(digest.parts, start=1):
        assert part.startswith(f"（{i}/{len(digest.parts)}）\n")
        assert part.count("<font") == part.count("</font>")
        for line in part.splitlines():
            assert line.count("**") % 2 == 0
    assert any("### 逾期事项（按单位，逾期最久在前）（续）" in p for p in digest.parts[1:])
    lines = [line for p in digest.parts for line in p.splitlines()]
    unit_lines = [line for line in lines if line.startswith("**区第")]
    assert len(unit_lines) == 30 and len(set(unit_lines)) == 30  # every listed unit once, whole
    assert any("另有30个单位共120项逾期" in line for line in lines)
    assert "**某区重点工作任务分工方案** 截至10月28日：4项任务，完成0项" in digest.parts[0]
    text = digest.text_parts
    assert len(text) == len(digest.parts) and "<font" not in "".join(text) and "**" not in "".join(text)


def test_a_short_digest_is_one_unnumbered_part(world):
    group = add_leader_group("区领导群", webhook_key=WEBHOOK_KEY)
    now = at("2019-10-28")
    digest = build_digest(group, dt.date(2019, 10, 28), now, config(), load_calendar())
    assert len(digest.parts) == 1
    assert not re.match(r"（\d+/\d+）", digest.parts[0])
    assert digest.as_dict()["parts"][0]["bytes"] == len(digest.parts[0].encode())
    assert WEBHOOK_KEY not in str(digest.as_dict())  # the key is a credential
