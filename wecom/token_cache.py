"""The WeCom access token shared through the database, so every duban process (serve, outbox flush,
wecom check) reuses one token instead of each fetching its own: gettoken is rate-limited.

Each process keeps its copy in memory (`DatabaseTokenStorage`) and reads the shared table only when that
copy expires or WeCom rejects it (`forget`): one SELECT per message was a fifth of a dispatcher's time.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from wechatpy.session import SessionStorage

from store.clock import clock
from store.kv import kv_delete, kv_entry, kv_set
from wecom.log_scrub import remember_secret

PREFIX = "wecom:"
EARLY_SECONDS = 60  # a token WeCom is about to drop is worth less than a fresh fetch


class DatabaseTokenStorage(SessionStorage):
    """A wechatpy SessionStorage in the store's key-value table, fronted by this process' memory. Its keys
    hold the start of the secret: they are never logged or shown."""

    def __init__(self) -> None:
        self._memory: dict[str, tuple[str, dt.datetime | None]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        now = clock.utcnow()
        hit = self._memory.get(key)
        if hit is not None and (hit[1] is None or hit[1] > now):
            return hit[0]
        entry = kv_entry(PREFIX + key, now)
        if entry is None:
            self._memory.pop(key, None)
            return default
        remember_secret(entry[0])  # another process fetched it: never log it here either
        with self._lock:
            self._memory[key] = entry
        return entry[0]

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        now = clock.utcnow()
        ttl = max(EARLY_SECONDS, ttl - EARLY_SECONDS) if ttl else None
        kv_set(PREFIX + key, str(value), now, ttl)
        with self._lock:
            self._memory[key] = (str(value), now + dt.timedelta(seconds=ttl) if ttl else None)

    def delete(self, key: str) -> None:
        self.forget(key)
        kv_delete(PREFIX + key)

    def forget(self, key: str) -> None:
        """Drop this process' copy (WeCom rejected it): the next `get` reads the shared table again."""
        with self._lock:
            self._memory.pop(key, None)
