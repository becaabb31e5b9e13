"""Test fixtures: every store test runs on SQLite, PostgreSQL and MariaDB.

The servers come from DUBAN_TEST_POSTGRES_URL / DUBAN_TEST_MYSQL_URL (defaults: the local test servers).
Each test run creates its own database on each server and drops it at the end, so parallel runs do not meet.
Under CI=true an unreachable server fails the run; elsewhere its tests are skipped, loudly.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlparse, urlunparse

import peewee
import pytest
from click.testing import CliRunner
from hypothesis import settings as hypothesis_settings

from store import db as store_db
from store import schema
from store.clock import clock
from store.models import ALL_MODELS

# Examples are checked, not timed: a shared 2-core CI machine must not fail a property on a slow example.
hypothesis_settings.register_profile("duban", deadline=None)
hypothesis_settings.load_profile("duban")

POSTGRES_URL = os.environ.get("DUBAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("DUBAN_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
BACKENDS = [b for b in os.environ.get("DUBAN_TEST_BACKENDS", "sqlite,postgresql,mysql").split(",") if b]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + name))


class ServerDatabase:
    """A throw-away database on a real server, created on first use."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"duban_t_{uuid.uuid4().hex[:10]}"
        self.url: str | None = None
        self.error: str | None = None

    def create(self) -> str:
        if self.url or self.error:
            return self.url
        try:
            admin = store_db.open_database(self.admin_url)
            admin.connect()
            if isinstance(admin, peewee.PostgresqlDatabase):
                admin.connection().autocommit = True
                admin.execute_sql(f'CREATE DATABASE "{self.name}"')
            else:
                admin.execute_sql(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            admin.close()
            self.url = _with_database(self.admin_url, self.name)
        except Exception as exc:  # noqa: BLE001 - any failure to reach the server is reported the same way
            self.error = f"{store_db.redact_url(self.admin_url)}: {exc}"
        return self.url

    def drop(self) -> None:
        if not self.url:
            return
        store_db.close()
        admin = store_db.open_database(self.admin_url)
        admin.connect()
        if isinstance(admin, peewee.PostgresqlDatabase):
            admin.connection().autocommit = True
            admin.execute_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            admin.execute_sql(f"DROP DATABASE IF EXISTS `{self.name}`")
        admin.close()


_servers: dict[str, ServerDatabase] = {}


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001
    for server in _servers.values():
        try:
            server.drop()
        except Exception:  # noqa: BLE001
            pass


def _server(backend: str) -> ServerDatabase:
    if backend not in _servers:
        _servers[backend] = ServerDatabase(POSTGRES_URL if backend == "postgresql" else MYSQL_URL)
    return _servers[backend]


def _clear_tables() -> None:
    for model in reversed(peewee.sort_models(ALL_MODELS)):
        if model.__name__ != "SchemaVersion":
            model.delete().execute()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """A connected, current, empty database on each backend; yields its URL."""
    backend = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'duban.db'}"
    else:
        server = _server(backend)
        url = server.create()
        if url is None:
            message = f"{backend} unreachable ({server.error})"
            if IN_CI:
                pytest.fail(message + " — CI=true requires every database backend")
            pytest.skip("SKIPPED BACKEND " + message)
    store_db.connect(url)
    schema.upgrade()
    if backend != "sqlite":
        _clear_tables()
    # The board's figures are cached per database; a server database is shared by every test of a run, so a
    # test must not meet the figures an earlier one computed.
    from store import board_cache

    board_cache.clear()
    yield url
    store_db.close()


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.unfreeze()
    clock.set_timezone("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """Tests read English output unless they ask for Chinese, whatever the developer's locale."""
    import i18n

    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "DUBAN_UI_LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    i18n.set_language("en")


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch):
    """Run `duban ARGS…` against the test database; returns click's Result."""
    from bot import cli as duban_cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict | None = None):
        environment = {"DUBAN_DATABASE_URL": db_url, **(env or {})}
        return runner.invoke(duban_cli, list(args), input=input, env=environment, catch_exceptions=False)

    return run
