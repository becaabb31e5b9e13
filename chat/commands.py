"""Commands that only read: 帮助, 任务, 详情."""

from __future__ import annotations

import functools
from collections import defaultdict

from chat import replies
from chat.context import Context
from chat.parse import NONE, PAGE, REF, Command
from chat.registry import registry
from chat.resolve import resolve_task
from store import chatdata
from store.models import ROLE_LABELS, ROLES

HELP_ORDER = ["tasks", "show", "progress", "done", "extend", "undo", "approve", "reject", "summary"]
PAGE_SIZE = 12  # lines of the 任务 list per message; each line stays under ~150 bytes
REQUIREMENT_CHARS = 160
REPORT_KINDS = {"progress": "进度", "done": "完成", "extension": "申请延期", "reopen": "重新打开", "admin": "办公室记录"}
EXTENSION_STATES = {"pending": "待审批", "approved": "已批准", "rejected": "未批准", "withdrawn": "已撤回"}


@registry.command("help", "帮助", "菜单", "help", "?", shape=NONE, usage="帮助", summary="查看本说明")
def show_help(ctx: Context, cmd: Command) -> str:
    return help_text(ctx.actor.is_leader, ctx.admin)


@functools.lru_cache(maxsize=16)
def help_text(is_leader: bool, admin: str) -> str:
    """The 帮助 answer: the same for everyone of a role, so worked out once (commands are registered at import)."""
    lines = ["督办助手指令（编号见「任务」列表方括号内）："]
    specs = sorted(registry.specs(), key=lambda s: HELP_ORDER.index(s.name) if s.name in HELP_ORDER else 99)
    for spec in specs:
        if spec.name == "help" or (spec.leader_only and not is_leader):
            continue
        lines.append(f"{spec.usage} —— {spec.summary}")
    lines.append("直接发文字：本单位只有一项需关注的工作时，记为它的进展。")
    # No plan-code line here: it would cost a query on every 帮助. With several plans, 「任务」 shows the
    # numbers with their codes (A24) and an ambiguous number is answered with the choices.
    lines.append(f"指令中的数字、符号全角半角均可。如有疑问请联系{admin}。")
    return "\n".join(lines)


@registry.command("tasks", "任务", "我的任务", "任务列表", "任务清单", "待办", "tasks", "list", shape=PAGE,
                  usage="任务", summary="本单位未完成事项，最急的在前")
def list_tasks(ctx: Context, cmd: Command) -> str:
    actor = ctx.actor
    units = "、".join(actor.unit_names[u] for u in actor.unit_ids)
    items = chatdata.open_items(actor.unit_ids, ctx.today)
    if not items:
        return f"{units}目前没有未完成的督办事项。"
    pages = (len(items) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(cmd.number or 1, 1), pages)
    shown = items[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    overdue = sum(1 for i in items if i.due is not None and i.due < ctx.today)
    head = f"{units}未完成事项{len(items)}项" + (f"（逾期{overdue}项）" if overdue else "") + "，最急的在前："
    if pages > 1:
        head += f"（第{page}/{pages}页）"
    lines = [replies.item_line(i, ctx.today, ctx.with_code, show_unit=len(actor.unit_ids) > 1) for i in shown]
    rest = len(items) - page * PAGE_SIZE
    foot = []
    if rest > 0:
        foot.append(f"…等{rest}项，发送「任务 {page + 1}」查看下一页")
    foot.append("发送「详情 编号」看要求，「完成 编号」报完成。")
    return replies.fit_lines([head], lines, foot, lambda n: f"…等{n}项未列出")


def _units_by_role(view: chatdata.TaskView) -> str:
    by_role: dict[str, list[str]] = defaultdict(list)
    for a in view.assignments:
        by_role[a.role].append(a.unit.name)
    parts = []
    for role in sorted(by_role, key=lambda r: ROLES.index(r) if r in ROLES else 9):
        names = by_role[role]
        shown = "、".join(names[:5]) + (f"等{len(names)}个单位" if len(names) > 5 else "")
        parts.append(f"{shown}（{ROLE_LABELS.get(role, role)}）")
    return "；".join(parts) or "（未分配）"


@registry.command("show", "详情", "查看", "show", "detail", "info", shape=REF, usage="详情 24",
                  summary="查看一项的要求、单位、时限和记录")
def show_task(ctx: Context, cmd: Command) -> str:
    if cmd.ref is None:
        return replies.usage_error(cmd.problem, "详情 24", cmd.word)
    task = resolve_task(ctx, cmd)
    if isinstance(task, str):
        return task
    view = chatdata.task_view(task.id)
    code = view.plan_code if ctx.with_code or len(chatdata.active_plan_codes()) > 1 else ""
    heading = " / ".join(x for x in (task.category, task.subcategory) if x)
    lines = [f"【第{code}{task.label}项】{replies.clip(heading, 30)}",
             f"要求：{replies.clip(task.requirement, REQUIREMENT_CHARS)}",
             f"单位：{_units_by_role(view)}"]
    dated = [f"{d.raw or '—'}（{replies.md(d.due, ctx.today)}）" if d.due else (d.raw or "—") for d in view.deadlines]
    lines.append("时限：" + ("；".join(dated) if dated else replies.clip(task.deadline_raw, 30) or "未写明"))
    for item in chatdata.items_by_seq(task.seq, ctx.actor.unit_ids, ctx.today, view.plan_code, task.sub):
        state = "已完成" if item.state == "done" else replies.due_tail(item, ctx.today)
        lines.append(f"本单位：{item.unit} {state}")
    if view.reports:
        lines.append(f"记录（共{view.report_count}条，最近{len(view.reports)}条）：")
        for r in view.reports:
            when = replies.ago(r.at, ctx.now, ctx.local(r.at))
            kind = REPORT_KINDS.get(r.kind, r.kind)
            percent = f"{r.percent}%" if r.percent is not None else ""
            undone = "（已撤回）" if r.undone else ""
            lines.append(f"{when} {replies.clip(r.assignment.unit.name, 8)} {kind}{percent} "
                         f"{replies.clip(r.text, 30)}{undone}")
    else:
        lines.append("记录：暂无")
    for e in view.extensions:
        lines.append(f"延期申请#{e.id} {replies.clip(e.assignment.unit.name, 8)} 延至{replies.md(e.new_due, ctx.today)}"
                     f"（{EXTENSION_STATES.get(e.state, e.state)}）")
    lines += evidence_lines(ctx, view)
    return replies.fit("\n".join(lines))


def evidence_lines(ctx: Context, view: chatdata.TaskView, shown: int = 5) -> list[str]:
    """佐证材料 of a task: how many, and the latest few (unit, file name, sender, time)."""
    from store.evidence import evidence_for_task

    files = evidence_for_task(view.task.id)
    if not files:
        return ["佐证材料：暂无"]
    units = {a.id: a.unit.name for a in view.assignments}
    lines = [f"佐证材料（共{len(files)}份）："]
    for e in sorted(files, key=lambda f: f.sent_at)[-shown:]:
        when = ctx.local(e.sent_at).strftime("%m-%d %H:%M")
        lines.append(f"{when} {replies.clip(units.get(e.assignment_id, ''), 8)} 《{replies.clip(e.filename, 24)}》"
                     f" {e.sender_name}")
    return lines
