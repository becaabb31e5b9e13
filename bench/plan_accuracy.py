"""Plan import accuracy on real plans: duban's `plan import FILE --dry-run --json` against hand-written gold files.

Each gold file in tests/data/plans-real/ (format in that folder's README) describes one real plan as a careful
clerk reads it. This script runs duban's real import (a subprocess, dry run, throw-away SQLite database) on each
plan file and prints, per file and in total, task rows whose units and whose deadlines are exact, flagged
(wrong, but duban warned for that 序号), silently wrong, or missing; files refused; and silently dropped
fragments (a gold unit or deadline that appears nowhere in duban's row, in a row without a warning).
It measures, so it always exits 0.

Run: .venv/bin/python bench/plan_accuracy.py [--json | --markdown] [--verbose] [--repo CHECKOUT] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "plans-real"
ROLES = ("lead", "responsible", "cooperate", "guide")
OUTCOMES = ("exact", "flagged", "silent", "missing")
TIMEOUT = 300


def norm(text: str | None) -> str:
    """Trivial normalisation: NFKC (full-width to half-width) and no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def norm_label(text: str | None) -> str:
    """A milestone label compared without its closing or leading punctuation."""
    return norm(text).strip("。.；;，,、：:")


def gold_units(task: dict) -> dict[str, set[str]]:
    units = task.get("units") or {}
    return {role: {norm(n) for n in units.get(role) or []} for role in ROLES}


def duban_units(task: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {role: set() for role in ROLES}
    for ref in (task.get("units") or []) + (task.get("groups") or []):
        out.setdefault(ref.get("role"), set()).add(norm(ref.get("name")))
    return out


def _deadline_key(d: dict, with_label: bool, dated: bool) -> tuple:
    kind = d.get("kind")
    due = d.get("due") if (kind == "fixed" or (kind == "recurring" and dated)) else None
    label = norm_label(d.get("label")) if with_label else None
    return (kind, due, label)


def deadlines_match(gold: list[dict], got: list[dict]) -> tuple[bool, int]:
    """(exact, how many gold deadlines have no deadline at all in duban's row)."""
    with_label = any(d.get("label") for d in gold)
    keys = [_deadline_key(d, with_label, bool(d.get("due"))) for d in gold]
    dated_recurring = any(k[0] == "recurring" and k[1] for k in keys)
    exact = Counter(keys) == Counter(_deadline_key(d, with_label, dated_recurring) for d in got)
    return exact, max(0, len(gold) - len(got))


@dataclass
class FileScore:
    name: str
    kind: str
    format: str
    rows: int
    refused: str | None = None
    units: Counter = field(default_factory=Counter)
    deadlines: Counter = field(default_factory=Counter)
    dropped: int = 0
    extra_rows: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"file": self.name, "kind": self.kind, "format": self.format, "rows": self.rows,
                "refused": self.refused, "units": {k: self.units[k] for k in OUTCOMES},
                "deadlines": {k: self.deadlines[k] for k in OUTCOMES}, "dropped_fragments": self.dropped,
                "extra_rows": self.extra_rows, "problems": self.problems}


