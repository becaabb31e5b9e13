"""The wording of the weekly digest in WeCom markdown, and its packing into parts that fit a channel.

WeCom's markdown subset: `#` headings, **bold**, <font color="info|comment|warning">. No tables and no
list markup, so every item is a plain line, and every line closes what it opens: parts are cut between
lines only, and a section cut in two repeats its heading with 「（续）」 in the next part.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from jobs.words import md, short_title
from store.clock import clock
from store.digest_data import REPLY_WINDOW_WORKING_DAYS, PlanFigures
from wecom.shaping import inert, part_marker, split_message, utf8_len

MAX_OVERDUE_UNITS = 30  # lines in the overdue section; the rest is counted, the 台账 has them all
MAX_ITEMS_PER_UNIT = 3
MAX_TASK_LINES = 12  # due soon, completed
MAX_SILENT_UNITS = 20
MAX_NAMES = 20  # units named on one line
TITLE_CHARS = 12


@dataclass
class Section:
    heading: str | None  # None: the plan's headline block
    lines: list[str]


def warn(text: str) -> str:
    return f'<font color="warning">{text}</font>'


def info(text: str) -> str:
    return f'<font color="info">{text}</font>'


def comment(text: str) -> str:
    return f'<font color="comment">{text}</font>'


def _clean(text: str) -> str:
    # Markdown, tags or links in a task's or unit's own text would be acted on: the digest quotes it inert.
    return inert(text)


def title(seq: int, subcategory: str, requirement: str) -> str:
    return f"第{seq}项 {short_title(_clean(subcategory), _clean(requirement), TITLE_CHARS)}"


def names(units: list[str], limit: int = MAX_NAMES) -> str:
    shown = "、".join(_clean(u) for u in units[:limit])
    return shown + (f"等{len(units)}个单位" if len(units) > limit else "")


def late_words(working_days: int, days: int) -> str:
    return f"逾期{working_days}个工作日" if working_days > 0 else f"逾期{days}天"


def headline(fig: PlanFigures) -> Section:
    overdue = warn(f"逾期{fig.tasks_overdue}项") if fig.tasks_overdue else "无逾期"
    first = (f"**{_clean(fig.title)}** 截至{md(fig.today)}：{fig.tasks}项任务，完成{fig.tasks_done}项，{overdue}，"
             f"{fig.due_soon_days}天内到期{fig.tasks_due_soon}项")
    second = comment(f"按单位计{fig.assignments}项分工：完成{fig.done}项，进行中{fig.on_track}项"
                     f"（其中{fig.due_soon}项{fig.due_soon_days}天内到期），逾期{fig.overdue}项")
    lines = [first, second]
    if fig.with_evidence or fig.done:
        trust = f"，{warn(f'已完成但无佐证材料{fig.done_without_evidence}项')}" if fig.done_without_evidence else ""
        lines.append(comment(f"有佐证材料{fig.with_evidence}项") + trust)
    return Section(None, lines)


def plan_sections(fig: PlanFigures, last_digest: dt.datetime | None) -> list[Section]:
    """The headline, then overdue by unit, due soon, done since the last digest, silent units, 无联络员."""
    sections = [headline(fig)]
    if fig.overdue_by_unit:
        lines = []
        for unit in fig.overdue_by_unit[:MAX_OVERDUE_UNITS]:
            items = "；".join(f"{title(i.seq, i.subcategory, i.requirement)}（{late_words(i.working_days, i.days)}）"
                             for i in unit.items[:MAX_ITEMS_PER_UNIT])
            more = f"等{len(unit.items)}项" if len(unit.items) > MAX_ITEMS_PER_UNIT else ""
            lines.append(f"**{_clean(unit.unit)}** {warn(f'逾期{len(unit.items)}项')}：{items}{more}")
        rest = fig.overdue_by_unit[MAX_OVERDUE_UNITS:]
        if rest:
            lines.append(comment(f"……另有{len(rest)}个单位共{sum(len(u.items) for u in rest)}项逾期，详见台账"))
        sections.append(Section("### 逾期事项（按单位，逾期最久在前）", lines))
    if fig.due_soon_tasks:
        lines = [f"{title(t.seq, t.subcategory, t.requirement)} {md(t.due)}到期：{names(t.units, 6)}"
                 for t in fig.due_soon_tasks[:MAX_TASK_LINES]]
        if len(fig.due_soon_tasks) > MAX_TASK_LINES:
            lines.append(comment(f"……另有{len(fig.due_soon_tasks) - MAX_TASK_LINES}项"))
        sections.append(Section(f"### {fig.due_soon_days}天内到期", lines))
    if fig.completed_since:
        by_task: dict[int, list] = defaultdict(list)
        for c in fig.completed_since:
            by_task[c.seq].append(c)
        lines = []
        for group in list(by_task.values())[:MAX_TASK_LINES]:
            first = group[0]
            trust = comment("（无佐证材料）") if any(not c.evidence for c in group) else ""
            lines.append(f"{info(title(first.seq, first.subcategory, first.requirement))}："
                         f"{names([c.unit for c in group], 6)}（{md(clock.to_local(group[-1].done_at).date())}）"
                         f"{trust}")
        if len(by_task) > MAX_TASK_LINES:
            lines.append(comment(f"……另有{len(by_task) - MAX_TASK_LINES}项"))
        since = f"上次周报（{md(clock.to_local(last_digest).date())}）以来完成" if last_digest else "近7天完成"
        sections.append(Section(f"### {since}", lines))
    if fig.silent_units:
        lines = [f"**{_clean(s.unit)}**：{s.reminders}条提醒超过{REPLY_WINDOW_WORKING_DAYS}个工作日未回复"
                 f"（最早{md(s.oldest)}，涉及第{'、'.join(map(str, s.seqs[:8]))}{'等' if len(s.seqs) > 8 else ''}项）"
                 for s in fig.silent_units[:MAX_SILENT_UNITS]]
        if len(fig.silent_units) > MAX_SILENT_UNITS:
            lines.append(comment(f"……另有{len(fig.silent_units) - MAX_SILENT_UNITS}个单位"))
        sections.append(Section("### 未回复提醒的单位", lines))
    if fig.no_contact_units:
        sections.append(Section("### 无联络员", [
            names(fig.no_contact_units) + comment("（有未完成事项，但无人可提醒，请补充联络员）")]))
    if fig.unreported_this_month:
        total = sum(u.count for u in fig.unreported_this_month)
        shown = "、".join(f"{_clean(u.unit)}{u.count}项" for u in fig.unreported_this_month[:10])
        more = f"等{len(fig.unreported_this_month)}个单位" if len(fig.unreported_this_month) > 10 else ""
        sections.append(Section("### 全年及长期工作本月未报进展", [comment(f"共{total}项：{shown}{more}")]))
    return sections


def unknown_delivery_section(count: int) -> list[Section]:
    """One line when earlier messages to this group may not have arrived (see `duban outbox list --state
    unknown`): they were not posted again, lest the group get them twice."""
    if not count:
        return []
    return [Section(None, [comment(f"注：此前有{count}条消息因网络超时未能确认送达本群，为免重复未自动重发；"
                                   "如有缺漏，请联系管理员补发。")])]


def board_link_section(url: str) -> Section:
    """The signed link to the status board's overview, last in the digest (it expires: [web] link_hours)."""
    return Section(None, [f"[打开督办看板，查看全部情况]({url})"])


