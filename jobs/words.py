"""Small pieces of Chinese wording shared by reminders, digests and the 台账."""

from __future__ import annotations

import datetime as dt


def md(day: dt.date) -> str:
    """10月31日"""
    return f"{day.month}月{day.day}日"


def short_title(subcategory: str, requirement: str, limit: int = 12) -> str:
    """What a person recognises a task by: its sub-category (推进重要决策公开), else the requirement's start."""
    text = (subcategory or requirement).replace("\n", "").strip()
    return text if len(text) <= limit else text[:limit] + "…"
