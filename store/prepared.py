"""Queries whose SQL peewee builds once, for the paths that run them hundreds of times a second.

Building a statement's SQL from peewee's expression tree costs more than running it on SQLite (a quarter of
a callback's time went there). A `Prepared` query is built once per database kind (and per length of each
list argument) with marker values, remembers where each value lands among the statement's parameters, and
afterwards only binds the new values. Rows come back through the query's own cursor wrapper, so models,
joins and type conversions are exactly what peewee would have given.

Arguments may be str, int, datetime, date or lists of int (no bools or None: a marker must be recognisable
among the parameters). Constants written into the query (True, 'done' …) stay as built.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import peewee as pw

from store.db import backend, database

_Slot = tuple[int, int | None] | None  # (argument, list index) for a bound value; None for a constant


class _Built:
    """The part of a database `query.execute(database)` uses: run this statement, already built, with these
    parameters."""

    def __init__(self, name: str, sql: str, params: list) -> None:
        self.name, self.sql, self.params = name, sql, params

    def execute(self, _query: Any, *args: Any, **kwargs: Any) -> Any:
        return run(self.name, self.sql, self.params)


# --- PostgreSQL: planned once per connection ---------------------------------------------------------------------
# PostgreSQL plans every statement it is sent; for the joins chat runs on every message the planning took longer
# than the execution (0.5 ms against 0.05 ms). A prepared query is PREPAREd on each connection the first time it
# runs there, then EXECUTEd. A PREPARE outlives a rolled-back transaction, so a name once prepared stays valid for
# the connection's life; a new connection starts with none.

_serial = itertools.count(1)
_pg_names: dict[int, tuple[Any, set[str]]] = {}  # id(connection) → (connection, names prepared on it)
_pg_lock = threading.Lock()


def run(name: str, sql: str, params: list) -> Any:
    """Run a built statement (its `name` unique to this SQL); on PostgreSQL as a prepared statement. The cursor."""
    if backend() != "postgresql" or sql.count("%") != sql.count("%s") or sql.count("%s") != len(params):
        return database.execute_sql(sql, params)
    connection = database.connection()
    with _pg_lock:
        known = _pg_names.get(id(connection))
        if known is None or known[0] is not connection:
            if len(_pg_names) > 256:  # connections come and go with the pool: forget the closed ones
                for key in [k for k, (c, _n) in _pg_names.items() if c.closed]:
                    del _pg_names[key]
            known = _pg_names[id(connection)] = (connection, set())
    names = known[1]
    if name not in names:
        parts = sql.split("%s")
        text = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))
        with database.cursor() as cursor:  # no parameters: the text goes as it is
            cursor.execute(f"PREPARE {name} AS {text}")
        names.add(name)
    if not params:
        return database.execute_sql(f"EXECUTE {name}")
    return database.execute_sql(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


def _marker(value: Any, serial: int) -> Any:
    if isinstance(value, bool) or value is None:
        raise TypeError("a prepared query takes str, int, date, datetime or lists of int, not bool or None")
    if isinstance(value, str):
        return f"\x00prepared-{serial}\x00"
    if isinstance(value, int):
        return -7_340_000_000_000 - serial
    if isinstance(value, dt.datetime):
        return dt.datetime(1, 1, 1, 0, 0, 0, serial)
    if isinstance(value, dt.date):
        return dt.date(1, 1 + serial // 28, 1 + serial % 28)
    raise TypeError(f"a prepared query cannot take {type(value).__name__}")


def _key(value: Any) -> tuple[type, Any]:
    return type(value), value


class Prepared:
    """`build(*args)` returns the peewee query for the given values; see the module's notes."""

    def __init__(self, build: Callable[..., pw.BaseQuery]) -> None:
        self.build = build
        self._plans: dict[tuple, tuple[pw.BaseQuery, str, list, list[_Slot], str]] = {}
        self._converters: dict[int, list[tuple[int, Callable[[Any], Any]]]] = {}
        self._lock = threading.Lock()

    def _plan(self, args: Sequence[Any]) -> tuple[pw.BaseQuery, str, list, list[_Slot], str]:
        shape = (type(database.obj), tuple(len(a) if isinstance(a, (list, tuple)) else -1 for a in args))
        plan = self._plans.get(shape)
        if plan is None:
            with self._lock:
                plan = self._plans.get(shape) or self._make(args)
                self._plans[shape] = plan
        return plan

    def _make(self, args: Sequence[Any]) -> tuple[pw.BaseQuery, str, list, list[_Slot], str]:
        markers: list[Any] = []
        where: dict[tuple[type, Any], tuple[int, int | None]] = {}
        serial = 0
        for n, arg in enumerate(args):
            if isinstance(arg, (list, tuple)):
                items = []
                for i, item in enumerate(arg):
                    items.append(_marker(item, serial))
                    where[_key(items[-1])] = (n, i)
                    serial += 1
                markers.append(items)
            else:
                markers.append(_marker(arg, serial))
                where[_key(markers[-1])] = (n, None)
                serial += 1
        query = self.build(*markers)
        sql, params = query.sql()
        slots = [where.get(_key(p)) for p in params]
        found = {s for s in slots if s is not None}
        if found != set(where.values()):
            raise TypeError("a prepared query's argument did not reach its statement unchanged")
        return query, sql, params, slots, f"duban_q{next(_serial)}"

    def execute(self, *args: Any) -> tuple[pw.BaseQuery, Any]:
        """(the query as built, the cursor of this run)."""
        query, sql, constants, slots, name = self._plan(args)
        return query, run(name, sql, self._bind(args, constants, slots))

    @staticmethod
    def _bind(args: tuple, constants: list, slots: list) -> list:
        return [c if s is None else args[s[0]] if s[1] is None else args[s[0]][s[1]]
                for c, s in zip(constants, slots, strict=True)]

    def rows(self, *args: Any) -> list[Any]:
        """Every row, as the query would give them (models, tuples, dicts …)."""
        query, sql, constants, slots, name = self._plan(args)
        # peewee's public execute(database) with a stand-in that runs the statement already built: the rows come
        # through the query's own cursor wrapper (models, joins, conversions), and nothing is built again.
        return list(query.clone().execute(_Built(name, sql, self._bind(args, constants, slots))))

    def tuples(self, *args: Any) -> list[tuple]:
        """Every row as a plain tuple of the selected columns, converted only where the database's value is not
        already Python's (dates on SQLite, booleans, decimals …): for hot paths reading many rows, where
        peewee's per-value conversion cost more than the query."""
        query, sql, constants, slots, name = self._plan(args)
        converters = self._converters.get(id(query))
        if converters is None:
            converters = self._converters[id(query)] = _converters(query)
        rows = run(name, sql, self._bind(args, constants, slots)).fetchall()
        if not converters:
            return [tuple(r) for r in rows]
        out = []
        for row in rows:
            row = list(row)
            for i, convert in converters:
                if row[i] is not None:
                    row[i] = convert(row[i])
            out.append(tuple(row))
        return out

    def first(self, *args: Any) -> Any:
        """The first row, or None (the query should carry its own LIMIT 1)."""
        rows = self.rows(*args)
        return rows[0] if rows else None

    def scalar(self, *args: Any) -> Any:
        """The first column of the first row, or None."""
        _query, cursor = self.execute(*args)
        row = cursor.fetchone()
        return row[0] if row else None


