"""Plan and contact imports.

Budgets: the seed plan imports in under 1 s; a generated 5,000-task .xlsx in under 2 s (issue 13: parse and
save, the save a hundred rows per statement in one transaction), growing linearly (1k/2k/5k); `contact import`
of a 2,000-row GBK CSV in one transaction under 3 s on SQLite.
Run: .venv/bin/python bench/bench_import.py
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from openpyxl import Workbook  # noqa: E402

from plan.read import read_plan  # noqa: E402
from plan.units import likely_duplicates  # noqa: E402
from store import db, schema  # noqa: E402
from store.contact_sheet import sync_contacts  # noqa: E402
from store.plan_import import save_plan  # noqa: E402
from store.units import add_unit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEADLINES = ["10月底前", "全年工作", "12月底前", "2020年3月底前", "11月中旬", "长期坚持", "每月25日前", "第三季度"]
UNITS = ["区财政局牵头，区政府各部门分别负责落实", "区司法局牵头，各行政执法部门具体负责落实",
         "区政府办公室负责，区委目督办、区政府目督办配合落实", "区科信局、区发改局、区住建局按职责分工负责"]


def fresh_db() -> str:
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    db.connect(url)
    schema.upgrade()
    return url


def make_xlsx(path: Path, tasks: int) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["测试区2019年重点工作分工方案"])
    sheet.append(["序号", "工作任务", "具体要求", "牵头单位", "完成时限"])
    for i in range(1, tasks + 1):
        category = f"第{(i - 1) // 25 + 1}类重点工作" if i % 25 == 1 else None
        sheet.append([i, category, f"第{i}项具体要求：加强政务公开，做好信息发布和政策解读工作。",
                      UNITS[i % len(UNITS)] if i % 3 else None, DEADLINES[i % len(DEADLINES)] if i % 2 else None])
    book.save(path)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    fresh_db()
    parse_s, parsed = timed(lambda: read_plan(ROOT / "plan" / "samples" / "wuhua-2019.txt"))
    save_s, _ = timed(lambda: save_plan(parsed, likely_duplicates=likely_duplicates))
    print(f"seed plan (74 tasks): parse {parse_s:.3f} s, save {save_s:.3f} s, total {parse_s + save_s:.3f} s")
    print(f"{'tasks':>6} {'parse s':>8} {'save s':>8} {'total s':>8} {'ms/task':>8}")
    for tasks in (1000, 2000, 5000):
        fresh_db()
        path = Path(tempfile.mkdtemp()) / f"plan{tasks}.xlsx"
        make_xlsx(path, tasks)
        parse_s, parsed = timed(lambda p=path: read_plan(p, year=2019))
        save_s, report = timed(lambda p=parsed: save_plan(p, likely_duplicates=likely_duplicates))
        assert report.tasks == tasks, report.tasks
        total = parse_s + save_s
        print(f"{tasks:>6} {parse_s:>8.2f} {save_s:>8.2f} {total:>8.2f} {total / tasks * 1000:>8.2f}")
        if tasks == 5000:
            verdict = "MET" if total < 2 else "MISSED"
            print(f"  => 5,000-task import: {total:.2f} s (parse {parse_s:.2f} s, save {save_s:.2f} s) — budget < 2 s: "
                  f"{verdict}")

    fresh_db()
    for n in range(40):
        add_unit(f"区测试局{n:02d}")
    path = Path(tempfile.mkdtemp()) / "contacts.csv"
    with path.open("w", newline="", encoding="gbk") as fh:
        writer = csv.writer(fh)
        writer.writerow(["单位", "姓名", "企业微信账号", "手机", "角色"])
        for i in range(2000):
            writer.writerow([f"区测试局{i % 40:02d}", f"联络员{i}", f"user{i:05d}", f"138{i:08d}",
                             "联络员" if i % 4 else "领导"])
    from plan.tables import read_rows

    seconds, result = timed(lambda: sync_contacts(read_rows(path)))
    print(f"contact import, 2,000-row GBK CSV on SQLite: {seconds:.2f} s ({len(result.added)} added)")


if __name__ == "__main__":
    main()
