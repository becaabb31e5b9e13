"""The WeCom callback endpoint: verify, decrypt, deduplicate, hand text to the chat room, answer in time.

GET  [server] path ?msg_signature&timestamp&nonce&echostr  → the plain echostr (WeCom's URL check).
POST [server] path ?msg_signature&timestamp&nonce           → an encrypted passive reply, or an empty 200.

- Once per message: every callback is recorded in the inbox by MsgId (events: FromUserName:CreateTime). A
  retry of a message already answered gets the same stored reply again, encrypted anew; the handler runs once.
- In time, whatever the database does: WeCom waits 5 seconds and then retries. The request thread never
  touches the database: recording the message and the handler run in a worker pool with a budget
  ([server] reply_budget_seconds, 3.5 s). Past it the request answers a quick 503 when the message could not
  even be recorded (a stalled database: WeCom retries, and the inbox keeps it once), else an empty 200 ("no
  reply") and the handler's reply, when it comes, goes through `enqueue_notify` (the outbox) instead.
- Never a 500 for client garbage (WeCom would retry it): every malformed, forged, oversized or foreign request
  is a 4xx and nothing is stored for it. Secrets never reach the logs.

- Quick when it can be: `quick_handler(userid, text)` is asked first, in the request thread, and gives
  (answer or None, reads_only). An answer (「帮助」 from a known contact: nothing read from or written to the
  database on the way) is returned at once and written to the inbox a moment later by one thread, many rows per
  commit. None sends the message down the path above; with reads_only (a command that changes nothing) the
  worker runs it without recording it first, and it is recorded with its reply once settled.

`handler(userid, text, msgid)` returns the reply text, or an object with `.reply` (str) and `.notify`
(a list of (userid, text) for other people). Image, file and video messages go to `media_handler(userid,
MediaRef, key, create_time)`, template card clicks to `card_handler(userid, CardClick, key, create_time)`,
through the same once-only, in-time path; a card answer with `.button` set is answered passively by changing
the clicked button's text (update_button), its `.reply` then goes to the clicker through the outbox. `enqueue_notify(userid, text, dedupe_key)` queues a message;
the key is stable per message, so queuing twice sends once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from store.clock import clock
from store.config import Config
from store.db import unit_of_work
from store.inbox import InboxRecorder, get_incoming, mark_deferred, record_incoming, save_reply
from wecom.callback_codec import (
    MAX_BODY_BYTES,
    REFUSED_HEADER,
    CallbackCodec,
    CallbackRefused,
    IncomingMessage,
)
from wecom.http_limits import REQUEST_TIMEOUT, apply_request_deadline, waitress_options
from wecom.log_scrub import chat_text_logged
from wecom.server_log import summarise_queue_warnings
from wecom.shaping import APP_TEXT_LIMIT, split_message, utf8_len

log = logging.getLogger("duban.callback")

Handler = Callable[[str, str, str], Any]
QuickHandler = Callable[[str, str], "tuple[str | None, bool]"]  # (answer now or None, the command only reads)
Notifier = Callable[[str, str, str], Any]

DEFAULT_BUDGET_SECONDS = 3.5
DEFAULT_WORKERS = 8
WAITRESS_THREADS = 8
PASSIVE_LIMIT_BYTES = APP_TEXT_LIMIT  # longer replies: the first part passively, the rest through the outbox
DEFERRED_MEMORY = 10_000

WELCOME = "欢迎使用督办助手。发送「任务」查看本单位待办事项，发送「帮助」查看全部用法。"
TEXT_ONLY = "请发送文字命令，或发送图片、文件作为佐证材料；发送「帮助」查看用法。"
BUTTON_PREFIX = "\x1fupdate_button\x1f"  # an inbox reply that is a button update, not text
HANDLER_FAILED = "抱歉，系统暂时无法处理这条消息，请稍后再发一次。如仍有问题，请联系管理员。"


@dataclass
class HandlerAnswer:
    reply: str
    notify: list[tuple[str, str]] = field(default_factory=list)
    button: str = ""  # a card click: the clicked button's new text
    fresh: bool = True  # False: a retry answered from the inbox (nothing to send later if nobody waits)


class Unavailable(Exception):
    """The message could not be recorded within the budget (or at all): answer 503, WeCom retries."""


def normalize_answer(result: Any) -> HandlerAnswer:
    """A handler's return value (a str, or an object with .reply, .notify and .button) as a HandlerAnswer."""
    if result is None:
        return HandlerAnswer("")
    if isinstance(result, str):
        return HandlerAnswer(result)
    reply = getattr(result, "reply", "") or ""
    notify = [(str(u), str(t)) for u, t in (getattr(result, "notify", None) or [])]
    return HandlerAnswer(str(reply), notify, str(getattr(result, "button", "") or ""))


