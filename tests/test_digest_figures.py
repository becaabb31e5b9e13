"""The digest's figures against the models, counted here independently (sample plan, 2019)."""

import datetime as dt
from collections import Counter, defaultdict

import pytest

from jobs.calendar import load_calendar
from jobs.digest import build_digest
from store.contacts import add_leader_group
from store.digest_data import plan_figures
from store.models import Assignment, Contact, Deadline, Outbox, Plan, ReminderLog, Report, Task, Unit
from store.outbox import enqueue
from store.tasks import set_done
from tests.world import at, build_world, config

WEBHOOK_KEY = "12345678-1234-1234-1234-123456789abc"


@pytest.fixture
def world(db_url):
    build_world()


def assignment(seq: int, unit: str) -> Assignment:
    return (Assignment.select().join(Task).switch(Assignment).join(Unit)
            .where((Task.seq == seq) & (Unit.name == unit)).get())


def expected(today: dt.date, soon_days: int = 14) -> dict:
    """The figures straight from the models, without store.digest_data."""
    dues = defaultdict(list)
    for d in Deadline.select():
        if d.due:
            dues[d.task_id].append(d.due)
    by_task = defaultdict(list)
    counts = Counter()
    late_by_unit = defaultdict(set)
    for a in Assignment.select(Assignment, Unit).join(Unit):
        due = a.due_override or min(dues[a.task_id], default=None)
        status = "done" if a.state == "done" else "overdue" if due and due < today else "open"
        counts[status] += 1
        soon = status == "open" and due is not None and due <= today + dt.timedelta(days=soon_days)
        counts["soon"] += soon
        by_task[a.task_id].append((status, soon))
        if status == "overdue":
            late_by_unit[a.unit.name].add(a.task.seq)
    tasks = list(Task.select())
    states = [[s for s, _ in by_task[t.id]] for t in tasks]
    return {
        "tasks": len(tasks),
        "tasks_done": sum(1 for s in states if s and all(x == "done" for x in s)),
        "tasks_overdue": sum(1 for s in states if "overdue" in s),
        "tasks_due_soon": sum(1 for t in tasks if any(soon for _, soon in by_task[t.id])
                              and "overdue" not in [s for s, _ in by_task[t.id]]),
        "done": counts["done"], "overdue": counts["overdue"], "on_track": counts["open"], "soon": counts["soon"],
        "late_by_unit": {u: sorted(s) for u, s in late_by_unit.items()},
    }


def test_headline_and_sections_match_the_models(world):
    at("2019-10-28")
    set_done(14, "区财政局")
    for unit in ("区财政局", "区政府办公室", "区审计局"):
        set_done(1, unit)
    at("2019-11-01", 15)
    set_done(53, "区政管局")
    now = at("2019-11-05")
    today = dt.date(2019, 11, 5)
    group = add_leader_group("区领导群", webhook_key=WEBHOOK_KEY)
    digest = build_digest(group, today, now, config(), load_calendar())
    fig = digest.figures[0]
    want = expected(today)
    assert (fig.tasks, fig.tasks_done, fig.tasks_overdue, fig.tasks_due_soon) == (
        want["tasks"], want["tasks_done"], want["tasks_overdue"], want["tasks_due_soon"])
    assert (fig.done, fig.overdue, fig.on_track, fig.due_soon) == (
        want["done"], want["overdue"], want["on_track"], want["soon"])
    assert fig.assignments == Assignment.select().count()
    assert {u.unit: sorted(i.seq for i in u.items) for u in fig.overdue_by_unit} == want["late_by_unit"]
    # the task due 7月31日 is the most overdue: its unit comes first
    assert fig.overdue_by_unit[0].unit == "区司法局" and fig.overdue_by_unit[0].items[0].seq == 21
    # only 53 (11月1日) falls in the last 7 days; 14 and 1 were done before
    assert [(c.seq, c.unit) for c in fig.completed_since] == [(53, "区政管局")]

    text = digest.parts[0]
    plan = Plan.get()
    assert text.startswith(f"**{plan.title}** 截至11月5日：{want['tasks']}项任务，完成{want['tasks_done']}项，"
                           f'<font color="warning">逾期{want["tasks_overdue"]}项</font>，'
                           f"14天内到期{want['tasks_due_soon']}项")
    assert f"按单位计{fig.assignments}项分工：完成{want['done']}项" in text
    body = "\n".join(digest.parts)
    for unit, seqs in want["late_by_unit"].items():
        assert f"**{unit}** " in body and f"逾期{len(seqs)}项" in body
    assert body.index(text.splitlines()[0]) < body.index("### 逾期事项") < body.index("### 近7天完成")
    assert '<font color="info">第53项' in body
    reachable = {c.unit_id for c in Contact.select()}
    no_contact = {a.unit.name for a in Assignment.select(Assignment, Unit).join(Unit)
                  if a.state != "done" and a.unit_id not in reachable}
    assert set(fig.no_contact_units) == no_contact
    assert fig.no_contact_units[0] in body.split("### 无联络员")[1]
    assert "|" not in body and "\n- " not in body  # no tables, no list markup


