"""Answers that need no database: 「帮助」 (and an empty message) from someone the contact directory knows.

The callback asks here first, in the request thread; None sends the message down the full path (a worker, the
inbox written first, every check against the database). Answered here, a message is still written to the inbox,
a moment later and many per commit (store.inbox.InboxRecorder), and logged like any other.

The per-person rate limit is counted in memory (RateWindow), shared with the full path's handler; past it the
message takes the full path, which words the refusal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import NamedTuple
from zoneinfo import ZoneInfo

from chat import replies
from chat.commands import help_text
from chat.parse import EMPTY, parse
from chat.registry import registry
from store.clock import clock
from store.config import Config
from store.directory import ContactRoles

log = logging.getLogger("duban.chat")
WINDOW_SECONDS = 60.0
SUMMARY_SECONDS = 60.0
QUICK_COMMANDS = ("help",)


class RateWindow:
    """Messages per person in the last minute, counted in this process (the callback server's two paths share
    one): cheaper than counting the inbox for every message. Several servers each count their own."""

    def __init__(self) -> None:
        self._sent: dict[str, deque[float]] = {}  # userid → when their recent messages came
        self._lock = threading.Lock()

    def admit(self, userid: str, limit: int) -> bool:
        """Count a message from `userid`; False (and not counted) when they already sent `limit` this minute."""
        now = time.monotonic()
        with self._lock:
            sent = self._sent.get(userid)
            if sent is None:
                if len(self._sent) > 10_000:  # forget people quiet for a minute
                    self._sent = {u: q for u, q in self._sent.items() if q and now - q[-1] < WINDOW_SECONDS}
                sent = self._sent[userid] = deque()
            while sent and now - sent[0] >= WINDOW_SECONDS:
                sent.popleft()
            if len(sent) >= limit:
                return False
            sent.append(now)
            return True


class QuickRoute(NamedTuple):
    answer: str | None  # the reply, or None when the message needs the full path
    reads_only: bool  # a known contact's command that changes nothing: the full path need not record it first


class QuickAnswers:
    """`quick(userid, text)` → QuickRoute, from one look at the directory and one parse (the request thread)."""

    def __init__(self, config: Config, directory: ContactRoles, rate: RateWindow | None = None) -> None:
        self.config = config
        self.directory = directory
        self.rate = rate or RateWindow()
        self.tz = ZoneInfo(config.timezone)
        self._count_lock = threading.Lock()
        self._answered: dict[str, int] = {}  # command → answers since the last summary line
        self._people: set[str] = set()
        self._since = time.monotonic()

    def __call__(self, userid: str, text: str) -> QuickRoute:
        started = time.perf_counter()
        role = self.directory.role(userid)
        if role is None:
            return QuickRoute(None, False)
        cmd = parse(text, registry.grammar(), clock.now().astimezone(self.tz).date())
        spec = registry.get(cmd.name)
        reads_only = spec is not None and not spec.mutates  # 任务, 详情 …: nothing to undo if it runs twice
        if cmd.name == EMPTY:
            reply = replies.empty()
        elif cmd.name in QUICK_COMMANDS:
            reply = help_text(role == "leader", self.config.chat.admin_contact)
        else:
            return QuickRoute(None, reads_only)
        if not self.rate.admit(userid, self.config.chat.commands_per_minute):
            return QuickRoute(None, reads_only)  # the full path words the refusal
        log.debug("chat request from %s: command=%s outcome=answered from memory %.2f ms", userid, cmd.name,
                  (time.perf_counter() - started) * 1000)
        self._count(userid, cmd.name)
        return QuickRoute(reply, reads_only)

    def close(self) -> None:
        """Stop the directory's refresher (the callback service calls this when it closes)."""
        self.directory.stop()
        self._log_summary(force=True)

    def _count(self, userid: str, command: str) -> None:
        """Answers from memory are logged as one INFO line a minute (a line each at DEBUG): at a burst's rate a
        line per 「帮助」 cost more than the answer."""
        with self._count_lock:
            self._answered[command] = self._answered.get(command, 0) + 1
            self._people.add(userid)
        if time.monotonic() - self._since >= SUMMARY_SECONDS:
            self._log_summary()

    def _log_summary(self, force: bool = False) -> None:
        with self._count_lock:
            now = time.monotonic()
            if not self._answered or (not force and now - self._since < SUMMARY_SECONDS):
                return
            counts, people, seconds = self._answered, len(self._people), now - self._since
            self._answered, self._people, self._since = {}, set(), now
        log.info("chat: answered from memory in the last %.0f s: %s, from %d people", seconds,
                 ", ".join(f"{command}={n}" for command, n in sorted(counts.items())), people)
