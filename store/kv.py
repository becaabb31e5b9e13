"""Small shared values with an expiry, visible to every process on the database."""

from __future__ import annotations

import datetime as dt

from store.db import in_transaction_retrying
from store.models import KeyValue


def kv_get(key: str, now: dt.datetime) -> str | None:
    entry = kv_entry(key, now)
    return entry[0] if entry else None


def kv_entry(key: str, now: dt.datetime) -> tuple[str, dt.datetime | None] | None:
    """(value, expires_at) of an unexpired key, or None."""
    row = KeyValue.get_or_none(KeyValue.key == key)
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row.value, row.expires_at


def kv_set(key: str, value: str, now: dt.datetime, ttl_seconds: float | None = None) -> None:
    """Insert or replace; works the same on all three backends (no dialect-specific upsert). Two processes
    setting a new key at once can deadlock on MariaDB's gap locks: the loser's transaction runs again."""
    expires = now + dt.timedelta(seconds=ttl_seconds) if ttl_seconds else None

    def upsert() -> None:
        updated = KeyValue.update(value=value, expires_at=expires).where(KeyValue.key == key).execute()
        if updated:
            return
        inserted = (KeyValue.insert(key=key, value=value, expires_at=expires)
                    .on_conflict_ignore().as_rowcount().execute())
        if not inserted:  # another process inserted it a moment ago: ours is as fresh
            KeyValue.update(value=value, expires_at=expires).where(KeyValue.key == key).execute()

    in_transaction_retrying(upsert)


def kv_delete(key: str) -> None:
    KeyValue.delete().where(KeyValue.key == key).execute()
