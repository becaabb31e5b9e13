"""Write the DDL a released duban version ran, for SQLite, PostgreSQL and MariaDB, without a server.

Run from a checkout of that release (git worktree or `git archive | tar -x`):

    python tests/data/schema/dump_ddl.py CHECKOUT VERSION OUT_DIR

It imports the release's own `store.models` and records, instead of executing, every statement a fresh
install of that release sent to create its tables, so the files hold exactly what that release created.
Version 1 was only ever shipped as the first step of the first release: its `contact` table had no
`problem` column (version 2 adds it), so that column is taken out of the version-1 files.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import peewee


class _NoRows:
    description = ()
    rowcount = 0
    lastrowid = 0

    def fetchone(self):
        return None

    def fetchall(self):
        return []

    def __iter__(self):
        return iter(())


def _recorder(base: type[peewee.Database]) -> type[peewee.Database]:
    class Recorder(base):
        """Keeps the DDL it is asked to run; answers every query with no rows."""

        statements: list[str]

        def __init__(self) -> None:
            super().__init__(None)
            self.statements = []
            self.server_version = (10, 11) if base is peewee.MySQLDatabase else (15, 0)

        def execute_sql(self, sql, params=None, *args, **kwargs):
            if re.match(r"\s*(CREATE|ALTER|DROP)\b", sql, re.I):
                self.statements.append(sql)
            return _NoRows()

        def table_exists(self, *args, **kwargs) -> bool:
            return False

        def get_columns(self, *args, **kwargs) -> list:
            return []

        def get_indexes(self, *args, **kwargs) -> list:
            return []

        def atomic(self, *args, **kwargs):
            return _Nothing()

    return Recorder


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


BACKENDS = {"sqlite": peewee.SqliteDatabase, "postgresql": peewee.PostgresqlDatabase, "mysql": peewee.MySQLDatabase}


def dump(checkout: Path, version: int, out: Path) -> None:
    sys.path.insert(0, str(checkout))
    from store import models, schema  # the release's own code
    from store.db import database

    # A fresh install of a release runs its first step, which creates every table of that release's models;
    # the later steps only add what an older database lacks. So the release's DDL is its models' tables.
    tables = list(models.ALL_MODELS)
    if version == 1:
        tables = [t for t in schema.V1_TABLES]
    for name, base in BACKENDS.items():
        recorder = _recorder(base)()
        database.initialize(recorder)
        database.create_tables(tables, safe=True)
        text = ";\n".join(s.strip() for s in recorder.statements) + ";\n"
        if version == 1:
            text = re.sub(r',\s*["`]problem["`] [^,)]*', "", text)
        (out / f"v{version}.{name}.sql").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    dump(Path(sys.argv[1]).resolve(), int(sys.argv[2]), Path(sys.argv[3]).resolve())
