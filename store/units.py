"""Units, their aliases, and unit groups: the admin's who-is-who."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import peewee as pw

from i18n import N_, _
from store.clock import utcnow
from store.db import StoreError, database
from store.models import (
    ROLES,
    Assignment,
    Contact,
    Report,
    Task,
    TaskGroup,
    Unit,
    UnitAlias,
    UnitGroup,
    UnitGroupMember,
)

PLAN_IMPORT_NOTE = N_("created by plan import")  # the note of a group a plan import made (English in the database)


def clean_name(name: str) -> str:
    """Unit names carry no whitespace (plans wrap them mid-word)."""
    return re.sub(r"\s+", "", name or "")


def _known_names() -> list[str]:
    names = [u.name for u in Unit.select(Unit.name)]
    names += [a.alias for a in UnitAlias.select(UnitAlias.alias)]
    return names


def closest_units(name: str, limit: int = 3) -> list[str]:
    """Names or aliases that look like `name`, best first (for "did you mean")."""
    name = clean_name(name)
    known = _known_names()
    close = difflib.get_close_matches(name, known, n=limit, cutoff=0.6)
    contains = [k for k in known if name and (name in k or k in name) and k not in close]
    return (close + contains)[:limit]


def lookup_unit(name: str) -> Unit | None:
    name = clean_name(name)
    unit = Unit.get_or_none(Unit.name == name)
    if unit is None:
        alias = UnitAlias.get_or_none(UnitAlias.alias == name)
        unit = alias.unit if alias else None
    return unit


def get_unit(name: str) -> Unit:
    """The unit called `name` or known by it as an alias; a StoreError with suggestions otherwise."""
    unit = lookup_unit(name)
    if unit is None:
        hint = closest_units(name)
        suffix = _("; did you mean: {names}?").format(names=", ".join(hint)) if hint else \
            _("; see `duban unit list`")
        raise StoreError(_('unknown unit {name!r}{suffix}').format(name=clean_name(name), suffix=suffix))
    return unit


def _ensure_free(name: str) -> None:
    if Unit.get_or_none(Unit.name == name) is not None:
        raise StoreError(_('unit {name!r} already exists').format(name=name))
    alias = UnitAlias.get_or_none(UnitAlias.alias == name)
    if alias is not None:
        raise StoreError(_('{name!r} is already an alias of {name2!r}').format(name=name, name2=alias.unit.name))


def add_unit(name: str, aliases: Iterable[str] = ()) -> Unit:
    name = clean_name(name)
    if not name:
        raise StoreError(_('a unit needs a name'))
    with database.atomic():
        _ensure_free(name)
        unit = Unit.create(name=name, created_at=utcnow())
        for alias in aliases:
            add_alias(alias, name)
    return unit


def ensure_unit(name: str, aliases: Iterable[str] = ()) -> tuple[Unit, bool]:
    """`add_unit`, safe to rerun: (unit, created). An existing unit gets the aliases it lacks."""
    existing = Unit.get_or_none(Unit.name == clean_name(name))
    if existing is None:
        return add_unit(name, aliases), True
    with database.atomic():
        for alias in aliases:
            ensure_alias(alias, existing.name)
    return existing, False


def ensure_alias(alias: str, unit_name: str) -> tuple[UnitAlias | Unit, bool]:
    """`add_alias`, safe to rerun: (alias, created); an alias (or the unit's own name) already so is not an error."""
    unit = get_unit(unit_name)
    known = lookup_unit(alias)
    if known is not None and known.id == unit.id:
        return UnitAlias.get_or_none(UnitAlias.alias == clean_name(alias)) or unit, False
    return add_alias(alias, unit_name), True


def add_alias(alias: str, unit_name: str) -> UnitAlias:
    alias = clean_name(alias)
    if not alias:
        raise StoreError(_('an alias needs a name'))
    with database.atomic():
        unit = get_unit(unit_name)
        if alias == unit.name:
            raise StoreError(_("{alias!r} is the unit's own name").format(alias=alias))
        _ensure_free(alias)
        return UnitAlias.create(alias=alias, unit=unit)


def rename_unit(old: str, new: str) -> Unit:
    new = clean_name(new)
    with database.atomic():
        unit = get_unit(old)
        if unit.name == new:
            return unit  # renamed already: the old name is its alias
        _ensure_free(new)
        previous = unit.name
        unit.name = new
        unit.save()
        # Plans written with the old name still resolve.
        UnitAlias.create(alias=previous, unit=unit)
    return unit


def merge_units(source: str, into: str) -> dict[str, int]:
    """Move everything of `source` to `into`; `source` becomes an alias of `into`. Returns moved counts."""
    with database.atomic():
        src, dst = get_unit(source), get_unit(into)
        counts = {"contacts": 0, "assignments": 0, "aliases": 0, "groups": 0, "already": False}
        if src.id == dst.id:
            if clean_name(source) == clean_name(into):
                raise StoreError(_("{a!r} and {b!r} are the same name").format(a=source, b=into))
            counts["already"] = True  # merged before: FROM is now an alias of INTO
            return counts
        counts["contacts"] = Contact.update(unit=dst).where(Contact.unit == src).execute()
        for assignment in Assignment.select().where(Assignment.unit == src):
            twin = Assignment.get_or_none((Assignment.task == assignment.task) & (Assignment.unit == dst))
            if twin is None:
                assignment.unit = dst
                assignment.save()
            else:
                # Both were named on the task: keep one assignment, the stronger role, and every report.
                Report.update(assignment=twin).where(Report.assignment == assignment).execute()
                if ROLES.index(assignment.role) < ROLES.index(twin.role):
                    twin.role = assignment.role
                    twin.save()
                assignment.delete_instance()
            counts["assignments"] += 1
        counts["aliases"] = UnitAlias.update(unit=dst).where(UnitAlias.unit == src).execute()
        for member in UnitGroupMember.select().where(UnitGroupMember.unit == src):
            exists = UnitGroupMember.get_or_none((UnitGroupMember.group == member.group) & (UnitGroupMember.unit == dst))
            if exists is None:
                member.unit = dst
                member.save()
            else:
                member.delete_instance()
            counts["groups"] += 1
        name = src.name
        src.delete_instance()
        UnitAlias.create(alias=name, unit=dst)
    return counts


def remove_unit(name: str, force: bool = False) -> Unit:
    with database.atomic():
        unit = get_unit(name)
        n_assign = Assignment.select().where(Assignment.unit == unit).count()
        n_contact = Contact.select().where(Contact.unit == unit).count()
        if (n_assign or n_contact) and not force:
            raise StoreError(
                _('unit {name!r} has {n_assign} assignment(s) and {n_contact} contact(s); merge it into another unit, or use --force to delete them too').format(name=unit.name, n_assign=n_assign, n_contact=n_contact)
            )
        unit.delete_instance(recursive=True)
    return unit


def list_units() -> list[dict]:
    """Every unit with its aliases, groups and counts."""
    aliases: dict[int, list[str]] = {}
    for a in UnitAlias.select().order_by(UnitAlias.alias):
        aliases.setdefault(a.unit_id, []).append(a.alias)
    groups: dict[int, list[str]] = {}
    for m in UnitGroupMember.select(UnitGroupMember, UnitGroup).join(UnitGroup).order_by(UnitGroup.name):
        groups.setdefault(m.unit_id, []).append(m.group.name)
    contacts = dict(
        Contact.select(Contact.unit, pw.fn.COUNT(Contact.id)).group_by(Contact.unit).tuples()
    )
    assignments = dict(
        Assignment.select(Assignment.unit, pw.fn.COUNT(Assignment.id)).group_by(Assignment.unit).tuples()
    )
    return [
        {
            "name": u.name,
            "aliases": aliases.get(u.id, []),
            "groups": groups.get(u.id, []),
            "contacts": contacts.get(u.id, 0),
            "assignments": assignments.get(u.id, 0),
        }
        for u in Unit.select().order_by(Unit.name)
    ]


# --- unit groups -------------------------------------------------------------------------------------------


def get_group(name: str) -> UnitGroup:
    name = clean_name(name)
    group = UnitGroup.get_or_none(UnitGroup.name == name)
    if group is None:
        known = [g.name for g in UnitGroup.select(UnitGroup.name)]
        hint = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
        suffix = _("; did you mean: {names}?").format(names=", ".join(hint)) if hint else \
            _("; see `duban group list`")
        raise StoreError(_('unknown unit group {name!r}{suffix}').format(name=name, suffix=suffix))
    return group


def ensure_group(name: str, note: str = "") -> tuple[UnitGroup, bool]:
    existing = UnitGroup.get_or_none(UnitGroup.name == clean_name(name))
    if existing is not None:
        return existing, False
    return add_group(name, note), True


def add_group(name: str, note: str = "") -> UnitGroup:
    name = clean_name(name)
    if not name:
        raise StoreError(_('a group needs a name'))
    with database.atomic():
        if UnitGroup.get_or_none(UnitGroup.name == name) is not None:
            raise StoreError(_('unit group {name!r} already exists').format(name=name))
        return UnitGroup.create(name=name, note=note, created_at=utcnow())


def _assign_group_tasks(group: UnitGroup, unit: Unit) -> int:
    """A unit joining a group takes on the open tasks that name the group, from now on."""
    created = 0
    now = utcnow()
    for link in TaskGroup.select(TaskGroup, Task).join(Task).where(TaskGroup.group == group):
        exists = Assignment.get_or_none((Assignment.task == link.task_id) & (Assignment.unit == unit))
        if exists is None:
            Assignment.create(task=link.task_id, unit=unit, role=link.role, via_group=group, created_at=now)
            created += 1
    return created


def add_members(group_name: str, unit_names: Iterable[str]) -> dict[str, int]:
    """Add units to a group (all or none). Returns {'added': n, 'assignments': m}."""
    with database.atomic():
        group = get_group(group_name)
        units = [get_unit(n) for n in unit_names]
        added = assignments = 0
        for unit in units:
            exists = UnitGroupMember.get_or_none((UnitGroupMember.group == group) & (UnitGroupMember.unit == unit))
            if exists is not None:
                continue
            UnitGroupMember.create(group=group, unit=unit, added_at=utcnow())
            added += 1
            assignments += _assign_group_tasks(group, unit)
    return {"added": added, "assignments": assignments}


def remove_members(group_name: str, unit_names: Iterable[str]) -> dict[str, int]:
    """Remove units from a group. Their group-made assignments go unless someone already reported on them."""
    with database.atomic():
        group = get_group(group_name)
        units = [get_unit(n) for n in unit_names]
        removed = dropped = 0
        for unit in units:
            member = UnitGroupMember.get_or_none((UnitGroupMember.group == group) & (UnitGroupMember.unit == unit))
            if member is None:
                continue  # not a member (any more): already so
            member.delete_instance()
            removed += 1
            for a in Assignment.select().where((Assignment.unit == unit) & (Assignment.via_group == group)):
                if a.reports.count() == 0:
                    a.delete_instance()
                    dropped += 1
    return {"removed": removed, "assignments_dropped": dropped}


def list_groups() -> list[dict]:
    counts = dict(
        UnitGroupMember.select(UnitGroupMember.group, pw.fn.COUNT(UnitGroupMember.id))
        .group_by(UnitGroupMember.group)
        .tuples()
    )
    tasks = dict(TaskGroup.select(TaskGroup.group, pw.fn.COUNT(TaskGroup.id)).group_by(TaskGroup.group).tuples())
    return [
        {"name": g.name, "members": counts.get(g.id, 0), "tasks": tasks.get(g.id, 0), "note": g.note}
        for g in UnitGroup.select().order_by(UnitGroup.name)
    ]


def group_detail(name: str) -> dict:
    group = get_group(name)
    members = (
        Unit.select(Unit.name).join(UnitGroupMember).where(UnitGroupMember.group == group).order_by(Unit.name)
    )
    tasks = (
        Task.select(Task.seq).join(TaskGroup).where(TaskGroup.group == group).order_by(Task.plan, Task.seq)
    )
    return {
        "name": group.name,
        "note": group.note,
        "members": [u.name for u in members],
        "tasks": [t.seq for t in tasks],
    }
