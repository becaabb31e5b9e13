"""Commands that record what a unit reports: 进度, 完成, 延期, 撤回, and free text."""

from __future__ import annotations

import datetime as dt

from chat import replies
from chat.context import Context
from chat.parse import NONE, REF_DATE_TEXT, REF_TEXT, Command
from chat.registry import registry
from chat.resolve import Resolved, resolve_item
from store import chatdata
from store.chatdata import ChatDataError, ChatItem

REMINDED_DAYS = 7  # an item reminded about this recently needs attention, whatever its date
PLEASANTRIES = {"你好", "您好", "谢谢", "多谢", "好的", "好", "收到", "嗯", "ok", "okay", "hi", "hello", "在吗", "在"}


def _done_already(ctx: Context, item: ChatItem) -> str:
    return (f"{replies.label(item, ctx.with_code)} {item.unit} 已标记完成，无需再报。"
            f"如标记有误，请在{ctx.undo_minutes}分钟内发送「撤回」，或联系{ctx.admin}。")


def echo_progress(ctx: Context, item: ChatItem, text: str, percent: int | None, lead: str = "已记录：") -> str:
    lines = [f"{lead}{replies.label(item, ctx.with_code)} {item.unit}{replies.percent_text(percent) or ' 进展'}"]
    if text:
        lines.append(f"「{replies.clip(text, replies.QUOTE_CHARS)}」")
    if percent == 100:
        lines.append(f"如已全部完成，请发送「完成 {replies.number(item.seq_label, item.plan_code, ctx.with_code)}」。")
    lines.append(replies.undo_hint(ctx.undo_minutes))
    return "\n".join(lines)


def echo_done(ctx: Context, item: ChatItem, text: str, withdrawn: bool = False) -> str:
    lines = [f"已记录：{replies.label(item, ctx.with_code)} {item.unit} 已完成"]
    if text:
        lines.append(f"说明：「{replies.clip(text, replies.QUOTE_CHARS)}」")
    if withdrawn:
        lines.append("此前的延期申请已自动撤回。")
    lines.append(replies.undo_hint(ctx.undo_minutes))
    return "\n".join(lines)


def echo_extension(ctx: Context, item: ChatItem, extension_id: int | None, new_due: dt.date, reason: str,
                   told: list[str]) -> str:
    old = f"{replies.md(item.due, ctx.today)}→" if item.due else ""
    number = f"（申请编号{extension_id}）" if extension_id else ""
    lines = [f"已提交延期申请{number}：{replies.label(item, ctx.with_code)} {item.unit} "
             f"截止日期{old}{replies.md(new_due, ctx.today)}"]
    if reason:
        lines.append(f"原因：「{replies.clip(reason, replies.QUOTE_CHARS)}」")
    if told:
        lines.append(f"已请{'、'.join(told)}审批，结果会通知您。")
    if item.unit_id in ctx.actor.decide_unit_ids and extension_id:
        lines.append(f"您是本单位领导，可直接发送「批准 {extension_id}」。")
    elif not told:
        lines.append(f"本单位尚未登记领导账号，请联系{ctx.admin}审批。")
    lines.append(replies.undo_hint(ctx.undo_minutes))
    return "\n".join(lines)


def _target(ctx: Context, cmd: Command, usage: str) -> Resolved | str:
    if cmd.ref is None:
        return replies.usage_error(cmd.problem, usage, cmd.word)
    return resolve_item(ctx, cmd)


@registry.command("progress", "进度", "进展", "progress", shape=REF_TEXT, usage="进度 24 已完成初稿 60%",
                  summary="报告进展（百分比可不写）", mutates=True)
