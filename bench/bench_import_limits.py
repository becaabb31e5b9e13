"""Bad plan files refused by `duban plan import`: time and peak memory of each refusal.

Bar: each refused in under 10 s and under 500 MB, exit 1, nothing written. Each import runs in its own
process (`duban plan import FILE` against a throw-away SQLite database) so its peak RSS is its own; the files
are built by tests/bad_plan_files.py (a 1 GB zip bomb named .docx, a 200 MB file, a 60 000-row sheet, …).
Run: .venv/bin/python bench/bench_import_limits.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bad_plan_files import BAD_FILES  # noqa: E402


def refuse(path: Path, env: dict[str, str]) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak RSS in MB, last line of output) of `duban plan import PATH`."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "import bot; bot.main()", "plan", "import", str(path)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return proc.returncode, elapsed, usage.ru_maxrss / 1024, (lines[-1] if lines else "")


def build_all(folder: Path) -> None:
    for name, build in BAD_FILES.values():
        build(folder / name)


def main() -> int:
    if sys.argv[1:2] == ["--build"]:
        build_all(Path(sys.argv[2]))
        return 0
    with tempfile.TemporaryDirectory(prefix="duban-bad-") as tmp:
        # built in another process: a child forked from a parent that loaded matplotlib would count its pages
        subprocess.run([sys.executable, __file__, "--build", tmp], check=True)
        env = dict(os.environ, DUBAN_DATABASE_URL=f"sqlite:///{tmp}/bench.db")
        env.pop("DUBAN_CONFIG", None)
        subprocess.run([sys.executable, "-c", "import bot; bot.main()", "init"], cwd=ROOT, env=env,
                       capture_output=True, check=True)
        print(f"{'file':38} {'size':>9} {'exit':>4} {'time':>7} {'peak RSS':>9}  message")
        worst_time = worst_rss = 0.0
        for what, (name, _build) in BAD_FILES.items():
            path = Path(tmp) / name
            size = path.stat().st_size
            code, seconds, rss, line = refuse(path, env)
            worst_time, worst_rss = max(worst_time, seconds), max(worst_rss, rss)
            print(f"{what:38} {size / 1024:>7.0f}kB {code:>4} {seconds:>6.2f}s {rss:>7.0f}MB  {line[:90]}")
            path.unlink()
        print(f"worst: {worst_time:.2f} s, {worst_rss:.0f} MB (bar: 10 s, 500 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
