"""Start-up: what `duban --help` and a SQLite `duban task list` load, and how long they take beside `python -c pass`.

Budget (issue 13): neither loads a database driver it does not use (psycopg2, pymysql), openpyxl, docx,
matplotlib or numpy. `python -X importtime` still lists psycopg2 / pymysql for a few microseconds each: that
is peewee asking for them while they are hidden (store/drivers.py); what counts is what ends up loaded, which
this bench reads from sys.modules at exit.

    .venv/bin/python bench/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_support import DUBAN, child_env, machine, report, summary  # noqa: E402

HEAVY = ("psycopg2", "psycopg", "pymysql", "MySQLdb", "openpyxl", "docx", "matplotlib", "numpy")
PROBE = """
import atexit, json, sys
atexit.register(lambda: print("LOADED " + json.dumps(sorted({m.split(".")[0] for m, v in list(sys.modules.items())
                                                                if v is not None})), file=sys.stderr))
sys.argv = ["duban"] + sys.argv[1:]
import bot
bot.main()
"""


def loaded(args: list[str], cwd: Path, env: dict) -> set[str]:
    run = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True)
    line = next(x for x in run.stderr.splitlines() if x.startswith("LOADED "))
    return set(json.loads(line[len("LOADED "):]))


def seconds(command: list[str], cwd: Path, env: dict, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True)
        out.append(time.perf_counter() - started)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"bench_startup on {machine()}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        folder = Path(tmp)
        env = child_env(DUBAN_DATABASE_URL=f"sqlite:///{folder / 'duban.db'}")
        for setup in (["init"], ["plan", "import", "--sample"]):
            subprocess.run([*DUBAN, *setup], cwd=folder, env=env, capture_output=True, check=True)
        bare = seconds([sys.executable, "-c", "pass"], folder, env, args.repeats)
        print(f"python -c pass: ms {summary([x * 1000 for x in bare])} ms")
        for command in (["--help"], ["task", "list"]):
            heavy = sorted(loaded(command, folder, env) & set(HEAVY))
            took = seconds([*DUBAN, *command], folder, env, args.repeats)
            print(f"duban {' '.join(command)}: ms {summary([x * 1000 for x in took])}, "
                  f"{statistics.median(took) / statistics.median(bare):.1f}× python -c pass")
            ok &= report(f"duban {' '.join(command)} loads", ", ".join(heavy) or "no driver / document / chart "
                         "library", not heavy, "none of " + ", ".join(HEAVY))
    print(f"\nverdict: {'every budget met' if ok else 'a budget was missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