def progress(ctx: Context, cmd: Command) -> str:
    found = _target(ctx, cmd, "进度 24 已完成初稿 60%")
    if isinstance(found, str):
        return found
    item, text = found.item, found.text
    if item.state == "done":
        return _done_already(ctx, item)
    if not text and cmd.percent is None:
        return replies.usage_error("", "进度 24 已完成初稿 60%", cmd.word).replace("格式不对", "请写明进展内容")
    chatdata.record_report(item, ctx.actor.contact, "progress", text, cmd.percent, ctx.msgid, ctx.now)
    return echo_progress(ctx, item, text, cmd.percent)


@registry.command("done", "完成", "已完成", "done", "finish", "finished", shape=REF_TEXT, usage="完成 24 已报送",
                  summary="报告完成（说明可不写）", mutates=True)
def done(ctx: Context, cmd: Command) -> str:
    found = _target(ctx, cmd, "完成 24 已报送")
    if isinstance(found, str):
        return found
    item = found.item
    if item.state == "done":
        return _done_already(ctx, item)
    try:
        chatdata.mark_done(item, ctx.actor.contact, found.text, ctx.msgid, ctx.now)
    except ChatDataError as exc:
        if exc.code == "already_done":
            return _done_already(ctx, item)
        raise
    return echo_done(ctx, item, found.text, withdrawn=item.state == "extension_requested")


def notify_deciders(ctx: Context, item: ChatItem, text: str) -> list[str]:
    """Tell the unit's leaders (or who stands in for them); returns their names."""
    leaders = chatdata.unit_contacts(item.unit_id, "leader", ctx.today)
    for leader in leaders:
        ctx.tell(leader.userid, text)
    return [leader.name for leader in leaders if leader.id != ctx.actor.contact.id]


@registry.command("extend", "延期", "申请延期", "extend", shape=REF_DATE_TEXT, usage="延期 24 2019-11-30 原因",
                  summary="申请延期（日期也可写11月30日）", mutates=True)
def extend(ctx: Context, cmd: Command) -> str:
    usage = "延期 24 2019-11-30 原因"
    if cmd.ref is None or cmd.problem in ("no_date", "bad_date"):
        return replies.usage_error(cmd.problem, usage, cmd.word)
    found = resolve_item(ctx, cmd)
    if isinstance(found, str):
        return found
    item, reason, new_due = found.item, found.text, cmd.new_due
    if item.state == "done":
        return _done_already(ctx, item)
    if new_due <= ctx.today:
        return f"新的截止日期（{replies.md(new_due, ctx.today)}）须晚于今天。用法：{usage}"
    if item.due and new_due <= item.due:
        return f"新的截止日期须晚于现在的截止日期（{replies.md(item.due, ctx.today)}）。用法：{usage}"
    if not reason:
        return f"请写明延期原因，领导审批时要看。用法：{usage}"
    request = chatdata.request_extension(item, ctx.actor.contact, new_due, reason, ctx.msgid, ctx.now)
    extension_id = request.extension.id if request.extension else None
    told: list[str] = []
    if request.created:
        who = ctx.actor.contact.name
        old = replies.md(item.due, ctx.today) if item.due else "未定"
        notice = (f"【延期申请#{extension_id}】{item.unit} {who}申请将{replies.label(item, ctx.with_code)}"
                  f"（{replies.short_title(item.subcategory, item.requirement)}）截止日期由{old}延至"
                  f"{replies.md(new_due, ctx.today)}。\n原因：{replies.clip(reason, 200)}\n"
                  f"同意请回复「批准 {extension_id}」，不同意请回复「驳回 {extension_id} 原因」。")
        told = notify_deciders(ctx, item, notice)
    else:
        told = [c.name for c in chatdata.unit_contacts(item.unit_id, "leader", ctx.today)
                if c.id != ctx.actor.contact.id]
    reply = echo_extension(ctx, item, extension_id, new_due, reason, told)
    if request.replaced:
        reply += "\n此前的申请#" + "、#".join(map(str, request.replaced)) + "已作废，以本次为准。"
    return reply


@registry.command("undo", "撤回", "撤销", "undo", shape=NONE, usage="撤回", summary="撤回30分钟内您的上一条记录",
                  mutates=True)
