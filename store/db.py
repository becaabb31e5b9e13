"""One database handle for the whole process, opened from a URL.

sqlite:///duban.db (the embedded default), postgresql://user@host/db, mysql://user@host/db.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlparse

import peewee

from i18n import _
from store.drivers import load_driver

POOL_SIZE = 32
STALE_SECONDS = 300
POOL_WAIT_SECONDS = 10  # a busy moment waits for a free connection instead of failing
# Time budgets ([database] connect_timeout / statement_timeout): a database that stalls makes a statement fail
# after this long instead of hanging a job or a callback. SQLite waits busy_timeout for another writer.
CONNECT_TIMEOUT = 5.0
STATEMENT_TIMEOUT = 30.0
SQLITE_BUSY_MS = 5000
# Deadlock and serialization failures: MariaDB 1213 (deadlock), PostgreSQL 40001 / 40P01.
RETRY_MYSQL_ERRNOS = frozenset({1213})
RETRY_PG_CODES = frozenset({"40001", "40P01"})
RETRY_ATTEMPTS = 4
# Connections `run_concurrently` writes on at once, by backend (one where absent): SQLite has one writer at a
# time anyway; MariaDB was not measured.
CONCURRENT_CONNECTIONS = {"postgresql": 2}

log = logging.getLogger(__name__)
T = TypeVar("T")

# Every model binds to this proxy; `connect()` points it at a real database.
database = peewee.DatabaseProxy()


class StoreError(Exception):
    """A data problem the admin can fix (unknown unit, duplicate userid …). Nothing was written."""


def _sqlite_pragmas(statement_timeout: float = STATEMENT_TIMEOUT) -> dict:
    # WAL lets the callback server read while a job writes; busy_timeout rides out short write locks.
    busy = int(min(SQLITE_BUSY_MS, statement_timeout * 1000))
    return {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": busy, "synchronous": "normal"}


def _postgres_budget(connect_timeout: float, statement_timeout: float) -> dict:
    ms = int(statement_timeout * 1000)
    # statement_timeout also ends a wait for a lock; lock_timeout says so in the error.
    return {"connect_timeout": max(2, math.ceil(connect_timeout)),
            "options": f"-c statement_timeout={ms} -c lock_timeout={ms}"}


def _mysql_budget(connect_timeout: float, statement_timeout: float) -> dict:
    seconds = max(1, math.ceil(statement_timeout))
    return {"connect_timeout": max(1, math.ceil(connect_timeout)),
            # A server that stops answering altogether: the client gives up a little after the server would.
            "read_timeout": seconds + 5, "write_timeout": seconds + 5,
            "init_command": f"SET SESSION max_statement_time={statement_timeout:g}, "
                            f"SESSION innodb_lock_wait_timeout={seconds}, SESSION lock_wait_timeout={seconds}"}


def open_database(url: str, *, connect_timeout: float = CONNECT_TIMEOUT,
                  statement_timeout: float = STATEMENT_TIMEOUT) -> peewee.Database:
    """Open (but do not bind) a database from a URL, with connect and statement time budgets in seconds."""
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
        if path and path != ":memory:":
            folder = os.path.dirname(os.path.abspath(path))
            os.makedirs(folder, exist_ok=True)
        return peewee.SqliteDatabase(path or ":memory:", pragmas=_sqlite_pragmas(statement_timeout),
                                     timeout=min(SQLITE_BUSY_MS / 1000, statement_timeout))
    # Server databases get a connection pool: each job run and each callback request takes a connection and
    # gives it back (unit_of_work), and connections idle past stale_timeout are replaced, never reused dead.
    from playhouse.db_url import connect as connect_url

    rest = url.split("://", 1)[1]
    if scheme in ("postgres", "postgresql"):
        load_driver("postgresql")
        return connect_url(f"postgresql+pool://{rest}", max_connections=POOL_SIZE, stale_timeout=STALE_SECONDS,
                           timeout=POOL_WAIT_SECONDS, **_postgres_budget(connect_timeout, statement_timeout))
    if scheme in ("mysql", "mariadb"):
        load_driver("mysql")
        return connect_url(f"mysql+pool://{rest}", charset="utf8mb4", max_connections=POOL_SIZE,
                           stale_timeout=STALE_SECONDS, timeout=POOL_WAIT_SECONDS,
                           **_mysql_budget(connect_timeout, statement_timeout))
    raise StoreError(_('unsupported database URL {url!r}: use sqlite:///, postgresql:// or mysql://').format(url=redact_url(url)))


def _keep_private(path: str) -> None:
    """The SQLite file holds the access token, robot keys and mobile numbers: only its owner may read it."""
    if path and path != ":memory:" and not path.startswith("file:"):
        from store.files import tighten

        for name in (path, path + "-wal", path + "-shm"):
            tighten(name)


def connect(url: str, *, connect_timeout: float = CONNECT_TIMEOUT,
            statement_timeout: float = STATEMENT_TIMEOUT) -> peewee.Database:
    """Bind the store to the database at `url` and open a connection."""
    close()
    db = open_database(url, connect_timeout=connect_timeout, statement_timeout=statement_timeout)
    if isinstance(db, peewee.SqliteDatabase):
        _keep_private(db.database)
    database.initialize(db)
    try:
        database.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        raise StoreError(connect_error(url, exc)) from exc
    return db


def connect_error(url: str, exc: Exception) -> str:
    """One line saying why the database cannot be opened and, for a missing database, how to create it."""
    from i18n import _

    detail = " ".join(str(exc).split())
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    host = parsed.hostname or "127.0.0.1"
    user = parsed.username or ""
    if "does not exist" in detail and parsed.scheme.startswith("postgres"):
        fix = f"createdb -h {host}" + (f" -U {user}" if user else "") + f" {name}"
        return _("database {name!r} does not exist on {host}: create it with `{fix}`, then run `duban init`").format(
            name=name, host=host, fix=fix)
    if "Unknown database" in detail:
        fix = (f"mysql -h {host}" + (f" -u {user}" if user else "") + f" -p -e \"CREATE DATABASE {name} "
               "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci\"")
        return _("database {name!r} does not exist on {host}: create it with `{fix}`, then run `duban init`").format(
            name=name, host=host, fix=fix)
    return _("cannot connect to {url}: {detail} (is the database server running, and are [database] url's host, "
             "port, user and password right?)").format(url=redact_url(url), detail=detail)


def close() -> None:
    """Close this thread's connection and, for a pool, every idle one it keeps."""
    db = database.obj
    if db is None:
        return
    if not db.is_closed():
        db.close()
    if hasattr(db, "close_idle"):
        db.close_idle()


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


