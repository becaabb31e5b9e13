"""The weekly digest for a plan of 10,000 assignments, and the 台账 (.xlsx) of a plan of 10,000 tasks.

Budgets: the digest (figures + wording + packing) in under 2 s; the .xlsx export of 10,000 rows in under 5 s.
Run: .venv/bin/python bench/bench_digest.py [--assignments 10000] [--rows 10000]
The data is made directly with the models in a temporary SQLite database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from store import db, schema  # noqa: E402
from store.clock import clock  # noqa: E402
from store.models import (  # noqa: E402
    Assignment,
    Contact,
    Deadline,
    LeaderGroup,
    Outbox,
    Plan,
    ReminderLog,
    Report,
    Task,
    Unit,
)

TODAY = dt.date(2019, 10, 28)
NOW = dt.datetime(2019, 10, 28, 1, 10)  # 09:10 in Shanghai, naive UTC
UNITS = 200
BATCH = 500


def insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        model.insert_many(rows[start:start + BATCH]).execute()


def populate(code: str, n_tasks: int, per_task: int, unit_ids: list[int]) -> Plan:
    """A plan of `n_tasks` tasks with `per_task` units each: a mix of done, overdue, due soon and year-round,
    with reminders (some answered) and progress reports."""
    created = dt.datetime(2019, 9, 1)
    plan = Plan.create(code=code, title=f"基准方案{code}", year=2019, issued_on=dt.date(2019, 9, 1),
                       source_name="bench", sha256=uuid.uuid4().hex, imported_at=created)
    insert(Task, [{"plan": plan.id, "seq": t + 1, "category": "重点工作类别", "subcategory": f"重点工作{t % 37}",
                   "requirement": f"第{t + 1}项工作的具体要求，" * 6, "units_raw": "区测试局牵头", "deadline_raw": "10月底前"}
                  for t in range(n_tasks)])
    task_ids = [t for (t,) in Task.select(Task.id).where(Task.plan == plan).order_by(Task.seq).tuples()]
    deadlines, assignments = [], []
    for i, tid in enumerate(task_ids):
        if i % 4 == 0:
            deadlines.append({"task": tid, "kind": "year_round", "due": dt.date(2019, 12, 31), "raw": "全年工作"})
        else:
            deadlines.append({"task": tid, "kind": "fixed", "due": TODAY + dt.timedelta(days=(i % 40) - 20),
                              "raw": "10月底前"})
        for k in range(per_task):
            n = i * per_task + k
            done = n % 5 == 0
            assignments.append({"task": tid, "unit": unit_ids[n % len(unit_ids)], "role": "lead" if k == 0 else
                                "cooperate", "state": "done" if done else "open", "created_at": created,
                                "done_at": NOW - dt.timedelta(hours=n % 300) if done else None})
    insert(Deadline, deadlines)
    insert(Assignment, assignments)
    ids = [a for (a,) in Assignment.select(Assignment.id).join(Task).where(Task.plan == plan).tuples()]
    outbox = Outbox.create(dedupe_key=f"bench-{code}", channel="app", target="u", body="x", next_try_at=NOW,
                           created_at=NOW - dt.timedelta(days=6), sent_at=NOW - dt.timedelta(days=6), state="sent")
    insert(ReminderLog, [{"assignment": a, "stage": "before_3", "sent_on": TODAY - dt.timedelta(days=6),
                          "outbox": outbox.id} for a in ids[::3]])
    insert(Report, [{"assignment": a, "at": NOW - dt.timedelta(days=5), "kind": "progress", "text": "按计划推进"}
                    for a in ids[::6]])
    return plan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignments", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    db.connect(f"sqlite:///{folder}/bench.db")
    schema.upgrade()
    clock.freeze(NOW.replace(tzinfo=dt.timezone.utc))
    with db.database.atomic():
        insert(Unit, [{"name": f"区测试局{i:04d}", "created_at": NOW} for i in range(UNITS)])
        unit_ids = [u for (u,) in Unit.select(Unit.id).order_by(Unit.id).tuples()]
        insert(Contact, [{"unit": u, "name": f"联络员{k}", "userid": f"user{k:04d}", "role": "liaison",
                          "created_at": NOW} for k, u in enumerate(unit_ids[: UNITS // 2])])
        per_task = 20
        digest_plan = populate("D", args.assignments // per_task, per_task, unit_ids)
        ledger_plan = populate("L", args.rows, 1, unit_ids)
        group = LeaderGroup.create(name="区领导群", channel="webhook", target="00000000-0000-0000-0000-000000000000",
                                   plan=digest_plan, schedule="mon 09:10", created_at=NOW)

    from jobs.calendar import WorkCalendar
    from jobs.digest import build_digest
    from jobs.ledger import export_ledger_xlsx
    from store.config import load_config

    config = load_config(None, environ={})
    started = time.perf_counter()
    digest = build_digest(group, TODAY, NOW, config, WorkCalendar())
    digest_s = time.perf_counter() - started
    fig = digest.figures[0]
    print(f"digest: {fig.assignments} assignments, {fig.overdue} overdue in {len(fig.overdue_by_unit)} units, "
          f"{len(digest.parts)} part(s) of at most {max(len(p.encode()) for p in digest.parts)} bytes: "
          f"{digest_s:.2f} s (budget 2 s)")

    started = time.perf_counter()
    rows = export_ledger_xlsx(os.path.join(folder, "ledger.xlsx"), plan_ref=ledger_plan.code, today=TODAY)
    export_s = time.perf_counter() - started
    size = os.path.getsize(os.path.join(folder, "ledger.xlsx")) / 1e6
    print(f"ledger: {rows} rows, {size:.1f} MB: {export_s:.2f} s (budget 5 s)")
    db.close()
    if digest_s >= 2 or export_s >= 5:
        sys.exit("over budget")


if __name__ == "__main__":
    main()
