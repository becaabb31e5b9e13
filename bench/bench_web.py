"""The status board at city scale: every page of a plan with 10,000 assignments, over real HTTP, p95 < 200 ms.

Each page is requested `--rounds` times through the board served by waitress (as `duban serve` serves it),
each request paired with one for the board's static stylesheet from the same server, so the figures show what
the page itself costs over a request that does nothing. Signed in as an admin (who sees everything).
Run: .venv/bin/python bench/bench_web.py [--backends sqlite,postgresql] [--assignments 10000] [--rounds 40]
PostgreSQL comes from $DUBAN_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); a
throw-away database is created there and dropped after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402

from bench.bench_digest import NOW, UNITS, insert, populate  # noqa: E402
from store import db, schema  # noqa: E402
from store.clock import clock  # noqa: E402
from store.models import Contact, LeaderGroup, Task, Unit  # noqa: E402

BUDGET_MS = 200
ADMIN = "bench-admin"


def build(assignments: int) -> tuple[str, int, int, LeaderGroup]:
    """The plan; returns (plan code, a busy unit's id, a task's seq, a leader group)."""
    with db.database.atomic():
        insert(Unit, [{"name": f"区测试局{i:04d}", "created_at": NOW} for i in range(UNITS)])
        unit_ids = [u for (u,) in Unit.select(Unit.id).order_by(Unit.id).tuples()]
        insert(Contact, [{"unit": u, "name": f"联络员{k}", "userid": f"user{k:04d}", "role": "liaison",
                          "created_at": NOW} for k, u in enumerate(unit_ids[: UNITS // 2])])
        per_task = 20
        plan = populate("B", assignments // per_task, per_task, unit_ids)
        group = LeaderGroup.create(name="区领导群", channel="webhook", target="00000000-0000-0000-0000-000000000000",
                                   plan=plan, schedule="mon 09:10", created_at=NOW)
    seq = Task.select(Task.seq).where(Task.plan == plan).order_by(Task.seq.desc()).scalar() // 2
    return plan.code, unit_ids[0], seq, group


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def measure(session: requests.Session, base: str, path: str, rounds: int) -> tuple[list[float], list[float], int]:
    """(page times ms, static times ms, page bytes) for `rounds` paired requests after two warm-ups."""
    page, static = [], []
    size = 0
    for n in range(rounds + 2):
        for target, sink in ((path, page), ("/board/static/board.css", static)):
            started = time.perf_counter()
            answer = session.get(base + target, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                sys.exit(f"{target}: HTTP {answer.status_code}")
            if target == path:
                size = len(answer.content)
            if n >= 2:
                sink.append(elapsed)
    return page, static, size


def measure_cold(session: requests.Session, base: str, path: str, rounds: int, refreshed: bool) -> list[float]:
    """Page times (ms) when each request follows a new progress report: the page recomputes the figures, or
    (`refreshed`) the refresher `duban serve` runs every 2 s has recomputed them first."""
    from store.board_cache import refresh
    from store.models import Assignment, Report

    assignment = Assignment.select(Assignment.id).first()
    times = []
    for n in range(rounds):
        Report.create(assignment=assignment, at=NOW, kind="progress", text=f"进展{n}")
        if refreshed:
            refresh()
        started = time.perf_counter()
        answer = session.get(base + path, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            sys.exit(f"{path}: HTTP {answer.status_code}")
    return times


def run(backend: str, url: str, assignments: int, rounds: int) -> list[tuple]:
    from flask import Flask

    from commands.web import mount_board
    from store.board_links import board_secret, group_link_params
    from store.config import load_config
    from web.auth import signin_link
    from wecom.callback import RunningCallback

    db.connect(url)
    schema.upgrade()
    clock.freeze(NOW.replace(tzinfo=dt.timezone.utc))
    code, unit_id, seq, group = build(assignments)
    config = load_config(None, environ={})
    config["web"]["admins"] = [ADMIN]
    app = Flask("bench-board")
    mount_board(app, config)
    running = RunningCallback(app, "127.0.0.1", 0).start()
    rows = []
    try:
        session = requests.Session()
        login = session.get(signin_link(config, running.url + "/board", ADMIN), timeout=30)
        assert login.status_code == 200, login.status_code
        params = group_link_params(board_secret(""), group, clock.utcnow(), 24)
        pages = [
            ("overview", "/board/"),
            ("units (sorted, with scorecard)", "/board/units?sort=on_time"),
            ("one unit's items", f"/board/unit/{unit_id}"),
            ("one item with its history", f"/board/item/{code}/{seq}"),
            ("search by 序号", f"/board/items?q={seq}"),
            ("search by words", "/board/items?q=具体要求"),
            ("filter: overdue", "/board/items?state=overdue"),
            ("digest link (read-only overview)", f"/board/link?g={params['g']}&e={params['e']}&s={params['s']}"),
        ]
        for name, path in pages:
            page, static, size = measure(session, running.url, path, rounds)
            rows.append((backend, name, size, statistics.median(page), percentile(page, 95),
                         statistics.median(static), percentile(static, 95)))
        for name, path in pages[:2]:
            for refreshed, label in ((False, "at once"), (True, "after the refresher")):
                cold = measure_cold(session, running.url, path, max(5, rounds // 4), refreshed)
                rows.append((backend, f"{name.split(' ')[0]}: view {label} after a report", 0, statistics.median(cold),
                             percentile(cold, 95), None, None))
        started = time.perf_counter()
        ledger = session.get(running.url + "/board/ledger.xlsx", timeout=120)
        rows.append((backend, "台账 .xlsx download (500 rows × 20 units)", len(ledger.content),
                     (time.perf_counter() - started) * 1000, None, None, None))
    finally:
        running.stop()
        db.close()
    return rows


def server_database(admin_url: str) -> tuple[str, callable]:
    import peewee

    name = f"duban_bench_{uuid.uuid4().hex[:8]}"
    admin = db.open_database(admin_url)
    admin.connect()
    admin.connection().autocommit = True
    admin.execute_sql(f'CREATE DATABASE "{name}"')
    admin.close()

    def drop() -> None:
        again = db.open_database(admin_url)
        again.connect()
        again.connection().autocommit = True
        again.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        again.close()

    assert isinstance(admin, peewee.PostgresqlDatabase)
    return urlunparse(urlparse(admin_url)._replace(path="/" + name)), drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--assignments", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            rows += run(backend, f"sqlite:///{tempfile.mkdtemp()}/bench.db", args.assignments, args.rounds)
        elif backend == "postgresql":
            url, drop = server_database(os.environ.get("DUBAN_TEST_POSTGRES_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/test"))
            try:
                rows += run(backend, url, args.assignments, args.rounds)
            finally:
                drop()
        else:
            sys.exit(f"unknown backend {backend}")
    print(f"{args.assignments} assignments, {args.rounds} paired requests per page; ms (budget: page p95 < {BUDGET_MS})")
    print(f"{'backend':<11} {'page':<40} {'bytes':>8} {'p50':>7} {'p95':>7} {'static p50':>11} {'static p95':>11}")
    over = []
    for backend, name, size, p50, p95, s50, s95 in rows:
        if s50 is None and p95 is not None:
            print(f"{backend:<11} {name:<40} {'':>8} {p50:>7.1f} {p95:>7.1f}")
            continue
        if p95 is None:
            print(f"{backend:<11} {name:<40} {size:>8} {p50:>7.0f} (one request, a file export)")
            continue
        print(f"{backend:<11} {name:<40} {size:>8} {p50:>7.1f} {p95:>7.1f} {s50:>11.1f} {s95:>11.1f}")
        if p95 >= BUDGET_MS:
            over.append(f"{backend} {name}")
    if over:
        sys.exit("over budget: " + ", ".join(over))


if __name__ == "__main__":
    main()