# Fields whose values come back from every backend already as Python has them.
_AS_STORED = (pw.AutoField, pw.IntegerField, pw.CharField, pw.TextField)


def _converters(query: pw.BaseQuery) -> list[tuple[int, Callable[[Any], Any]]]:
    """(column index, conversion) for the selected columns whose stored value needs peewee's conversion."""
    out = []
    for i, node in enumerate(getattr(query, "_returning", None) or ()):
        while isinstance(node, pw.Alias):
            node = node.node
        if isinstance(node, pw.Function) and node._coerce and node.arguments \
                and isinstance(node.arguments[0], pw.Field):
            node = node.arguments[0]  # MAX(a date) is a date, as peewee converts it
        if isinstance(node, pw.ForeignKeyField):
            node = node.rel_field
        if isinstance(node, pw.Field) and not (isinstance(node, _AS_STORED)
                                               and type(node).python_value is pw.Field.python_value):
            out.append((i, node.python_value))
    return out


# --- INSERT … ignoring a duplicate key ---------------------------------------------------------------------------

_INSERT_SQL: dict[tuple, str] = {}
_INSERT_NAMES: dict[str, str] = {}  # a single-row insert's SQL → its prepared statement's name


def insert_ignore(model: type[pw.Model], fields: dict[str, Any], *, returning: bool = True) -> Any:
    """INSERT that does nothing on a duplicate key; the new id, or None when the key existed (with
    `returning=False`, for a table without an id: whether a row was inserted).

    Never raises on a duplicate, so a PostgreSQL transaction is not aborted. Written out once per (table,
    columns, backend) rather than built by peewee for each row; values still go through the fields' db_value.
    """
    kind = backend()
    fields = {**model._meta.get_default_dict(), **fields}  # the model's defaults, as peewee's insert adds them
    columns = tuple(fields)
    sql = _insert_sql(model, columns, 1, returning and kind == "postgresql")
    params = [model._meta.fields[c].db_value(fields[c]) for c in columns]
    cursor = run(_INSERT_NAMES.setdefault(sql, f"duban_i{next(_serial)}"), sql, params)
    if not returning:
        return cursor.rowcount == 1
    if kind == "postgresql":
        found = cursor.fetchone()
        return found[0] if found else None
    return cursor.lastrowid if cursor.rowcount == 1 else None  # lastrowid is stale after an ignored insert


