"""The wording of chat answers: short simplified Chinese, one WeCom text message (≤ 2048 UTF-8 bytes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from store.chatdata import ChatItem
from store.models import ROLE_LABELS
from wecom.limits import APP_TEXT_LIMIT  # a table of numbers, no WeCom code
from wecom.shaping import inert

MAX_BYTES = APP_TEXT_LIMIT  # an answer is one WeCom text message
TITLE_CHARS = 12
QUOTE_CHARS = 40


def nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


def clip(text: str, limit: int) -> str:
    """Quoted text, at most `limit` characters: inert (no link, tag, mention or markdown survives)."""
    return inert(text, limit)


def fit(text: str, limit: int = MAX_BYTES) -> str:
    """Never more than `limit` bytes: whole lines while they fit, never a broken character."""
    if nbytes(text) <= limit:
        return text
    tail = "…（内容过长，已截断）"
    budget = limit - nbytes(tail) - 1
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        size = nbytes(line) + 1
        if used + size > budget:
            if not kept:  # one enormous line: cut it by characters
                kept.append(line.encode("utf-8")[:budget].decode("utf-8", "ignore"))
            break
        kept.append(line)
        used += size
    return "\n".join(kept) + "\n" + tail


def fit_lines(head: Sequence[str], lines: Sequence[str], foot: Sequence[str],
              more: Callable[[int], str], limit: int = MAX_BYTES) -> str:
    """Head, as many list lines as fit, a "…等N项" line for the rest, then foot (dropped first when short of room)."""
    fixed = nbytes("\n".join(head)) + 1
    shown: list[str] = []
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        reserve = (nbytes(more(rest)) + 1) if rest else 0
        if fixed + nbytes("\n".join(shown + [line])) + 1 + reserve > limit:
            break
        shown.append(line)
    out = list(head) + shown
    if len(shown) < len(lines):
        out.append(more(len(lines) - len(shown)))
    for line in foot:
        if nbytes("\n".join(out + [line])) <= limit:
            out.append(line)
    return fit("\n".join(out), limit)


# --- numbers, dates, items ------------------------------------------------------------------------------------


def number(seq: int | str, plan_code: str, with_code: bool) -> str:
    return f"{plan_code}{seq}" if with_code else str(seq)


def label(item: ChatItem, with_code: bool) -> str:
    return f"第{number(item.seq_label, item.plan_code, with_code)}项"


def ago(at: dt.datetime, now: dt.datetime, local_at: dt.datetime) -> str:
    """When something was recorded, as a phone reader takes it in: 「3天前」「2小时前」 within a week, else 10-15.
    `at` and `now` are stored (naive UTC) times; `local_at` is `at` in the office's timezone."""
    if dt.timedelta(0) <= now - at < dt.timedelta(days=7):
        import arrow  # only 详情 needs it; kept off the import path of every other command

        return arrow.get(at).humanize(arrow.get(now), locale="zh")
    return local_at.strftime("%m-%d")


def md(day: dt.date, today: dt.date | None = None) -> str:
    if today is not None and day.year != today.year:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.month}月{day.day}日"


def short_title(subcategory: str, requirement: str, limit: int = TITLE_CHARS) -> str:
    """What a person recognises a task by: its sub-category, else the start of the requirement."""
    return clip((subcategory or requirement or "").replace("\n", ""), limit)


def due_tail(item: ChatItem, today: dt.date) -> str:
    """截止10月31日（剩3天） / 今天截止 / 逾期5天 / 全年工作… / 长期工作."""
    due = item.due
    if due is None:
        return "长期工作" if item.due_kind == "ongoing" else "未定截止日期"
    days = (due - today).days
    if item.due_kind == "recurring" and days >= 0:
        cadence = "每季度" if item.recurrence == "quarterly" else "每月"
        return f"{cadence}报送，本期{md(due, today)}"
    prefix = {"override": "延期至", "year_round": "全年工作，"}.get(item.due_kind, "截止")
    if days < 0:
        text = f"逾期{-days}天（{prefix}{md(due, today)}）" if item.due_kind == "override" else f"逾期{-days}天"
    elif days == 0:
        text = "今天截止"
    else:
        text = f"{prefix}{md(due, today)}（剩{days}天）"
    if item.state == "extension_requested":
        text += "，延期审批中"
    return text