def undo(ctx: Context, cmd: Command) -> str:
    try:
        result = chatdata.undo_last_report(ctx.actor.contact, ctx.now, ctx.undo_minutes, ctx.msgid)
    except ChatDataError as exc:
        return {
            "nothing_to_undo": "您还没有可撤回的记录。",
            "too_late": f"您的上一条记录已超过{ctx.undo_minutes}分钟，不能撤回；如需更正，请联系{ctx.admin}。",
            "extension_decided": "该延期申请已经审批，不能撤回；如需更正，请联系" + ctx.admin + "。",
        }.get(exc.code, "这条消息已处理过。")
    return echo_undo(ctx, result.report, result.reopened, result.withdrawn, notify=result.created)


def echo_undo(ctx: Context, report, reopened: bool, withdrawn: int | None, notify: bool = False) -> str:
    item = chatdata.get_item(report.assignment_id, ctx.today)
    if item is None:
        return "已撤回。"
    what = {"progress": replies.percent_text(report.percent) or "进展", "done": "完成",
            "extension": "延期申请"}.get(report.kind, report.kind)
    when = ctx.local(report.at).strftime("%H:%M")
    lines = [f"已撤回：{replies.label(item, ctx.with_code)} {item.unit} {what.strip()}（{when}的记录）"]
    if reopened:
        lines.append("该项已恢复为未完成。")
    if withdrawn:
        lines.append(f"延期申请#{withdrawn}已撤回。")
        if notify:
            notify_deciders(ctx, item, f"【延期申请#{withdrawn}已撤回】{item.unit} {ctx.actor.contact.name}撤回了"
                                       f"{replies.label(item, ctx.with_code)}的延期申请，无需审批。")
    return "\n".join(lines)


def needs_attention(item: ChatItem, ctx: Context) -> bool:
    """Overdue, due within the digest's due-soon window, or reminded about in the last week."""
    soon = ctx.today + dt.timedelta(days=ctx.config.digest.due_soon_days)
    if item.due is not None and item.due <= soon:
        return True
    return item.reminded_on is not None and item.reminded_on >= ctx.today - dt.timedelta(days=REMINDED_DAYS)


def free_text(ctx: Context, cmd: Command) -> str:
    """A message that is no command: progress on the one item needing attention, else a question."""
    if cmd.ref is not None:  # "#24 已报送" names its item
        return progress(ctx, Command("progress", "进度", cmd.ref, text=cmd.text, percent=cmd.percent))
    if cmd.text.strip(" !！。.~～").lower() in PLEASANTRIES:
        return replies.greeting()
    if ctx.actor.is_leader:
        return "请发送「帮助」查看可用指令，或「汇总」查看进展。"
    items = chatdata.open_items(ctx.actor.unit_ids, ctx.today)
    attention = [i for i in items if needs_attention(i, ctx)]
    if len(attention) == 1 and attention[0].state != "done":
        item = attention[0]
        chatdata.record_report(item, ctx.actor.contact, "progress", cmd.text, cmd.percent, ctx.msgid, ctx.now)
        return echo_progress(ctx, item, cmd.text, cmd.percent, lead="已将这条消息记为进展：")
    if not items:
        return "本单位目前没有未完成的督办事项，这条消息未记录。发送「帮助」查看用法。"
    listed = attention or items
    multi = len(ctx.actor.unit_ids) > 1
    example = replies.number(listed[0].seq_label, listed[0].plan_code, ctx.with_code)
    head = [f"这条消息是哪一项的进展？请按「进度 编号 内容」发送，例如：进度 {example} "
            f"{replies.clip(cmd.text, 10)}",
            "需要关注的事项：" if attention else "未完成事项："]
    lines = [replies.item_line(i, ctx.today, ctx.with_code, multi) for i in listed]
    return replies.fit_lines(head, lines, ["（这条消息尚未记录）"], lambda n: f"…等{n}项，发送「任务」查看全部")
