"""`duban export --evidence DIR`: every evidence file, one folder per unit and item, with an index.csv.

DIR/区财政局/A24 加强政策解读/发布截图.jpg — names made safe for every file system, a name used twice in one
folder gets (2), (3) …; index.csv (UTF-8 with BOM, as Excel opens it) lists unit, item, file, size, sha256,
sender and time for each.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from store.clock import clock
from store.config import Config
from store.db import StoreError
from store.digest_data import plans_in_scope
from store.evidence import evidence_dir, export_rows
from store.plans import get_plan

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
INDEX_HEADER = ["单位", "方案", "序号", "事项", "文件", "类型", "大小（字节）", "sha256", "发送人", "发送时间", "路径"]


def safe_name(text: str, limit: int = 60) -> str:
    cleaned = _UNSAFE.sub("_", text).strip(" .") or "_"
    return cleaned[:limit]


def _unique(folder: Path, name: str, used: set[Path]) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while target in used:
        target = folder / f"{stem}({n}){suffix}"
        n += 1
    used.add(target)
    return target


def export_evidence(config: Config, out: str | Path, plan_ref: str | None = None) -> int:
    """Copy the evidence of one plan (or every active plan) to `out`; returns the number of files written."""
    plans = [get_plan(plan_ref)] if plan_ref else plans_in_scope(None)
    source = evidence_dir(config)
    rows = export_rows([p.id for p in plans])
    missing = [r.evidence.path for r in rows if not (source / r.evidence.path).is_file()]
    if missing:
        raise StoreError(f"{len(missing)} evidence file(s) are missing from {source} (first: {missing[0]}): "
                         "check [evidence] dir")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    used: set[Path] = set()
    index = []
    for row in rows:
        item = f"{row.plan_code}{row.seq_label} {row.title}" if len(plans) > 1 else f"{row.seq_label} {row.title}"
        folder = root / safe_name(row.unit) / safe_name(item, 40)
        folder.mkdir(parents=True, exist_ok=True)
        target = _unique(folder, safe_name(row.evidence.filename, 120), used)
        shutil.copyfile(source / row.evidence.path, target)
        e = row.evidence
        index.append([row.unit, row.plan_code, row.seq_label, row.title, e.filename, e.kind, e.size, e.sha256,
                      e.sender_name, clock.to_local(e.sent_at).strftime("%Y-%m-%d %H:%M"),
                      target.relative_to(root).as_posix()])
    with open(root / "index.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(INDEX_HEADER)
        writer.writerows(index)
    return len(rows)
