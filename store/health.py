"""What `duban doctor` asks the data: things that would make reminders miss someone."""

from __future__ import annotations

import peewee as pw

from store.models import (
    Assignment,
    Contact,
    Plan,
    Task,
    TaskGroup,
    Unit,
    UnitGroup,
    UnitGroupMember,
    UnresolvedUnit,
)


def units_without_contacts() -> list[str]:
    """Units with open assignments in active plans and no active contact."""
    with_contacts = Contact.select(Contact.unit).where(Contact.active == True)  # noqa: E712
    query = (
        Unit.select(Unit.name).join(Assignment).join(Task).join(Plan)
        .where((Plan.active == True) & (Assignment.state != "done") & (Unit.id.not_in(with_contacts)))  # noqa: E712
        .distinct().order_by(Unit.name)
    )
    return [u.name for u in query]


def tasks_with_unresolved_units() -> list[tuple[str, int, str]]:
    query = (
        UnresolvedUnit.select(UnresolvedUnit.phrase, Task.seq, Plan.code).join(Task).join(Plan)
        .where(Plan.active == True).order_by(Plan.code, Task.seq).tuples()  # noqa: E712
    )
    return [(code, seq, phrase) for phrase, seq, code in query]


def groups_without_members() -> list[str]:
    members = UnitGroupMember.select(UnitGroupMember.group)
    query = (
        UnitGroup.select(UnitGroup.name).join(TaskGroup)
        .where(UnitGroup.id.not_in(members)).distinct().order_by(UnitGroup.name)
    )
    return [g.name for g in query]


def contacts_with_problems() -> list[tuple[str, str, str]]:
    query = Contact.select(Contact.userid, Contact.name, Contact.problem).where(Contact.problem.is_null(False))
    return [(c.userid, c.name, c.problem) for c in query]


def active_plan_years() -> list[int]:
    return sorted({p.year for p in Plan.select(Plan.year).where(Plan.active == True)}  # noqa: E712
                  | {p.year + 1 for p in Plan.select(Plan.year).where(Plan.active == True)})  # noqa: E712


def count(model: type[pw.Model]) -> int:
    return model.select().count()
