"""The peewee models of duban's domain.

All datetimes are naive UTC (the clock converts for display); dates are calendar dates in the plan's timezone.
CharFields that are indexed stay at or under 191 characters so MariaDB's utf8mb4 indexes fit.
"""

from __future__ import annotations

import peewee as pw

from store.db import database

# Roles of a unit on a task, strongest first: a unit named twice keeps its strongest role.
ROLES = ("lead", "responsible", "guide", "cooperate")
ROLE_LABELS = {"lead": "牵头", "responsible": "负责", "guide": "指导", "cooperate": "配合"}
ASSIGNMENT_STATES = ("open", "done", "extension_requested")
DEADLINE_KINDS = ("fixed", "year_round", "ongoing", "recurring", "unknown")
CONTACT_ROLES = ("liaison", "leader")
CHANNELS = ("app", "appchat", "webhook")
# 'unknown': a robot or group-chat send whose outcome nobody knows (a timeout after the request went out, or
# a dispatcher that stopped mid-send); never sent again automatically (`duban outbox retry ID` does it).
OUTBOX_STATES = ("pending", "sending", "sent", "failed", "dead", "unknown")


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaVersion(BaseModel):
    version = pw.IntegerField()
    applied_at = pw.DateTimeField()


class Unit(BaseModel):
    name = pw.CharField(max_length=150, unique=True)
    created_at = pw.DateTimeField()

    def __str__(self) -> str:
        return self.name


class UnitAlias(BaseModel):
    alias = pw.CharField(max_length=150, unique=True)
    unit = pw.ForeignKeyField(Unit, backref="aliases", on_delete="CASCADE")


class UnitGroup(BaseModel):
    """A set of units named as one in plans (区政府各部门). Tasks naming it reach every member, present and future."""

    name = pw.CharField(max_length=150, unique=True)
    note = pw.TextField(default="")
    created_at = pw.DateTimeField()


class UnitGroupMember(BaseModel):
    group = pw.ForeignKeyField(UnitGroup, backref="members", on_delete="CASCADE")
    unit = pw.ForeignKeyField(Unit, backref="memberships", on_delete="CASCADE")
    added_at = pw.DateTimeField()

    class Meta:
        indexes = ((("group", "unit"), True),)


class Plan(BaseModel):
    code = pw.CharField(max_length=8, unique=True)  # short code used in chat when several plans are active (A24)
    title = pw.CharField(max_length=190)
    doc_no = pw.CharField(max_length=100, null=True)
    issuer = pw.CharField(max_length=150, null=True)
    year = pw.IntegerField()
    issued_on = pw.DateField(null=True)
    source_name = pw.CharField(max_length=190)
    sha256 = pw.CharField(max_length=64, unique=True)
    active = pw.BooleanField(default=True)
    imported_at = pw.DateTimeField()


class PlanWarning(BaseModel):
    """What the import was unsure of, kept so the admin can see it later."""

    plan = pw.ForeignKeyField(Plan, backref="warnings", on_delete="CASCADE")
    seq = pw.IntegerField(null=True)
    code = pw.CharField(max_length=50)
    message = pw.TextField()


class Task(BaseModel):
    plan = pw.ForeignKeyField(Plan, backref="tasks", on_delete="CASCADE")
    seq = pw.IntegerField()
    sub = pw.IntegerField(default=0)  # sub-row under one merged 序号: task 4-2 is seq 4, sub 2 (0: a whole task)
    category = pw.TextField(default="")
    subcategory = pw.TextField(default="")
    requirement = pw.TextField()
    units_raw = pw.TextField(default="")
    deadline_raw = pw.TextField(default="")
    inherited = pw.CharField(max_length=100, default="")  # comma list of fields taken from the row above

    class Meta:
        indexes = ((("plan", "seq", "sub"), True),)

    @property
    def label(self) -> str:
        """The 序号 as people write it: '4', or '4-2' for a sub-row."""
        return f"{self.seq}-{self.sub}" if self.sub else str(self.seq)


