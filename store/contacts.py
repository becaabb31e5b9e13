"""Contacts (liaisons and unit leaders in WeCom) and leader groups (where digests go)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import peewee as pw

from i18n import _
from store.clock import utcnow
from store.db import StoreError, database
from store.models import CONTACT_ROLES, Contact, LeaderGroup, Plan, Unit
from store.units import get_unit

USERID_RE = re.compile(r"^[A-Za-z0-9_\-.@]{1,64}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
WEBHOOK_KEY_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CHAT_ID_RE = re.compile(r"^[0-9A-Za-z]{1,32}$")
ROLE_WORDS = {"联络员": "liaison", "liaison": "liaison", "领导": "leader", "leader": "leader", "分管领导": "leader"}
ROLE_NAMES = {"liaison": "联络员", "leader": "领导"}


def check_userid(userid: str) -> str:
    userid = (userid or "").strip()
    if not USERID_RE.match(userid):
        raise StoreError(_('invalid WeCom userid {userid!r}: 1–64 letters, digits or _-.@').format(userid=userid))
    return userid


def check_mobile(mobile: str | None) -> str | None:
    if mobile is None:
        return None
    mobile = re.sub(r"[\s-]", "", str(mobile))
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    if not mobile:
        return None
    if not MOBILE_RE.match(mobile):
        raise StoreError(_('invalid mobile {mobile!r}: an 11-digit Chinese mobile number such as 13800138000').format(mobile=mobile))
    return mobile


def check_role(role: str | None) -> str:
    value = ROLE_WORDS.get((role or "liaison").strip().lower())
    if value is None:
        raise StoreError(_('invalid role {role!r}: liaison/联络员 or leader/领导').format(role=role))
    return value


def find_contact(userid: str) -> Contact | None:
    """The contact WeCom would take `userid` to mean: userids are compared trimmed and case-insensitively."""
    return Contact.get_or_none(pw.fn.LOWER(Contact.userid) == (userid or "").strip().lower())


def get_contact(userid: str) -> Contact:
    contact = find_contact(userid)
    if contact is None:
        raise StoreError(_('no contact with userid {userid!r}; see `duban contact list`').format(userid=userid))
    return contact


def add_contact(unit: str, name: str, userid: str, mobile: str | None = None, role: str = "liaison") -> Contact:
    name = (name or "").strip()
    if not name:
        raise StoreError(_('a contact needs a name'))
    userid, mobile, role = check_userid(userid), check_mobile(mobile), check_role(role)
    with database.atomic():
        owner = get_unit(unit)
        existing = find_contact(userid)
        if existing is not None:
            raise StoreError(_("userid {userid!r} is already {name} ({existing}) of {unit}").format(
                userid=userid, name=existing.name, existing=existing.userid, unit=existing.unit.name))
        return Contact.create(unit=owner, name=name, userid=userid, mobile=mobile, role=role, created_at=utcnow())


def ensure_contact(unit: str, name: str, userid: str, mobile: str | None = None,
                   role: str = "liaison") -> tuple[Contact, bool]:
    """`add_contact`, safe to rerun: (contact, created). The same person again is not an error; a different one
    under the same userid is."""
    existing = find_contact(userid)
    if existing is not None and existing.unit_id == get_unit(unit).id and existing.name == (name or "").strip() \
            and existing.role == check_role(role) and (mobile is None or existing.mobile == check_mobile(mobile)):
        return existing, False
    return add_contact(unit, name, userid, mobile, role), True


def remove_contact(userid: str) -> Contact:
    with database.atomic():
        contact = get_contact(userid)
        contact.delete_instance()
    return contact


def set_away(userid: str, until: dt.date | None, delegate: str | None = None) -> Contact:
    """Mark a contact away until a date (reminders go to the delegate), or back when `until` is None."""
    with database.atomic():
        contact = get_contact(userid)
        if until is None:
            contact.away_until = None
            contact.delegate = None
        else:
            from store.clock import clock

            if until < clock.today():
                raise StoreError(_("{date} is in the past: --until is the last day away").format(date=until))
            contact.away_until = until
            if delegate:
                stand_in = get_contact(delegate)
                if stand_in.id == contact.id:
                    raise StoreError(_('a contact cannot delegate to themselves'))
                contact.delegate = stand_in
        contact.save()
    return contact


def clear_problem(userid: str) -> Contact:
    """The admin fixed the userid (or the app's visible range) in WeCom: reminders reach this contact again."""
    with database.atomic():
        contact = get_contact(userid)
        if not contact.problem:
            raise StoreError(_('{name} ({userid}) has no recorded problem').format(name=contact.name, userid=contact.userid))
        contact.problem = None
        contact.save()
    return contact


def contact_dict(c: Contact) -> dict:
    return {
        "unit": c.unit.name,
        "name": c.name,
        "userid": c.userid,
        "mobile": c.mobile,
        "role": c.role,
        "active": c.active,
        "away_until": c.away_until.isoformat() if c.away_until else None,
        "delegate": c.delegate.userid if c.delegate_id else None,
        "problem": c.problem,
    }


def list_contacts(unit: str | None = None) -> list[dict]:
    query = Contact.select(Contact, Unit).join(Unit).order_by(Unit.name, Contact.role.desc(), Contact.name)
    if unit:
        query = query.where(Contact.unit == get_unit(unit))
    return [contact_dict(c) for c in query]


# --- bulk import ---------------------------------------------------------------------------------------------

HEADER_WORDS = {
    "单位": "unit", "unit": "unit", "单位名称": "unit",
    "姓名": "name", "name": "name",
    "企业微信账号": "userid", "userid": "userid", "账号": "userid", "企业微信id": "userid",
    "手机": "mobile", "mobile": "mobile", "手机号": "mobile", "手机号码": "mobile",
    "角色": "role", "role": "role",
}


EXPORT_HEADER = ["单位", "姓名", "企业微信账号", "手机", "角色"]


def export_rows() -> list[list[str]]:
    rows = [EXPORT_HEADER]
    for c in list_contacts():
        rows.append([c["unit"], c["name"], c["userid"], c["mobile"] or "", ROLE_NAMES[c["role"]]])
    return rows


# --- leader groups -------------------------------------------------------------------------------------------


def parse_webhook_key(value: str) -> str:
    """A robot key, alone or inside the full webhook URL people copy from WeCom."""
    value = (value or "").strip()
    match = re.search(r"[?&]key=([^&\s]+)", value)
    if match:
        value = match.group(1)
    if not WEBHOOK_KEY_RE.match(value):
        raise StoreError(_("invalid webhook key: expected the key=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx part of the robot's URL"))
    return value


def add_leader_group(
    name: str,
    *,
    webhook_key: str | None = None,
    chat_id: str | None = None,
    userids: Sequence[str] | None = None,
    plan: str | None = None,
    schedule: str = "mon 09:10",
) -> LeaderGroup:
    name = (name or "").strip()
    if not name:
        raise StoreError(_('a leader group needs a name'))
    if (schedule or "").strip():
        from store.timetext import parse_schedule

        try:
            parse_schedule(schedule)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
    given = [x for x in (webhook_key, chat_id, userids) if x]
    if len(given) != 1:
        raise StoreError(_('give exactly one of --webhook-key, --chat-id or --userids'))
    if webhook_key:
        channel, target = "webhook", parse_webhook_key(webhook_key)
    elif chat_id:
        if not CHAT_ID_RE.match(chat_id):
            raise StoreError(_('invalid chat id {chat_id!r}: 1–32 letters or digits').format(chat_id=chat_id))
        channel, target = "appchat", chat_id
    else:
        ids = [check_userid(u) for u in userids or []]
        if len(ids) > 1000:
            raise StoreError(_('at most 1000 userids in one leader group'))
        channel, target = "app", "|".join(ids)
    with database.atomic():
        existing = LeaderGroup.get_or_none(LeaderGroup.name == name)
        if existing is not None:
            if (existing.channel, existing.target) == (channel, target):
                existing.already = True  # the same group again: nothing to do
                return existing
            raise StoreError(_("leader group {name!r} already exists with another {channel}; `duban leaders remove "
                               "{name}` first to change it").format(name=name, channel=existing.channel))
        scope = None
        if plan:
            from store.plans import get_plan

            scope = get_plan(plan)
        return LeaderGroup.create(
            name=name, channel=channel, target=target, plan=scope, schedule=schedule, created_at=utcnow()
        )


def masked_target(group: LeaderGroup) -> str:
    if group.channel == "webhook":
        return f"key ***{group.target[-4:]}"
    return group.target


def list_leader_groups() -> list[dict]:
    return [
        {
            "name": g.name,
            "channel": g.channel,
            "target": masked_target(g),
            "plan": g.plan.title if g.plan_id else None,
            "schedule": g.schedule,
        }
        for g in LeaderGroup.select(LeaderGroup, Plan)
        .join(Plan, pw.JOIN.LEFT_OUTER, on=(LeaderGroup.plan == Plan.id))
        .order_by(LeaderGroup.name)
    ]


def leader_group(name: str) -> LeaderGroup:
    group = LeaderGroup.get_or_none(LeaderGroup.name == (name or "").strip())
    if group is None:
        raise StoreError(_("no leader group named {name!r}; see `duban leaders list`").format(name=name))
    return group


def remove_leader_group(name: str) -> LeaderGroup:
    with database.atomic():
        group = LeaderGroup.get_or_none(LeaderGroup.name == (name or "").strip())
        if group is None:
            raise StoreError(_("no leader group named {name!r}; see `duban leaders list`").format(name=name))
        group.delete_instance()
        # Its queued digests would only die later: cancel them (unless another group shares the target).
        group.cancelled = 0
        if not LeaderGroup.select().where((LeaderGroup.channel == group.channel)
                                          & (LeaderGroup.target == group.target)).exists():
            from store.models import Outbox

            group.cancelled = Outbox.delete().where(
                (Outbox.channel == group.channel) & (Outbox.target == group.target)
                & (Outbox.state << ["pending", "failed"])).execute()
    return group


__all__ = [
    "CONTACT_ROLES", "add_contact", "remove_contact", "set_away", "list_contacts",
    "export_rows", "add_leader_group", "list_leader_groups", "remove_leader_group",
]


# --- recipients of an admin notice (`duban notify`) ----------------------------------------------------------


@dataclass
class NotifyRecipients:
    userids: list[str]  # who gets the notice, in a stable order
    without_liaison: list[str]  # named units with no reachable liaison
    skipped: list[str]  # liaisons left out: WeCom could not reach them (Contact.problem)


def notify_recipients(units: Sequence[str] = (), groups: Sequence[str] = (), all_liaisons: bool = False,
                      userids: Sequence[str] = ()) -> NotifyRecipients:
    """Resolve units, unit groups, "all liaisons" and explicit userids to the liaisons' userids.

    An away liaison with a delegate is replaced by the delegate; liaisons WeCom could not reach are skipped
    (and named); explicitly named userids are always included.
    """
    from store.clock import clock
    from store.models import UnitGroupMember
    from store.units import get_group

    wanted: dict[int, str] = {}
    for name in units:
        unit = get_unit(name)
        wanted[unit.id] = unit.name
    for name in groups:
        members = UnitGroupMember.select(UnitGroupMember, Unit).join(Unit).where(UnitGroupMember.group == get_group(name))
        for member in members:
            wanted[member.unit.id] = member.unit.name
    chosen: dict[str, None] = {}
    skipped: list[str] = []
    reached: set[int] = set()
    if wanted or all_liaisons:
        query = Contact.select().where((Contact.role == "liaison") & (Contact.active == True))  # noqa: E712
        if not all_liaisons:
            query = query.where(Contact.unit << list(wanted))
        today = clock.today()
        for contact in query.order_by(Contact.unit, Contact.id):
            unit_id = contact.unit_id
            if contact.away_until and contact.away_until >= today and contact.delegate_id:
                stand_in = contact.delegate
                if stand_in.active and not stand_in.problem:
                    contact = stand_in
            if contact.problem:
                skipped.append(contact.userid)
                continue
            chosen[contact.userid] = None
            reached.add(unit_id)
    for userid in userids:
        chosen[get_contact(userid).userid] = None
    if not chosen:
        raise StoreError(_('nobody to notify: the named units have no reachable liaison (see `duban contact list`)'))
    return NotifyRecipients(list(chosen), [wanted[u] for u in wanted if u not in reached], skipped)