class unit_of_work:  # noqa: N801 - used like a function: `with unit_of_work():`
    """A connection for one job run or one request in this thread, closed after if it opened it.

    Long-lived threads (the scheduler's, the callback's) then never hold a connection the server dropped.
    On SQLite each thread keeps its own connection (peewee opens it on first use).
    """

    def __enter__(self) -> None:
        # A SQLite file connection never goes stale, and reopening one costs more than the query: keep it.
        self.opened = database.is_closed() and not isinstance(database.obj, peewee.SqliteDatabase)
        if self.opened:
            database.connect()

    def __exit__(self, *exc: object) -> None:
        if self.opened and not database.is_closed() and not database.in_transaction():
            database.close()


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction was rolled back and may simply run again."""
    for error in (exc, getattr(exc, "orig", None), exc.__cause__, exc.__context__):  # peewee keeps the driver's in .orig
        if error is None:
            continue
        if getattr(error, "pgcode", None) in RETRY_PG_CODES:
            return True
        args = getattr(error, "args", ())
        if args and isinstance(args[0], int) and args[0] in RETRY_MYSQL_ERRNOS:
            return True
    return False


def in_transaction_retrying(work: Callable[[], T], attempts: int = RETRY_ATTEMPTS,
                            pause: Callable[[float], None] = time.sleep) -> T:
    """Run `work` in its own transaction, again (up to `attempts` times) when the database rolled it back
    for a deadlock or serialization failure. Inside an outer transaction it runs once (the outer one owns
    the retry). Keep `work` short and free of side effects outside the database."""
    if database.in_transaction():
        with database.atomic():
            return work()
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction():  # SQLite: the write lock up front, so concurrent runs wait their turn
                return work()
        except peewee.PeeweeException as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            log.info("transaction rolled back (%s), retrying (%d of %d)", exc, attempt, attempts - 1)
            pause(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


def run_concurrently(works: Sequence[Callable[[], T]]) -> list[T]:
    """Each work's result, in order. On PostgreSQL two run at a time, each thread on its own connection (a work
    opens its own transactions, e.g. with `in_transaction_retrying`): the server then does the per-row work of
    big inserts (foreign-key checks, index entries) on two cores while this process waits, which made a daily
    send's writing about 30 % faster. Elsewhere, and inside a transaction (another connection would not see
    it), one after another in this thread. After a failure no further work starts; the first failure is
    raised once the works running have ended."""
    threads = CONCURRENT_CONNECTIONS.get(backend(), 1)
    if threads < 2 or len(works) < 2 or database.in_transaction():
        return [work() for work in works]
    failed = threading.Event()

    def run(work: Callable[[], T]) -> T:
        if failed.is_set():
            raise _NotStarted
        try:
            with unit_of_work():
                return work()
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="duban-writer") as pool:
        futures = [pool.submit(run, work) for work in works]
        try:
            # Works start in order, so the failure comes before any work it kept from starting (_NotStarted).
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise  # once the with-block has waited for the works running


class _NotStarted(Exception):
    """A work `run_concurrently` did not start because another had failed."""


def write_transaction() -> Any:
    """A transaction that will write. On SQLite it takes the write lock as it begins (BEGIN IMMEDIATE), waiting
    for it up to busy_timeout: a deferred transaction that reads first and writes later fails at once with
    'database is locked' when another connection committed in between, which no busy_timeout waits out.
    Elsewhere (and nested) it is an ordinary transaction / savepoint."""
    if isinstance(database.obj, peewee.SqliteDatabase) and database.transaction_depth() == 0:
        return database.atomic("IMMEDIATE")
    return database.atomic()


@contextlib.contextmanager
def relaxed_commit() -> Iterator[None]:
    """A short transaction whose commit need not wait for the disk (PostgreSQL's synchronous_commit off for it
    alone): for bookkeeping that a database crash may lose harmlessly, such as the send budgets. Waiting for
    the disk on every send was most of a dispatcher's time on PostgreSQL. Nested, it is a savepoint."""
    if backend() != "postgresql" or database.in_transaction():
        with database.atomic():
            yield
        return
    with database.atomic():
        database.execute_sql("SET LOCAL synchronous_commit TO OFF")
        yield
