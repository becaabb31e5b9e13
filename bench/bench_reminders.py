"""Planning one day's reminders for 10k / 50k / 100k assignments across 2,000 contacts.

Budget: 100,000 assignments in under 5 s on SQLite and on PostgreSQL, peak memory under 300 MB, linear growth.
Run: .venv/bin/python bench/bench_reminders.py [--sizes 10000,50000,100000] [--backends sqlite,postgresql]
Each planning run happens in a fresh subprocess so its peak RSS is the planner's own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from store import db, schema  # noqa: E402
from store.models import Assignment, Contact, Deadline, Plan, Task, Unit  # noqa: E402

TODAY = dt.date(2019, 10, 22)
UNITS = 2000


def populate(n_assignments: int) -> None:
    now = dt.datetime(2019, 9, 1)
    tasks_count = max(1, n_assignments // UNITS)
    with db.database.atomic():
        plan = Plan.create(code="A", title="基准方案", year=2019, issued_on=dt.date(2019, 9, 1), source_name="bench",
                           sha256=uuid.uuid4().hex, imported_at=now)
        Unit.insert_many([{"name": f"区测试局{i:04d}", "created_at": now} for i in range(UNITS)]).execute()
        unit_ids = [u.id for u in Unit.select(Unit.id).order_by(Unit.id)]
        contacts = [{"unit": uid, "name": f"联络员{k}", "userid": f"user{k:04d}", "role": "liaison", "created_at": now}
                    for k, uid in enumerate(unit_ids)]
        for start in range(0, len(contacts), 500):
            Contact.insert_many(contacts[start:start + 500]).execute()
        for t in range(tasks_count):
            task = Task.create(plan=plan, seq=t + 1, requirement=f"第{t + 1}项工作的具体要求，" * 5, subcategory="重点工作")
            Deadline.create(task=task, kind="fixed", due=TODAY + dt.timedelta(days=(t % 20) - 5), raw="10月底前")
            rows = [{"task": task.id, "unit": uid, "role": "lead" if i % 5 else "cooperate", "created_at": now}
                    for i, uid in enumerate(unit_ids)]
            for start in range(0, len(rows), 500):
                Assignment.insert_many(rows[start:start + 500]).execute()


def plan_only(url: str) -> None:
    from jobs.calendar import WorkCalendar
    from jobs.reminders import plan_reminders
    from store.config import load_config

    db.connect(url)
    started = time.perf_counter()
    run = plan_reminders(TODAY, dt.datetime(2019, 10, 22, 1, 10), load_config(None, environ={}), WorkCalendar())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    items = sum(len(m.items) for m in run.messages)
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "messages": len(run.messages), "items": items}))


def server_database(admin_url: str) -> tuple[str, callable]:
    import peewee

    name = f"duban_bench_{uuid.uuid4().hex[:8]}"
    admin = db.open_database(admin_url)
    admin.connect()
    if isinstance(admin, peewee.PostgresqlDatabase):
        admin.connection().autocommit = True
        admin.execute_sql(f'CREATE DATABASE "{name}"')
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    else:
        admin.execute_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        drop = f"DROP DATABASE IF EXISTS `{name}`"
    admin.close()

    def cleanup() -> None:
        db.close()
        a = db.open_database(admin_url)
        a.connect()
        if isinstance(a, peewee.PostgresqlDatabase):
            a.connection().autocommit = True
        a.execute_sql(drop)
        a.close()

    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}", cleanup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--plan-only")
    args = parser.parse_args()
    if args.plan_only:
        plan_only(args.plan_only)
        return
    admin = {"postgresql": os.environ.get("DUBAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
             "mysql": os.environ.get("DUBAN_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")}
    print(f"{'backend':<11}{'assignments':>12}{'plan s':>9}{'peak MB':>9}{'messages':>10}{'items':>8}{'µs/assignment':>15}")
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            if backend == "sqlite":
                folder = tempfile.mkdtemp()
                url, cleanup = f"sqlite:///{folder}/bench.db", db.close
            else:
                url, cleanup = server_database(admin[backend])
            db.connect(url)
            schema.upgrade()
            populate(size)
            db.close()
            out = subprocess.run([sys.executable, __file__, "--plan-only", url], capture_output=True, text=True,
                                 check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{backend:<11}{size:>12}{r['seconds']:>9.2f}{r['peak_mb']:>9.0f}{r['messages']:>10}{r['items']:>8}"
                  f"{r['seconds'] / size * 1e6:>15.1f}")
            cleanup()


if __name__ == "__main__":
    main()