class TaskGroup(BaseModel):
    """A unit group named by a task; its members get assignments (`via_group`)."""

    task = pw.ForeignKeyField(Task, backref="groups", on_delete="CASCADE")
    group = pw.ForeignKeyField(UnitGroup, backref="tasks", on_delete="CASCADE")
    role = pw.CharField(max_length=20)

    class Meta:
        indexes = ((("task", "group"), True),)


class UnresolvedUnit(BaseModel):
    """A unit phrase the import could not read: never dropped, shown to the admin."""

    task = pw.ForeignKeyField(Task, backref="unresolved", on_delete="CASCADE")
    phrase = pw.TextField()
    role = pw.CharField(max_length=20, default="responsible")


class Assignment(BaseModel):
    task = pw.ForeignKeyField(Task, backref="assignments", on_delete="CASCADE")
    unit = pw.ForeignKeyField(Unit, backref="assignments", on_delete="CASCADE")
    role = pw.CharField(max_length=20)
    via_group = pw.ForeignKeyField(UnitGroup, null=True, on_delete="SET NULL")
    state = pw.CharField(max_length=30, default="open", index=True)
    due_override = pw.DateField(null=True)  # an approved extension moves the due date
    done_at = pw.DateTimeField(null=True)
    last_report_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("task", "unit"), True),)


class Deadline(BaseModel):
    task = pw.ForeignKeyField(Task, backref="deadlines", on_delete="CASCADE")
    position = pw.IntegerField(default=0)
    kind = pw.CharField(max_length=20)
    due = pw.DateField(null=True, index=True)
    raw = pw.CharField(max_length=190)
    precision = pw.CharField(max_length=20, default="day")
    label = pw.CharField(max_length=100, default="")  # a milestone's step: 完成初稿, 全面完成
    recurrence = pw.CharField(max_length=20, null=True)
    day_of_period = pw.IntegerField(null=True)
    past_at_issue = pw.BooleanField(default=False)


class Contact(BaseModel):
    unit = pw.ForeignKeyField(Unit, backref="contacts", on_delete="CASCADE")
    name = pw.CharField(max_length=100)
    userid = pw.CharField(max_length=64, unique=True)
    mobile = pw.CharField(max_length=20, null=True)
    role = pw.CharField(max_length=20, default="liaison")
    active = pw.BooleanField(default=True)
    away_until = pw.DateField(null=True)
    delegate = pw.ForeignKeyField("self", null=True, on_delete="SET NULL", backref="covering")
    problem = pw.TextField(null=True)  # set when WeCom says the userid cannot be reached
    created_at = pw.DateTimeField()
    # Reminders as template cards: None = not known yet (text, until the contact clicks a card once),
    # True = cards, False = text (the WeChat plugin and old clients do not show cards).
    cards = pw.BooleanField(null=True)


class LeaderGroup(BaseModel):
    name = pw.CharField(max_length=100, unique=True)
    channel = pw.CharField(max_length=20)  # webhook | appchat | app
    target = pw.TextField()  # webhook key, appchat chatid, or userids joined by '|'
    plan = pw.ForeignKeyField(Plan, null=True, on_delete="SET NULL")  # None: every active plan
    schedule = pw.CharField(max_length=50, default="mon 09:10")
    created_at = pw.DateTimeField()


class Extension(BaseModel):
    assignment = pw.ForeignKeyField(Assignment, backref="extensions", on_delete="CASCADE")
    requested_by = pw.ForeignKeyField(Contact, null=True, on_delete="SET NULL")
    new_due = pw.DateField()
    reason = pw.TextField(default="")
    state = pw.CharField(max_length=20, default="pending")  # pending | approved | rejected
    decided_by = pw.CharField(max_length=100, null=True)
    decision_note = pw.TextField(default="")
    created_at = pw.DateTimeField()
    decided_at = pw.DateTimeField(null=True)


class Report(BaseModel):
    assignment = pw.ForeignKeyField(Assignment, backref="reports", on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, null=True, on_delete="SET NULL")
    at = pw.DateTimeField(index=True)
    kind = pw.CharField(max_length=20)  # progress | done | extension | undo | reopen | admin
    text = pw.TextField(default="")
    percent = pw.IntegerField(null=True)
    msgid = pw.CharField(max_length=100, null=True, unique=True)
    undone = pw.BooleanField(default=False)
    undoes = pw.ForeignKeyField("self", null=True, on_delete="SET NULL", backref="undone_by")  # kind 'undo' only


