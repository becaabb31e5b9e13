"""The WeCom access token shared through the database, so every duban process (serve, outbox flush,
wecom check) reuses one token instead of each fetching its own: gettoken is rate-limited."""

from __future__ import annotations

from typing import Any

from wechatpy.session import SessionStorage

from store.clock import clock
from store.kv import kv_delete, kv_get, kv_set

PREFIX = "wecom:"


class DatabaseTokenStorage(SessionStorage):
    """A wechatpy SessionStorage in the store's key-value table. Its keys hold the start of the secret:
    they are never logged or shown."""

    def get(self, key: str, default: Any = None) -> Any:
        value = kv_get(PREFIX + key, clock.utcnow())
        return default if value is None else value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        # Expire a minute early: a token WeCom is about to drop is worth less than a fresh fetch.
        kv_set(PREFIX + key, str(value), clock.utcnow(), max(60, ttl - 60) if ttl else None)

    def delete(self, key: str) -> None:
        kv_delete(PREFIX + key)