VALUES_PARAMETERS = 1000  # parameters per INSERT … VALUES statement (SQLite, MariaDB)
ARRAY_ROWS = 20_000  # rows per INSERT … SELECT FROM unnest(…) statement (PostgreSQL)


def insert_ignore_many(model: type[pw.Model], rows: Sequence[dict[str, Any]]) -> int:
    """Insert these rows (all with the same fields), skipping any whose key exists; how many were inserted.
    Any number of rows: statements of about a thousand values each (on PostgreSQL one statement for thousands
    of rows, see `insert_ignore_columns`)."""
    if not rows:
        return 0
    defaults = model._meta.get_default_dict()
    names = tuple(rows[0])
    same = {name: value for name, value in defaults.items() if name not in names}
    if _arrays_fit(model, (*names, *same)):
        return _insert_arrays(model, {name: [row[name] for row in rows] for name in names}, same)
    return _insert_values(model, [{**defaults, **row} for row in rows])


def insert_ignore_columns(model: type[pw.Model], columns: dict[str, Sequence[Any]],
                          same: dict[str, Any] | None = None) -> int:
    """`insert_ignore_many` with the rows given column by column: field name → its values, one per row (all as
    long), and `same` the values every row shares; how many rows were inserted.

    On PostgreSQL a column travels as one array parameter (written out here in PostgreSQL's text form, one
    string) and a shared value as one parameter, so thousands of rows are one short statement: psycopg2
    adapting every value on its own and the server parsing statements of a thousand parameters were most of
    a daily send's writing. Elsewhere the rows go in as `insert_ignore_many` puts them."""
    return _insert_columns(model, columns, same, ignore=True)


