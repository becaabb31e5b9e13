"""One database handle for the whole process, opened from a URL.

sqlite:///duban.db (the embedded default), postgresql://user@host/db, mysql://user@host/db.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

import peewee
from playhouse.db_url import connect as connect_url

# Every model binds to this proxy; `connect()` points it at a real database.
database = peewee.DatabaseProxy()


class StoreError(Exception):
    """A data problem the admin can fix (unknown unit, duplicate userid …). Nothing was written."""


def _sqlite_pragmas() -> dict:
    # WAL lets the callback server read while a job writes; busy_timeout rides out short write locks.
    return {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000, "synchronous": "normal"}


def open_database(url: str) -> peewee.Database:
    """Open (but do not bind) a database from a URL."""
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
        if path and path != ":memory:":
            folder = os.path.dirname(os.path.abspath(path))
            os.makedirs(folder, exist_ok=True)
        return peewee.SqliteDatabase(path or ":memory:", pragmas=_sqlite_pragmas())
    if scheme in ("postgres", "postgresql"):
        return connect_url(url.replace("postgres://", "postgresql://", 1))
    if scheme in ("mysql", "mariadb"):
        url = "mysql" + url[len(scheme):]
        return connect_url(url, charset="utf8mb4")
    raise StoreError(f"unsupported database URL {redact_url(url)!r}: use sqlite:///, postgresql:// or mysql://")


def connect(url: str) -> peewee.Database:
    """Bind the store to the database at `url` and open a connection."""
    if not database.is_closed() if database.obj is not None else False:
        database.close()
    db = open_database(url)
    database.initialize(db)
    try:
        database.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        raise StoreError(f"cannot connect to {redact_url(url)}: {exc}") from exc
    return db


def close() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()


def backend() -> str:
    """'sqlite', 'postgresql' or 'mysql'."""
    db = database.obj
    if isinstance(db, peewee.PostgresqlDatabase):
        return "postgresql"
    if isinstance(db, peewee.MySQLDatabase):
        return "mysql"
    return "sqlite"


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url