def outbox_key(kind: str, inbox_key: str, suffix: str = "") -> str:
    """A stable outbox dedupe key for something sent because of one inbox message (at most 190 chars)."""
    if len(inbox_key) > 120:
        inbox_key = "h" + hashlib.sha1(inbox_key.encode("utf-8")).hexdigest()
    return f"chat-{kind}:{inbox_key}{suffix}"


class _InFlight:
    """One message whose handler is running here; request threads for it (the first and retries) wait on it.

    Exactly one way of delivering the reply wins: 'passive' (a waiter got the result in time) or 'deferred'
    (every waiter had given up when the result came, so it goes through the outbox).
    """

    def __init__(self, incoming: IncomingMessage) -> None:
        self.incoming = incoming
        self.lock = threading.Lock()
        self.waiters = 1  # the request that started it
        self.state = "pending"
        self.recorded = False  # the inbox has it: from here on its reply is never lost
        self.read_only = False  # a command that changes nothing: recorded with its reply once settled
        self.future: Future[HandlerAnswer] | None = None


class CallbackService:
    """The callback's behaviour, independent of Flask: one instance per server."""

    def __init__(self, config: Config, handler: Handler, enqueue_notify: Notifier | None = None, *,
                 budget_seconds: float = DEFAULT_BUDGET_SECONDS, workers: int = DEFAULT_WORKERS,
                 codec: CallbackCodec | None = None, media_handler: Callable[..., Any] | None = None,
                 card_handler: Callable[..., Any] | None = None, quick_handler: QuickHandler | None = None) -> None:
        self.codec = codec or CallbackCodec.from_config(config)
        self.handler = handler
        self.quick_handler = quick_handler
        self.recorder = InboxRecorder() if quick_handler is not None else None
        self.media_handler = media_handler
        self.card_handler = card_handler
        self.enqueue_notify = enqueue_notify
        self.budget = budget_seconds
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="duban-chat")
        self._lock = threading.Lock()
        self._inflight: dict[str, _InFlight] = {}
        self._deferred: OrderedDict[str, None] = OrderedDict()  # keys whose reply went through the outbox
        self._answered: OrderedDict[str, str] = OrderedDict()  # replies not yet written to the inbox, by key

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)
        if self.recorder is not None:
            self.recorder.close()
        close_quick = getattr(self.quick_handler, "close", None)  # e.g. its contact directory's refresher
        if close_quick is not None:
            close_quick()

    # --- requests ---------------------------------------------------------------------------------------------

    def answer(self, incoming: IncomingMessage, started: float) -> str:
        """The reply text to give `incoming` passively ('' = an empty body). Raises Unavailable (→ 503)."""
        deadline = started + self.budget
        reads_only = False
        if incoming.msg_type == "text" and self.quick_handler is not None:
            quick, reads_only = self._quick(incoming)
            if quick is not None:
                return quick
        if (incoming.msg_type == "text" or (incoming.media is not None and self.media_handler is not None)
                or (incoming.click is not None and self.card_handler is not None)):
            return self._answer_text(incoming, deadline, reads_only)
        if incoming.msg_type == "event":
            fixed = WELCOME if incoming.event == "subscribe" else ""
        else:
            fixed = TEXT_ONLY
        future = self.pool.submit(self._record_fixed, incoming, fixed)
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            raise Unavailable(f"{incoming.key} not recorded within {self.budget:g} s") from None

    def _quick(self, incoming: IncomingMessage) -> tuple[str | None, bool]:
        """(the quick handler's answer, already queued for the inbox, or None for the full path; whether the
        command only reads, so the full path need not record it first)."""
        if incoming.key in self._deferred:  # its reply went through the outbox: a retry gets nothing more
            return None, False
        try:
            reply, reads_only = self.quick_handler(incoming.from_user, incoming.content)
        except Exception:  # noqa: BLE001 - a bug here must not cost the answer: the full path (recording first) gives it
            log.exception("quick answer to %s failed", incoming.key)
            return None, False
        if not reply or utf8_len(reply) > PASSIVE_LIMIT_BYTES:
            return None, bool(reads_only)
        assert self.recorder is not None
        self.recorder.record(incoming.key, incoming.from_user, incoming.content, clock.utcnow(), reply)
        return reply, bool(reads_only)

    def _record_fixed(self, incoming: IncomingMessage, fixed: str) -> str:
        with unit_of_work():
            row, is_new = record_incoming(incoming.key, incoming.from_user, "", clock.utcnow())
            if is_new:
                save_reply(row, fixed)
                return fixed
            return row.reply or ""

    def _answer_text(self, incoming: IncomingMessage, deadline: float, reads_only: bool = False) -> str:
        with self._lock:
            entry = self._inflight.get(incoming.key)
            if entry is None:
                entry = _InFlight(incoming)
                entry.read_only = reads_only
                entry.future = self.pool.submit(self._read_only if entry.read_only else self._first_look, entry)
                self._inflight[incoming.key] = entry
                joined = False
            else:
                with entry.lock:
                    entry.waiters += 1
                joined = True
        if joined:
            log.info("callback retry of %s from %s", incoming.key, incoming.from_user)
        else:
            # Added after registering, so _settle (which unregisters) always runs after it.
            entry.future.add_done_callback(lambda _f: self._settle(entry))
        return self._wait(entry, deadline)

    def _first_look(self, entry: _InFlight) -> HandlerAnswer:
        """The worker: record the message; run the handler if it is new, else answer as it was answered."""
        incoming = entry.incoming
        if chat_text_logged():
            log.debug("callback %s from %s says %r", incoming.key, incoming.from_user, incoming.content)
        with unit_of_work():
            row, is_new = record_incoming(incoming.key, incoming.from_user, incoming.content, clock.utcnow())
            entry.recorded = True
            if is_new:
                return self._run(incoming, row)
            log.info("callback retry of %s from %s (seen before)", incoming.key, incoming.from_user)
            with self._lock:
                deferred = incoming.key in self._deferred
                answered = self._answered.get(incoming.key)
            if answered is not None and not deferred:
                return HandlerAnswer(answered, fresh=False)
            if not deferred and row.reply is None and not row.deferred:
                # The first delivery may have finished between the insert and now.
                row = get_incoming(incoming.key) or row
        if deferred or row.deferred or row.reply is None:
            # Its reply went (or will go) through the outbox, or another server is still working on it.
            return HandlerAnswer("", fresh=False)
        return HandlerAnswer(row.reply, fresh=False)

    def _wait(self, entry: _InFlight, deadline: float) -> str:
        assert entry.future is not None
        try:
            answer = entry.future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            answer = None
        except Exception as exc:
            with entry.lock:
                entry.waiters -= 1
            raise Unavailable(f"{entry.incoming.key}: {exc}") from exc
        with entry.lock:
            entry.waiters -= 1
            if answer is None and entry.future.done() and entry.state == "pending" \
                    and entry.future.exception() is None:
                answer = entry.future.result()  # finished while we were giving up: still ours to answer
            if answer is None and not entry.recorded:
                raise Unavailable(f"{entry.incoming.key} not recorded within {self.budget:g} s")
            if answer is None or entry.state == "deferred":
                return ""
            entry.state = "passive"
        return self._passive(entry.incoming, answer.reply)

    def _settle(self, entry: _InFlight) -> None:
        """Runs when a handler finishes: send the reply through the outbox if nobody waits for it any more."""
        future = entry.future
        failed = future is None or future.exception() is not None
        if failed and future is not None:
            log.warning("callback %s could not be recorded (%s): WeCom's retry tries again", entry.incoming.key,
                        future.exception())
        fresh = not failed and future.result().fresh
        with entry.lock:
            defer = entry.state == "pending" and entry.waiters == 0 and fresh
            if defer:
                entry.state = "deferred"
        key = entry.incoming.key
        with self._lock:
            self._inflight.pop(key, None)
            if defer:
                self._deferred[key] = None
                while len(self._deferred) > DEFERRED_MEMORY:
                    self._deferred.popitem(last=False)
        if entry.read_only and not failed:
            assert self.recorder is not None
            incoming = entry.incoming
            self.recorder.record(key, incoming.from_user, incoming.content, clock.utcnow(), future.result().reply,
                                 deferred=defer)
        if defer:
            with unit_of_work():
                answer = entry.future.result() if entry.future else HandlerAnswer("")
                log.info("callback %s: reply after the time budget, sent through the outbox", key)
                if not entry.read_only:
                    try:
                        mark_deferred(key)
                    except Exception:  # noqa: BLE001 - this server still remembers it; only another server could repeat it
                        log.exception("could not mark %s as answered through the outbox", key)
                if answer.reply and not answer.reply.startswith(BUTTON_PREFIX):  # its first part: the worker
                    self._notify(entry.incoming.from_user, self._passive(entry.incoming, answer.reply),  # queued the
                                 outbox_key("reply", key))  # others

    def _run(self, incoming: IncomingMessage, row: Any) -> HandlerAnswer:
        """The worker: run the handler, queue its messages to others, remember the reply. Never raises."""
        with unit_of_work():
            answer = self._answer_of(incoming)
            if self.recorder is not None:  # a moment later, many per commit; retries here meanwhile: _answered
                self._remember(incoming.key, answer.reply)
                self.recorder.record_reply(row, answer.reply)
                return answer
            try:
                save_reply(row, answer.reply)
            except Exception:  # noqa: BLE001 - the reply still goes out; a retry would then answer nothing
                log.exception("could not store the reply to %s", incoming.key)
        return answer

    def _remember(self, key: str, reply: str) -> None:
        with self._lock:
            self._answered[key] = reply
            while len(self._answered) > DEFERRED_MEMORY:
                self._answered.popitem(last=False)

    def _read_only(self, entry: _InFlight) -> HandlerAnswer:
        """The worker, for a command that changes nothing: no inbox row first (a retry meanwhile simply asks
        again); the row is written with its reply when the answer is settled (`_settle`)."""
        with unit_of_work():
            answer = self._answer_of(entry.incoming)
        entry.recorded = True
        return answer

    def _answer_of(self, incoming: IncomingMessage) -> HandlerAnswer:
        """Run the handler and queue its messages to others and the rest of a long reply. Never raises."""
        try:
            answer = normalize_answer(self._call(incoming))
        except Exception:  # noqa: BLE001 - a bug in chat must not kill the worker or lose the answer
            log.exception("chat handler failed on %s", incoming.key)
            answer = HandlerAnswer(HANDLER_FAILED)
        for n, (userid, text) in enumerate(answer.notify, start=1):
            self._notify(userid, text, outbox_key("notify", incoming.key, f":{n}"))
        if answer.button:
            # One passive reply: the button changes, the words go to the clicker through the outbox.
            if answer.reply:
                self._notify(incoming.from_user, answer.reply, outbox_key("reply", incoming.key))
            return HandlerAnswer(BUTTON_PREFIX + answer.button, answer.notify)
        self._queue_rest(incoming, answer.reply)
        return answer

    def _call(self, incoming: IncomingMessage) -> Any:
        if incoming.click is not None and self.card_handler is not None:
            return self.card_handler(incoming.from_user, incoming.click, incoming.key, incoming.create_time)
        if incoming.media is not None and self.media_handler is not None:
            return self.media_handler(incoming.from_user, incoming.media, incoming.key, incoming.create_time)
        return self.handler(incoming.from_user, incoming.content, incoming.key)

    @staticmethod
    def _passive(incoming: IncomingMessage, reply: str) -> str:
        """The part of `reply` that goes in the passive answer (the worker queued any further parts); a button
        update as it is."""
        if not reply or reply.startswith(BUTTON_PREFIX):
            return reply
        return split_message(reply, PASSIVE_LIMIT_BYTES)[0]

    def _queue_rest(self, incoming: IncomingMessage, reply: str) -> None:
        """Parts after the first of a long reply go through the outbox, queued by the worker that made it."""
        parts = split_message(reply, PASSIVE_LIMIT_BYTES) if reply else []
        for n, part in enumerate(parts[1:], start=2):
            self._notify(incoming.from_user, part, outbox_key("rest", incoming.key, f"#{n}"))

    def _notify(self, userid: str, text: str, key: str) -> None:
        if self.enqueue_notify is None:
            log.warning("no outbox: dropped a message for %s (%s)", userid, key)
            return
        try:
            self.enqueue_notify(userid, text, key)
        except Exception:  # noqa: BLE001
            log.exception("could not queue a message for %s (%s)", userid, key)