def run_import(path: Path, env: dict[str, str]) -> tuple[dict | None, str]:
    """duban plan import PATH --dry-run --json; (parsed JSON or None, error text)."""
    cmd = [sys.executable, "-c", "import bot; bot.main()", "plan", "import", str(path), "--dry-run", "--json"]
    try:
        proc = subprocess.run(cmd, cwd=env["DUBAN_ACCURACY_REPO"], env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {TIMEOUT} s"
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return None, (lines[-1] if lines else f"exit {proc.returncode}")[:300]
    try:
        return json.loads(proc.stdout), ""
    except json.JSONDecodeError:
        return None, "output is not JSON"


def score_file(gold_path: Path, env: dict[str, str]) -> FileScore:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    tasks = gold["tasks"]
    score = FileScore(gold["file"], gold.get("kind", "?"), gold.get("format", "?"), len(tasks))
    data, error = run_import(gold_path.parent / gold["file"], env)
    if data is None:
        score.refused = error
        score.units["missing"] = score.deadlines["missing"] = len(tasks)
        return score
    got = {str(t.get("seq")): t for t in data.get("tasks") or []}
    warned = {str(w.get("seq")) for w in data.get("warnings") or [] if w.get("seq") is not None}
    score.extra_rows = len(set(got) - {str(t["seq"]) for t in tasks})
    for task in tasks:
        seq = str(task["seq"])
        row = got.get(seq)
        if row is not None and task.get("text") and norm(task["text"]) not in norm(row.get("requirement")):
            score.problems.append(f"[{seq}] is another task in duban: {str(row.get('requirement'))[:30]}")
            row = None  # the 序号 matched, the task did not: the gold task is missing
        if row is None:
            score.units["missing"] += 1
            score.deadlines["missing"] += 1
            score.problems.append(f"[{seq}] missing")
            continue
        want, have = gold_units(task), duban_units(row)
        if all(want[r] == have.get(r, set()) for r in ROLES) and not set(have) - set(ROLES):
            score.units["exact"] += 1
        else:
            score.units["flagged" if seq in warned else "silent"] += 1
            diff = {r: (sorted(want[r] - have.get(r, set())), sorted(have.get(r, set()) - want[r]))
                    for r in set(ROLES) | set(have)
                    if want.get(r, set()) != have.get(r, set())}
            score.problems.append(f"[{seq}] units " + "; ".join(
                f"{r}: -{'、'.join(m) or '∅'} +{'、'.join(e) or '∅'}" for r, (m, e) in sorted(diff.items())))
            if seq not in warned:
                everywhere = set().union(*have.values()) if have else set()
                score.dropped += sum(1 for r in ROLES for n in want[r] if n not in everywhere)
        exact, absent = deadlines_match(task.get("deadlines") or [], row.get("deadlines") or [])
        if exact:
            score.deadlines["exact"] += 1
        else:
            score.deadlines["flagged" if seq in warned else "silent"] += 1
            want_d = [(d.get("kind"), d.get("due"), d.get("label")) for d in task.get("deadlines") or []]
            have_d = [(d.get("kind"), d.get("due"), d.get("label"), d.get("raw")) for d in row.get("deadlines") or []]
            score.problems.append(f"[{seq}] deadlines want {want_d} got {have_d}")
            if seq not in warned:
                score.dropped += absent
    return score


def fresh_env(tmp: str, repo: Path = ROOT) -> dict[str, str]:
    """The environment of every import: a throw-away SQLite database, and the duban checkout to run."""
    env = dict(os.environ)
    env["DUBAN_DATABASE_URL"] = f"sqlite:///{tmp}/accuracy.db"
    env["DUBAN_ACCURACY_REPO"] = str(repo)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    env.pop("DUBAN_CONFIG", None)
    subprocess.run([sys.executable, "-c", "import bot; bot.main()", "init"], cwd=repo, env=env,
                   capture_output=True, text=True, check=False)
    return env


def pct(n: int, total: int) -> str:
    return f"{100 * n / total:.0f}%" if total else "-"


def print_markdown(scores: list[FileScore], totals: dict) -> None:
    rows, u, d = totals["rows"], totals["units"], totals["deadlines"]
    print("| files refused | rows | units exact | units exact-or-flagged | deadlines exact | "
          "deadlines exact-or-flagged | silently dropped |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {totals['refused']} of {totals['files']} | {rows} | {u['exact']} ({pct(u['exact'], rows)}) | "
          f"{u['exact'] + u['flagged']} ({pct(u['exact'] + u['flagged'], rows)}) | "
          f"{d['exact']} ({pct(d['exact'], rows)}) | {d['exact'] + d['flagged']} ({pct(d['exact'] + d['flagged'], rows)}) "
          f"| {totals['dropped_fragments']} |")
    print()
    print("| file | kind | rows | units exact/flagged/silent/missing | deadlines exact/flagged/silent/missing | note |")
    print("| --- | --- | ---: | --- | --- | --- |")
    for s in scores:
        note = f"refused: {s.refused}" if s.refused else (f"{s.dropped} dropped" if s.dropped else "")
        print(f"| {s.name} | {s.kind} | {s.rows} | {'/'.join(str(s.units[k]) for k in OUTCOMES)} | "
              f"{'/'.join(str(s.deadlines[k]) for k in OUTCOMES)} | {note.replace('|', '/')} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="only these gold files (name without .gold.json)")
    parser.add_argument("--json", action="store_true", help="print JSON for machine use")
    parser.add_argument("--markdown", action="store_true", help="print the tables docs/benchmarks.md keeps")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every wrong row")
    parser.add_argument("--repo", type=Path, default=ROOT,
                        help="run the duban of this checkout (default: the one holding this script)")
    args = parser.parse_args(argv)
    golds = sorted(CORPUS.glob("*.gold.json"))
    if args.names:
        golds = [g for g in golds if g.name.removesuffix(".gold.json") in args.names]
    with tempfile.TemporaryDirectory() as tmp:
        env = fresh_env(tmp, args.repo.resolve())
        scores = [score_file(g, env) for g in golds]
    total_u, total_d = Counter(), Counter()
    for s in scores:
        total_u.update(s.units)
        total_d.update(s.deadlines)
    rows = sum(s.rows for s in scores)
    totals = {"files": len(scores), "refused": sum(1 for s in scores if s.refused), "rows": rows,
              "units": {k: total_u[k] for k in OUTCOMES}, "deadlines": {k: total_d[k] for k in OUTCOMES},
              "dropped_fragments": sum(s.dropped for s in scores), "extra_rows": sum(s.extra_rows for s in scores)}
    if args.json:
        print(json.dumps({"files": [s.as_dict() for s in scores], "totals": totals}, ensure_ascii=False, indent=2))
        return 0
    if args.markdown:
        print_markdown(scores, totals)
        return 0
    head = f"{'file':34} {'kind':9} {'rows':>4}  units ex/fl/si/mi   deadlines ex/fl/si/mi  drop"
    print(head)
    print("-" * len(head))
    for s in scores:
        u = "/".join(str(s.units[k]) for k in OUTCOMES)
        d = "/".join(str(s.deadlines[k]) for k in OUTCOMES)
        print(f"{s.name:34} {s.kind:9} {s.rows:>4}  {u:18} {d:22} {s.dropped:>4}"
              + (f"  REFUSED: {s.refused}" if s.refused else ""))
        if args.verbose:
            for p in s.problems:
                print(f"      {p}")
    print("-" * len(head))
    print(f"files {totals['files']}, refused {totals['refused']}, task rows {rows}, "
          f"extra rows {totals['extra_rows']}")
    for label, c in (("units", total_u), ("deadlines", total_d)):
        print(f"{label:9}: exact {c['exact']} ({pct(c['exact'], rows)}), "
              f"exact-or-flagged {c['exact'] + c['flagged']} ({pct(c['exact'] + c['flagged'], rows)}), "
              f"silently wrong {c['silent']}, missing {c['missing']}")
    print(f"silently dropped fragments: {totals['dropped_fragments']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
