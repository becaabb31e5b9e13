"""A named lease in the database: one active scheduler across processes, a standby takes over when it lapses."""

from __future__ import annotations

import datetime as dt

from store.db import database
from store.models import Lease


def acquire_lease(name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take or renew the lease `name` for `holder`; False while someone else holds an unexpired one."""
    expires = now + ttl
    with database.atomic():
        renewed = (
            Lease.update(holder=holder, expires_at=expires)
            .where((Lease.name == name) & ((Lease.holder == holder) | (Lease.expires_at < now)))
            .execute()
        )
        if renewed:
            return True
        return bool(
            Lease.insert(name=name, holder=holder, expires_at=expires).on_conflict_ignore().as_rowcount().execute()
        )


def release_lease(name: str, holder: str) -> None:
    Lease.delete().where((Lease.name == name) & (Lease.holder == holder)).execute()


def lease_holder(name: str, now: dt.datetime) -> str | None:
    lease = Lease.get_or_none((Lease.name == name) & (Lease.expires_at >= now))
    return lease.holder if lease else None