def item_line(item: ChatItem, today: dt.date, with_code: bool, show_unit: bool = False) -> str:
    role = "" if item.role in ("lead", "responsible") else f"（{ROLE_LABELS.get(item.role, item.role)}）"
    unit = f"（{clip(item.unit, 6)}）" if show_unit else ""
    title = short_title(item.subcategory, item.requirement)
    return f"[{number(item.seq_label, item.plan_code, with_code)}]{unit} {title}{role} {due_tail(item, today)}"


def percent_text(percent: int | None) -> str:
    return f" 进度{percent}%" if percent is not None else ""


def undo_hint(minutes: int) -> str:
    return f"如有误，{minutes}分钟内发送「撤回」可撤销。"


# --- fixed answers --------------------------------------------------------------------------------------------


def not_a_contact(admin: str) -> str:
    return f"您好！您还没有登记为督办联络人，暂时无法使用本助手。如需开通，请联系{admin}。"


def rate_limited(limit: int) -> str:
    return f"您发送得太快了（每分钟最多{limit}条），本条未处理，请稍等一分钟再发。"


def internal_error(admin: str) -> str:
    return f"抱歉，系统暂时出了点问题，本条消息可能没有记录成功。请稍后再试；如急需处理，请联系{admin}。"


def empty() -> str:
    return "请发送「帮助」查看可用指令，或发送「任务」查看本单位未完成事项。"


def leader_only(word: str) -> str:
    return f"「{word}」仅限单位领导使用。发送「帮助」查看您可用的指令。"


def greeting() -> str:
    return "您好！需要报告进展请发送「进度 编号 内容」，报告完成请发送「完成 编号」，发送「帮助」查看全部用法。"


def unknown_plan(code: str, codes: Sequence[str]) -> str:
    known = "、".join(codes) or "无"
    return f"没有代码为 {code} 的在办方案（在办方案：{known}）。"


def no_such_task(ref: str) -> str:
    return f"在办方案中没有第{ref}项，请发送「任务」查看本单位事项的编号。"


def not_yours(ref: str, units: Sequence[str], admin: str) -> str:
    return (f"第{ref}项不是{'、'.join(units)}承担的工作，不能由您报告。"
            f"如分工有误，请联系{admin}。")


def ambiguous_plans(seq: int, choices: Sequence[tuple[str, str]], example_word: str) -> str:
    """`choices`: (code, plan title) pairs."""
    lines = [f"第{seq}项在多个在办方案中都有，请在编号前加方案代码："]
    lines += [f"{code}{seq}：{clip(title, 20)}" for code, title in choices]
    lines.append(f"例如：{example_word} {choices[0][0]}{seq}")
    return "\n".join(lines)


def ambiguous_rows(ref: str, labels: Sequence[str], word: str) -> str:
    """Task 4 is split into 4-1, 4-2 …: say which."""
    return f"第{ref}项分为{'、'.join(labels)}，请写明是哪一项，例如「{word} {labels[0]}」。"


def ambiguous_units(label_text: str, units: Sequence[str], example: str) -> str:
    return (f"{label_text}您负责的{'、'.join(units)}都有，请在编号后写明单位，例如：{example}")


def usage_error(problem: str | None, usage: str, word: str) -> str:
    what = {
        "no_ref": "请写明事项编号",
        "bad_ref": "事项编号看不懂",
        "no_date": "请写明新的截止日期",
        "bad_date": "这个日期不存在",
        "no_number": "请写明延期申请的编号",
    }.get(problem or "", "格式不对")
    return f"{what}。用法：{usage}" + ("（编号即「任务」列表中方括号里的数字）" if problem == "no_ref" else "")
