"""A large plan goes in with a hundred rows per statement, and still all or nothing."""

import copy
from pathlib import Path

import peewee
import pytest

from plan.read import read_plan
from store.models import Assignment, Deadline, Plan, Task, Unit
from store.plan_import import save_plan

SAMPLE = Path(__file__).resolve().parent.parent / "plan" / "samples" / "wuhua-2019.txt"


def counts() -> tuple[int, ...]:
    return tuple(m.select().count() for m in (Plan, Task, Deadline, Assignment, Unit))


def test_bulk_import_writes_every_task_deadline_and_assignment(db_url):
    parsed = read_plan(SAMPLE)
    report = save_plan(parsed)
    assert report.tasks == len(parsed.tasks) == Task.select().count()
    assert Deadline.select().count() == sum(len(t.deadlines) for t in parsed.tasks) == sum(report.deadlines.values())
    assert Assignment.select().count() == report.assignments > 0
    first = parsed.tasks[0]
    task = Task.get((Task.seq == first.seq) & (Task.sub == getattr(first, "sub", 0)))
    assert task.requirement == first.requirement and task.deadline_raw == first.deadline_raw


def test_a_failure_late_in_a_large_import_leaves_the_database_unchanged(db_url):
    parsed = read_plan(SAMPLE)
    parsed.tasks.append(copy.deepcopy(parsed.tasks[-1]))  # the same number twice: the task insert fails
    before = counts()
    with pytest.raises(peewee.IntegrityError):
        save_plan(parsed)
    assert counts() == before
