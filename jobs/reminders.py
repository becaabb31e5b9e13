"""Reminder planning: who hears what today, once.

Each (assignment, deadline, stage) is reminded at most once: the stage a deadline is in today is computed
from the working calendar, and the reminder log (written in the same transaction as the outbox row) says
whether it went out already. After downtime the job sends the stage each item is in today, not every
stage it missed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import partial

from jobs.calendar import WorkCalendar
from jobs.words import md, short_title
from store.cardstate import card_settings, register_card
from store.clock import clock as store_clock
from store.config import Config
from store.db import in_transaction_retrying, run_concurrently
from store.due import next_occurrence
from store.reach import reachable
from store.reminders import (
    ContactRow,
    DeadlineRow,
    OpenAssignment,
    active_plan_count,
    claim_all,
    claim_each,
    contacts_by_unit,
    link_outbox,
    open_assignments,
    reminded,
)
from wecom.cards import CardItem, button_card, vote_card

MESSAGES_PER_TRANSACTION = 100
MAX_LINES = 10  # a phone screen; the rest is one 「任务」 away
REPLY_HINT = "回复「完成 编号」或「进度 编号 内容」，发送「任务」查看全部。"

# enqueue(dedupe_key, userid, text) -> outbox row id; written inside the caller's transaction
Enqueue = Callable[[str, str, str], int]


class Family(Enum):
    """What a reminder is about, in the order a reader should see them."""

    OVERDUE = "overdue"
    ESCALATE = "escalate"
    DUE_TODAY = "due_today"
    BEFORE = "before"
    CHECKIN = "checkin"


_FAMILY_ORDER = {family: rank for rank, family in enumerate(Family)}


@dataclass(frozen=True)
class Stage:
    """One reminder stage of one deadline: before_7, due_today, overdue_4 (every 3 working days: 1, 4, 7 …),
    checkin_2019-10, escalate; a recurring deadline's occurrence is a suffix (@1025). `key` is how the reminder
    log stores it, so each stage is sent once."""

    family: Family
    n: int | None = None  # the before window (7, 3, 1) or the overdue bucket
    period: str = ""  # a check-in's month, 2019-10
    occurrence: str = ""  # a recurring deadline's occurrence, @1025

    @property
    def key(self) -> str:
        if self.n is not None:
            text = f"{self.family.value}_{self.n}"
        elif self.period:
            text = f"{self.family.value}_{self.period}"
        else:
            text = self.family.value
        return text + self.occurrence


@dataclass
class Item:
    assignment: OpenAssignment
    deadline: DeadlineRow
    stage: Stage
    status: str  # the Chinese tail of the line: 截止10月31日（还剩3个工作日）
    due: dt.date | None
    late: int = 0  # working days past the due date
    remaining: int = 0  # working days left before it
    # (assignment, deadline, stage key): what the reminder log records. Worked out once, as planning, the
    # message's digest and its claims each ask for it (a daily send has 77,000 items).
    key: tuple[int, int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.key = (self.assignment.id, self.deadline.id, self.stage.key)

    @property
    def urgency(self) -> tuple[int, int, int]:
        """Sorts the most urgent first: overdue (longest first), due today, before (fewest days left), check-ins."""
        return (_FAMILY_ORDER[self.stage.family], -self.late, self.remaining)


@dataclass
class Message:
    userid: str
    name: str
    kind: str  # remind | escalate
    units: list[str]
    items: list[Item]
    text: str = ""
    render: Callable[[Message], str] | None = field(default=None, repr=False)  # words it again for fewer items
    card: dict | None = None  # the template card sent instead of the text (the text stays for previews)
    make_card: Callable[[Message], dict | None] | None = field(default=None, repr=False)  # for fewer items too

    @property
    def dedupe_key(self) -> str:
        digest = hashlib.sha1(repr(sorted(i.key for i in self.items)).encode()).hexdigest()[:16]
        return f"{self.kind}:{self.userid}:{digest}"

    def as_dict(self) -> dict:
        return {
            "userid": self.userid,
            "name": self.name,
            "kind": self.kind,
            "unit": "、".join(self.units),
            "items": [
                {"seq": i.assignment.seq_label if i.assignment.sub else i.assignment.seq, "plan": i.assignment.plan_code, "unit": i.assignment.unit,
                 "stage": i.stage.key, "due": i.due.isoformat() if i.due else None}
                for i in self.items
            ],
            "text": self.text,
            "card": self.card.get("task_id") if self.card else None,
        }


@dataclass
class ReminderRun:
    day: dt.date
    workday: bool
    messages: list[Message] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)  # units with items but nobody to tell (无联络员)
    enqueued: int = 0
    planned: int = 0  # messages planned; after send_reminders `messages` holds only those this run enqueued


@dataclass
class Policy:
    before: list[int]
    overdue_every: int
    escalate_after: int
    cooperate_stages: set[str]
    recent_progress_days: int
    ongoing_cadence: str

    @classmethod
    def from_config(cls, config: Config) -> Policy:
        r = config.reminders
        return cls(sorted(set(r.before_working_days), reverse=True), max(1, r.overdue_every_working_days),
                   r.escalate_after_working_days, set(r.cooperate_stages), r.recent_progress_days,
                   r.ongoing_cadence)


class Planner:
    """Works out today's stage for every open assignment × deadline."""

    def __init__(self, today: dt.date, calendar: WorkCalendar, policy: Policy, now_utc: dt.datetime) -> None:
        self.today, self.cal, self.policy, self.now_utc = today, calendar, policy, now_utc
        self._between: dict[tuple[dt.date, dt.date], int] = {}
        self.month_start = today.replace(day=1)

    def between(self, a: dt.date, b: dt.date) -> int:
        key = (a, b)
        if key not in self._between:
            self._between[key] = self.cal.working_days_between(a, b)
        return self._between[key]

    def _recent_progress(self, a: OpenAssignment) -> bool:
        if a.last_report_at is None:
            return False
        return (self.now_utc - a.last_report_at) <= dt.timedelta(days=self.policy.recent_progress_days)

    def _reported_this_month(self, a: OpenAssignment) -> bool:
        return a.last_report_at is not None and a.last_report_at.date() >= self.month_start

    def _allowed(self, a: OpenAssignment, family: str) -> bool:
        if a.role in ("cooperate", "guide"):
            return family in self.policy.cooperate_stages
        return True

    def dated_stage(self, a: OpenAssignment, d: DeadlineRow, due: dt.date, occurrence: str = "") -> Item | None:
        """before_N / due_today / overdue_K for a deadline with a date."""
        today = self.today
        if today <= due:
            remaining = self.between(today, due)
            if remaining == 0:
                if not self._allowed(a, "due_today"):
                    return None
                return Item(a, d, Stage(Family.DUE_TODAY, occurrence=occurrence), f"今天截止（{md(due)}）", due)
            if remaining > self.policy.before[0]:
                return None
            if not self._allowed(a, "before") or self._recent_progress(a):
                return None
            window = min(n for n in self.policy.before if n >= remaining)
            return Item(a, d, Stage(Family.BEFORE, window, occurrence=occurrence),
                        f"截止{md(due)}（还剩{remaining}个工作日）", due, remaining=remaining)
        late = max(1, self.between(due, today))
        if not self._allowed(a, "overdue"):
            return None
        every = self.policy.overdue_every
        bucket = 1 + every * ((late - 1) // every)
        return Item(a, d, Stage(Family.OVERDUE, bucket, occurrence=occurrence), f"已逾期{late}个工作日（截止{md(due)}）",
                    due, late=late)

    def checkin(self, a: OpenAssignment, d: DeadlineRow, label: str) -> Item | None:
        """The monthly (or quarterly) "how is it going" for year-round and ongoing items."""
        today = self.today
        if self.policy.ongoing_cadence == "quarterly" and d.kind == "ongoing" and today.month not in (1, 4, 7, 10):
            return None
        if today < self.cal.first_workday_of_month(today.year, today.month):
            return None
        if a.plan_issued_on and a.plan_issued_on >= self.month_start:
            return None  # the plan was issued this month: nothing to ask yet
        if a.created_at.date() >= self.month_start or self._reported_this_month(a):
            return None
        if not self._allowed(a, "before"):
            return None
        return Item(a, d, Stage(Family.CHECKIN, period=f"{today:%Y-%m}"), f"{label}，请报告本月进展", d.due)

    def recurring(self, a: OpenAssignment, d: DeadlineRow) -> Item | None:
        when = next_occurrence(None, d.recurrence, d.day_of_period, self.today)
        if when is None:
            return None
        item = self.dated_stage(a, d, when, occurrence=f"@{when:%m%d}")
        if item is None or item.stage.family is Family.OVERDUE:
            return None
        cadence = "每季度" if d.recurrence == "quarterly" else "每月"
        item.status = f"{cadence}报送，本期{item.status}"
        return item

    def items_for(self, a: OpenAssignment) -> list[Item]:
        items = []
        for d in a.deadlines:
            if d.kind in ("fixed", "year_round"):
                due = a.due_override or d.due
                if due is None:
                    continue
                item = self.dated_stage(a, d, due)
                if item is None and d.kind == "year_round" and self.today < due:
                    item = self.checkin(a, d, "全年工作")
                if item:
                    items.append(item)
            elif d.kind == "ongoing":
                item = self.checkin(a, d, "长期工作")
                if item:
                    items.append(item)
            elif d.kind == "recurring":
                item = self.recurring(a, d)
                if item:
                    items.append(item)
        return items


def choose_recipients(unit_id: int, contacts: dict[int, list[ContactRow]], by_id: dict[int, ContactRow],
                      today: dt.date, role: str = "liaison") -> list[ContactRow]:
    """Who hears about a unit: its liaisons, a delegate for one who is away, else its leader."""
    people = [c for c in contacts.get(unit_id, []) if c.role == role]
    chosen = reachable(people, today, by_id.get)
    if not chosen and role == "liaison":
        return choose_recipients(unit_id, contacts, by_id, today, role="leader")
    return chosen


def item_status(item: Item) -> str:
    """The status, after the milestone's step when the deadline is one: 完成初稿：截止11月15日（还剩3个工作日）."""
    step = f"{item.deadline.label}：" if getattr(item.deadline, "label", "") else ""
    return step + item.status


def _line(item: Item, with_code: bool) -> str:
    a = item.assignment
    return f"[{_number(item, with_code)}] {short_title(a.subcategory, a.requirement)} {item_status(item)}"


def word_reminder(message: Message, with_code: bool) -> str:
    """Dated items one line each, most urgent first; monthly check-ins folded into one line when many."""
    multi_unit = len(message.units) > 1
    ordered = sorted(message.items, key=lambda i: (i.urgency, i.assignment.seq, i.assignment.sub))
    dated = [i for i in ordered if i.stage.family is not Family.CHECKIN]
    checkins = [i for i in ordered if i.stage.family is Family.CHECKIN]
    lines = [f"【督办提醒】{'、'.join(message.units)}：{len(message.items)}项工作需要关注"]
    for item in dated[:MAX_LINES]:
        prefix = f"（{item.assignment.unit}）" if multi_unit else ""
        lines.append(prefix + _line(item, with_code))
    if len(dated) > MAX_LINES:
        lines.append(f"……另有{len(dated) - MAX_LINES}项临近或超过截止日期")
    if len(checkins) <= 3:
        lines += [_line(item, with_code) for item in checkins]
    else:
        numbers = "、".join(_number(i, with_code) for i in checkins[:8]) + ("等" if len(checkins) > 8 else "")
        lines.append(f"全年及长期工作{len(checkins)}项（{numbers}），请报告本月进展")
    lines.append(REPLY_HINT)
    return "\n".join(lines)


def _number(item: Item, with_code: bool) -> str:
    a = item.assignment
    return f"{a.plan_code}{a.seq_label}" if with_code else a.seq_label


def word_escalation(message: Message, with_code: bool, liaisons: str) -> str:
    unit = "、".join(message.units)
    lines = [f"【督办·逾期】{unit}有{len(message.items)}项工作已逾期，请督促落实："]
    for item in sorted(message.items, key=lambda i: (i.urgency, i.assignment.seq, i.assignment.sub))[:MAX_LINES]:
        lines.append(_line(item, with_code))
    if len(message.items) > MAX_LINES:
        lines.append(f"……另有{len(message.items) - MAX_LINES}项")
    lines.append(f"联络员：{liaisons}" if liaisons else "该单位暂无联络员，请指定。")
    return "\n".join(lines)


def plan_reminders(today: dt.date, now_utc: dt.datetime, config: Config, calendar: WorkCalendar) -> ReminderRun:
    """What would go to whom today (nothing is written)."""
    run = ReminderRun(day=today, workday=calendar.is_workday(today))
    if not run.workday:
        return run
    policy = Policy.from_config(config)
    planner = Planner(today, calendar, policy, now_utc)
    candidates: list[Item] = []
    escalations: list[Item] = []
    for a in open_assignments():
        for item in planner.items_for(a):
            candidates.append(item)
            if item.stage.family is Family.OVERDUE and item.late >= policy.escalate_after:
                escalations.append(Item(a, item.deadline, Stage(Family.ESCALATE), item.status, item.due,
                                        late=item.late))
    done = reminded([i.key for i in candidates + escalations])
    candidates = [i for i in candidates if i.key not in done]
    escalations = [i for i in escalations if i.key not in done]
    if not candidates and not escalations:
        return run
    contacts, by_id = contacts_by_unit()
    with_code = active_plan_count() > 1

    per_contact: dict[int, list[Item]] = defaultdict(list)
    unreachable: set[str] = set()
    for item in candidates:
        people = choose_recipients(item.assignment.unit_id, contacts, by_id, today)
        if not people:
            unreachable.add(item.assignment.unit)
        for person in people:
            per_contact[person.id].append(item)
    for contact_id, items in per_contact.items():
        person = by_id[contact_id]
        units = list(dict.fromkeys(i.assignment.unit for i in sorted(items, key=lambda i: i.urgency)))
        message = Message(person.userid, person.name, "remind", units, items,
                          render=partial(word_reminder, with_code=with_code))
        message.text = message.render(message)
        run.messages.append(message)

    per_leader: dict[tuple[int, int], list[Item]] = defaultdict(list)
    for item in escalations:
        leaders = choose_recipients(item.assignment.unit_id, contacts, by_id, today, role="leader")
        if not leaders:
            unreachable.add(item.assignment.unit)
        for leader in leaders:
            per_leader[(leader.id, item.assignment.unit_id)].append(item)
    for (leader_id, unit_id), items in per_leader.items():
        leader = by_id[leader_id]
        liaisons = "、".join(c.name for c in contacts.get(unit_id, []) if c.role == "liaison")
        message = Message(leader.userid, leader.name, "escalate", [items[0].assignment.unit], items,
                          render=partial(word_escalation, with_code=with_code, liaisons=liaisons))
        message.text = message.render(message)
        run.messages.append(message)
    _choose_cards(run.messages, config, today, with_code)
    run.unreachable = sorted(unreachable)
    run.messages.sort(key=lambda m: (m.kind != "remind", m.units, m.userid))
    run.planned = len(run.messages)
    return run


def _wants_card(mode: str, setting: bool | None) -> bool:
    """auto: cards once the contact has clicked one (or the admin said so); on: unless set to text; off: never."""
    if mode == "off":
        return False
    if mode == "on":
        return setting is not False
    return setting is True


def _card_item(item: Item, with_code: bool) -> CardItem:
    a = item.assignment
    deadline = md(item.due) if item.due else (item.deadline.raw or "未定")
    return CardItem(a.id, _number(item, with_code), short_title(a.subcategory, a.requirement, 20), deadline,
                    item.status)


def _choose_cards(messages: list[Message], config: Config, today: dt.date, with_code: bool) -> None:
    """Give each reminder a template card where its recipient's client shows cards and the items fit."""
    mode = config.cards.reminders
    if mode == "off":
        return
    settings = card_settings([m.userid for m in messages if m.kind == "remind"])
    for message in messages:
        if message.kind != "remind" or not _wants_card(mode, settings.get(message.userid)):
            continue
        message.make_card = partial(_card_for, today=today, with_code=with_code)
        message.card = message.make_card(message)


def card_items(message: Message) -> list[Item]:
    """The message's items in card order, one per assignment."""
    ordered = sorted(message.items, key=lambda i: (i.urgency, i.assignment.seq))
    return list({i.assignment.id: i for i in ordered}.values())


def _card_for(message: Message, today: dt.date, with_code: bool) -> dict | None:
    """The one-item (buttons) or several-items (tick and submit) card; None when the items do not fit."""
    task_id = f"duban-{today:%Y%m%d}-" + hashlib.sha1(message.dedupe_key.encode()).hexdigest()[:24]
    items = [_card_item(i, with_code) for i in card_items(message)]
    return (button_card(task_id, items[0]) if len(items) == 1
            else vote_card(task_id, items, "、".join(message.units)))


def enqueue_app_text(key: str, userid: str, text: str) -> int:
    """The one way a reminder enters the outbox: an app text message to one person; returns its outbox id."""
    from jobs.outbox import enqueue_message

    return enqueue_message(key, "app", userid, text)[0].id


def enqueue_app_texts(messages: list[tuple[str, str, str]]) -> dict[str, int]:
    """Many of them at once (key, userid, text): outbox ids by key. A text too long for one app message goes
    through `enqueue_app_text` (its parts); the rest in a few statements."""
    from jobs.outbox import BYTE_LIMITS
    from store.outbox import enqueue_many

    limit = BYTE_LIMITS[("app", "text")]
    ids = {key: enqueue_app_text(key, userid, text) for key, userid, text in messages
           if len(text.encode("utf-8")) > limit}
    ids.update(enqueue_many([(key, "app", userid, text, "text") for key, userid, text in messages if key not in ids]))
    return ids


enqueue_app_text.many = enqueue_app_texts  # type: ignore[attr-defined]  # send_reminders enqueues in groups


def send_reminders(today: dt.date, now_utc: dt.datetime, config: Config, calendar: WorkCalendar,
                   enqueue: Enqueue = enqueue_app_text) -> ReminderRun:
    """Plan today's reminders and put each message in the outbox with its reminder-log rows, atomically.

    Each message's transaction claims its items one by one; items another run (a second `duban remind`, a
    second server) claimed first are left out, and a message left with none is not sent. A deadlock or
    serialization failure reruns the transaction. Afterwards `run.messages` lists what THIS run enqueued,
    so two concurrent runs together list every message once.
    """
    run = plan_reminders(today, now_utc, config, calendar)
    enqueued = []
    # A card registers itself with its items (_enqueue_one); plain texts go in groups, a few statements each
    # (two groups at a time where the database works on two connections at once: run_concurrently).
    for message in [m for m in run.messages if m.card is not None]:
        sent = in_transaction_retrying(partial(_enqueue_one, message, today, enqueue))
        if sent is not None:
            enqueued.append(sent)
    texts = [m for m in run.messages if m.card is None]
    groups = [texts[start:start + MESSAGES_PER_TRANSACTION] for start in range(0, len(texts), MESSAGES_PER_TRANSACTION)]
    for sent in run_concurrently([partial(_send_group, group, today, enqueue) for group in groups]):
        enqueued += sent
    run.messages = enqueued
    run.enqueued = len(enqueued)
    return run


def _send_group(messages: list[Message], today: dt.date, enqueue: Enqueue) -> list[Message]:
    """A group in one transaction; when another run claimed some of its items meanwhile (the group was rolled
    back), one message at a time, each with the items still unclaimed. The messages enqueued."""
    try:
        return in_transaction_retrying(partial(_enqueue_group, messages, today, enqueue))
    except _Contested:
        enqueued = []
        for message in messages:
            sent = in_transaction_retrying(partial(_enqueue_one, message, today, enqueue))
            if sent is not None:
                enqueued.append(sent)
        return enqueued


class _Contested(Exception):
    """Another run claimed some of a group's items first: its transaction is rolled back."""


def _enqueue_group(messages: list[Message], today: dt.date, enqueue: Enqueue) -> list[Message]:
    """Several messages in one transaction, in a few statements (a commit and two statements per message were
    most of a daily send on PostgreSQL): each with its outbox row and all of its items claimed, or the whole
    group is undone (_Contested)."""
    keys = [m.dedupe_key for m in messages]  # a digest of all the message's items: worked out once
    many = getattr(enqueue, "many", None)
    if many is not None:
        ids = many([(key, m.userid, m.text) for key, m in zip(keys, messages, strict=True)])
    else:
        ids = {key: enqueue(key, m.userid, m.text) for key, m in zip(keys, messages, strict=True)}
    claims = [(i.key, ids.get(key)) for key, m in zip(keys, messages, strict=True) for i in m.items]
    if any(outbox_id is None for _key, outbox_id in claims) or not claim_all(claims, today):
        raise _Contested
    return list(messages)


def _enqueue_one(message: Message, today: dt.date, enqueue: Enqueue) -> Message | None:
    """One message in one transaction: the items still unclaimed, worded for them, or None."""
    claimed = set(claim_each([i.key for i in message.items], today))
    if not claimed:
        return None
    if len(claimed) < len(message.items):
        items = [i for i in message.items if i.key in claimed]
        units = list(dict.fromkeys(i.assignment.unit for i in items))
        message = Message(message.userid, message.name, message.kind, units, items, render=message.render,
                          make_card=message.make_card)
        message.text = message.render(message) if message.render else message.text
        message.card = message.make_card(message) if message.make_card else None
    if message.card is not None:
        from jobs.outbox import enqueue_message

        outbox_id = enqueue_message(message.dedupe_key, "app", message.userid, message.card,
                                    msgtype="template_card")[0].id
        register_card(message.card["task_id"], message.userid, message.card["card_type"],
                      [i.assignment.id for i in card_items(message)], store_clock.utcnow())
    else:
        outbox_id = enqueue(message.dedupe_key, message.userid, message.text)
    link_outbox(sorted(claimed), outbox_id)
    return message