def test_working_days_overdue_come_from_the_calendar(world):
    a = assignment(14, "区财政局")
    a.due_override = dt.date(2019, 9, 30)  # an approved extension moved it
    a.save()
    at("2019-10-08")
    cal = load_calendar()
    fig = plan_figures(Plan.get(), dt.date(2019, 10, 8), working_days=cal.working_days_between)
    item = next(i for u in fig.overdue_by_unit if u.unit == "区财政局" for i in u.items if i.seq == 14)
    assert (item.days, item.working_days) == (8, 1)  # National Day week: only 10月8日 is a working day
    late_21 = fig.overdue_by_unit[0].items[0]
    assert late_21.working_days == cal.working_days_between(dt.date(2019, 7, 31), dt.date(2019, 10, 8))
    assert late_21.working_days < late_21.days


def remind(seq: int, unit: str, day: str, stage: str) -> ReminderLog:
    now = at(day)
    row = enqueue(f"r:{seq}:{unit}:{stage}", "app", "u1", "提醒", now=now)
    return ReminderLog.create(assignment=assignment(seq, unit), stage=stage, sent_on=dt.date.fromisoformat(day),
                              outbox=row.id)


def test_silent_units_need_more_than_two_working_days_without_a_report(world):
    remind(74, "区审计局", "2019-10-31", "due_today")  # Thursday
    remind(74, "区财政局", "2019-11-01", "overdue_1")  # Friday
    remind(59, "区政府办公室", "2019-10-31", "due_today")
    Report.create(assignment=assignment(59, "区政府办公室"), at=at("2019-11-01", 10), kind="progress", text="推进中")
    fig = plan_figures(Plan.get(), dt.date(2019, 11, 5), working_days=load_calendar().working_days_between)
    silent = {s.unit: s for s in fig.silent_units}
    assert set(silent) == {"区审计局"}  # 3 working days; 财政局 2 (4日, 5日); 办公室 answered
    assert (silent["区审计局"].reminders, silent["区审计局"].oldest, silent["区审计局"].seqs) == (
        1, dt.date(2019, 10, 31), [74])
    fig = plan_figures(Plan.get(), dt.date(2019, 11, 6), working_days=load_calendar().working_days_between)
    assert {s.unit for s in fig.silent_units} == {"区审计局", "区财政局"}
    Report.create(assignment=assignment(74, "区审计局"), at=at("2019-11-06", 11), kind="progress", text="已提交")
    fig = plan_figures(Plan.get(), dt.date(2019, 11, 6), working_days=load_calendar().working_days_between)
    assert {s.unit for s in fig.silent_units} == {"区财政局"}
    assert Outbox.select().count() == 3


def test_year_round_items_without_a_report_this_month(world):
    at("2019-11-04")
    a = assignment(2, "区财政局")
    Report.create(assignment=a, at=at("2019-11-04", 10), kind="progress", text="本月已解读3份文件")
    Report.create(assignment=assignment(3, "区财政局"), at=at("2019-10-30", 10), kind="progress", text="上月")
    fig = plan_figures(Plan.get(), dt.date(2019, 11, 5))
    counts = {u.unit: u for u in fig.unreported_this_month}
    open_year_round = {
        (x.task.seq) for x in Assignment.select(Assignment, Task).join(Task).switch(Assignment).join(Unit)
        .where(Unit.name == "区财政局")
        if any(d.kind in ("year_round", "ongoing") for d in x.task.deadlines)
    }
    assert 2 not in counts["区财政局"].seqs and 3 in counts["区财政局"].seqs
    assert set(counts["区财政局"].seqs) == open_year_round - {2}
    # the plan was issued in September: nothing is asked for that month
    assert plan_figures(Plan.get(), dt.date(2019, 9, 20)).unreported_this_month == []