class Outbox(BaseModel):
    dedupe_key = pw.CharField(max_length=190, unique=True)
    channel = pw.CharField(max_length=20)
    target = pw.TextField()
    msgtype = pw.CharField(max_length=20, default="text")
    body = pw.TextField()
    state = pw.CharField(max_length=20, default="pending")
    attempts = pw.IntegerField(default=0)
    next_try_at = pw.DateTimeField()
    last_error = pw.TextField(null=True)
    wecom_msgid = pw.CharField(max_length=190, null=True)
    created_at = pw.DateTimeField()
    sent_at = pw.DateTimeField(null=True)
    claimed_by = pw.CharField(max_length=100, null=True)
    claimed_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("state", "next_try_at"), False),)


class Inbox(BaseModel):
    """Every callback message by its key, so WeCom's retries are answered once."""

    key = pw.CharField(max_length=190, unique=True)  # MsgId, or FromUserName:CreateTime for events
    from_user = pw.CharField(max_length=64)
    received_at = pw.DateTimeField()
    content = pw.TextField(default="")
    reply = pw.TextField(null=True)
    # The reply missed WeCom's window and went through the outbox: a retry, on any server, answers nothing.
    deferred = pw.BooleanField(default=False)

    class Meta:
        indexes = ((("from_user", "received_at"), False),)  # the chat rate limit (schema v8)


class ReminderLog(BaseModel):
    """One row per (assignment, deadline, stage): the reminder was sent (with its outbox row)."""

    assignment = pw.ForeignKeyField(Assignment, on_delete="CASCADE")
    deadline = pw.ForeignKeyField(Deadline, null=True, on_delete="CASCADE")
    stage = pw.CharField(max_length=40)
    sent_on = pw.DateField()
    outbox = pw.ForeignKeyField(Outbox, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("assignment", "deadline", "stage"), True),)


class CalendarOverride(BaseModel):
    day = pw.DateField(unique=True)
    kind = pw.CharField(max_length=10)  # workday | holiday
    note = pw.TextField(default="")


class NoticeDay(BaseModel):
    """A day decided by an imported State Council holiday notice (`duban calendar import`)."""

    day = pw.DateField(unique=True)
    kind = pw.CharField(max_length=10)  # holiday | workday
    name = pw.CharField(max_length=100)  # 春节, 国庆节、中秋节 …
    notice_year = pw.IntegerField(index=True)  # the year the notice arranges (2018-12-30 belongs to the 2019 notice)
    source = pw.CharField(max_length=200)  # the notice's title, or the file it came from
    imported_at = pw.DateTimeField()


class DigestLog(BaseModel):
    group = pw.ForeignKeyField(LeaderGroup, on_delete="CASCADE")
    week = pw.CharField(max_length=10)  # ISO year-week, 2019-W43
    sent_at = pw.DateTimeField()

    class Meta:
        indexes = ((("group", "week"), True),)


class Lease(BaseModel):
    """A named lock with an expiry (the active scheduler); a standby takes it over when it lapses."""

    name = pw.CharField(max_length=50, unique=True)
    holder = pw.CharField(max_length=100)
    expires_at = pw.DateTimeField()


class KeyValue(BaseModel):
    """Small shared state with an expiry, e.g. the WeCom access token every process should reuse."""

    key = pw.CharField(max_length=190, unique=True)
    value = pw.TextField()
    expires_at = pw.DateTimeField(null=True)