def pack(sections: list[Section], limit: int) -> list[str]:
    """Parts of at most `limit` UTF-8 bytes, cut between lines, numbered 「（i/n）」 when more than one."""
    budget = limit - utf8_len(part_marker(999, 999))
    parts: list[list[str]] = [[]]

    def fits(lines: list[str]) -> bool:
        return utf8_len("\n".join(lines)) <= budget

    for n, section in enumerate(sections):
        spacer = [""] if n else []
        block = spacer + ([section.heading] if section.heading else []) + section.lines
        if fits(parts[-1] + block):
            parts[-1].extend(block)
            continue
        if parts[-1] and fits(block[len(spacer):]):
            parts.append(block[len(spacer):])
            continue
        again = [f"{section.heading}（续）"] if section.heading else []
        room = budget - utf8_len("\n".join(again)) - 1
        for k, line in enumerate(block):
            for piece in (split_message(line, room, number_parts=False) if utf8_len(line) > room else [line]):
                if fits(parts[-1] + [piece]):
                    parts[-1].append(piece)
                else:
                    starts_section = k <= len(spacer) and section.heading is not None
                    parts.append(([] if starts_section else list(again)) + ([piece] if piece else []))
    texts = ["\n".join(p).strip("\n") for p in parts if any(line for line in p)]
    if len(texts) <= 1:
        return texts
    return [part_marker(i, len(texts)) + t for i, t in enumerate(texts, start=1)]
