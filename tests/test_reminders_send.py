"""Reminders into the outbox: exactly once, whatever reruns, outages or concurrent runs happen."""

import datetime as dt
import threading

import pytest

from jobs.calendar import load_calendar
from jobs.reminders import enqueue_app_text, send_reminders
from store import db as store_db
from store.models import Outbox, ReminderLog
from tests.world import at, build_world, config

enqueue = enqueue_app_text  # what `duban remind` uses (it enqueues a group of messages at once)


@pytest.fixture
def world(db_url):
    build_world()


def send_on(day):
    now = at(day)
    return send_reminders(dt.date.fromisoformat(day), now, config(), load_calendar(), enqueue)


def outbox_for(userid):
    return [o for o in Outbox.select().order_by(Outbox.id) if o.target == userid]


def test_second_run_same_day_enqueues_nothing(world):
    first = send_on("2019-10-22")
    assert first.enqueued == len(first.messages) > 0
    rows, logs = Outbox.select().count(), ReminderLog.select().count()
    second = send_on("2019-10-22")
    assert second.enqueued == 0 and second.messages == []
    assert (Outbox.select().count(), ReminderLog.select().count()) == (rows, logs)
    body = outbox_for("czj")[0].body
    assert "[14] 推进重要决策公开 截止10月31日（还剩7个工作日）" in body
    assert all(len(o.body.encode()) <= 2048 for o in Outbox.select())


def test_each_stage_once_through_october(world):
    for day in ("2019-10-22", "2019-10-23", "2019-10-24", "2019-10-28", "2019-10-29", "2019-10-31"):
        send_on(day)
    from store.models import Assignment, Task, Unit

    keys = [(r.assignment_id, r.deadline_id, r.stage) for r in ReminderLog.select()]
    assert len(keys) == len(set(keys))

    a = (Assignment.select().join(Task).where(Task.seq == 14).switch(Assignment).join(Unit)
         .where(Unit.name == "区财政局").get())
    seen = [r.stage for r in ReminderLog.select().where(ReminderLog.assignment == a).order_by(ReminderLog.id)]
    assert seen == ["before_7", "before_3", "due_today"]


def test_outage_sends_todays_state_once_per_contact(world):
    send_on("2019-10-22")
    # down 10-23 .. 10-25, back on Monday 10-28
    run = send_on("2019-10-28")
    userids = [m.userid for m in run.messages if m.kind == "remind"]
    assert len(userids) == len(set(userids))
    czj = next(m for m in run.messages if m.userid == "czj")
    assert {i.stage.key for i in czj.items if i.assignment.seq == 14} == {"before_3"}


def test_escalation_fires_once(world):
    for day in ("2019-11-01", "2019-11-05", "2019-11-06", "2019-11-07", "2019-11-08"):
        send_on(day)
    leader = [o for o in outbox_for("czjz")]
    assert len(leader) == 1 and "【督办·逾期】区财政局" in leader[0].body


def test_concurrent_runs_send_nothing_twice(world, db_url):
    """Two `duban serve` on one database: each thread has its own connection, like two processes."""
    at("2019-10-22")
    threads = 3
    errors = []
    runs = []

    def worker():
        try:
            store_db.database.connect(reuse_if_open=True)
            runs.append(send_reminders(dt.date(2019, 10, 22), dt.datetime(2019, 10, 22, 1, 10), config(),
                                       load_calendar(), enqueue))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            store_db.database.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    keys = [(r.assignment_id, r.deadline_id, r.stage) for r in ReminderLog.select()]
    assert len(keys) == len(set(keys))
    targets = [o.target for o in Outbox.select()]
    assert len(targets) == len(set(targets))  # one message per contact
    # Each run reports what it enqueued (what `remind --json` lists): together, every row exactly once.
    assert sum(run.enqueued for run in runs) == len(targets) > 0
    assert sum(len(run.messages) for run in runs) == len(targets)
    listed = [i.key for run in runs for m in run.messages for i in m.items]
    assert sorted(listed) == sorted(keys)
    # A run that planned after another committed plans less; the first to commit planned everything.
    assert max(run.planned for run in runs) == len(targets)
