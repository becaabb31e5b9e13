"""`duban serve`'s scheduler, in process: the jobs it registers, when they fire, and what they send.

APScheduler is started paused, so nothing fires on the wall clock; each test reads a job's next fire time from
its real trigger at an injected time and runs the job's own function, exactly what the scheduler would call.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jobs.scheduler import Service, run_dispatch
from store import db as store_db
from store.clock import clock
from store.config import load_config
from store.contacts import add_leader_group
from store.db import database
from store.models import DigestLog, Inbox, Lease, Outbox, ReminderLog
from tests.world import build_world

KEY = "0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99"


@pytest.fixture
def world(db_url):
    build_world()
    add_leader_group("区政府领导群", webhook_key=KEY, schedule="")


def _config(**schedule):
    cfg = load_config(None, environ={})
    cfg["schedule"].update({"jitter_seconds": 0, **schedule})
    return cfg


@pytest.fixture
def services():
    started: list[Service] = []

    def start(config, holder: str = "host-a:1") -> Service:
        service = Service(config, holder=holder)
        service.start(paused=True)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def _next_fire(service: Service, job_id: str, local: str) -> dt.datetime:
    job = service.scheduler.get_job(job_id)
    now = dt.datetime.fromisoformat(local).replace(tzinfo=clock.tz)
    return job.trigger.get_next_fire_time(None, now).replace(tzinfo=None)


def _run(service: Service, job_id: str, local: str) -> None:
    clock.freeze(dt.datetime.fromisoformat(local))
    service.scheduler.get_job(job_id).func()


def test_reminders_fire_at_the_shifted_time_on_working_days_only(world, services):
    clock.freeze(dt.datetime(2019, 9, 30, 8, 0))
    service = services(_config(remind_at="09:00"))
    assert service.active.is_set()
    # 09:00 is the busy hour: the run starts at 09:03, the next day (the cron job itself runs daily).
    assert _next_fire(service, "reminders", "2019-09-30T08:00") == dt.datetime(2019, 9, 30, 9, 3)
    # 2019-10-01…07 is the National Day holiday; the job runs but sends nothing then.
    _run(service, "reminders", "2019-10-02T09:03")
    assert Outbox.select().count() == 0 and ReminderLog.select().count() == 0
    # 2019-10-12 is a Saturday made a working day (调休): reminders go out.
    _run(service, "reminders", "2019-10-12T09:03")
    assert Outbox.select().count() > 0
    assert {o.channel for o in Outbox.select()} == {"app"}


def test_digest_goes_at_digest_at_once_per_week(world, services):
    clock.freeze(dt.datetime(2019, 10, 28, 8, 0))
    service = services(_config(digest_at="mon 09:40"))
    _run(service, "digests", "2019-10-28T09:20")  # Monday, before digest_at
    assert DigestLog.select().count() == 0
    _run(service, "digests", "2019-10-28T09:45")
    assert DigestLog.select().count() == 1
    parts = Outbox.select().where(Outbox.channel == "webhook").count()
    assert parts >= 1
    _run(service, "digests", "2019-10-28T10:45")  # the job checks every 10 minutes: still one digest
    assert DigestLog.select().count() == 1 and Outbox.select().where(Outbox.channel == "webhook").count() == parts


@pytest.mark.parametrize(("starts_at", "sends"), [("09:01", False), ("09:02", False), ("09:03", True), ("11:00", True)])
def test_catch_up_after_downtime_uses_the_shifted_time(world, services, starts_at, sends):
    clock.freeze(dt.datetime.fromisoformat(f"2019-10-22T{starts_at}"))
    services(_config(remind_at="09:00"))  # becoming active runs the catch-up
    assert (Outbox.select().count() > 0) is sends


def test_two_services_on_one_database_send_once(world, services, db_url):
    clock.freeze(dt.datetime(2019, 10, 22, 11, 0))  # both start after the reminder time
    first = services(_config(), holder="host-a:1")
    store_db.connect(db_url)  # the second process has its own connection
    second = services(_config(), holder="host-b:2")
    assert first.active.is_set() and not second.active.is_set()
    sent = Outbox.select().count()
    assert sent > 0
    _run(second, "reminders", "2019-10-22T11:00")  # a standby's job does nothing
    _run(first, "reminders", "2019-10-22T11:00")  # the active one's rerun finds everything logged
    assert Outbox.select().count() == sent


def test_every_job_is_registered_with_its_trigger(world, services):
    clock.freeze(dt.datetime(2019, 10, 22, 8, 0))
    service = services(_config())
    ids = {job.id for job in service.scheduler.get_jobs()}
    assert {"lease", "reminders", "digests"} <= ids


def test_the_dispatch_job_runs_the_dispatcher_and_logs_what_it_did(world, caplog):
    from types import SimpleNamespace

    flushed = []

    def flush():
        flushed.append(1)
        return SimpleNamespace(sent=3, failed=0, dead=0, held=0, deferred=1, unknown=0, remaining=2)

    clock.freeze(dt.datetime(2019, 10, 22, 8, 0))
    service = Service(_config(), holder="host-a:1", dispatch=lambda: run_dispatch(flush))
    service.start(paused=True)
    try:
        with caplog.at_level("INFO", logger="jobs.scheduler"):
            service.scheduler.get_job("dispatch").func()
        assert flushed == [1]
        assert "dispatch run: sent 3, deferred 1, 2 left" in caplog.text
    finally:
        service.stop()


def test_inbox_pruning_forgets_old_callbacks_after_the_retention(world, services):
    clock.freeze(dt.datetime(2019, 10, 22, 3, 17))
    now = clock.utcnow()
    for n, age in enumerate((1, 29, 31, 90)):
        Inbox.create(key=f"k{n}", from_user="czj", received_at=now - dt.timedelta(days=age), content="帮助")
    service = services(_config())
    _run(service, "inbox-pruning", "2019-10-22T03:17")
    assert sorted(i.key for i in Inbox.select()) == ["k0", "k1"]


def test_a_failing_job_is_logged_and_the_scheduler_goes_on(world, services, caplog):
    clock.freeze(dt.datetime(2019, 10, 28, 8, 0))
    service = services(_config(digest_at="mon 09:40"))
    database.drop_tables([DigestLog])  # the database lost a table under us
    try:
        with caplog.at_level("ERROR", logger="jobs.scheduler"):
            _run(service, "digests", "2019-10-28T09:45")  # raises nothing
        assert "scheduled job failed" in caplog.text
    finally:
        database.create_tables([DigestLog])
    _run(service, "digests", "2019-10-28T09:50")
    assert DigestLog.select().count() == 1


def test_a_lease_the_database_cannot_renew_keeps_the_state_and_a_lost_lease_stands_by(world, services, caplog):
    clock.freeze(dt.datetime(2019, 10, 22, 8, 0))
    first = services(_config(), holder="host-a:1")
    assert first.active.is_set()
    database.drop_tables([Lease])
    try:
        with caplog.at_level("ERROR", logger="jobs.scheduler"):
            first.keep_lease()
        assert first.active.is_set() and "could not renew the scheduler lease" in caplog.text
    finally:
        database.create_tables([Lease])
    second = services(_config(), holder="host-b:2")  # the table came back empty: the second takes the lease
    assert second.active.is_set()
    first.keep_lease()
    assert not first.active.is_set()
