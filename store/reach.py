"""Who can be reached today: one rule for reminders and chat notices.

A contact who is away is replaced by their delegate, if the delegate is active and not away too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar


class Person(Protocol):
    id: int
    away_until: dt.date | None
    delegate_id: int | None


P = TypeVar("P", bound=Person)


def is_away(person: Person, today: dt.date) -> bool:
    return person.away_until is not None and person.away_until >= today


def reachable(people: Iterable[P], today: dt.date, delegate_of: Callable[[int], P | None]) -> list[P]:
    """The people present today, with a delegate standing in for each one away (no one twice).

    `delegate_of(contact_id)` returns the active contact with that id, or None.
    """
    chosen: dict[int, P] = {}
    for person in people:
        if not is_away(person, today):
            chosen[person.id] = person
        elif person.delegate_id:
            stand_in = delegate_of(person.delegate_id)
            if stand_in is not None and not is_away(stand_in, today):
                chosen[stand_in.id] = stand_in
    return list(chosen.values())
