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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from jobs.calendar import WorkCalendar, next_year_line
from jobs.digest_words import (
    Section,
    board_link_section,
    comment,
    pack,
    plan_sections,
    unknown_delivery_section,
)
from store.board_links import group_link_url
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
from store.files import DIR_MODE, private_dir, private_temp_dir
from store.models import LeaderGroup
from store.timetext import parse_schedule
from wecom.shaping import APP_MARKDOWN_LIMIT, WEBHOOK_MARKDOWN_LIMIT, markdown_to_text, utf8_len

log = logging.getLogger(__name__)

# Markdown byte limits per channel. An appchat message is an app message: 2048 bytes, like `app`.
LIMITS = {"webhook": WEBHOOK_MARKDOWN_LIMIT, "appchat": APP_MARKDOWN_LIMIT, "app": APP_MARKDOWN_LIMIT}
DEFAULT_SINCE = dt.timedelta(days=7)
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


def group_schedule(group: LeaderGroup, config: Config) -> tuple[int, dt.time]:
    default_day, default_time = parse_schedule(config.schedule.digest_at)
    if not (group.schedule or "").strip():
        return default_day, default_time
    try:
        return parse_schedule(group.schedule, default_time)
    except ValueError as exc:
        log.warning("leader group %s: %s; using %s", group.name, exc, config.schedule.digest_at)
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
        fig = plan_figures(plan, today, due_soon_days=config.digest.due_soon_days, since=since,
                           working_days=calendar.working_days_between)
        digest.figures.append(fig)
        sections += plan_sections(fig, last)
    if sections:
        sections += unknown_delivery_section(_unknown_sends(group, since))
        calendar_line = next_year_line(today, calendar)  # from 1 November while next year is unknown
        if calendar_line:
            sections.append(Section(None, [comment(calendar_line)]))
        link = group_link_url(config, group, now_utc)
        if link:
            sections.append(board_link_section(link))
    # Channel 'app' gets markdown too: the WeCom client renders it. People who read WeCom through the
    # WeChat plugin see the raw markup instead; `text_parts` is the plain version for them (not sent).
    digest.parts = pack(sections, limit)
    return digest


def _unknown_sends(group: LeaderGroup, since: dt.datetime) -> int:
    """Messages to this group since its last digest whose delivery nobody could confirm (held, not resent):
    the group is told once, in its next digest."""
    from store.outbox import unknown_rows

    return len(unknown_rows(group.channel, group.target, since)) if group.channel != "app" else 0


def _utc(now: dt.datetime) -> dt.datetime:
    """Naive UTC from an aware datetime; a naive one already is (the store's convention)."""
    return now.astimezone(dt.timezone.utc).replace(tzinfo=None) if now.tzinfo else now


# --- attachments: the 台账 and the status chart -----------------------------------------------------------------


@dataclass
class Attachment:
    key: str  # the end of the outbox dedupe key: 'xlsx', 'chart', or 'chart:PLAN_ID' when several plans
    msgtype: str  # 'file' or 'image'
    path: Path

    def body(self) -> dict:
        """The outbox body: the dispatcher uploads the file when it sends the row."""
        return {"path": str(self.path), "filename": self.path.name}


def attaching(config: Config) -> bool:
    return bool(config.digest.attach_xlsx or config.digest.attach_chart)


def attachments_root(config: Config) -> Path:
    """Where attachments wait to be sent: [digest] attachments_dir, else "digest-files" beside the SQLite
    database, else the system temp dir (a server database has no folder of its own)."""
    configured = str(config.digest.attachments_dir or "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    name = getattr(database.obj, "database", None)
    if backend() == "sqlite" and isinstance(name, str) and name and name != ":memory:" and not name.startswith("file:"):
        return Path(name).resolve().parent / "digest-files"
    return _process_temp_root()


_temp_root: list[Path] = []


def _process_temp_root() -> Path:
    """This process' own attachments folder in the system temp dir: made by mkdtemp (0700, unguessable), never
    a fixed shared name another local user could create first. Set [digest] attachments_dir to keep them."""
    if not _temp_root or not _temp_root[0].is_dir():
        _temp_root[:] = [private_temp_dir("duban-digest-")]
    return _temp_root[0]


def prune_attachments(root: Path, today: dt.date, keep_weeks: int = KEEP_ATTACHMENT_WEEKS) -> int:
    """Remove week folders (named like 2019-W43) more than `keep_weeks` weeks before `today`; returns how many."""
    oldest = today - dt.timedelta(weeks=keep_weeks)
    removed = 0
    try:
        entries = list(root.iterdir()) if root.is_dir() else []
    except OSError as exc:
        log.warning("cannot list digest attachments in %s: %s", root, exc)
        return 0
    for entry in entries:
        match = WEEK_FOLDER.fullmatch(entry.name)
        if not match or not entry.is_dir():
            continue
        try:
            monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            continue
        if monday < oldest:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w-]", "", text)[:40]


