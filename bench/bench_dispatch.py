"""How fast is the outbox? Enqueueing on SQLite, and one dispatcher sending to the WeCom emulator.

Budgets: 10,000 enqueues in under 2 s; one dispatcher at 200 messages/s or more. The dispatcher figure is
printed beside a bare requests.Session loop posting the same JSON bodies to the same emulator in the same
run, so the ratio is duban's own overhead (store, claims, wechatpy, rate windows). The emulator runs in its
own process (client and server do not share a GIL) unless --in-process.

[outbox] messages_per_second is raised for the run: the production default (50/s) is a deliberate pace.

    .venv/bin/python bench/bench_dispatch.py [-n 10000] [-m 2000] [--in-process]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORP_ID = "ww_demo_corp"
SECRET = "demo-secret"
AGENT_ID = 1000002
RECIPIENTS = 200  # spread over many people: 2,000 messages stay under 30 a minute each


def text(i: int) -> str:
    return f"督办提醒 第{i}条：请于本周五前报送进度。"


def bench_enqueue(count: int, folder: Path) -> tuple[float, float]:
    """Seconds for `count` enqueues: in one transaction (as jobs do), and each on its own (autocommit)."""
    from jobs.outbox import enqueue_message
    from store import db, schema
    from store.db import database

    timings = []
    for mode in ("one transaction", "autocommit"):
        db.connect(f"sqlite:///{folder / f'enqueue-{mode[0]}.db'}")
        schema.upgrade()
        started = time.perf_counter()
        if mode == "one transaction":
            with database.atomic():
                for i in range(count):
                    enqueue_message(f"bench:{i}", "app", f"user{i % RECIPIENTS:03d}", text(i))
        else:
            for i in range(count):
                enqueue_message(f"bench:{i}", "app", f"user{i % RECIPIENTS:03d}", text(i))
        timings.append(time.perf_counter() - started)
        db.close()
    return timings[0], timings[1]


def bench_dispatch(base_url: str, count: int, folder: Path) -> tuple[float, float]:
    """(messages/s of one Dispatcher, messages/s of a bare requests loop) for the same bodies."""
    from jobs.outbox import Dispatcher, enqueue_message, make_sender
    from store import db, schema
    from store.config import load_config
    from store.db import database

    control = base_url.replace("/cgi-bin/", "/emulator/")
    cfg = load_config(None, environ={})
    cfg["wecom"].update(corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID, api_base_url=base_url, timeout=10.0)
    cfg["outbox"]["messages_per_second"] = 1_000_000.0
    db.connect(f"sqlite:///{folder / 'dispatch.db'}")
    schema.upgrade()
    with database.atomic():
        for i in range(count):
            enqueue_message(f"bench:{i}", "app", f"user{i % RECIPIENTS:03d}", text(i))
    dispatcher = Dispatcher(make_sender(cfg), cfg, worker_name="bench")
    dispatcher.sender.client.fetch_access_token()  # both sides start with a token and a warm connection
    requests.post(control + "reset", timeout=10)
    started = time.perf_counter()
    sent = 0
    while True:
        result = dispatcher.flush()
        sent += result.sent
        if result.remaining == 0 or not result.sent:
            break
    duban_rate = sent / (time.perf_counter() - started)
    stats = requests.get(control + "stats", timeout=10).json()["stats"]
    if sent != count or stats.get("delivered") != count:
        raise SystemExit(f"dispatcher sent {sent}, emulator delivered {stats.get('delivered')}, expected {count}")
    db.close()

    requests.post(control + "reset", timeout=10)  # forget the duplicate cache: the raw loop posts the same JSON
    with requests.Session() as http:
        token = http.get(base_url + "gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET}, timeout=10).json()
        params = {"access_token": token["access_token"]}
        headers = {"Content-Type": "application/json; charset=utf-8"}
        interval = int(cfg["outbox"]["duplicate_check_interval"])
        started = time.perf_counter()
        for i in range(count):
            body = {"touser": f"user{i % RECIPIENTS:03d}", "toparty": "", "totag": "", "agentid": AGENT_ID,
                    "msgtype": "text", "text": {"content": text(i)}, "enable_duplicate_check": 1,
                    "duplicate_check_interval": interval}
            res = http.post(base_url + "message/send", params=params, headers=headers, timeout=10,
                            data=json.dumps(body, ensure_ascii=False).encode("utf-8"))
            if res.json()["errcode"] != 0:
                raise SystemExit(f"raw message {i} failed: {res.text}")
        raw_rate = count / (time.perf_counter() - started)
        stats = http.get(control + "stats", timeout=10).json()["stats"]
    if stats.get("delivered") != count or stats.get("duplicate", 0):
        raise SystemExit(f"raw loop: emulator delivered {stats.get('delivered')}, expected {count}")
    return duban_rate, raw_rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--enqueue", type=int, default=10_000, help="messages to enqueue")
    parser.add_argument("-m", "--dispatch", type=int, default=2_000, help="messages to dispatch")
    parser.add_argument("--in-process", action="store_true", help="run the emulator in a thread of this process")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        folder = Path(tmp)
        in_tx, autocommit = bench_enqueue(args.enqueue, folder)
        print(f"enqueue {args.enqueue} on SQLite, one transaction: {in_tx:.2f} s "
              f"({args.enqueue / in_tx:.0f}/s; budget < 2 s: {'ok' if in_tx < 2 else 'OVER'})")
        print(f"enqueue {args.enqueue} on SQLite, autocommit each: {autocommit:.2f} s ({args.enqueue / autocommit:.0f}/s)")
        if args.in_process:
            from wecom.emulator import WeComEmulator

            with WeComEmulator() as emulator:
                duban_rate, raw_rate = bench_dispatch(emulator.base_url, args.dispatch, folder)
            where = "in-process emulator"
        else:
            proc = subprocess.Popen([sys.executable, "-m", "wecom.emulator", "--port", "0"], cwd=ROOT,
                                    stdout=subprocess.PIPE, text=True)
            try:
                base_url = proc.stdout.readline().strip().split("=", 1)[1]
                duban_rate, raw_rate = bench_dispatch(base_url, args.dispatch, folder)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            where = "emulator subprocess"
    print(f"dispatch {args.dispatch} app messages to the {where}: duban {duban_rate:.0f}/s "
          f"(budget >= 200/s: {'ok' if duban_rate >= 200 else 'UNDER'}), bare requests loop {raw_rate:.0f}/s, "
          f"duban takes {raw_rate / duban_rate:.2f}x the time of the bare loop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
