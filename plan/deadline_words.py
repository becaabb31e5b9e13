"""Short Chinese wording of a Deadline for chat messages and reminders (pure)."""

from __future__ import annotations

import calendar

from plan.model import Deadline

__all__ = ["describe_deadline"]

_QUARTER_NAMES = {3: "一", 6: "二", 9: "三", 12: "四"}
_TENDAY_NAMES = {10: "上旬", 20: "中旬"}


def _day_text(d: Deadline) -> str:
    assert d.due is not None
    prefix = f"{d.due.year}年" if d.explicit_year else ""
    return f"{prefix}{d.due.month}月{d.due.day}日"


def describe_deadline(d: Deadline) -> str:
    """Short Chinese wording for chat messages: '10月31日', '全年（每月报进度）', '长期', '每月25日前'."""
    try:
        if d.kind == "fixed" and d.due is not None:
            day = _day_text(d)
            if d.precision == "tenday":
                last = calendar.monthrange(d.due.year, d.due.month)[1]
                name = "下旬" if d.due.day == last else _TENDAY_NAMES.get(d.due.day)
                year = f"{d.due.year}年" if d.explicit_year else ""
                return f"{year}{d.due.month}月{name}（{d.due.month}月{d.due.day}日）" if name else day
            if d.precision == "quarter":
                return f"第{_QUARTER_NAMES.get(d.due.month, '')}季度末（{day}）"
            if d.precision == "half":
                return f"{'上' if d.due.month == 6 else '下'}半年（{day}）"
            if d.precision == "year":
                return f"年底（{day}）"
            return day
        if d.kind == "year_round":
            return "全年（每月报进度）"
        if d.kind == "ongoing":
            return "长期"
        if d.kind == "recurring":
            if d.recurrence == "monthly":
                return f"每月{d.day_of_period}日前" if d.day_of_period else "每月月底前"
            if d.recurrence == "quarterly":
                return "每季度末"
            if d.recurrence == "yearly" and d.due is not None and d.precision != "year":
                return f"每年{d.due.month}月{d.due.day}日前"
            return d.raw or "每年"
        return f"{d.raw}（未能识别）" if d.raw else "未能识别"
    except Exception:  # noqa: BLE001 - a hand-built Deadline must still describe itself
        return d.raw if isinstance(getattr(d, "raw", None), str) else "未能识别"
