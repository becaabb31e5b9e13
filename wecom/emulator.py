"""A local emulator of the WeCom server API, over real HTTP on 127.0.0.1.

Tests, the demo and the benchmarks talk to it instead of qyapi.weixin.qq.com. The API logic and its state
are in wecom/emulator_core.py; this module adds the HTTP/1.1 keep-alive server, scripted transport faults
and control endpoints other processes can use:

    GET  /emulator/messages[?target=ID]   everything delivered (or to one userid / chatid / key)
    GET  /emulator/stats                  counters: requests, gettoken, delivered, dropped, duplicate ...
    POST /emulator/reset                  forget recordings, rate windows, duplicates and faults
    POST /emulator/faults                 {"path_suffix": "message/send", "faults": [-1, "drop", ["slow", 1]]}
                                          "late": processed at once, answered only after /emulator/release_late
                                          (or 30 s): a robot that posts the message but answers after the
                                          client's timeout
    POST /emulator/release_late           let every "late" answer go
    POST /emulator/clock                  {"advance": seconds}
    POST /emulator/webhooks               {"key": "..."}
    POST /emulator/users                  {"userid": "...", "name": "...", "mobile": "..."}
    POST /emulator/invalidate_tokens
    POST /emulator/click                  {"userid", "task_id", "key", "selected": [option ids]} → {"event": …}
    POST /emulator/media                  {"userid", "filename", "kind", "data": base64} → {"media_id": …}
    POST /emulator/browser_user           {"userid": "..."}: who the emulated WeCom client signs in as (web OAuth)
    GET  /connect/oauth2/authorize        WeCom's web OAuth page (see wecom/emulator_oauth.py)

Run it alone with `python -m wecom.emulator --port 8480`.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from wecom.emulator_core import WeComCore, error
from wecom.emulator_oauth import AUTHORIZE_PATH

__all__ = ["WeComEmulator", "main"]

_MAX_BODY = 64 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for idle keep-alive connections
    request_queue_size = 128
    emulator: WeComEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or hung up is normal here (fault tests); anything else is printed.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms Nagle stalls
    server_version = "WeComEmulator/1.0"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        pass

    def setup(self) -> None:
        super().setup()
        self.server.emulator._track_connection(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.emulator._track_connection(self.connection, False)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self.close_connection = True
            self._send(413, error(40006))
            return
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        if split.path.startswith("/cgi-bin/"):
            api = split.path[len("/cgi-bin/"):].strip("/")
            fault = emulator.take_fault(api)
            if fault == "drop":
                self.close_connection = True  # close without answering
                return
            if fault == "http500":
                self._send(500, {"error": "internal server error"})
                return
            if isinstance(fault, int):
                self._send(200, error(fault))
                return
            if isinstance(fault, tuple):
                time.sleep(fault[1])  # a slow answer, then the call is processed as usual
            status, answer = emulator.handle(method, api, query, body, self.headers.get("Content-Type", ""))
            if fault == "late":
                emulator.hold_late_answer()
            if "__raw__" in answer:
                self._send_raw(answer["__raw__"], answer["__headers__"], truncate=fault == "truncate")
            else:
                self._send(status, answer)
        elif split.path == AUTHORIZE_PATH and method == "GET":
            self._send_page(*emulator.authorize(query))
        elif split.path.startswith("/emulator/"):
            self._send(*emulator._control(method, split.path[len("/emulator/"):], query, body))
        else:
            self._send(404, error(404, "not found"))

    def _send_raw(self, data: bytes, headers: dict[str, str], truncate: bool = False) -> None:
        """A file download (media/get); `truncate` announces the whole length, sends half and closes."""
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        if truncate:
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data[:len(data) // 2] if truncate else data)

    def _send_page(self, status: int, headers: dict[str, str], page: str) -> None:
        body = page.encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


LATE_MAX_SECONDS = 30.0


class WeComEmulator(WeComCore):
    """The WeCom API on 127.0.0.1. Use as a context manager, or `.start()` / `.stop()`.

    `clock` returns epoch seconds (default time.time): token expiry, rate limits, the duplicate check and media
    lifetime all use it, so tests advance a fake clock instead of sleeping.
    """

    def __init__(
        self,
        corp_id: str = "ww_demo_corp",
        corp_secret: str = "demo-secret",
        agent_id: int = 1000002,
        token_lifetime: int = 7200,
        clock: Callable[[], float] | None = None,
        users: dict[str, dict] | None = None,
        port: int = 0,
        webhook_keys: list[str] | tuple[str, ...] = (),
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(corp_id, corp_secret, agent_id, token_lifetime, clock, users, webhook_keys)
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._late_release = threading.Event()
        self._late_waiting = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/cgi-bin/"

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> WeComEmulator:
        server = _Server((self.host, self.port), _Handler)
        server.emulator = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"wecom-emulator-{self.port}", daemon=True)
        self._thread.start()
        return self

    def hold_late_answer(self) -> None:
        """A "late" fault: the call was processed; its answer waits for `release_late()` (at most 30 s)."""
        with self._lock:
            self.stats["late"] += 1
            self._late_waiting.set()
        self._late_release.wait(timeout=LATE_MAX_SECONDS)

    def release_late(self) -> None:
        """Let every answer held by a "late" fault go (and every later one, until the next reset)."""
        self._late_release.set()

    def wait_late(self, timeout: float = 10.0) -> bool:
        """Block until some call is being held by a "late" fault."""
        return self._late_waiting.wait(timeout)

    def reset(self) -> None:
        super().reset()
        self._late_release.clear()
        self._late_waiting.clear()

    def stop(self) -> None:
        self._late_release.set()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:  # end idle keep-alive connections so their threads exit
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> WeComEmulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track_connection(self, conn: socket.socket, opened: bool) -> None:
        with self._connections_lock:
            if opened:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)
        if opened:
            with self._lock:
                self.stats["connections"] += 1

    def _control(self, method: str, action: str, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        """Endpoints under /emulator/ for other processes (a dispatcher subprocess, the CLI)."""
        action = action.strip("/")
        if method == "GET" and action == "messages":
            snapshot = self.snapshot()
            delivered = snapshot["delivered"]
            if "target" in query:
                delivered = [m for m in delivered if m["target"] == query["target"]]
            return 200, {"errcode": 0, "errmsg": "ok", "delivered": delivered, "stats": snapshot["stats"]}
        if method == "GET" and action == "stats":
            return 200, {"errcode": 0, "errmsg": "ok", "stats": self.snapshot()["stats"]}
        if method != "POST":
            return 404, error(404, "not found")
        try:
            request = json.loads(body.decode("utf-8")) if body else {}
        except (UnicodeDecodeError, ValueError):
            return 400, error(47001)
        try:
            if action == "reset":
                self.reset()
            elif action == "faults":
                self.script_faults(request["path_suffix"], request["faults"])
            elif action == "clock":
                self.advance_clock(float(request["advance"]))
            elif action == "webhooks":
                self.add_webhook(request["key"])
            elif action == "users":
                self.add_user(request["userid"], request.get("name"), request.get("mobile", ""))
            elif action == "browser_user":
                self.set_browser_user(request.get("userid"))
            elif action == "release_late":
                self.release_late()
            elif action == "invalidate_tokens":
                self.invalidate_tokens()
            elif action == "click":
                event = self.card_click(request["userid"], request["task_id"], request.get("key"),
                                        request.get("selected"))
                return 200, {"errcode": 0, "errmsg": "ok", "event": event}
            elif action == "media":
                import base64

                media_id = self.user_media(request["userid"], base64.b64decode(request["data"]),
                                           request["filename"], request.get("kind", "file"))
                return 200, {"errcode": 0, "errmsg": "ok", "media_id": media_id}
            else:
                return 404, error(404, "not found")
        except (KeyError, TypeError, ValueError) as exc:
            return 400, error(40035, f"bad control request: {exc}")
        return 200, {"errcode": 0, "errmsg": "ok"}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m wecom.emulator", description="Local WeCom API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--corp-id", default="ww_demo_corp")
    parser.add_argument("--secret", default="demo-secret")
    parser.add_argument("--agent-id", type=int, default=1000002)
    parser.add_argument("--token-lifetime", type=int, default=7200)
    parser.add_argument("--webhook-key", action="append", default=[], help="register a robot key (repeatable)")
    parser.add_argument("--user", action="append", default=[], metavar="USERID[:NAME[:MOBILE]]",
                        help="a directory entry (repeatable); none means every valid userid exists")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT / SIGTERM; print the base URL and credentials first."""
    args = _parse_args(argv)
    users = None
    if args.user:
        users = {}
        for entry in args.user:
            userid, _, rest = entry.partition(":")
            name, _, mobile = rest.partition(":")
            users[userid] = {"name": name or userid, "mobile": mobile}
    emulator = WeComEmulator(args.corp_id, args.secret, args.agent_id, args.token_lifetime,
                             users=users, port=args.port, webhook_keys=args.webhook_key, host=args.host)
    emulator.start()
    print(f"base_url={emulator.base_url}", flush=True)
    print(f"corp_id={emulator.corp_id}", flush=True)
    print(f"corp_secret={emulator.corp_secret}", flush=True)
    print(f"agent_id={emulator.agent_id}", flush=True)
    for key in args.webhook_key:
        print(f"webhook_url={emulator.base_url}webhook/send?key={key}", flush=True)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        stopping.wait()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
