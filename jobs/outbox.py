"""The outbox dispatcher: claims due rows, sends them through WeCom, records what happened.

- Never twice: app messages go with WeCom's duplicate check, so a row resent after a crash (claimed, sent,
  not recorded) is dropped by WeCom; claims are exclusive (see store.outbox.claim_due).
- Robots and group chats at most once: they have no duplicate check, so a send whose outcome is unknown (a
  timeout after the request went out, a dispatcher that died mid-send) is held as 'unknown', never resent by
  itself (`duban outbox list --state unknown`, `duban outbox retry ID`). App messages keep WeCom's check.
- Never too fast: a robot key gets at most 20 messages a minute and a person at most 30 app messages a
  minute (WeCom silently drops the excess), counted in the database so every dispatcher keeps them together
  (store/ratelimit.py); a row over a limit is deferred, not tried. The whole dispatcher keeps to
  [outbox] messages_per_second by pacing.
- Attachments: a 'file' / 'image' row whose body names a file ({"path", "filename"}) is uploaded when it is
  sent, not when it was enqueued (a media_id lives 3 days), then sent by media_id; a robot image goes
  inline as base64 + md5 instead. The media_id is noted in the row, so a resend repeats the same request.
- Never stuck: retryable failures back off (30 s doubling to an hour, with jitter) until [outbox] max_attempts
  or max_age_hours; a configuration error holds the channel (or the robot / group) for this flush and
  raises an alert instead of burning attempts.

Time comes from the injected `clock` (epoch seconds) and waiting goes through the injected `sleep`, so
tests run on a fake clock and never sleep.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import os
import random
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from store import outbox as box
from store import ratelimit
from store.clock import clock as store_clock
from store.config import Config, ConfigError
from store.db import database
from store.models import Outbox
from wecom.attachments import (
    forget_upload,
    remember_upload,
    reusable_media_id,
    robot_inline_image,
    upload_forgotten,
    upload_msgtype,
)
from wecom.errors import SendError, SendResult
from wecom.limits import USER_PER_MINUTE, WEBHOOK_PER_MINUTE
from wecom.log_scrub import chat_text_logged, remember_secret
from wecom.shaping import (
    APP_MARKDOWN_LIMIT,
    APP_TEXT_LIMIT,
    WEBHOOK_MARKDOWN_LIMIT,
    WEBHOOK_TEXT_LIMIT,
    split_message,
)

if TYPE_CHECKING:  # wecom.client loads wechatpy and requests: only a sender needs them, not an enqueue
    from wecom.client import WeComSender

log = logging.getLogger(__name__)

BYTE_LIMITS = {
    ("app", "text"): APP_TEXT_LIMIT, ("app", "markdown"): APP_MARKDOWN_LIMIT,
    ("appchat", "text"): APP_TEXT_LIMIT, ("appchat", "markdown"): APP_MARKDOWN_LIMIT,
    ("webhook", "text"): WEBHOOK_TEXT_LIMIT, ("webhook", "markdown"): WEBHOOK_MARKDOWN_LIMIT,
}
CLAIM_BATCH = 50
AHEAD_SECONDS = 1.0  # send budgets are reserved for the next second's sends at once
DUPLICATE_CHECK_MAX = 14400  # WeCom's longest duplicate_check_interval
ATTACHMENT_MSGTYPES = ("file", "image")

__all__ = ["Dispatcher", "FlushResult", "enqueue_message", "make_sender", "BYTE_LIMITS"]


# --- enqueueing ------------------------------------------------------------------------------------------------


def enqueue_message(dedupe_key: str, channel: str, target: str, text: str | dict, msgtype: str = "text",
                    now: dt.datetime | None = None) -> list[Outbox]:
    """Put a message in the outbox, shaped to fit: a long text or markdown body becomes numbered parts
    (keys KEY#1, KEY#2 …), an app message to more than 1000 people one row per 1000 (KEY@1, KEY@2 …).
    Idempotent by key; all rows or none. Other msgtypes take a dict body (stored as JSON)."""
    if channel == "webhook":
        remember_secret(target)  # a robot key is a credential: masked in every log line from now on
    if isinstance(text, dict):
        parts = [json.dumps(text, ensure_ascii=False)]
    elif (channel, msgtype) in BYTE_LIMITS:
        parts = split_message(text, BYTE_LIMITS[(channel, msgtype)])
    else:
        parts = [text]
    targets = [target]
    if channel == "app":
        users = list(dict.fromkeys(u for u in target.split("|") if u))
        targets = ["|".join(users[i:i + box.MAX_TOUSER]) for i in range(0, len(users), box.MAX_TOUSER)] or [target]
    rows = []
    with database.atomic() if len(targets) * len(parts) > 1 else contextlib.nullcontext():
        for t_index, part_target in enumerate(targets, start=1):
            base = dedupe_key if len(targets) == 1 else f"{dedupe_key}@{t_index}"
            for p_index, body in enumerate(parts, start=1):
                key = base if len(parts) == 1 else f"{base}#{p_index}"
                rows.append(box.enqueue(key, channel, part_target, body, msgtype, now=now))
    return rows


def make_sender(config: Config) -> WeComSender:
    """A sender for the app in [wecom] (api_base_url and timeout included); its access token is shared with
    every other duban process through the database."""
    w = config.wecom
    missing = [k for k in ("corp_id", "secret", "agent_id") if not getattr(w, k)]
    if missing:
        raise ConfigError(f"[wecom] {', '.join(missing)} not set: duban cannot send. Set them in duban.toml or "
                          "DUBAN_WECOM_* (`duban emulator` gives values to try with).")
    from wecom.client import WeComSender, make_client
    from wecom.token_cache import DatabaseTokenStorage

    client = make_client(w.corp_id, w.secret, int(w.agent_id), api_base_url=w.api_base_url,
                         timeout=float(w.timeout), session=DatabaseTokenStorage())
    return WeComSender(client)


# --- rate limits -----------------------------------------------------------------------------------------------


class Pacer:
    """At most `per_second` sends in each second of the clock. Robust to a clock that does not move
    while we sleep (frozen for `--at`): after sleeping it trusts the sleep."""

    def __init__(self, per_second: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.per_second = max(1, int(per_second))
        self.clock, self.sleep = clock, sleep
        self.window_end = float("-inf")
        self.count = 0

    def pace(self) -> None:
        t = self.clock()
        if t >= self.window_end:
            self.window_end, self.count = t + 1.0, 0
        elif self.count >= self.per_second:
            self.sleep(self.window_end - t)
            self.window_end, self.count = max(self.clock(), self.window_end) + 1.0, 0
        self.count += 1


# --- the dispatcher --------------------------------------------------------------------------------------------


@dataclass
class FlushResult:
    sent: int = 0
    failed: int = 0  # tried and failed this flush, will be retried
    dead: int = 0  # given up this flush
    remaining: int = 0  # rows not sent yet (pending, failed or sending) after the flush
    deferred: int = 0  # held back by a rate limit, not tried
    held: int = 0  # held back by a configuration error, not tried
    unknown: int = 0  # robot / group-chat sends whose outcome is unknown: held, not resent by themselves
    alerts: list[str] = field(default_factory=list)  # configuration errors for the admin
    dead_rows: list[tuple[int, str]] = field(default_factory=list)  # (id, reason)
    unreachable: list[str] = field(default_factory=list)  # userids WeCom did not deliver to
    unknown_rows: list[tuple[int, str]] = field(default_factory=list)  # (id, why)

    @property
    def all_sent(self) -> bool:
        return not (self.failed or self.dead or self.held or self.unknown or self.alerts)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "dead": self.dead, "remaining": self.remaining,
                "deferred": self.deferred, "held": self.held, "unknown": self.unknown, "alerts": list(self.alerts),
                "dead_rows": [{"id": i, "reason": r} for i, r in self.dead_rows],
                "unknown_rows": [{"id": i, "reason": r} for i, r in self.unknown_rows],
                "unreachable": list(self.unreachable)}


# The claim lapsed before a send that must not happen twice: another worker owns the row now.
LAPSED = SendError("lapsed", None, "the claim lapsed before sending")


def _unsendable(reason: str) -> SendResult:
    """A row that no retry can send (its file is gone): it goes dead with `reason`."""
    return SendResult(False, None, [], SendError("unsendable", None, reason))


def _stored(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).replace(tzinfo=None)


def _epoch(stored: dt.datetime) -> float:
    return stored.replace(tzinfo=dt.timezone.utc).timestamp()


def _store_now() -> float:
    return store_clock.now().timestamp()


def claim_lease_seconds(config: Config) -> float:
    """How long a claim lasts unrenewed: the short default, or three send timeouts when those are longer (a
    claim is renewed between sends, so one slow send must not outlast it)."""
    return max(box.LEASE_SECONDS, 3 * float(config.wecom.timeout))


def claim_size(config: Config, lease_seconds: float, most: int = CLAIM_BATCH) -> int:
    """Rows per claim: no more than this dispatcher sends in a third of the lease at its configured pace, so a
    crash strands few rows and a renewal comes before the lease runs out."""
    pace = float(config.outbox.messages_per_second)
    return max(1, min(int(most), int(pace * lease_seconds / 3)))


def _part(dedupe_key: str) -> str:
    """'2' for the second part of a split message (key#2), '1' for a message in one piece."""
    head, _, tail = dedupe_key.rpartition("#")
    return tail if head and tail.isdigit() else "1"


class Dispatcher:
    """Sends the outbox. One per process is plenty; several (threads or processes) never send a row twice."""

    def __init__(self, sender: WeComSender, config: Config, worker_name: str | None = None,
                 clock: Callable[[], float] | None = None, sleep: Callable[[float], None] | None = None, *,
                 lease_seconds: float | None = None, batch_size: int = CLAIM_BATCH,
                 rand: Callable[[], float] = random.random) -> None:
        o = config.outbox
        self.sender = sender
        self.worker = worker_name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.clock = clock or _store_now
        self.sleep = sleep or time.sleep
        self.lease_seconds = claim_lease_seconds(config) if lease_seconds is None else float(lease_seconds)
        self.batch_size = claim_size(config, self.lease_seconds, batch_size)
        self.rand = rand
        self.max_attempts = int(o.max_attempts)
        self.max_age_hours = float(o.max_age_hours)
        self.duplicate_check_interval = min(int(o.duplicate_check_interval), DUPLICATE_CHECK_MAX)
        self.pacer = Pacer(float(o.messages_per_second), self._now, self.sleep)
        self._offset = 0.0
        self._sent: list[tuple[Outbox, str | None, dt.datetime]] = []
        self._ahead: dict[int, ratelimit.Reservation] = {}

    def _now(self) -> float:
        return self.clock() + self._offset

    def flush(self, now: dt.datetime | None = None, limit: int | None = None) -> FlushResult:
        """Send every row due now (at most `limit` tries). `now` (naive UTC) shifts this flush's clock."""
        self._offset = _epoch(now) - self.clock() if now is not None else 0.0
        result = FlushResult()
        blocked: set[tuple[str, str | None]] = set()
        tried = 0
        while limit is None or tried < limit:
            size = self.batch_size if limit is None else min(self.batch_size, limit - tried)
            batch = box.claim_due(self.worker, _stored(self._now()), size, lease_seconds=self.lease_seconds,
                                  exclude=sorted(blocked, key=str))
            if not batch:
                break
            try:
                tried += self._send_batch(batch, result, blocked)
            finally:
                self._record_sends()
        result.remaining = box.unsent_count()
        return result

    def _send_batch(self, batch: list[Outbox], result: FlushResult, blocked: set) -> int:
        """Send one claimed batch, renewing the claim while it works; how many rows were tried."""
        tried = 0
        renewed_at = self._now()
        lost: set[int] = set()
        for index, row in enumerate(batch):
            if self._now() - renewed_at > self.lease_seconds / 3:
                self._record_sends()
                renewed_at = self._now()
                kept = {r.id for r in box.renew_claims(batch[index:], self.worker, _stored(renewed_at))}
                lost.update(r.id for r in batch[index:] if r.id not in kept)
            if row.id in lost:
                continue  # our claim lapsed and another dispatcher has it now
            if (row.channel, None) in blocked or (row.channel, row.target) in blocked:
                box.release(row)
                result.held += 1
                continue
            if not self._ahead:
                self._reserve_ahead([r for r in batch[index:] if r.id not in lost], self._now())
            if self._send_row(row, result, blocked):
                tried += 1
        self._refund_ahead()
        return tried

    def _record_sends(self) -> None:
        """Record the app messages sent since the last call, in one statement."""
        sends, self._sent = self._sent, []
        recorded = box.mark_sent_many(sends)
        if recorded < len(sends):
            log.warning("outbox: %d sent message(s) had been claimed by another dispatcher meanwhile",
                        len(sends) - recorded)

    # ----- one row -----

    def _send_row(self, row: Outbox, result: FlushResult, blocked: set) -> bool:
        """Send one claimed row and record the outcome; False when it was not tried (deferred)."""
        t = self._now()
        budget = self._reserve(row, t)
        if budget.wait == 0:
            self.pacer.pace()
            if int(t * 1000) < budget.now_ms < self._now() * 1000:
                # Pacing outran a budget reserved ahead (stamped in the future): take one for this moment.
                ratelimit.refund(budget)
                t = self._now()
                budget = self._reserve(row, t)
        if budget.wait > 0:
            # Whole seconds: MariaDB stores no fractions, and a row due a fraction early would spin.
            box.defer(row, _stored(math.ceil(t + budget.wait)))
            result.deferred += 1
            return False
        if chat_text_logged():
            log.debug("outbox %s to %s: %r", row.id, box.masked_target(row.channel, row.target), row.body[:500])
        answer = self._send(row)
        t = self._now()
        now = _stored(t)
        if not answer.ok and not (answer.error and answer.error.maybe_sent):
            ratelimit.refund(budget)  # WeCom did not take it: the send does not count
        if answer.ok:
            if not self._at_most_once(row):
                # Recorded with the rest of the batch: a crash before that resends it, and WeCom's duplicate
                # check drops the resend. Robot and group messages have no such check: recorded at once.
                self._sent.append((row, answer.msgid, now))
            else:
                box.mark_sent(row, answer.msgid, now)
            result.sent += 1
            log.info("sent outbox %s: %s to %s, part %s, WeCom msgid %s", row.id, row.channel,
                     box.masked_target(row.channel, row.target), _part(row.dedupe_key), answer.msgid or "-")
            if answer.failed_users and row.channel == "app":
                self._unreachable(answer.failed_users, "WeCom accepted a message but did not deliver it to "
                                  "this userid (invaliduser / unlicenseduser)", now, result)
            return True
        error = answer.error or SendError("unknown", None, "no error given")
        if error.kind == "lapsed":
            return False
        if error.maybe_sent and self._at_most_once(row):
            if box.mark_unknown(row, error.message, now):
                self._unknown(row, result)
        elif error.kind == "config":
            self._hold(row, error, now, result, blocked)
        elif error.kind in ("recipient", "too_large", "unsendable"):
            if error.kind == "recipient":
                reason = f"recipient rejected ({error.message})"
            elif error.kind == "unsendable":
                reason = error.message
            elif row.msgtype in ATTACHMENT_MSGTYPES:
                reason = f"file too large for WeCom ({error.message})"
            else:
                reason = f"too large for WeCom, a splitting bug ({error.message})"
            box.mark_dead(row, reason, now)
            self._dead(row, reason, result)
            if error.kind == "recipient" and row.channel == "app":
                users = answer.failed_users or row.target.split("|")
                self._unreachable(users, f"WeCom cannot deliver to this userid ({error.message})", now, result)
        else:
            # A timed-out app send may have arrived: retry while WeCom's duplicate check still remembers it.
            max_delay = 0.9 * self.duplicate_check_interval if row.channel == "app" else None
            state = box.mark_failed(row, error.message, now, error.retry_after, max_attempts=self.max_attempts,
                                    max_age_hours=self.max_age_hours, max_delay=max_delay, rand=self.rand)
            if state == "dead":
                self._dead(row, row.last_error, result)
            elif state == "failed":
                result.failed += 1
        return True

    def _send(self, row: Outbox) -> SendResult:
        try:
            content = row.body if row.msgtype in ("text", "markdown") else json.loads(row.body)
            if row.msgtype in ATTACHMENT_MSGTYPES and isinstance(content, dict) and "path" in content:
                return self._send_file(row, content)
            return self._post(row, row.msgtype, content)
        except ValueError as exc:  # a row that can never be sent as it is (bad JSON, bad recipients)
            return SendResult(False, None, [], SendError("too_large", None, f"unsendable row: {exc}"))

    def _at_most_once(self, row: Outbox) -> bool:
        """Robots and group chats have no duplicate check (nor has an app message sent without one)."""
        return row.channel != "app" or not self.duplicate_check_interval

    def _post(self, row: Outbox, msgtype: str, content: dict | str) -> SendResult:
        if self._at_most_once(row) and not box.mark_posting(row, _stored(self._now())):
            return SendResult(False, None, [], LAPSED)
        if row.channel == "app":
            return self.sender.send_app(row.target.split("|"), msgtype, content,
                                        duplicate_check_interval=self.duplicate_check_interval)
        if row.channel == "appchat":
            return self.sender.send_appchat(row.target, msgtype, content)
        if row.channel == "webhook":
            return self.sender.send_webhook(row.target, msgtype, content)
        raise ValueError(f"unknown channel {row.channel!r}")

    def _send_file(self, row: Outbox, spec: dict) -> SendResult:
        """A file on disk: sent as WeCom takes it (wecom/attachments.py): a small robot image inline, anything
        else uploaded (by the robot itself for a webhook: only that robot can use the id), then by media_id."""
        path = str(spec["path"])
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            return _unsendable(f"attachment file missing or unreadable: {path} ({exc.strerror or exc})")
        if not data:
            return _unsendable(f"attachment file is empty: {path}")
        image = robot_inline_image(row.channel, row.msgtype, data)
        if image is not None:
            return self._post(row, "image", image)
        msgtype = upload_msgtype(row.channel, row.msgtype)
        media_id = reusable_media_id(spec, msgtype, self._now())
        reused = media_id is not None
        if not reused:
            filename = str(spec.get("filename") or os.path.basename(path))
            upload = self.sender.upload_media(data, filename, msgtype,
                                              webhook_key=row.target if row.channel == "webhook" else None)
            if not upload.ok or not upload.media_id:
                return SendResult(False, None, [], upload.error or SendError("unknown", None, "upload gave no media_id"))
            media_id = upload.media_id
            box.update_body(row, json.dumps(remember_upload(spec, media_id, msgtype, self._now()), ensure_ascii=False))
        answer = self._post(row, msgtype, {"media_id": media_id})
        if reused and upload_forgotten(answer.error):
            box.update_body(row, json.dumps(forget_upload(spec), ensure_ascii=False))  # upload again next try
        return answer

    def _hold(self, row: Outbox, error: SendError, now: dt.datetime, result: FlushResult, blocked: set) -> None:
        """A configuration error: no attempt burnt, the channel (app) or the robot / group waits for the admin."""
        if row.channel == "app":
            scope, what = (row.channel, None), "app messages"
        else:
            scope = (row.channel, row.target)
            what = (f"messages to robot {box.masked_target(row.channel, row.target)}" if row.channel == "webhook"
                    else f"messages to group chat {row.target}")
        blocked.add(scope)
        alert = (f"WeCom refused {what} because of a configuration error ({error.message}); they are held "
                 "until it is fixed: check [wecom] corp_id, secret, agent_id, the app's trusted IPs and "
                 "visible range, robot keys and group chats (`duban wecom check`).")
        log.error("%s", alert)
        result.alerts.append(alert)
        if now - row.created_at >= dt.timedelta(hours=self.max_age_hours):
            reason = f"configuration error for longer than {self.max_age_hours:g} h ({error.message})"
            box.mark_dead(row, reason, now, attempt=False)
            self._dead(row, reason, result)
        else:
            box.release(row, held=error.message)
            result.held += 1

    def _unknown(self, row: Outbox, result: FlushResult) -> None:
        log.error("outbox message %s (%s %s): %s", row.id, row.channel,
                  box.masked_target(row.channel, row.target), row.last_error)
        result.unknown += 1
        result.unknown_rows.append((row.id, row.last_error or ""))

    def _dead(self, row: Outbox, reason: str, result: FlushResult) -> None:
        log.warning("outbox message %s is dead: %s", row.id, reason)
        result.dead += 1
        result.dead_rows.append((row.id, reason))

    def _unreachable(self, users: Sequence[str], reason: str, now: dt.datetime, result: FlushResult) -> None:
        day = store_clock.to_local(now).date().isoformat()
        box.mark_contacts_unreachable(users, f"{reason}, {day}")
        result.unreachable.extend(u for u in users if u not in result.unreachable)
        log.warning("WeCom could not deliver to %d userid(s): %s", len(users), ", ".join(users[:10]))

    # ----- rate limits -----

    def _reserve(self, row: Outbox, t: float) -> ratelimit.Reservation:
        """Take this row's sends from the shared per-minute budgets (`.wait` > 0: one is spent, wait): reserved
        ahead with its batch when that still covers `t`, else now."""
        ahead = self._ahead.pop(row.id, None)
        if ahead is not None and t <= ahead.now_ms / 1000:
            return ahead
        if ahead is not None:
            ratelimit.refund(ahead)  # the batch ran late: its stamp no longer covers this send
        wanted = self._budget_keys(row)
        return ratelimit.reserve(*wanted, t) if wanted else ratelimit.Reservation()

    @staticmethod
    def _budget_keys(row: Outbox) -> tuple[list[str], int] | None:
        if row.channel == "webhook":
            return [ratelimit.robot_key(row.target)], WEBHOOK_PER_MINUTE
        if row.channel == "app":
            return [ratelimit.user_key(u) for u in row.target.split("|") if u], USER_PER_MINUTE
        return None

    def _reserve_ahead(self, rows: Sequence[Outbox], t: float) -> None:
        """Reserve the budgets of the rows about to be sent in one database round (one per send was most of a
        dispatcher's time on PostgreSQL). They cover sends until `t` + AHEAD_SECONDS; a row sent later is
        reserved again on its own (`_reserve`), so a stamp is never earlier than its send."""
        self._refund_ahead()
        limit = max(1, int(self.pacer.per_second * AHEAD_SECONDS))
        chunk = [r for r in rows if self._budget_keys(r)][:limit]
        if chunk:
            budgets = ratelimit.reserve_many([self._budget_keys(r) for r in chunk], t, t + AHEAD_SECONDS)
            self._ahead = {r.id: b for r, b in zip(chunk, budgets, strict=True) if b.wait == 0}

    def _refund_ahead(self) -> None:
        """Give back what was reserved ahead for rows that were not sent (deferred, held, lost)."""
        ahead, self._ahead = self._ahead, {}
        for budget in ahead.values():
            ratelimit.refund(budget)
