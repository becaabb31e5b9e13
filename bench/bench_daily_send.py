"""The daily send: 100,000 assignments across 2,000 units, each unit with a liaison and a leader, against its own
dry run (planning only), on SQLite and PostgreSQL.

Budget (issue 13): the send (plan, then every message into the outbox with its reminder-log rows, atomically)
takes under 2 × its dry run and under 10 s; every unit has someone to tell (no 无联络员).

    .venv/bin/python bench/bench_daily_send.py [--assignments 100000] [--repeats 3] [--backends sqlite,postgresql]

The data is built once per backend; every run then starts from a fresh copy of it (a file copy on SQLite, a
database made from it as a template on PostgreSQL) in a fresh process, so no run finds another's work and each
pays its own start-up. Dry runs and sends alternate.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_support import ADMIN_POSTGRES_URL, child_env, machine, report, summary  # noqa: E402

TODAY = dt.date(2019, 10, 22)
NOW = dt.datetime(2019, 10, 22, 1, 10)  # 09:10 in Shanghai
UNITS = 2000
RATIO = 2.0
SECONDS = 10.0


def populate(url: str, assignments: int) -> None:
    from bench.bench_reminders import populate as plan_world
    from store import db, schema
    from store.models import Contact, Unit

    db.connect(url)
    try:
        schema.upgrade()
        plan_world(assignments)
        now = dt.datetime(2019, 9, 1)
        leaders = [{"unit": uid, "name": f"领导{k}", "userid": f"leader{k:04d}", "role": "leader", "created_at": now}
                   for k, (uid,) in enumerate(Unit.select(Unit.id).order_by(Unit.id).tuples())]
        with db.database.atomic():
            for start in range(0, len(leaders), 500):
                Contact.insert_many(leaders[start:start + 500]).execute()
    finally:
        db.close()


def run_once(url: str, mode: str) -> None:
    """In a fresh process: one dry run or one send, timed; prints JSON."""
    from jobs.calendar import WorkCalendar
    from jobs.reminders import plan_reminders, send_reminders
    from store import db
    from store.config import load_config
    from store.outbox import unsent_count

    db.connect(url)
    config = load_config(None, environ={})
    started = time.perf_counter()
    if mode == "dry":
        run = plan_reminders(TODAY, NOW, config, WorkCalendar())
    else:
        run = send_reminders(TODAY, NOW, config, WorkCalendar())
    seconds = time.perf_counter() - started
    queued = unsent_count() if mode == "send" else 0
    print(json.dumps({"seconds": seconds, "messages": len(run.messages), "unreachable": len(run.unreachable),
                      "items": sum(len(m.items) for m in run.messages), "queued": queued}))


@contextlib.contextmanager
def copies(backend: str, folder: Path, assignments: int) -> Iterator:
    """Yields a function giving a fresh copy of the populated database (a context manager yielding its URL)."""
    if backend == "sqlite":
        base = folder / "base.db"
        populate(f"sqlite:///{base}", assignments)

        @contextlib.contextmanager
        def fresh() -> Iterator[str]:
            target = folder / f"run-{uuid.uuid4().hex[:8]}.db"
            shutil.copy(base, target)
            try:
                yield f"sqlite:///{target}"
            finally:
                target.unlink(missing_ok=True)

        yield fresh
        return
    import psycopg2

    admin = psycopg2.connect(ADMIN_POSTGRES_URL)
    admin.autocommit = True
    server = ADMIN_POSTGRES_URL.rsplit("/", 1)[0]
    base_name = f"duban_bench_daily_{uuid.uuid4().hex[:8]}"

    def sql(statement: str) -> None:
        with admin.cursor() as cur:
            cur.execute(statement)

    sql(f'CREATE DATABASE "{base_name}"')
    try:
        populate(f"{server}/{base_name}", assignments)

        @contextlib.contextmanager
        def fresh() -> Iterator[str]:
            name = f"{base_name}_{uuid.uuid4().hex[:6]}"
            sql(f'CREATE DATABASE "{name}" TEMPLATE "{base_name}"')
            try:
                yield f"{server}/{name}"
            finally:
                sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        yield fresh
    finally:
        sql(f'DROP DATABASE IF EXISTS "{base_name}" WITH (FORCE)')
        admin.close()


def measure(url: str, mode: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--run", mode, "--url", url], capture_output=True, text=True,
                         env=child_env(), timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_backend(backend: str, assignments: int, repeats: int, folder: Path) -> bool:
    print(f"\n== {backend}: {assignments:,} assignments, {UNITS:,} units with a liaison and a leader each, "
          f"{repeats} repeats", flush=True)
    dry, send, ratios = [], [], []
    with copies(backend, folder, assignments) as fresh:
        for r in range(repeats):
            with fresh() as url:
                d = measure(url, "dry")
            with fresh() as url:
                s = measure(url, "send")
            dry.append(d["seconds"])
            send.append(s["seconds"])
            ratios.append(s["seconds"] / d["seconds"])
            print(f"  repeat {r + 1}: dry run {d['seconds']:.2f} s ({d['messages']:,} messages, {d['items']:,} items, "
                  f"无联络员 {d['unreachable']}); send {s['seconds']:.2f} s ({s['messages']:,} messages enqueued, "
                  f"{s['queued']:,} in the outbox); send / dry run {ratios[-1]:.2f}", flush=True)
            if s["messages"] != d["messages"] or s["queued"] != s["messages"] or d["unreachable"]:
                return report(f"daily send on {backend}", "the send did not enqueue what the dry run planned", False,
                              f"≤ {RATIO:g}× dry run, < {SECONDS:g} s")
    print(f"  dry run s {summary(dry)}; send s {summary(send)}")
    ratio, seconds = statistics.median(ratios), statistics.median(send)
    return report(f"daily send on {backend} (medians)", f"{seconds:.2f} s, {ratio:.2f}× its dry run",
                  ratio <= RATIO and seconds < SECONDS, f"≤ {RATIO:g}× dry run and < {SECONDS:g} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignments", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--run", choices=["dry", "send"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_once(args.url, args.run)
        return 0
    print(f"bench_daily_send on {machine()}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        for backend in args.backends.split(","):
            ok &= bench_backend(backend, args.assignments, args.repeats, Path(tmp))
    print(f"\nverdict: {'every budget met' if ok else 'a budget was missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
