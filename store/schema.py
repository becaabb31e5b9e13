"""Schema versions and the migration path: `duban init` creates or upgrades, idempotently.

Each migration inspects the live schema before it changes it, so re-running one is harmless
(a crash half-way through an upgrade is finished by the next `duban init`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import peewee

from i18n import _
from store import models as m
from store.clock import utcnow
from store.db import database

# Tables added by version 2 (reminders, calendar, digests, the scheduler lease).
V2_TABLES = [m.ReminderLog, m.CalendarOverride, m.DigestLog, m.Lease]
# Version 3: shared state between processes (the WeCom access token).
V3_TABLES = [m.KeyValue]
# Version 4: cards and evidence (佐证材料).
V4_TABLES = [m.Evidence, m.MediaDownload, m.CardMessage, m.ChatPrompt]
# Version 5: per-recipient send budgets shared by every dispatcher.
V5_TABLES = [m.RateSlot]
# Version 7: days of the imported State Council holiday notices.
V7_TABLES = [m.NoticeDay]
V1_TABLES = [model for model in m.ALL_MODELS
             if model not in V2_TABLES + V3_TABLES + V4_TABLES + V5_TABLES + V7_TABLES]


def _add_column(model: type[m.BaseModel], name: str) -> None:
    """ALTER TABLE … ADD COLUMN for the model's field `name`. playhouse.migrate is imported inside the steps
    that use it, never at the top: it loads every database driver, which a command that does not migrate
    should not pay for (tests/test_startup_imports.py)."""
    from playhouse.migrate import SchemaMigrator, migrate

    field = model._meta.fields[name]  # a foreign key `undoes` is the column `undoes_id`
    migrate(SchemaMigrator.from_database(database.obj).add_column(model._meta.table_name, field.column_name, field))


def _v1_core_tables() -> None:
    database.create_tables(V1_TABLES, safe=True)


def _v2_reminders_and_contact_problems() -> None:
    columns = {c.name for c in database.get_columns(m.Contact._meta.table_name)}
    if "problem" not in columns:
        _add_column(m.Contact, "problem")
    database.create_tables(V2_TABLES, safe=True)


def _v3_key_value_and_deferred_replies() -> None:
    database.create_tables(V3_TABLES, safe=True)
    columns = {c.name for c in database.get_columns(m.Inbox._meta.table_name)}
    if "deferred" not in columns:
        _add_column(m.Inbox, "deferred")


def _v4_cards_and_evidence() -> None:
    columns = {c.name for c in database.get_columns(m.Contact._meta.table_name)}
    if "cards" not in columns:
        _add_column(m.Contact, "cards")
    database.create_tables(V4_TABLES, safe=True)


def _v5_rate_slots() -> None:
    database.create_tables(V5_TABLES, safe=True)


def _v6_task_sub_rows_and_milestone_labels() -> None:
    from playhouse.migrate import SchemaMigrator, migrate  # here, not at the top: see _add_column

    migrator = SchemaMigrator.from_database(database.obj)
    task = m.Task._meta.table_name
    if "sub" not in {c.name for c in database.get_columns(task)}:
        migrate(migrator.add_column(task, "sub", m.Task.sub))
    indexes = database.get_indexes(task)
    if not any(i.unique and list(i.columns) == ["plan_id", "seq", "sub"] for i in indexes):
        # the new unique index first: MySQL keeps an index on plan_id for the foreign key meanwhile
        migrate(migrator.add_index(task, ("plan_id", "seq", "sub"), True))
    for index in database.get_indexes(task):
        if index.unique and list(index.columns) == ["plan_id", "seq"]:
            migrate(migrator.drop_index(task, index.name))
    deadline = m.Deadline._meta.table_name
    if "label" not in {c.name for c in database.get_columns(deadline)}:
        migrate(migrator.add_column(deadline, "label", m.Deadline.label))


def _v7_holiday_notices() -> None:
    database.create_tables(V7_TABLES, safe=True)


INBOX_SENDER_COLUMNS = ["from_user", "received_at"]


def _v8_inbox_sender_index() -> None:
    """The chat rate limit counts a sender's recent messages on every callback; without this index that read
    the whole inbox, slower with every message ever received."""
    table = m.Inbox._meta.table_name
    if not any(list(i.columns) == INBOX_SENDER_COLUMNS for i in database.get_indexes(table)):
        from playhouse.migrate import SchemaMigrator, migrate  # here, not at the top: see _add_column

        migrate(SchemaMigrator.from_database(database.obj).add_index(table, tuple(INBOX_SENDER_COLUMNS), False))


def _v9_download_file_columns() -> None:
    """media_download as first landed in v4 lacked the columns that remember a file already fetched."""
    columns = {c.name for c in database.get_columns(m.MediaDownload._meta.table_name)}
    for name in ("sha256", "size", "content_type"):
        if name not in columns:
            _add_column(m.MediaDownload, name)


def _v10_undo_links_its_report() -> None:
    """Report.undoes: an 'undo' names the report it took back by key, no longer only as 撤回#id in its text."""
    if "undoes_id" not in {c.name for c in database.get_columns(m.Report._meta.table_name)}:
        _add_column(m.Report, "undoes")
    for undo in m.Report.select(m.Report.id, m.Report.text).where(
            (m.Report.kind == "undo") & m.Report.undoes.is_null() & m.Report.text.startswith("撤回#")):
        ref = undo.text[len("撤回#"):]
        if ref.isdigit() and m.Report.get_or_none(m.Report.id == int(ref)) is not None:
            m.Report.update(undoes=int(ref)).where(m.Report.id == undo.id).execute()