def create_app(config: Config, handler: Handler, enqueue_notify: Notifier | None = None, *,
               budget_seconds: float | None = None, workers: int = DEFAULT_WORKERS,
               media_handler: Callable[..., Any] | None = None, card_handler: Callable[..., Any] | None = None,
               quick_handler: QuickHandler | None = None) -> Flask:
    """The callback as a Flask app (its CallbackService is `app.extensions['duban_callback']`).
    `budget_seconds` defaults to [server] reply_budget_seconds."""
    if budget_seconds is None:
        budget_seconds = float(config.server.reply_budget_seconds)
    service = CallbackService(config, handler, enqueue_notify, budget_seconds=budget_seconds, workers=workers,
                              media_handler=media_handler, card_handler=card_handler, quick_handler=quick_handler)
    path = config.server.path
    app = Flask("duban.callback")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["duban_callback"] = service

    def refused(exc: CallbackRefused) -> Response:
        log.warning("callback refused from %s: %s (%s)", request.remote_addr, exc.status, exc.reason)
        # the reason code (never a secret) lets `duban say` / `callback check` tell a clock skew from wrong keys
        return Response("", status=exc.status, mimetype="text/plain", headers={REFUSED_HEADER: exc.reason})

    @app.get(path)
    def verify() -> Response:
        try:
            plain = service.codec.verify_url(request.args)
        except CallbackRefused as exc:
            return refused(exc)
        log.info("callback URL verified from %s", request.remote_addr)
        return Response(plain, status=200, mimetype="text/plain")

    @app.post(path)
    def receive() -> Response:
        started = time.monotonic()
        try:
            if (request.content_length or 0) > MAX_BODY_BYTES:
                raise CallbackRefused(413, "too-large")
            try:
                body = request.get_data(cache=False)
            except RequestEntityTooLarge:
                raise CallbackRefused(413, "too-large") from None
            incoming = service.codec.open(request.args, body)
        except CallbackRefused as exc:
            return refused(exc)
        log.debug("callback %s (%s) from %s", incoming.key, incoming.msg_type, incoming.from_user)
        try:
            text = service.answer(incoming, started)
        except Unavailable as exc:  # the database is slow or down: WeCom retries, the inbox keeps it once
            log.warning("callback %s answered 503: %s", incoming.key, exc)
            return Response("", status=503, mimetype="text/plain")
        except Exception:  # noqa: BLE001 - our fault: WeCom may retry later
            log.exception("callback %s could not be handled", incoming.key)
            return Response("", status=503, mimetype="text/plain")
        if not text:
            return Response("", status=200, mimetype="text/plain")  # empty body: no passive reply
        stamp = str(int(clock.wall_now().timestamp()))
        if text.startswith(BUTTON_PREFIX):
            sealed = service.codec.seal_button_update(incoming, text[len(BUTTON_PREFIX):], timestamp=stamp)
        else:
            sealed = service.codec.seal_reply(incoming, text, timestamp=stamp)
        return Response(sealed, status=200, mimetype="application/xml")

    return app


