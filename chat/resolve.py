"""Which item a number in a message means for this person: never a guess.

A bare number is looked up among the asker's units' items in every active plan. One match is the item;
matches in several plans get a question back (A24 or B24?); matches for several units the asker covers
(a delegate) get a question back too, answered by writing the unit after the number.
"""

from __future__ import annotations

from dataclasses import dataclass

from chat import replies
from chat.context import Context
from chat.parse import Command
from store import chatdata
from store.chatdata import ChatItem
from store.models import Task


@dataclass
class Resolved:
    item: ChatItem
    text: str  # the command's text, without a unit name used to choose between units


def _check_plan(ctx: Context, cmd: Command) -> str | None:
    if cmd.ref and cmd.ref.plan:
        codes = chatdata.active_plan_codes()
        if cmd.ref.plan not in codes:
            return replies.unknown_plan(cmd.ref.plan, codes)
    return None


def resolve_item(ctx: Context, cmd: Command) -> Resolved | str:
    """The asker's item the command names, or the answer to send instead (not found, not theirs, which one?)."""
    problem = _check_plan(ctx, cmd)
    if problem:
        return problem
    ref = cmd.ref
    items = chatdata.items_by_seq(ref.seq, ctx.actor.unit_ids, ctx.today, ref.plan, ref.sub or None)
    if not items:
        if chatdata.tasks_by_seq(ref.seq, ref.plan, ref.sub or None):
            units = [ctx.actor.unit_names[u] for u in ctx.actor.unit_ids]
            return replies.not_yours(str(ref), units, ctx.admin)
        return replies.no_such_task(str(ref))
    codes = sorted({i.plan_code for i in items})
    if len(codes) > 1:
        return replies.ambiguous_plans(ref.seq, chatdata.plan_titles(codes), cmd.word or "进度")
    if len(items) == 1:
        return Resolved(items[0], cmd.text)
    rows = sorted({i.seq_label for i in items}, key=lambda label: int(label.partition("-")[2] or 0))
    if len(rows) > 1:  # task 4 was split into 4-1, 4-2 under one merged 序号
        return replies.ambiguous_rows(str(ref), rows, cmd.word or "进度")
    for item in items:  # a delegate covering two units that both have this task
        if cmd.text.startswith(item.unit):
            return Resolved(item, cmd.text[len(item.unit):].strip(" ：:，,"))
    word = cmd.word or "进度"
    return replies.ambiguous_units(replies.label(items[0], ctx.with_code), [i.unit for i in items],
                                   f"{word} {ref} {items[-1].unit} …")


def resolve_task(ctx: Context, cmd: Command) -> Task | str:
    """The task a 详情 asks about: any active plan's task; with a bare number in several plans, the asker's one."""
    problem = _check_plan(ctx, cmd)
    if problem:
        return problem
    ref = cmd.ref
    tasks = chatdata.tasks_by_seq(ref.seq, ref.plan, ref.sub or None)
    if not tasks:
        return replies.no_such_task(str(ref))
    if len(tasks) == 1:
        return tasks[0]
    if len({t.plan.code for t in tasks}) == 1:  # one plan's 4-1, 4-2
        return replies.ambiguous_rows(str(ref), [t.label for t in tasks], cmd.word or "详情")
    mine = {i.plan_code for i in chatdata.items_by_seq(ref.seq, ctx.actor.unit_ids, ctx.today)}
    if len(mine) == 1:
        return next(t for t in tasks if t.plan.code in mine)
    codes = [t.plan.code for t in tasks if not mine or t.plan.code in mine]
    return replies.ambiguous_plans(ref.seq, chatdata.plan_titles(codes), cmd.word or "详情")
