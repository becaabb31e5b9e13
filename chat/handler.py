"""The entry point: one incoming chat message → the answer, and messages for other people.

Order of checks: the sender must be an active contact; then the per-user rate limit (counted from the
Inbox rows the callback layer writes before calling here); then a MsgId that already recorded a report
gets that report repeated back instead of recording again; then the command runs. Nothing here raises:
an unexpected error is logged and answered with an apology naming the admin contact.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# Importing the command modules registers their commands.
from chat import actions, commands, evidence, leaders, replies  # noqa: F401
from chat.context import Context
from chat.parse import EMPTY, FREE, Command, parse
from chat.quick import RateWindow
from chat.registry import registry
from store import cardstate, chatdata
from store.config import Config
from store.inbox import just_recorded
from store.models import Report

log = logging.getLogger("duban.chat")


@dataclass
class ChatResult:
    reply: str  # the answer to the sender, ≤ 2048 UTF-8 bytes
    notify: list[tuple[str, str]] = field(default_factory=list)  # (userid, text) to send to other people


def _naive_utc(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is not None:
        return now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return now


def _repeat(ctx: Context, report: Report, cmd: Command) -> str:
    """The answer to a message whose MsgId already recorded `report` (WeCom retried, or the user resent)."""
    if report.kind == "undo":
        target = chatdata.undone_target(report)
        return actions.echo_undo(ctx, target, False, None) if target else "已撤回。"
    item = chatdata.get_item(report.assignment_id, ctx.today)
    if item is None:
        return "这条消息已记录。"
    if report.kind == "done":
        return actions.echo_done(ctx, item, report.text)
    if report.kind == "extension":
        extension = chatdata.extension_of_report(report)
        if extension is not None:
            told = [c.name for c in chatdata.unit_contacts(item.unit_id, "leader", ctx.today)]
            return actions.echo_extension(ctx, item, extension.id, extension.new_due, extension.reason, told)
    lead = "已将这条消息记为进展：" if cmd.name == FREE and cmd.ref is None else "已记录："
    return actions.echo_progress(ctx, item, report.text, report.percent, lead=lead)


def _run(ctx: Context, cmd: Command) -> str:
    if cmd.name == EMPTY:
        return replies.empty()
    if cmd.name == FREE and cmd.ref is not None and not cmd.text:  # only an item number: show that item
        return registry.get("show").handler(ctx, Command("show", "详情", cmd.ref))
    if cmd.name == FREE:
        return actions.free_text(ctx, cmd)
    spec = registry.get(cmd.name)
    if spec.leader_only and not ctx.actor.is_leader:
        return replies.leader_only(spec.words[0])
    return spec.handler(ctx, cmd)


def handle(userid: str, text: str, *, msgid: str | None, now: dt.datetime, config: Config,
           rate: RateWindow | None = None) -> ChatResult:
    """Answer one message from `userid`; `now` is UTC (aware, or naive as stored). Never raises.

    Logs one INFO line per request: who, which command (never the text), the outcome and the time taken.
    The rate limit is counted in `rate` when given (the callback server's memory), else from the inbox."""
    started = time.perf_counter()
    result, command, outcome = _handle(userid, text, msgid=msgid, now=now, config=config, rate=rate)
    log.info("chat request from %s: command=%s outcome=%s %.0f ms", userid, command, outcome,
             (time.perf_counter() - started) * 1000)
    return result


def _handle(userid: str, text: str, *, msgid: str | None, now: dt.datetime,
            config: Config, rate: RateWindow | None) -> tuple[ChatResult, str, str]:
    admin = config.chat.admin_contact
    command = "-"
    try:
        now = _naive_utc(now)
        today = now.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(config.timezone)).date()
        actor = chatdata.find_actor(userid or "", today)
        if actor is None:
            return ChatResult(replies.not_a_contact(admin)), command, "not_a_contact"
        limit = config.chat.commands_per_minute
        if (not rate.admit(actor.contact.userid, limit) if rate is not None
                else chatdata.recent_command_count(actor.contact.userid, now) > limit):
            return ChatResult(replies.rate_limited(limit)), command, "rate_limited"
        ctx = Context(actor, now, today, config, msgid or None)
        cmd = parse(text, registry.grammar(), today)
        if cmd.name in (FREE, EMPTY):
            prompt = cardstate.current_prompt(actor.contact.userid, now)
            if prompt is not None:  # duban asked for this (报进度 on a card, which item a file is for …)
                answer, rewritten = evidence.answer_prompt(ctx, prompt, text)
                if answer:
                    return ChatResult(replies.fit(answer)), "prompt", "answered"
                if rewritten:
                    cmd = parse(rewritten, registry.grammar(), today)
        command = cmd.name
        spec = registry.get(cmd.name)
        # A message the inbox has just recorded as new cannot have a report yet: no look-up for it.
        looks = (cmd.name == FREE or (spec and spec.mutates)) and not just_recorded(ctx.msgid)
        previous = chatdata.report_by_msgid(ctx.msgid) if looks else None
        reply = _repeat(ctx, previous, cmd) if previous is not None else _run(ctx, cmd)
        outcome = "repeat" if previous is not None else "answered"
        return ChatResult(replies.fit(reply), [(u, replies.fit(t)) for u, t in ctx.notify]), command, outcome
    except Exception:
        log.exception("chat: could not handle message %s from %s", msgid, userid)
        return ChatResult(replies.internal_error(admin)), command, "error"


def handle_message(userid: str, text: str, *, msgid: str | None, now: dt.datetime, config: Config) -> str:
    """Just the answer to the sender (see `handle` for the messages to others)."""
    return handle(userid, text, msgid=msgid, now=now, config=config).reply