MIGRATIONS: list[tuple[int, str, Callable[[], None]]] = [
    (1, "plans, tasks, units, contacts, outbox and inbox", _v1_core_tables),
    (2, "reminder log, calendar overrides, digest log, scheduler lease; contact problems", _v2_reminders_and_contact_problems),
    (3, "key-value table shared by processes (the WeCom access token); inbox replies sent later",
     _v3_key_value_and_deferred_replies),
    (4, "template cards, evidence files (佐证材料) and their downloads; contacts' card setting",
     _v4_cards_and_evidence),
    (5, "per-recipient send budgets shared by every dispatcher", _v5_rate_slots),
    (6, "sub-rows of a task (4-1, 4-2) and milestone labels on deadlines", _v6_task_sub_rows_and_milestone_labels),
    (7, "days of imported State Council holiday notices", _v7_holiday_notices),
    (8, "inbox index by sender and time (the chat rate limit)", _v8_inbox_sender_index),
    (9, "evidence downloads remember the file already fetched (restart between download and store)",
     _v9_download_file_columns),
    (10, "an undo report links the report it took back", _v10_undo_links_its_report),
]
CURRENT_VERSION = MIGRATIONS[-1][0]


def schema_version() -> int | None:
    """The version the database is at, or None when duban was never initialised there."""
    if not database.table_exists(m.SchemaVersion._meta.table_name):
        return None
    row = m.SchemaVersion.select().order_by(m.SchemaVersion.version.desc()).first()
    return row.version if row else 0


def upgrade(target: int = CURRENT_VERSION) -> tuple[int, int]:
    """Bring the schema to `target`. Returns (version before, version after)."""
    database.create_tables([m.SchemaVersion], safe=True)
    before = schema_version() or 0
    with _sqlite_foreign_keys_off():
        for version, _description, step in MIGRATIONS:
            if before < version <= target:
                # MySQL commits DDL implicitly, so the version row is what makes a step count as done.
                with database.atomic():
                    step()
                    m.SchemaVersion.create(version=version, applied_at=utcnow())
    return before, max(before, min(target, CURRENT_VERSION))


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """SQLite adds a NOT NULL column by rebuilding the table; with foreign keys on, dropping the old `task`
    table would cascade-delete every deadline and assignment. SQLite's documented recipe for schema changes:
    foreign keys off (outside any transaction), change, check, on again."""
    if not isinstance(database.obj, peewee.SqliteDatabase):
        yield
        return
    database.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = database.execute_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            from store.db import StoreError

            raise StoreError(_('the upgrade left {broken} rows pointing at nothing (first: {value})').format(broken=len(broken), value=broken[0]))
    finally:
        database.execute_sql("PRAGMA foreign_keys = ON")


def require_current() -> None:
    """Refuse to run on a database that `duban init` has not brought up to date."""
    from store.db import StoreError

    version = schema_version()
    if version is None:
        raise StoreError(_('the database is not initialised: run `duban init`'))
    if version < CURRENT_VERSION:
        raise StoreError(_('the database schema is version {version}, this duban needs {CURRENT_VERSION}: run `duban init`').format(version=version, CURRENT_VERSION=CURRENT_VERSION))
    if version > CURRENT_VERSION:
        raise StoreError(_('the database schema is version {version}, newer than this duban ({CURRENT_VERSION}): upgrade duban').format(version=version, CURRENT_VERSION=CURRENT_VERSION))
