"""The one due-date rule."""

import datetime as dt
from types import SimpleNamespace as D

from store.due import effective_due, next_occurrence

DAY = dt.date


def d(kind, due=None, recurrence=None, day=None):
    return D(kind=kind, due=due, recurrence=recurrence, day_of_period=day)


def test_override_then_fixed_then_year_round():
    both = [d("year_round", DAY(2019, 12, 31)), d("fixed", DAY(2019, 11, 30))]
    assert effective_due(None, both, DAY(2019, 10, 1)) == (DAY(2019, 11, 30), "fixed")
    assert effective_due(DAY(2020, 1, 15), both, DAY(2019, 10, 1)) == (DAY(2020, 1, 15), "override")
    assert effective_due(None, [d("year_round", DAY(2019, 12, 31))], DAY(2019, 10, 1))[0] == DAY(2019, 12, 31)


def test_recurring_is_due_at_its_next_occurrence_not_the_first():
    monthly = [d("recurring", DAY(2019, 9, 25), "monthly", 25)]
    assert effective_due(None, monthly, DAY(2019, 10, 26)) == (DAY(2019, 11, 25), "recurring")
    assert effective_due(None, monthly, DAY(2019, 11, 25))[0] == DAY(2019, 11, 25)
    assert next_occurrence(None, "quarterly", None, DAY(2019, 10, 1)) == DAY(2019, 12, 31)
    assert next_occurrence(None, "monthly", 31, DAY(2019, 2, 1)) == DAY(2019, 2, 28)


def test_ongoing_and_nothing():
    assert effective_due(None, [d("ongoing")], DAY(2019, 10, 1)) == (None, "ongoing")
    assert effective_due(None, [d("unknown")], DAY(2019, 10, 1)) == (None, "none")
