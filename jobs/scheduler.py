"""The clock-driven heart of `duban serve`: APScheduler runs reminders, digests and the outbox dispatcher.

Only one process is active at a time: each holds a lease row in the database and renews it; a second
`duban serve` on the same database is a standby that takes over when the lease lapses (the first died).
Every job is idempotent, so a missed or repeated run is harmless: misfires are coalesced into one run.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from store.clock import clock
from store.config import Config
from store.db import unit_of_work

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL_SECONDS = 60
LEASE_RENEW_SECONDS = 15
DIGEST_CHECK_MINUTES = 10


def run_reminders(config: Config) -> dict:
    """Plan and enqueue today's reminders (nothing on a non-working day)."""
    from jobs.calendar import load_calendar
    from jobs.reminders import send_reminders

    run = send_reminders(clock.today(), clock.utcnow(), config, load_calendar())
    if run.unreachable:
        log.warning("units with items but no reachable contact: %s", ", ".join(run.unreachable))
    log.info("reminders for %s: %d message(s) planned, %d enqueued", run.day, run.planned, run.enqueued)
    return {"day": run.day.isoformat(), "workday": run.workday, "messages": run.enqueued,
            "enqueued": run.enqueued, "unreachable": run.unreachable}


def run_dispatch(flush: Callable[[], object]) -> object:
    """One dispatcher run; an INFO line with its counts when it did anything (every 20 s of nothing is quiet)."""
    result = flush()
    counts = {k: getattr(result, k, 0) for k in ("sent", "failed", "dead", "held", "deferred", "unknown")}
    if any(counts.values()):
        log.info("dispatch run: %s, %d left", ", ".join(f"{k} {v}" for k, v in counts.items() if v),
                 getattr(result, "remaining", 0))
    return result


def run_digests(config: Config) -> int:
    from jobs.calendar import load_calendar
    from jobs.digest import send_digests
    from jobs.outbox import enqueue_message

    sent = send_digests(clock.now(), config, load_calendar(), enqueue_message)
    if sent:
        log.info("weekly digests enqueued: %d", len(sent))
    return len(sent)


def run_inbox_pruning(config: Config) -> int:
    """Forget callback messages older than [server] inbox_retention_days (0 keeps them)."""
    import datetime as dt

    from store.inbox import prune_inbox

    days = int(config.server.inbox_retention_days)
    if days <= 0:
        return 0
    removed = prune_inbox(clock.utcnow() - dt.timedelta(days=days))
    if removed:
        log.info("inbox: forgot %d callback message(s) older than %d days", removed, days)
    return removed


def log_calendar_warnings() -> None:
    """Once a day: the holidays duban does not know yet (next year from 1 November)."""
    from jobs.calendar import calendar_warnings

    for warning in calendar_warnings():
        log.warning("%s", warning)


def away_from_rush(hour: int, minute: int) -> tuple[int, int]:
    """WeCom asks senders to avoid :00 and :30 (delivery congests): move a start within 2 minutes of them to :03/:33.

    The jitter is added after this, so the run starts between that minute and `jitter_seconds` later.
    """
    offset = minute % 30
    if offset < 3 or offset > 27:
        total = hour * 60 + minute + ((3 - offset) if offset < 3 else (33 - offset))
        return (total // 60) % 24, total % 60
    return hour, minute


@dataclass
class Service:
    """The scheduler with its lease; `start()` returns at once, jobs run in APScheduler's threads."""

    config: Config
    dispatch: Callable[[], object] | None = None
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    scheduler: BackgroundScheduler | None = None
    active: threading.Event = field(default_factory=threading.Event)

    def start(self, paused: bool = False) -> None:
        """Register the jobs, take the lease if free, and start the scheduler (`paused`: jobs registered but
        not fired by the wall clock — tests fire them at injected times)."""
        tz = self.config.timezone
        sched = self.config.schedule
        hour, minute = self.reminder_time()
        jitter = max(0, int(sched.jitter_seconds))
        self.scheduler = BackgroundScheduler(
            timezone=tz,
            # A run missed while the machine slept still happens once, within the hour.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        self.scheduler.add_job(self.keep_lease, IntervalTrigger(seconds=LEASE_RENEW_SECONDS), id="lease")
        self.scheduler.add_job(
            self._guard(lambda: run_reminders(self.config)),
            CronTrigger(hour=hour, minute=minute, jitter=jitter, timezone=tz), id="reminders",
        )
        self.scheduler.add_job(
            self._guard(log_calendar_warnings),
            CronTrigger(hour=hour, minute=minute, timezone=tz), id="calendar-warnings",
        )
        self.scheduler.add_job(
            self._guard(lambda: run_digests(self.config)),
            IntervalTrigger(minutes=DIGEST_CHECK_MINUTES, jitter=60), id="digests",
        )
        self.scheduler.add_job(
            self._guard(lambda: run_inbox_pruning(self.config)),
            CronTrigger(hour=3, minute=17, jitter=jitter, timezone=tz), id="inbox-pruning",
        )
        if self.dispatch is not None:
            self.scheduler.add_job(
                self._guard(self.dispatch), IntervalTrigger(seconds=sched.dispatch_interval_seconds),
                id="dispatch",
            )
        self.keep_lease()
        self.scheduler.start(paused=paused)

    def reminder_time(self) -> tuple[int, int]:
        """The (hour, minute) the daily reminder run starts: `remind_at` moved away from :00/:30. The cron job
        and the catch-up after downtime both use it, so a process starting at 09:01 does not send before 09:03."""
        return away_from_rush(*(int(x) for x in self.config.schedule.remind_at.split(":")))

    def keep_lease(self) -> None:
        import datetime as dt

        from store.lease import acquire_lease

        try:
            with unit_of_work():
                held = acquire_lease(LEASE_NAME, self.holder, clock.utcnow(),
                                     dt.timedelta(seconds=LEASE_TTL_SECONDS))
        except Exception:  # noqa: BLE001 - a database hiccup: keep the old state, try again next round
            log.exception("could not renew the scheduler lease")
            return
        if held and not self.active.is_set():
            log.info("scheduler active (%s)", self.holder)
            self.active.set()
            self.catch_up()
        elif not held and self.active.is_set():
            log.warning("scheduler lease lost: standing by")
            self.active.clear()
        elif not held:
            log.debug("standby: another duban serve holds the scheduler lease")

    def catch_up(self) -> None:
        """On becoming active past today's reminder time: send today's reminders once (idempotent)."""
        local = clock.local_now()
        if (local.hour, local.minute) >= self.reminder_time():
            self._guard(lambda: run_reminders(self.config))()

    def _guard(self, job: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            if not self.active.is_set():
                return
            try:
                with unit_of_work():
                    job()
            except Exception:  # noqa: BLE001 - one failed run must not stop the scheduler
                log.exception("scheduled job failed")

        return run

    def stop(self) -> None:
        from store.lease import release_lease

        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.active.is_set():
            try:
                release_lease(LEASE_NAME, self.holder)
            except Exception:  # noqa: BLE001
                log.exception("could not release the scheduler lease")
            self.active.clear()
