"""What the benchmarks share: real duban processes, the emulator in its own process, throw-away databases,
and the way every figure is reported (min / median of the repeats, the ratio, a verdict against the budget).

Every process a bench starts is stopped by it (context managers), also when the bench fails.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DUBAN = [sys.executable, "-m", "bot"]
ADMIN_POSTGRES_URL = os.environ.get("DUBAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CORP_ID = "ww_bench_corp"
SECRET = "bench-secret"
AGENT_ID = 1000002


def machine() -> str:
    """One line naming the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, load average {load:.1f} at start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise SystemExit(f"nothing listened on port {port} within {seconds:g} s")


@contextlib.contextmanager
def running(args: Sequence[str], *, cwd: Path | str | None = None, env: dict | None = None,
            stdout=subprocess.DEVNULL, stderr=None) -> Iterator[subprocess.Popen]:
    """A subprocess stopped (SIGTERM, then SIGKILL) when the block ends."""
    proc = subprocess.Popen(list(args), cwd=cwd, env=env, stdout=stdout, stderr=stderr, text=True)
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def emulator_process(*extra: str) -> Iterator[str]:
    """The WeCom emulator in its own process (it must not share our GIL); yields its API base URL."""
    args = [sys.executable, "-m", "wecom.emulator", "--port", "0", "--corp-id", CORP_ID, "--secret", SECRET,
            "--agent-id", str(AGENT_ID), *extra]
    with running(args, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE) as proc:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        if not line.startswith("base_url="):
            raise SystemExit("the emulator did not start")
        yield line.split("=", 1)[1]


def child_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


@contextlib.contextmanager
def database_url(backend: str, folder: Path, name: str) -> Iterator[str]:
    """A throw-away database: a SQLite file in `folder`, or a new database on the PostgreSQL server."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    if backend != "postgresql":
        raise SystemExit(f"unknown backend {backend!r}")
    import psycopg2

    db_name = f"duban_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(ADMIN_POSTGRES_URL)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{db_name}"')
        base = ADMIN_POSTGRES_URL.rsplit("/", 1)[0]
        yield f"{base}/{db_name}"
    finally:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                        "pg_backend_pid()", (db_name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        admin.close()


def summary(values: Sequence[float]) -> str:
    """'min … / median …' of the repeats."""
    return f"min {min(values):,.1f} / median {statistics.median(values):,.1f}"


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def report(name: str, figure: str, ok: bool, budget: str) -> bool:
    print(f"  => {name}: {figure} — budget {budget}: {verdict(ok)}", flush=True)
    return ok
