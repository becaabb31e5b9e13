"""WeCom callback throughput and latency on loopback, next to a minimal wechatpy decrypt-and-echo endpoint.

Budget: at least 300 callbacks/s sustained with p99 under 100 ms.
Run: .venv/bin/python bench/bench_callback.py [--rate 300] [--seconds 10] [--concurrency 16]

Three servers, each in its own subprocess (so client and server do not share a GIL), each Flask on waitress
with 8 threads, one at a time on the same machine:
  baseline  wechatpy decrypt → parse_message → create_reply(content) → encrypt; no database
  duban     duban's callback (checks, inbox dedupe on SQLite in a temp dir, worker budget) with a trivial handler
  chat      duban's callback with the real chat handler: a registered liaison asks 「任务」 (the sample plan)
For each: a paced run at --rate messages/s (--chat-rate for the real chat) for --seconds (latency counted from each message's scheduled time,
so a stalled server cannot hide its queue), then a closed loop at --concurrency to find the ceiling. Every
message has its own MsgId and every answer is decrypted and checked afterwards. The client keeps one
HTTP/1.1 keep-alive connection per thread (http.client, lighter than requests, so the client's own CPU
takes less from the server on a small machine). Loopback only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from store.config import load_config  # noqa: E402

CORP_ID = "ww_bench_corp"
TOKEN = "bench-token-7Hq2"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
AGENT_ID = 1000002
PATH = "/wecom/callback"
CHAT_USERS = ["czj", "zfb", "sjj"]  # liaisons of units with tasks in the sample plan


def bench_config():
    config = load_config(None, environ={})
    config["wecom"].update(corp_id=CORP_ID, token=TOKEN, encoding_aes_key=AES_KEY, agent_id=AGENT_ID)
    config["chat"]["commands_per_minute"] = 10**9  # the load comes from three people; measure work, not refusals
    return config


# --- servers (run in a subprocess: `bench_callback.py --serve KIND --db FILE`) ---------------------------------


def baseline_app():
    from flask import Flask, Response, request
    from wechatpy.enterprise import create_reply, parse_message
    from wechatpy.enterprise.crypto import WeChatCrypto

    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    app = Flask("baseline")

    @app.post(PATH)
    def echo() -> Response:
        a = request.args
        plain = crypto.decrypt_message(request.get_data(), a["msg_signature"], a["timestamp"], a["nonce"])
        message = parse_message(plain)
        body = crypto.encrypt_message(create_reply(message.content, message).render(), a["nonce"], a["timestamp"])
        return Response(body, mimetype="application/xml")

    return app


def build_chat_world() -> None:
    import datetime as dt
    from pathlib import Path

    from plan.read import read_plan
    from plan.units import likely_duplicates
    from store.clock import clock
    from store.contacts import add_contact
    from store.plan_import import save_plan
    from store.units import add_members

    root = Path(__file__).resolve().parent.parent
    clock.freeze(dt.datetime(2019, 9, 6, 9, 0))
    save_plan(read_plan(root / "plan/samples/wuhua-2019.txt"), likely_duplicates=likely_duplicates)
    add_members("区政府各部门", ["区财政局", "区政府办公室", "区审计局"])
    for unit, name, userid in (("区财政局", "财政联络员", "czj"), ("区政府办公室", "办公室联络员", "zfb"),
                               ("区审计局", "审计联络员", "sjj")):
        add_contact(unit, name, userid, role="liaison")
    clock.freeze(dt.datetime(2019, 10, 22, 9, 0))  # the chat answers as of a day in the plan's year


def serve(kind: str, db_file: str) -> None:
    from waitress.server import create_server

    from store import db, schema
    from wecom.callback import create_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" under the closed loop
    config = bench_config()
    if kind == "baseline":
        app = baseline_app()
    else:
        db.connect(f"sqlite:///{db_file}")
        schema.upgrade()
        if kind == "chat":
            from commands.chatops import make_chat_handler

            build_chat_world()
            handler = make_chat_handler(config)
        else:
            def handler(userid: str, text: str, msgid: str) -> str:
                return text
        app = create_app(config, handler, lambda userid, text, key: None)
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    print(f"READY {server.effective_port}", flush=True)
    server.run()


# --- client ---------------------------------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    sent: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    bodies: list[bytes]

    def pct(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(len(data) * p / 100))] if data else float("nan")

    @property
    def rate(self) -> float:
        return self.sent / self.seconds


def make_requests(n: int, users: list[str], text: str, start_id: int) -> list[tuple[str, bytes]]:
    from wecom.say import build_callback_request

    config = bench_config()
    out = []
    for i in range(n):
        params, body = build_callback_request(config, users[i % len(users)], text, msgid=str(start_id + i))
        out.append((f"{PATH}?{urlencode(params)}", body))
    return out


def drive(port: int, requests_: list[tuple[str, bytes]], concurrency: int, rate: float | None, label: str) -> Run:
    """Send every request once; paced at `rate`/s when given (else as fast as the server answers)."""
    latencies: list[float] = [0.0] * len(requests_)
    bodies: list[bytes] = [b""] * len(requests_)
    errors = [0]
    counter = iter(range(len(requests_)))
    lock = threading.Lock()
    start = time.perf_counter() + 0.05

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            due = start + i / rate if rate else None
            if due is not None:
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            path, body = requests_[i]
            began = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
                response = conn.getresponse()
                data = response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                ok, data = False, b""
            ended = time.perf_counter()
            latencies[i] = (ended - (due if due is not None else began)) * 1000
            bodies[i] = data
            if not ok:
                with lock:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    return Run(label, len(requests_), seconds, latencies, errors[0], bodies)


def check_answers(run: Run, expect) -> int:
    """How many answers decrypt to the expected text (expect(text) -> bool)."""
    from wecom.callback_codec import CallbackCodec
    from wecom.say import reply_text

    codec = CallbackCodec(TOKEN, AES_KEY, CORP_ID)
    good = 0
    for body in run.bodies:
        try:
            good += bool(expect(reply_text(codec, body)))
        except Exception:  # noqa: BLE001 - a bad answer just does not count
            pass
    return good


def start_server(kind: str, db_file: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", kind, "--db", db_file],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("READY "):
        proc.kill()
        raise SystemExit(f"{kind} server did not start")
    return proc, int(line.split()[1])


def bench(kind: str, args: argparse.Namespace, tmp: str, first_id: int) -> list[tuple[Run, int]]:
    text = "任务" if kind == "chat" else "进度 24 已完成初稿 60%"
    users = CHAT_USERS if kind == "chat" else [f"user{i:03d}" for i in range(50)]
    rate = args.chat_rate if kind == "chat" else args.rate
    paced_n = int(rate * args.seconds)
    loop_n = int(rate * args.loop_seconds * 2)
    warm = make_requests(200, users, text, first_id)
    paced = make_requests(paced_n, users, text, first_id + 1000)
    loop = make_requests(loop_n, users, text, first_id + 1000 + paced_n)
    if kind == "chat":
        def expect(t: str) -> bool:
            return "项" in t  # 「任务」 lists the unit's open items
    else:
        def expect(t: str) -> bool:
            return t == text
    proc, port = start_server(kind, os.path.join(tmp, f"{kind}.db"))
    try:
        drive(port, warm, args.concurrency, None, "warm-up")
        runs = [drive(port, paced, args.concurrency, rate, f"{kind} paced {rate:g}/s"),
                drive(port, loop, args.concurrency, None, f"{kind} closed loop x{args.concurrency}")]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return [(run, check_answers(run, expect)) for run in runs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--chat-rate", type=float, default=50.0,
                        help="Paced rate for the real chat handler (「任务」 costs it ~5 ms of CPU).")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--loop-seconds", type=float, default=4.0, help="Rough length of the closed-loop run.")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--kinds", default="baseline,duban,chat")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.db)
        return 0
    results: list[tuple[Run, int]] = []
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        for n, kind in enumerate(args.kinds.split(",")):
            results += bench(kind, args, tmp, first_id=10**12 * (n + 1))
    print(f"{'run':<34} {'sent':>6} {'msg/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'errors':>6} {'correct':>7}")
    for run, good in results:
        print(f"{run.label:<34} {run.sent:>6} {run.rate:>8.0f} {run.pct(50):>7.1f} {run.pct(95):>7.1f} "
              f"{run.pct(99):>7.1f} {max(run.latencies_ms):>7.1f} {run.errors:>6} {good:>7}")
    by_label = {run.label: run for run, _ in results}
    base = next((r for label, r in by_label.items() if label.startswith("baseline closed")), None)
    verdict = 0
    for run, good in results:
        if "paced" in run.label and run.label.startswith("duban"):
            ok = run.rate >= 0.97 * args.rate and run.pct(99) < 100 and run.errors == 0 and good == run.sent
            verdict |= not ok
            print(f"{run.label}: {'OK' if ok else 'MISSED'} (budget ≥{args.rate:g}/s sustained, p99 < 100 ms)")
        if base and "closed" in run.label and run is not base:
            print(f"{run.label}: {run.rate / base.rate:.0%} of the baseline's throughput")
    return verdict


if __name__ == "__main__":
    sys.exit(main())
