"""Baseline: how fast can a bare requests.Session post message/send to the WeCom emulator?

The dispatcher benchmark compares against this figure: whatever the dispatcher adds on top (the store, the
outbox, wechatpy) shows as the gap. By default the emulator runs in its own process, so client and server
do not share a GIL; --in-process runs it in a thread of this one.

    .venv/bin/python bench/bench_emulator_raw.py [-n 2000] [--url http://127.0.0.1:P/cgi-bin/] [--in-process]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORP_ID = "ww_demo_corp"
SECRET = "demo-secret"
AGENT_ID = 1000002
RECIPIENTS = 200  # spread over many users so the 30-a-minute limit drops nothing


def run(base_url: str, count: int) -> float:
    """Post `count` text messages one after another on one keep-alive session; return messages/s."""
    with requests.Session() as http:
        answer = http.get(base_url + "gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET}, timeout=10).json()
        params = {"access_token": answer["access_token"]}
        headers = {"Content-Type": "application/json; charset=utf-8"}
        started = time.perf_counter()
        for i in range(count):
            body = {"touser": f"user{i % RECIPIENTS:03d}", "agentid": AGENT_ID, "msgtype": "text",
                    "text": {"content": f"督办提醒 第{i}条：请于本周五前报送进度。"}}
            res = http.post(base_url + "message/send", params=params, headers=headers, timeout=10,
                            data=json.dumps(body, ensure_ascii=False).encode("utf-8"))
            if res.json()["errcode"] != 0:
                raise SystemExit(f"message {i} failed: {res.text}")
        elapsed = time.perf_counter() - started
        stats = http.get(base_url.replace("/cgi-bin/", "/emulator/stats"), timeout=10).json()["stats"]
    print(f"delivered by the emulator: {stats.get('delivered', 0)}, dropped: {stats.get('dropped', 0)}")
    return count / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--count", type=int, default=2000)
    parser.add_argument("--url", help="base URL of a running emulator (demo credentials, open directory)")
    parser.add_argument("--in-process", action="store_true", help="run the emulator in a thread of this process")
    args = parser.parse_args(argv)

    if args.url:
        rate = run(args.url, args.count)
        where = "external emulator"
    elif args.in_process:
        from wecom.emulator import WeComEmulator

        with WeComEmulator() as emulator:
            rate = run(emulator.base_url, args.count)
        where = "in-process emulator"
    else:
        proc = subprocess.Popen([sys.executable, "-m", "wecom.emulator", "--port", "0"], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True)
        try:
            base_url = proc.stdout.readline().strip().split("=", 1)[1]
            rate = run(base_url, args.count)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        where = "emulator subprocess"
    print(f"raw requests.Session loop, {args.count} message/send to {where}: {rate:.0f} messages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
