"""The unit scorecard: how each unit kept its deadlines and answered reminders in a period.

The rules, written for units to check their own score, are in docs/scorecard.md; keep the two in step.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from store.digest_data import (
    REPLY_WINDOW_WORKING_DAYS,
    Fact,
    WorkingDays,
    calendar_days,
    load_facts,
    load_reminders,
    local_date,
)


@dataclass
class UnitScore:
    unit: str
    due: int = 0  # items due in the period and already decided (done, or past their due date)
    on_time: int = 0  # of those, done on or before the due date
    overdue_item_days: int = 0  # days in the period an item spent overdue, summed over items
    reminders: int = 0  # reminders sent in the period and already decided (answered, or past the window)
    answered_in_time: int = 0  # of those, answered within REPLY_WINDOW_WORKING_DAYS working days
    replies: int = 0  # reminders of the period that got an answer at all
    median_reply_hours: float | None = None  # median time from a reminder to its first answer

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def answer_rate(self) -> float | None:
        return self.answered_in_time / self.reminders if self.reminders else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["on_time_rate"] = None if self.on_time_rate is None else round(self.on_time_rate, 4)
        data["answer_rate"] = None if self.answer_rate is None else round(self.answer_rate, 4)
        return data


def scorecard(plan_ids: Iterable[int], start: dt.date, end: dt.date, today: dt.date,
              working_days: WorkingDays = calendar_days, facts: list[Fact] | None = None) -> list[UnitScore]:
    """One score per unit with assignments in these plans, for the period `start`..`end` (both included).

    Nothing after `today` counts: an item due later that is not done yet is not decided, and an
    unanswered reminder younger than the reply window is still pending.
    """
    plan_ids = list(plan_ids)
    if facts is None:  # a caller that already loaded these plans' facts as of `today` passes them
        _, facts = load_facts(plan_ids, today)
    scores: dict[str, UnitScore] = {}
    last_day = min(end, today)
    for f in facts:
        score = scores.setdefault(f.unit, UnitScore(f.unit))
        if f.due is None:
            continue
        done = f.state == "done"
        if start <= f.due <= end and (done or f.due < today):
            score.due += 1
            if done and f.done_on is not None and f.done_on <= f.due:
                score.on_time += 1
        stop = (f.done_on if done else today)
        if stop is None:
            continue
        first = max(f.due + dt.timedelta(days=1), start)
        until = min(stop, last_day)
        if until >= first:
            score.overdue_item_days += (until - first).days + 1
    delays: dict[str, list[float]] = {}
    ages: dict[tuple[dt.date, dt.date], int] = {}

    def between(a: dt.date, b: dt.date) -> int:
        if (a, b) not in ages:
            ages[(a, b)] = working_days(a, b)
        return ages[(a, b)]

    for r in load_reminders(plan_ids):
        if not start <= r.sent_on <= end:
            continue
        score = scores.setdefault(r.unit, UnitScore(r.unit))
        sent = local_date(r.sent_at)  # the send time, as for the median (docs/scorecard.md)
        if r.reply_at is None:
            if between(sent, today) > REPLY_WINDOW_WORKING_DAYS:
                score.reminders += 1
            continue
        score.reminders += 1
        score.replies += 1
        if between(sent, local_date(r.reply_at)) <= REPLY_WINDOW_WORKING_DAYS:
            score.answered_in_time += 1
        delays.setdefault(r.unit, []).append((r.reply_at - r.sent_at).total_seconds() / 3600)
    for unit, hours in delays.items():
        scores[unit].median_reply_hours = round(statistics.median(hours), 1)
    return sorted(scores.values(), key=lambda s: (
        s.on_time_rate is None, -(s.on_time_rate or 0), s.overdue_item_days, s.unit))
