"""Deadlocks and serialization failures are retried for short transactions (issue 17, finding 10); independent
transactions run two at a time on PostgreSQL (run_concurrently).

Two connections take two rows in opposite orders, a real deadlock the database breaks by rolling one back
(MariaDB errno 1213, PostgreSQL 40P01); `in_transaction_retrying` runs the victim's transaction again.
"""

from __future__ import annotations

import threading

import peewee
import pytest

from store import db as store_db
from store.clock import utcnow
from store.db import in_transaction_retrying, is_retryable, run_concurrently
from store.models import Unit


def test_a_real_deadlock_is_retried_and_both_transactions_land(db_url):
    if store_db.backend() == "sqlite":
        pytest.skip("SQLite has one writer at a time: two transactions cannot deadlock")
    a = Unit.create(name="甲", created_at=utcnow())
    b = Unit.create(name="乙", created_at=utcnow())
    both_hold_one = threading.Barrier(2, timeout=30)
    attempts = {"first": 0, "second": 0}
    errors: list[BaseException] = []

    def transfer(name: str, first: Unit, second: Unit) -> None:
        def work() -> None:
            attempts[name] += 1
            Unit.update(name=first.name + name).where(Unit.id == first.id).execute()
            if attempts[name] == 1:
                both_hold_one.wait()  # each holds one row and wants the other: a deadlock
            Unit.update(name=Unit.name.concat("+")).where(Unit.id == second.id).execute()

        try:
            store_db.database.connect(reuse_if_open=True)
            in_transaction_retrying(work)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            store_db.database.close()

    threads = [threading.Thread(target=transfer, args=("first", a, b)),
               threading.Thread(target=transfer, args=("second", b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [], [repr(e) for e in errors]
    # The database rolled back a victim (at least once); it ran again and landed.
    assert min(attempts.values()) >= 1 and sum(attempts.values()) >= 3
    names = {u.id: u.name for u in Unit.select()}
    # Both transactions' writes are there: whichever committed last set its first row, and the "+" it
    # appended to the other row survives only if the other did not overwrite it afterwards.
    assert names[a.id].startswith("甲first") and names[b.id].startswith("乙second")
    assert (names[a.id] + names[b.id]).count("+") == 1


def test_other_errors_are_not_retried(db_url):
    calls = []

    def work() -> None:
        calls.append(1)
        Unit.create(name="重复", created_at=utcnow())
        Unit.create(name="重复", created_at=utcnow())

    with pytest.raises(peewee.IntegrityError):
        in_transaction_retrying(work, pause=lambda _s: None)
    assert calls == [1] and Unit.select().count() == 0
    assert not is_retryable(peewee.OperationalError("database is locked"))


def test_run_concurrently_keeps_order_and_on_postgresql_runs_two_at_once(db_url):
    concurrent = store_db.backend() == "postgresql"
    # Two works that each wait for the other: they finish only if they run at the same time.
    both_running = threading.Barrier(2, timeout=30)
    threads: list[str] = []

    def work(n: int) -> int:
        if concurrent and n < 2:
            both_running.wait()
        threads.append(threading.current_thread().name)
        return in_transaction_retrying(lambda: Unit.create(name=f"单位{n}", created_at=utcnow()).id)

    ids = run_concurrently([lambda n=n: work(n) for n in range(5)])
    assert [Unit.get_by_id(i).name for i in ids] == [f"单位{n}" for n in range(5)]
    assert (threading.current_thread().name in threads) is not concurrent


def test_run_concurrently_inside_a_transaction_runs_here_and_sees_it(db_url):
    with store_db.database.atomic():
        Unit.create(name="未提交", created_at=utcnow())
        found = run_concurrently([lambda: Unit.select().where(Unit.name == "未提交").count()] * 2)
    assert found == [1, 1]


def test_run_concurrently_raises_the_first_failure_and_starts_nothing_after_it(db_url):
    started: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        if n == 1:
            raise ValueError("broken")
        return in_transaction_retrying(lambda: Unit.create(name=f"单位{n}", created_at=utcnow()).id)

    with pytest.raises(ValueError, match="broken"):
        run_concurrently([lambda n=n: work(n) for n in range(200)])
    assert 1 in started and len(started) < 200
    assert Unit.select().count() == len(started) - 1
