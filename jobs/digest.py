"""Weekly digests for leadership groups (领导群): when each is due, what it says, and sending it once a week.

A group is due on its schedule day (LeaderGroup.schedule, e.g. "mon 09:10"; Monday by default) once the
time has passed. When that day is not a working day the digest goes on the next working day of the same
ISO week (2019-10-07, National Day, moves to Tuesday 10-08), or, when none is left, the last working day
before it in that week. A run that missed the day (the service was down) sends on a later working day of
the same week: each group gets one digest per ISO week, whatever restarts happen — the DigestLog row
(unique per group and week) is written in the same transaction as the outbox rows.

With [digest] attach_xlsx / attach_chart the digest also carries the 台账 .xlsx (msgtype 'file') and a status
chart per plan (msgtype 'image'). The files are written inside that transaction, into a folder of their own
under `attachments_root()`, and their outbox rows name them ({"path", "filename"}); the dispatcher uploads
them at send time (a media_id lives only 3 days). A file that cannot be rendered is logged and left out: the
markdown digest goes anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jobs.calendar import WorkCalendar
from jobs.digest_words import pack, plan_sections
from store.clock import clock
from store.config import Config
from store.db import StoreError, backend, database
from store.digest_data import (
    PlanFigures,
    claim_digest,
    digest_logged,
    last_digest_at,
    leader_groups,
    plan_figures,
    plans_in_scope,
)
from store.models import LeaderGroup
from wecom.shaping import APP_MARKDOWN_LIMIT, WEBHOOK_MARKDOWN_LIMIT, markdown_to_text, utf8_len

log = logging.getLogger(__name__)

# Markdown byte limits per channel. An appchat message is an app message: 2048 bytes, like `app`.
LIMITS = {"webhook": WEBHOOK_MARKDOWN_LIMIT, "appchat": APP_MARKDOWN_LIMIT, "app": APP_MARKDOWN_LIMIT}
DEFAULT_SINCE = dt.timedelta(days=7)
WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thursday": 3,
    "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
CHINESE_DAYS = "一二三四五六日"
KEEP_ATTACHMENT_WEEKS = 5  # week folders older than this are removed (outbox rows die after 48 h by default)
WEEK_FOLDER = re.compile(r"(\d{4})-W(\d{2})")

# enqueue(dedupe_key, channel, target, body, msgtype=...): jobs.outbox.enqueue_message fits.
Enqueue = Callable[..., object]


@dataclass
class Digest:
    group: str
    group_id: int
    channel: str
    target: str
    week: str
    day: dt.date
    since: dt.datetime  # naive UTC: "completed since" starts here
    limit: int
    parts: list[str] = field(default_factory=list)  # WeCom markdown, each within `limit` bytes
    figures: list[PlanFigures] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # file names enqueued with the digest (send_digests)

    @property
    def markdown(self) -> str:
        return "\n\n".join(self.parts)

    @property
    def text_parts(self) -> list[str]:
        """Plain text of each part, for readers whose client shows markdown as raw markup."""
        return [markdown_to_text(p) for p in self.parts]

    def as_dict(self) -> dict:
        from store.contacts import masked_target

        return {
            "group": self.group, "channel": self.channel,
            "target": masked_target(LeaderGroup(channel=self.channel, target=self.target)),
            "week": self.week, "day": self.day.isoformat(),
            "since": clock.to_local(self.since).strftime("%Y-%m-%d %H:%M"), "limit_bytes": self.limit,
            "parts": [{"bytes": utf8_len(p), "markdown": p} for p in self.parts],
            "figures": [f.as_dict() for f in self.figures],
        }


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_schedule(text: str, default_time: dt.time = dt.time(9, 10)) -> tuple[int, dt.time]:
    """"mon 09:10", "周一 9:10", "09:10" (Monday), "fri" (at `default_time`) → (weekday 0–6, time)."""
    weekday, when = 0, default_time
    for token in (text or "").strip().lower().split():
        if token in WEEKDAYS:
            weekday = WEEKDAYS[token]
        elif (m := re.fullmatch(r"(?:周|星期)([一二三四五六日天])", token)):
            weekday = CHINESE_DAYS.index(m.group(1).replace("天", "日"))
        elif (m := re.fullmatch(r"(\d{1,2}):(\d{2})", token)) and int(m.group(1)) < 24 and int(m.group(2)) < 60:
            when = dt.time(int(m.group(1)), int(m.group(2)))
        else:
            raise ValueError(f"cannot read digest schedule {text!r}: use a day and a time, like 'mon 09:10'")
    return weekday, when


def group_schedule(group: LeaderGroup, config: Config) -> tuple[int, dt.time]:
    default_day, default_time = parse_schedule(config["schedule"]["digest_at"])
    if not (group.schedule or "").strip():
        return default_day, default_time
    try:
        return parse_schedule(group.schedule, default_time)
    except ValueError as exc:
        log.warning("leader group %s: %s; using %s", group.name, exc, config["schedule"]["digest_at"])
        return default_day, default_time


def scheduled_day(day: dt.date, weekday: int, calendar: WorkCalendar) -> dt.date | None:
    """The day of `day`'s ISO week on which a digest scheduled for `weekday` goes (None: no working day)."""
    monday = day - dt.timedelta(days=day.weekday())
    target = monday + dt.timedelta(days=weekday)
    for offset in range(weekday, 7):
        candidate = monday + dt.timedelta(days=offset)
        if calendar.is_workday(candidate):
            return candidate
    for offset in range(weekday - 1, -1, -1):
        candidate = monday + dt.timedelta(days=offset)
        if calendar.is_workday(candidate):
            return candidate
    log.debug("no working day in the week of %s", target)
    return None