def insert_columns(model: type[pw.Model], columns: dict[str, Sequence[Any]], same: dict[str, Any] | None = None) -> int:
    """`insert_ignore_columns` without ignoring: a duplicate key fails the statement (IntegrityError), as in
    `insert_rows`. Cheaper on PostgreSQL where no duplicate is expected: no conflict check before each row."""
    return _insert_columns(model, columns, same, ignore=False)


def _insert_columns(model: type[pw.Model], columns: dict[str, Sequence[Any]], same: dict[str, Any] | None,
                    ignore: bool) -> int:
    same = {name: value for name, value in {**model._meta.get_default_dict(), **(same or {})}.items()
            if name not in columns}
    if not columns or not len(next(iter(columns.values()))):
        return 0
    if _arrays_fit(model, (*columns, *same)):
        return _insert_arrays(model, columns, same, ignore)
    names = tuple(columns)
    return _insert_values(model, [{**same, **dict(zip(names, values, strict=True))}
                                  for values in zip(*columns.values(), strict=True)], ignore)


def _insert_values(model: type[pw.Model], rows: Sequence[dict[str, Any]], ignore: bool = True) -> int:
    """INSERT … VALUES (ignoring duplicate keys) of rows carrying every field, defaults included."""
    columns = tuple(rows[0])
    fields = [model._meta.fields[c] for c in columns]
    per_statement = max(1, VALUES_PARAMETERS // len(columns))
    inserted = 0
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        params = [f.db_value(row[c]) for row in chunk for c, f in zip(columns, fields, strict=True)]
        inserted += max(database.execute_sql(_insert_sql(model, columns, len(chunk), False, ignore), params)
                        .rowcount, 0)
    return inserted


def _insert_arrays(model: type[pw.Model], columns: dict[str, Sequence[Any]], same: dict[str, Any],
                   ignore: bool = True) -> int:
    """INSERT … SELECT FROM unnest(arrays) [ON CONFLICT DO NOTHING] on PostgreSQL, ARRAY_ROWS rows a statement."""
    fields = {name: model._meta.fields[name] for name in (*columns, *same)}
    shared = [fields[name].db_value(value) for name, value in same.items()]
    sql = _arrays_sql(model, tuple(columns), tuple(same), ignore)
    count = len(next(iter(columns.values())))
    inserted = 0
    for start in range(0, count, ARRAY_ROWS):
        arrays = [_array_param(_db_values(fields[name], values[start:start + ARRAY_ROWS]))
                  for name, values in columns.items()]
        inserted += max(database.execute_sql(sql, [*shared, *arrays]).rowcount, 0)
    return inserted


# PostgreSQL's names of the column types `_array_param` writes (as peewee's field types map to them).
_ARRAY_TYPES = frozenset({"INTEGER", "BIGINT", "SMALLINT", "VARCHAR", "TEXT", "DATE", "TIMESTAMP", "BOOLEAN"})


def _pg_type(field: pw.Field) -> str:
    return database.obj.get_context_options()["field_types"].get(field.field_type, field.field_type)


def _arrays_fit(model: type[pw.Model], names: Sequence[str]) -> bool:
    """Whether these columns can go in as arrays: PostgreSQL, and types `_array_param` writes."""
    return backend() == "postgresql" and all(_pg_type(model._meta.fields[n]) in _ARRAY_TYPES for n in names)


def _db_values(field: pw.Field, values: Sequence[Any]) -> list[Any]:
    # ints into an integer column, strs into a text one are already what the database takes (the daily send
    # writes hundreds of thousands); anything else goes through the field as in any insert.
    kind = _pg_type(field)
    if kind in ("INTEGER", "BIGINT", "SMALLINT") and all(type(v) is int for v in values):
        return list(values)
    if kind in ("VARCHAR", "TEXT") and all(type(v) is str for v in values):
        return list(values)
    return [field.db_value(v) for v in values]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_param(values: list[Any]) -> str | list[Any]:
    """PostgreSQL's text form of an array of these values, {1,NULL,"text"} (the statement casts it), or the
    list itself (psycopg2 adapts it value by value) when one is a value not written here: an aware datetime,
    which psycopg2 sends as a timestamptz for the server to turn into local time."""
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    if all(type(v) is str for v in values):
        joined = '","'.join(values)
        if "\\" not in joined and '"' not in joined:
            return '{"' + joined + '"}'
        return "{" + ",".join(map(_quoted, values)) + "}"
    parts = []
    for v in values:
        if v is None:
            parts.append("NULL")
        elif isinstance(v, bool):
            parts.append("t" if v else "f")
        elif isinstance(v, int):
            parts.append(str(v))
        elif isinstance(v, str):
            parts.append(_quoted(v))
        elif isinstance(v, dt.datetime) and v.tzinfo is not None:
            return list(values)
        elif isinstance(v, dt.date):  # dates and naive datetimes: 2019-10-22, 2019-10-22T01:10:00
            parts.append(v.isoformat())
        else:
            return list(values)
    return "{" + ",".join(parts) + "}"


def _arrays_sql(model: type[pw.Model], columns: tuple[str, ...], same: tuple[str, ...], ignore: bool) -> str:
    key = (model, columns, same, ignore, "arrays")
    sql = _INSERT_SQL.get(key)
    if sql is None:
        db = database.obj
        quote = db.quote
        fields = model._meta.fields
        names = ", ".join(quote[0] + fields[c].column_name + quote[1] for c in (*columns, *same))
        arrays = ", ".join(f"{db.param}::{_pg_type(fields[c])}[]" for c in columns)
        values = ", ".join(["t.*", *(f"{db.param}::{_pg_type(fields[c])}" for c in same)])
        sql = (f"INSERT INTO {quote[0]}{model._meta.table_name}{quote[1]} ({names}) "
               f"SELECT {values} FROM unnest({arrays}) AS t" + (" ON CONFLICT DO NOTHING" if ignore else ""))
        _INSERT_SQL[key] = sql
    return sql


def insert_rows(model: type[pw.Model], rows: Sequence[dict[str, Any]], per_statement: int = 100) -> None:
    """Plain INSERTs of many rows (all with the same fields), `per_statement` rows a statement, the SQL written
    once per shape: peewee building a statement for each row was most of a large plan import. A duplicate
    key fails as usual (the caller's transaction then undoes everything)."""
    if not rows:
        return
    defaults = model._meta.get_default_dict()
    rows = [{**defaults, **row} for row in rows]
    columns = tuple(rows[0])
    fields = [model._meta.fields[c] for c in columns]
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        params = [f.db_value(row[c]) for row in chunk for c, f in zip(columns, fields, strict=True)]
        database.execute_sql(_insert_sql(model, columns, len(chunk), False, ignore=False), params)


def _insert_sql(model: type[pw.Model], columns: tuple[str, ...], count: int, returning_id: bool,
                ignore: bool = True) -> str:
    kind = backend()
    key = (model, columns, kind, count, returning_id, ignore)
    sql = _INSERT_SQL.get(key)
    if sql is None:
        db = database.obj
        quote = db.quote
        names = ", ".join(quote[0] + model._meta.fields[c].column_name + quote[1] for c in columns)
        table = quote[0] + model._meta.table_name + quote[1]
        values = ", ".join(["(" + ", ".join([db.param] * len(columns)) + ")"] * count)
        if not ignore:
            sql = f"INSERT INTO {table} ({names}) VALUES {values}"
        elif kind == "postgresql":
            sql = f"INSERT INTO {table} ({names}) VALUES {values} ON CONFLICT DO NOTHING"
            if returning_id:
                sql += f" RETURNING {quote[0]}id{quote[1]}"
        else:
            verb = "INSERT IGNORE" if kind == "mysql" else "INSERT OR IGNORE"
            sql = f"{verb} INTO {table} ({names}) VALUES {values}"
        _INSERT_SQL[key] = sql
    return sql
