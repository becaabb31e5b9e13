"""Slow-header connections against waitress: its defaults versus duban's limits (wecom/http_limits.py).

Run: .venv/bin/python bench/bench_slow_clients.py [--slow 150] [--wait 5]

For each setting a waitress server (8 threads, a trivial WSGI app) listens on loopback; --slow connections
send the start of a request and then nothing; then one real request is made with a --wait second timeout,
and its answer and latency are printed. Every connection is closed at the end; nothing runs in background.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from waitress.server import create_server  # noqa: E402

from wecom.http_limits import apply_request_deadline, waitress_options  # noqa: E402


def app(environ, start_response):  # noqa: ANN001, ANN201 - WSGI
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def real_request(port: int, wait: float) -> tuple[bool, float]:
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            answered = conn.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        answered = False
    return answered, time.monotonic() - started


def run(label: str, options: dict, deadline: bool, slow_count: int, wait: float) -> None:
    server = create_server(app, host="127.0.0.1", port=0, threads=8, _start=True, **options)
    if deadline:
        apply_request_deadline(server)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    slow = []
    try:
        for _ in range(slow_count):
            conn = socket.create_connection(("127.0.0.1", server.effective_port), timeout=wait)
            conn.sendall(b"POST / HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
            slow.append(conn)
        time.sleep(0.5)  # let the server accept what it will
        answered, seconds = real_request(server.effective_port, wait)
        print(f"{label:18s} {slow_count} slow connections: real request "
              f"{'answered' if answered else 'NOT answered'} in {seconds * 1000:.0f} ms (timeout {wait:g} s)")
    finally:
        for conn in slow:
            conn.close()
        server.close()
        server.task_dispatcher.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=150)
    parser.add_argument("--wait", type=float, default=5.0)
    args = parser.parse_args()
    run("waitress defaults", {}, False, args.slow, args.wait)
    run("duban limits", waitress_options(1 << 20), True, args.slow, args.wait)


if __name__ == "__main__":
    main()