def _local(now: dt.datetime) -> dt.datetime:
    """An aware datetime in the configured timezone; a naive one is taken as local time."""
    return now.astimezone(clock.tz) if now.tzinfo else now.replace(tzinfo=clock.tz)


def due_digests(now_local: dt.datetime, config: Config, calendar: WorkCalendar) -> list[LeaderGroup]:
    """Groups whose digest is due at `now_local` (aware, or naive local time) and not yet logged this week."""
    now_local = _local(now_local)
    today = now_local.date()
    if not calendar.is_workday(today):
        return []
    due = []
    for group in leader_groups():
        weekday, at = group_schedule(group, config)
        day = scheduled_day(today, weekday, calendar)
        if day is None or today < day or (today == day and now_local.time().replace(tzinfo=None) < at):
            continue
        if not digest_logged(group.id, iso_week(today)):
            due.append(group)
    return due


def build_digest(group: LeaderGroup, today: dt.date, now_utc: dt.datetime, config: Config,
                 calendar: WorkCalendar) -> Digest:
    """The digest a group would get today (nothing is written). `now_utc` is naive UTC."""
    last = last_digest_at(group.id)
    since = last or now_utc - DEFAULT_SINCE
    limit = LIMITS[group.channel]
    digest = Digest(group.name, group.id, group.channel, group.target, iso_week(today), today, since, limit)
    sections = []
    for plan in plans_in_scope(group.plan_id):
        fig = plan_figures(plan, today, due_soon_days=config["digest"]["due_soon_days"], since=since,
                           working_days=calendar.working_days_between)
        digest.figures.append(fig)
        sections += plan_sections(fig, last)
    # Channel 'app' gets markdown too: the WeCom client renders it. People who read WeCom through the
    # WeChat plugin see the raw markup instead; `text_parts` is the plain version for them (not sent).
    digest.parts = pack(sections, limit)
    return digest


def _utc(now: dt.datetime) -> dt.datetime:
    """Naive UTC from an aware datetime; a naive one already is (the store's convention)."""
    return now.astimezone(dt.timezone.utc).replace(tzinfo=None) if now.tzinfo else now


def send_digests(now: dt.datetime, config: Config, calendar: WorkCalendar, enqueue: Enqueue | None = None,
                 groups: list[LeaderGroup] | None = None) -> list[Digest]:
    """Enqueue the digest of every due group (or of `groups`, due or not), once per group and ISO week.

    Per group, ONE transaction logs the digest (DigestLog, unique per group and week) and enqueues its parts;
    a group another process logged first is skipped. Returns the digests enqueued now.
    """
    if enqueue is None:
        from jobs.outbox import enqueue_message as enqueue
    now_utc = _utc(now)
    now_local = clock.to_local(now_utc)
    today = now_local.date()
    week = iso_week(today)
    targets = due_digests(now_local, config, calendar) if groups is None else groups
    sent = []
    for group in targets:
        digest = build_digest(group, today, now_utc, config, calendar)
        if not digest.parts:
            log.info("leader group %s: no active plan in scope, no digest", group.name)
            continue
        try:
            with database.atomic():
                if not claim_digest(group.id, week, now_utc):
                    log.info("leader group %s: digest for %s already logged", group.name, week)
                    continue
                for i, part in enumerate(digest.parts, start=1):
                    enqueue(f"digest:{group.id}:{week}:{i}", group.channel, group.target, part, msgtype="markdown")
        except StoreError as exc:  # a bad target must not stop the other groups' digests
            log.error("leader group %s: digest not enqueued: %s", group.name, exc)
            continue
        sent.append(digest)
    return sent