class Evidence(BaseModel):
    """A file (佐证材料) a contact sent for an assignment: one row per (assignment, sha256)."""

    assignment = pw.ForeignKeyField(Assignment, backref="evidence", on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, null=True, on_delete="SET NULL")
    sender = pw.CharField(max_length=64)  # the WeCom userid, kept when the contact is deleted
    filename = pw.CharField(max_length=190)
    kind = pw.CharField(max_length=20)  # image | file | video
    content_type = pw.CharField(max_length=100, default="application/octet-stream")
    size = pw.BigIntegerField()
    sha256 = pw.CharField(max_length=64)
    path = pw.CharField(max_length=190)  # relative to [evidence] dir: the file's sha256 names it
    msgid = pw.CharField(max_length=100, null=True)
    sent_at = pw.DateTimeField()  # when the contact sent it (the message's CreateTime)
    stored_at = pw.DateTimeField()

    class Meta:
        indexes = ((("assignment", "sha256"), True),)


class MediaDownload(BaseModel):
    """A media message to fetch from WeCom (media ids live 3 days): a durable job, retried until done or dead.

    `assignment` is None while duban waits for the sender to say which item the file is for.
    """

    key = pw.CharField(max_length=190, unique=True)  # the message's MsgId
    sender = pw.CharField(max_length=64, index=True)
    media_id = pw.CharField(max_length=190)
    kind = pw.CharField(max_length=20)  # image | file | video
    filename = pw.CharField(max_length=190, null=True)  # from the message, or from the download's header
    assignment = pw.ForeignKeyField(Assignment, null=True, on_delete="SET NULL")
    state = pw.CharField(max_length=20, default="pending", index=True)  # pending | waiting | done | dead
    attempts = pw.IntegerField(default=0)
    next_try_at = pw.DateTimeField()
    last_error = pw.TextField(null=True)
    evidence = pw.ForeignKeyField(Evidence, null=True, on_delete="SET NULL")
    # Set once the file is in the evidence folder (before its item is known, the file waits there).
    sha256 = pw.CharField(max_length=64, null=True)
    size = pw.BigIntegerField(null=True)
    content_type = pw.CharField(max_length=100, null=True)
    sent_at = pw.DateTimeField()
    created_at = pw.DateTimeField()
    claimed_by = pw.CharField(max_length=100, null=True)
    claimed_at = pw.DateTimeField(null=True)


class CardMessage(BaseModel):
    """A template card sent to one contact: what its task_id stands for, and the clicks applied to it."""

    task_id = pw.CharField(max_length=128, unique=True)
    userid = pw.CharField(max_length=64, index=True)
    card_type = pw.CharField(max_length=30)  # button_interaction | vote_interaction
    assignment_ids = pw.TextField()  # comma list, in the card's order
    created_at = pw.DateTimeField()
    clicked_at = pw.DateTimeField(null=True)
    answer = pw.TextField(null=True)  # what the click recorded (shown again on a duplicate click)


class ChatPrompt(BaseModel):
    """duban asked a contact for text (报进度 / 申请延期 from a card, which item a file is for): the next
    message from them answers it, until `expires_at` or 取消."""

    userid = pw.CharField(max_length=64, unique=True)
    kind = pw.CharField(max_length=20)  # progress | extension | evidence
    assignment = pw.ForeignKeyField(Assignment, null=True, on_delete="CASCADE")
    download = pw.ForeignKeyField(MediaDownload, null=True, on_delete="CASCADE")
    created_at = pw.DateTimeField()
    expires_at = pw.DateTimeField()


class RateSlot(BaseModel):
    """One of the `limit` sends a recipient (a userid, a robot) may get per minute, shared by every dispatcher:
    a send takes the slot used longest ago, if that was over a minute ago (store/ratelimit.py)."""

    key = pw.CharField(max_length=100)
    slot = pw.IntegerField()
    used_ms = pw.BigIntegerField()  # epoch milliseconds: exact on every backend, so a compare-and-set works

    class Meta:
        indexes = ((("key", "slot"), True),)


ALL_MODELS = [
    SchemaVersion, Unit, UnitAlias, UnitGroup, UnitGroupMember, Plan, PlanWarning, Task, TaskGroup,
    UnresolvedUnit, Assignment, Deadline, Contact, LeaderGroup, Extension, Report, Outbox, Inbox,
    ReminderLog, CalendarOverride, DigestLog, Lease, KeyValue, Evidence, MediaDownload, CardMessage, ChatPrompt,
    RateSlot, NoticeDay,
]