def _render(write: Callable[[], object], path: Path, group: str) -> bool:
    try:
        with database.atomic():  # a savepoint: a failed read must not abort the digest's transaction
            write()
        return True
    except Exception:  # a missing font, a full disk …: the markdown digest goes without this file
        log.exception("leader group %s: %s could not be written, sending the digest without it", group, path.name)
        path.unlink(missing_ok=True)
        return False


def render_attachments(group: LeaderGroup, digest: Digest, config: Config,
                       root: Path) -> tuple[Path | None, list[Attachment]]:
    """Write the files [digest] asks for into a new folder of this digest's own; returns (folder, files).

    A file that fails is logged and left out. The folder name is unique, so a transaction that rolls back
    can remove its folder without touching the files of a process that claimed the digest after it.
    """
    if not attaching(config):
        return None, []
    folder = root / digest.week / f"group{digest.group_id}-{secrets.token_hex(4)}"
    try:
        private_dir(root)
        folder.mkdir(parents=True, mode=DIR_MODE)
    except (OSError, StoreError) as exc:
        log.error("leader group %s: cannot create %s (%s), sending the digest without attachments", group.name,
                  folder, exc)
        return None, []
    files: list[Attachment] = []
    if config.digest.attach_xlsx:
        from jobs.ledger import export_ledger_xlsx

        path = folder / f"台账-{digest.week}.xlsx"
        plan_ref = str(group.plan_id) if group.plan_id else None  # None: every active plan, a sheet each
        if _render(partial(export_ledger_xlsx, path, plan_ref, digest.day), path, group.name):
            files.append(Attachment("xlsx", "file", path))
    if config.digest.attach_chart:
        from jobs.chart import render_status_chart_png

        several = len(digest.figures) > 1
        for fig in digest.figures:
            label = f"-{_safe_name(fig.code)}" if several else ""
            path = folder / f"完成情况{label}-{digest.week}.png"
            if _render(partial(render_status_chart_png, path, str(fig.plan_id), digest.day), path, group.name):
                files.append(Attachment(f"chart:{fig.plan_id}" if several else "chart", "image", path))
    if not files:
        _discard(folder)
        return None, []
    return folder, files


def _discard(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


# --- sending ---------------------------------------------------------------------------------------------------


def send_digests(now: dt.datetime, config: Config, calendar: WorkCalendar, enqueue: Enqueue | None = None,
                 groups: list[LeaderGroup] | None = None) -> list[Digest]:
    """Enqueue the digest of every due group (or of `groups`, due or not), once per group and ISO week.

    Per group, ONE transaction logs the digest (DigestLog, unique per group and week) and enqueues its parts,
    then the attachments [digest] asks for (files written before it commits); a group another process logged
    first is skipped. Returns the digests enqueued now.
    """
    if enqueue is None:
        from jobs.outbox import enqueue_message as enqueue
    now_utc = _utc(now)
    now_local = clock.to_local(now_utc)
    today = now_local.date()
    week = iso_week(today)
    targets = due_digests(now_local, config, calendar) if groups is None else groups
    root = attachments_root(config) if targets and attaching(config) else None
    if root is not None:
        prune_attachments(root, today)
    sent = []
    for group in targets:
        digest = build_digest(group, today, now_utc, config, calendar)
        if not digest.parts:
            log.info("leader group %s: no active plan in scope, no digest", group.name)
            continue
        folder: Path | None = None
        try:
            with database.atomic():
                if not claim_digest(group.id, week, now_utc):
                    log.info("leader group %s: digest for %s already logged", group.name, week)
                    continue
                for i, part in enumerate(digest.parts, start=1):
                    enqueue(f"digest:{group.id}:{week}:{i}", group.channel, group.target, part, msgtype="markdown")
                if root is not None:
                    folder, files = render_attachments(group, digest, config, root)
                    for item in files:
                        enqueue(f"digest:{group.id}:{week}:{item.key}", group.channel, group.target, item.body(),
                                msgtype=item.msgtype)
                    digest.attachments = [item.path.name for item in files]
        except StoreError as exc:  # a bad target must not stop the other groups' digests
            _discard(folder)
            log.error("leader group %s: digest not enqueued: %s", group.name, exc)
            continue
        except BaseException:
            _discard(folder)  # rolled back: no row names these files
            raise
        sent.append(digest)
    return sent
