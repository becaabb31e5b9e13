"""Commands for unit leaders: 批准 / 驳回 an extension request, 汇总.

Who decides: a leader decides the extension requests of their own unit, and of a unit whose leader is away
and named them as delegate. Leaders of other units may not: nothing in the store says one unit's leader
supervises another, and letting them would let any leader move any unit's deadlines. The admin can always
decide from the command line.
"""

from __future__ import annotations

from collections.abc import Callable

from chat import replies
from chat.context import Context
from chat.parse import ID_TEXT, NONE, Command
from chat.registry import registry
from store import chatdata, chatsummary
from store.chatdata import ChatDataError
from store.db import database
from store.models import Extension

STATE_WORDS = {"approved": "已批准", "rejected": "已驳回", "withdrawn": "已由申请人撤回"}


def _pending_lines(ctx: Context) -> list[str]:
    lines = []
    for e in chatsummary.pending_extensions(ctx.actor.decide_unit_ids):
        number = replies.number(e.assignment.task.label, e.assignment.task.plan.code, ctx.with_code)
        lines.append(f"申请#{e.id} 第{number}项 {replies.clip(e.assignment.unit.name, 8)} "
                     f"延至{replies.md(e.new_due, ctx.today)}")
    return lines


def _label(with_code: bool, e: Extension) -> str:
    task = e.assignment.task
    return f"第{replies.number(task.label, task.plan.code, with_code)}项"


def _decide(ctx: Context, cmd: Command, approve: bool) -> str:
    verb = "批准" if approve else "驳回"
    usage = f"{verb} 7" + ("" if approve else " 原因") + "（7为延期申请编号）"
    if cmd.number is None:
        pending = _pending_lines(ctx)
        tail = ("\n待审批：\n" + "\n".join(pending[:10])) if pending else "\n目前没有待您审批的延期申请。"
        return replies.usage_error(cmd.problem, usage, cmd.word) + tail
    extension = chatdata.get_extension(cmd.number)
    if extension is None:
        return f"没有编号为{cmd.number}的延期申请。"
    unit = extension.assignment.unit
    if unit.id not in ctx.actor.decide_unit_ids:
        return f"申请#{extension.id}是{unit.name}的，只能由该单位领导审批；如需协调，请联系{ctx.admin}。"
    try:
        decided = chatdata.decide_extension(extension.id, ctx.actor.contact, approve, cmd.text, ctx.now)
    except ChatDataError as exc:
        if exc.code != "already_decided":
            raise
        current = chatdata.get_extension(extension.id)
        return f"申请#{extension.id}{STATE_WORDS.get(current.state, current.state)}，无需再审批。"
    label = _label(ctx.with_code, decided)
    notice = decision_notice(decided, approve, ctx.actor.contact.name, cmd.text, ctx.today, ctx.with_code)
    told = []
    for person in requesters(decided, ctx.today):
        ctx.tell(person.userid, notice)
        if person.userid != ctx.actor.contact.userid:
            told.append(person.name)
    new_due = replies.md(decided.new_due, ctx.today)
    result = f"已{verb}：申请#{decided.id} {unit.name} {label}" + (f"，截止日期延至{new_due}" if approve else "")
    return result + (f"。已通知{'、'.join(told)}。" if told else "。")


def decision_notice(extension: Extension, approve: bool, decider: str, note: str, today, with_code: bool) -> str:
    """What the liaison who asked is told, whoever decided (a leader in chat or the admin)."""
    unit = extension.assignment.unit
    label = _label(with_code, extension)
    new_due = replies.md(extension.new_due, today)
    if approve:
        return (f"【延期已批准】{unit.name} {label}的截止日期已延至{new_due}（{decider}批准）。"
                + (f"\n意见：{replies.clip(note, 100)}" if note else ""))
    return (f"【延期未批准】{unit.name} {label}申请延至{new_due}未获批准（{decider}）。"
            f"\n原因：{replies.clip(note, 100) or '未说明'}\n请按原截止日期推进。")


def decide_as_admin(extension_id: int, approve: bool, note: str, now, today, with_code: bool,
                    admin: str, enqueue: Callable[[str, str, str, str], object]) -> tuple[Extension, int]:
    """The admin's decision from the command line: the same effect and notice as a leader's in chat.

    One transaction records the decision and puts each notice in the outbox through `enqueue(key, channel,
    userid, text)`, so a decision is never recorded without its notices, nor told twice. Returns the decided
    request and how many people will be told."""
    with database.atomic():
        decided = chatdata.decide_extension(extension_id, f"admin:{admin}", approve, note, now)
        notice = decision_notice(decided, approve, admin, note, today, with_code)
        people = requesters(decided, today)
        for n, person in enumerate(people):
            enqueue(f"extension-decision:{decided.id}:{n}", "app", person.userid, notice)
    return decided, len(people)


def requesters(extension: Extension, today) -> list:
    """Who hears the decision: the liaison who asked, else (gone or inactive) the unit's liaisons today."""
    requester = extension.requested_by if extension.requested_by_id else None
    if requester is not None and requester.active:
        return [requester]
    return chatdata.unit_contacts(extension.assignment.unit_id, "liaison", today)


@registry.command("approve", "批准", "同意", "approve", shape=ID_TEXT, usage="批准 7",
                  summary="（领导）批准延期申请", leader_only=True)
def approve(ctx: Context, cmd: Command) -> str:
    return _decide(ctx, cmd, approve=True)


@registry.command("reject", "驳回", "不同意", "reject", shape=ID_TEXT, usage="驳回 7 原因",
                  summary="（领导）驳回延期申请", leader_only=True)
def reject(ctx: Context, cmd: Command) -> str:
    return _decide(ctx, cmd, approve=False)


def _counts(c: chatsummary.Counts) -> str:
    text = f"完成{c.done}/{c.total}"
    extra = [f"逾期{c.overdue}"] if c.overdue else []
    if c.pending:
        extra.append(f"延期待批{c.pending}")
    return text + ("，" + "，".join(extra) if extra else "")


@registry.command("summary", "汇总", "统计", "summary", shape=NONE, usage="汇总", summary="（领导）查看方案进展",
                  leader_only=True)
def summary(ctx: Context, cmd: Command) -> str:
    plans = chatsummary.plan_summaries(ctx.today, ctx.actor.unit_ids)
    if not plans:
        return "目前没有在办方案。"
    mine = [p for p in plans if p.units] or plans
    lines = [f"【汇总】截至{replies.md(ctx.today)}"]
    for p in mine:
        lines.append(f"方案{p.code}《{replies.clip(p.title, 24)}》{p.tasks}项任务")
        lines.append(f"全部单位：{_counts(p.all)}")
        for unit, counts in p.units.items():
            late = p.overdue_seqs.get(unit, [])
            seqs = "、".join(replies.number(s, p.code, ctx.with_code) for s in late[:8]) + ("等" if len(late) > 8 else "")
            lines.append(f"{unit}：{_counts(counts)}" + (f"（逾期：{seqs}）" if late else ""))
    pending = _pending_lines(ctx)
    if pending:
        lines.append("待您审批（回复「批准 编号」或「驳回 编号 原因」）：")
        return replies.fit_lines(lines, pending, [], lambda n: f"…等{n}项")
    return replies.fit("\n".join(lines))
