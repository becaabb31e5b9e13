"""Database drivers load when a database of their kind is opened, not whenever duban starts.

peewee imports every driver it can find (psycopg2, pymysql …) when it is imported: a third of `duban --help`'s
start-up, and pointless on SQLite. `import_peewee` imports peewee while those drivers look absent, and
`load_driver` gives peewee the one a database URL needs, as peewee's own import would have.
"""

from __future__ import annotations

import importlib
import sys

HIDDEN = ("psycopg2", "psycopg", "psycopg2cffi", "pymysql", "MySQLdb")


def import_peewee() -> None:
    """Import peewee with the server drivers hidden (only during that import; nothing else is affected)."""
    if "peewee" in sys.modules:
        return
    hidden = [name for name in HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError
    try:
        importlib.import_module("peewee")
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def load_driver(kind: str) -> None:
    """Give peewee the driver for 'postgresql' or 'mysql' (an ImportError when it is not installed)."""
    import peewee

    if kind == "postgresql" and peewee.psycopg2 is None:
        psycopg2 = importlib.import_module("psycopg2")
        extensions = importlib.import_module("psycopg2.extensions")
        extras = importlib.import_module("psycopg2.extras")
        extras.register_uuid()
        peewee.psycopg2, peewee.pg_extensions, peewee.Json_pg2 = psycopg2, extensions, extras.Json
        peewee.pg_register_uuid = extras.register_uuid
        adapter = peewee.Psycopg2Adapter
        adapter.txn_idle = extensions.TRANSACTION_STATUS_IDLE
        adapter.txn_inerror = extensions.TRANSACTION_STATUS_INERROR
        adapter.txn_unknown = extensions.TRANSACTION_STATUS_UNKNOWN
    elif kind == "mysql" and peewee.mysql is None:
        peewee.mysql = importlib.import_module("pymysql")
