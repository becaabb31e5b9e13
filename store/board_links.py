"""Signed links to the status board: the key they are signed with, and the HMACs themselves.

The key is [web] secret, else one generated on first use and kept in the key-value table, so every process on
the database (`duban serve` on two hosts, `duban web open`) signs and checks with the same key. Changing
[web] secret, or deleting the stored one, invalidates every link and sign-in at once.

Each leader group signs with its own key (HMAC of the secret with the group's id, name and creation time):
a link posted in one group opens only that group's overview, and removing a group kills its links even if
another group later gets the same id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading

from store.models import KeyValue, LeaderGroup

SECRET_KEY = "web:secret"
_cache: dict[str, bytes] = {}
_lock = threading.Lock()


def board_secret(configured: str = "") -> bytes:
    """The board's signing key (at least 32 bytes of entropy when generated)."""
    if configured:
        return configured.encode("utf-8")
    from store.db import database

    cache_key = f"{id(database.obj)}:{getattr(database.obj, 'database', '')}"
    with _lock:
        if cache_key in _cache:
            return _cache[cache_key]
        row = KeyValue.get_or_none(KeyValue.key == SECRET_KEY)
        if row is None:
            KeyValue.insert(key=SECRET_KEY, value=secrets.token_hex(32), expires_at=None).on_conflict_ignore().execute()
            row = KeyValue.get(KeyValue.key == SECRET_KEY)  # another process may have won: use its key
        _cache[cache_key] = row.value.encode("utf-8")
        return _cache[cache_key]


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()[:40]


def group_key(secret: bytes, group: LeaderGroup) -> bytes:
    created = group.created_at.isoformat() if group.created_at else ""
    return hmac.new(secret, f"group:{group.id}:{group.name}:{created}".encode(), hashlib.sha256).digest()


def group_signature(secret: bytes, group: LeaderGroup, expires: int) -> str:
    """The HMAC of a digest link that opens `group`'s overview until `expires` (epoch seconds)."""
    return _mac(group_key(secret, group), f"overview:{expires}")


def group_link_params(secret: bytes, group: LeaderGroup, now: dt.datetime, hours: int) -> dict[str, str]:
    """Query parameters of a group's link made at `now` (naive UTC), good for `hours`."""
    expires = int(now.replace(tzinfo=dt.timezone.utc).timestamp()) + hours * 3600
    return {"g": str(group.id), "e": str(expires), "s": group_signature(secret, group, expires)}


def check_group_link(secret: bytes, group_id: str, expires: str, signature: str, now: dt.datetime) -> tuple[
        LeaderGroup | None, str]:
    """(the group, "") for a valid, unexpired link; (None, why) otherwise: 'bad', 'expired'."""
    if not (group_id.isdigit() and expires.isdigit() and len(group_id) < 12 and len(expires) < 12):
        return None, "bad"
    group = LeaderGroup.get_or_none(LeaderGroup.id == int(group_id))
    if group is None or not hmac.compare_digest(group_signature(secret, group, int(expires)), signature or ""):
        return None, "bad"
    if int(expires) <= now.replace(tzinfo=dt.timezone.utc).timestamp():
        return None, "expired"
    return group, ""


def signin_signature(secret: bytes, userid: str, expires: int) -> str:
    """The HMAC of a local sign-in link for `userid` (`duban web open --as`)."""
    return _mac(secret, f"signin:{userid}:{expires}")


def check_signin(secret: bytes, userid: str, expires: str, signature: str, now: dt.datetime) -> str:
    """'' for a valid, unexpired sign-in link, else 'bad' or 'expired'."""
    if not expires.isdigit() or len(expires) > 12 or not userid or len(userid) > 64:
        return "bad"
    if not hmac.compare_digest(signin_signature(secret, userid, int(expires)), signature or ""):
        return "bad"
    if int(expires) <= now.replace(tzinfo=dt.timezone.utc).timestamp():
        return "expired"
    return ""


def group_link_url(config, group: LeaderGroup, now: dt.datetime) -> str | None:
    """The signed link a leader group's digest carries, or None when the board has no public address."""
    from urllib.parse import urlencode

    web = config.web
    if not web.enabled or not web.public_url:
        return None
    params = group_link_params(board_secret(web.secret), group, now, web.link_hours)
    return f"{web.public_url.rstrip('/')}{web.path.rstrip('/')}/link?{urlencode(params)}"