class RunningCallback:
    """A waitress server running the callback in a background thread (tests, benchmarks, `duban serve`)."""

    def __init__(self, app: Flask, host: str, port: int, threads: int = WAITRESS_THREADS,
                 request_timeout: float = REQUEST_TIMEOUT) -> None:
        from waitress.server import create_server

        summarise_queue_warnings()
        self.app = app
        self.channels: dict = {}  # waitress' socket map, ours to walk when stopping
        self.server = apply_request_deadline(create_server(app, map=self.channels, host=host, port=port,
                                                           threads=threads, ident="duban",
                                                           **waitress_options(4 * MAX_BODY_BYTES)),
                                             request_timeout)
        self.host, self.port = host, int(self.server.effective_port)
        self.thread = threading.Thread(target=self.server.run, name="duban-callback", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> RunningCallback:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket and every connection (inside waitress' loop thread, so its select never
        sees a closed descriptor), then stop waitress' threads and the handler pool."""
        server = self.server

        def close_all() -> None:
            for channel in list(self.channels.values()):
                if channel is not server and channel is not server.trigger:
                    _quietly(channel.close)
            _quietly(server.close)  # the listening socket and the trigger: the loop ends with an empty map

        if self.thread.is_alive():
            try:
                server.trigger.pull_trigger(close_all)
            except OSError:  # the loop already closed its trigger: nothing left to wake
                close_all()
            self.thread.join(timeout=5)
        else:
            close_all()
        server.task_dispatcher.shutdown()
        service = self.app.extensions.get("duban_callback")
        if service is not None:
            service.close()


def _quietly(close: Any) -> None:
    """Closing during shutdown: a descriptor already closed by waitress' own loop is not an error."""
    try:
        close()
    except OSError:
        log.debug("closing an already closed descriptor during shutdown", exc_info=True)


def start_callback(config: Config, handler: Handler, enqueue_notify: Notifier | None = None, *,
                   host: str | None = None, port: int | None = None, **options: Any) -> RunningCallback:
    """Serve the callback in a background thread; port 0 picks a free port (see `.port`, `.url`)."""
    app = create_app(config, handler, enqueue_notify, **options)
    host = host if host is not None else config.server.host
    port = port if port is not None else config.server.port
    return RunningCallback(app, host, port, request_timeout=_request_timeout(config)).start()


def _request_timeout(config: Config) -> float:
    return float(config.server.request_timeout_seconds)


def serve_callback(config: Config, handler: Handler, enqueue_notify: Notifier | None = None, *,
                   host: str | None = None, port: int | None = None, **options: Any) -> None:
    """Serve the callback in this thread with waitress (8 threads) until interrupted."""
    from waitress import serve
    from waitress.server import create_server

    summarise_queue_warnings()
    app = create_app(config, handler, enqueue_notify, **options)
    host = host if host is not None else config.server.host
    port = port if port is not None else config.server.port
    log.info("WeCom callback listening on http://%s:%s%s", host, port, config.server.path)
    try:
        serve(app, host=host, port=port, threads=WAITRESS_THREADS, ident="duban",
              _server=lambda *a, **kw: apply_request_deadline(create_server(*a, **kw), _request_timeout(config)),
              **waitress_options(4 * MAX_BODY_BYTES))
    finally:
        app.extensions["duban_callback"].close()
