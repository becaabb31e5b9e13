"""Schema versions: `duban init` upgrades an older database without losing rows."""

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from store import schema
from store.clock import utcnow
from store.db import database
from store.models import ALL_MODELS, Contact, SchemaVersion, Unit


def _make_version_1_database():
    """Rebuild the database as version 1 left it: no v2 tables, no contact.problem column."""
    database.drop_tables(list(reversed(peewee.sort_models(ALL_MODELS))), safe=True)
    schema.upgrade(target=1)
    migrator = SchemaMigrator.from_database(database.obj)
    migrate(migrator.drop_column("contact", "problem"))


def test_upgrade_from_version_1_keeps_rows(db_url):
    _make_version_1_database()
    assert schema.schema_version() == 1
    assert not database.table_exists("reminder_log")
    assert "problem" not in {c.name for c in database.get_columns("contact")}
    # rows written by a version-1 duban (raw SQL: today's model has a column v1 did not)
    unit = Unit.create(name="区财政局", created_at=utcnow())
    database.execute_sql(
        "INSERT INTO contact (unit_id, name, userid, role, active, created_at) VALUES (%s, %s, %s, %s, %s, %s)"
        .replace("%s", database.param),
        (unit.id, "张三", "zhangsan", "liaison", True, utcnow()),
    )
    before, after = schema.upgrade()
    assert (before, after) == (1, schema.CURRENT_VERSION)
    assert database.table_exists("reminder_log")
    contact = Contact.get(Contact.userid == "zhangsan")
    assert (contact.name, contact.unit.name, contact.problem) == ("张三", "区财政局", None)
    assert schema.upgrade() == (schema.CURRENT_VERSION, schema.CURRENT_VERSION)
    assert [v.version for v in SchemaVersion.select().order_by(SchemaVersion.version)] == list(
        range(1, schema.CURRENT_VERSION + 1))


def test_cli_init_reports_upgrade(cli, db_url):
    _make_version_1_database()
    refused = cli("unit", "list")
    assert refused.exit_code == 1 and "duban init" in refused.output
    result = cli("init")
    assert result.exit_code == 0 and f"from schema version 1 to {schema.CURRENT_VERSION}" in result.output
    assert cli("unit", "list").exit_code == 0


def test_upgrade_from_version_3_adds_cards_and_evidence(db_url):
    """Version 4: the contact's card setting and the evidence / card tables, rows of version 3 kept."""
    database.drop_tables(list(reversed(peewee.sort_models(ALL_MODELS))), safe=True)
    schema.upgrade(target=3)
    migrator = SchemaMigrator.from_database(database.obj)
    migrate(migrator.drop_column("contact", "cards"))
    for model in schema.V4_TABLES:
        assert not database.table_exists(model._meta.table_name)
    unit = Unit.create(name="区财政局", created_at=utcnow())
    database.execute_sql(
        "INSERT INTO contact (unit_id, name, userid, role, active, created_at) VALUES (%s, %s, %s, %s, %s, %s)"
        .replace("%s", database.param),
        (unit.id, "张三", "zhangsan", "liaison", True, utcnow()),
    )
    assert schema.upgrade()[0] == 3
    assert schema.schema_version() >= 4
    for model in schema.V4_TABLES:
        assert database.table_exists(model._meta.table_name)
    assert Contact.get(Contact.userid == "zhangsan").cards is None
    assert schema.upgrade() == (schema.CURRENT_VERSION, schema.CURRENT_VERSION)


def test_upgrade_adds_the_download_file_columns(db_url):
    """Version 9: a media_download table made by the first version 4 gets sha256, size and content_type."""
    database.drop_tables(list(reversed(peewee.sort_models(ALL_MODELS))), safe=True)
    schema.upgrade(target=8)
    migrator = SchemaMigrator.from_database(database.obj)
    migrate(*(migrator.drop_column("media_download", c) for c in ("sha256", "size", "content_type")))
    schema.upgrade()
    assert {"sha256", "size", "content_type"} <= {c.name for c in database.get_columns("media_download")}
    assert schema.upgrade() == (schema.CURRENT_VERSION, schema.CURRENT_VERSION)


def test_uninitialised_database_is_refused(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bot import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["unit", "list"], env={"DUBAN_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.exit_code == 1 and "not initialised" in result.output
    created = CliRunner().invoke(cli, ["init"], env={"DUBAN_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert "Created database" in created.output
    mode = database.execute_sql("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_version_5_adds_the_shared_rate_slots_and_is_idempotent(db_url):
    database.drop_tables(list(reversed(peewee.sort_models(ALL_MODELS))), safe=True)
    schema.upgrade(target=4)
    assert not database.table_exists("rate_slot")
    assert schema.upgrade(target=5) == (4, 5)
    assert database.table_exists("rate_slot")
    schema._v5_rate_slots()  # a crash after the step but before its version row: running it again is harmless
    assert schema.upgrade() == (5, schema.CURRENT_VERSION)


def test_version_6_adds_task_sub_rows_and_deadline_labels(db_url):
    """Version 6: task.sub (task 4-2) with (plan, seq, sub) unique, and deadline.label; version-5 rows kept."""
    from datetime import date

    from store.models import Deadline, Plan, Task

    database.drop_tables(list(reversed(peewee.sort_models(ALL_MODELS))), safe=True)
    schema.upgrade(target=5)
    # rebuild what version 5 had: a unique (plan, seq) index, no task.sub, no deadline.label
    migrator = SchemaMigrator.from_database(database.obj)
    for index in database.get_indexes("task"):
        if index.unique and list(index.columns) == ["plan_id", "seq", "sub"]:
            migrate(migrator.drop_index("task", index.name))
    migrate(migrator.add_index("task", ("plan_id", "seq"), True), migrator.drop_column("task", "sub"),
            migrator.drop_column("deadline", "label"))
    plan = Plan.create(code="A", title="方案", year=2021, source_name="x.docx", sha256="0" * 64,
                       imported_at=utcnow())
    database.execute_sql(
        "INSERT INTO task (plan_id, seq, category, subcategory, requirement, units_raw, deadline_raw, inherited) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)".replace("%s", database.param),
        (plan.id, 4, "", "", "优化养老服务", "民政局", "", ""),
    )
    assert schema.upgrade()[0] == 5
    old = Task.get(Task.plan == plan, Task.seq == 4)
    assert (old.sub, old.label) == (0, "4")
    Task.create(plan=plan, seq=4, sub=2, requirement="提升改造8家居家养老服务中心")
    with database.atomic(), __import__("pytest").raises(peewee.IntegrityError):
        Task.create(plan=plan, seq=4, sub=2, requirement="again")
    Deadline.create(task=old, kind="fixed", due=date(2021, 11, 15), raw="11月15日前完成初稿", label="完成初稿")
    assert Deadline.get(Deadline.task == old).label == "完成初稿"
    schema._v6_task_sub_rows_and_milestone_labels()  # idempotent
    assert schema.upgrade() == (schema.CURRENT_VERSION, schema.CURRENT_VERSION)


def test_version_7_adds_notice_days_and_is_idempotent(db_url):
    database.drop_tables(list(reversed(peewee.sort_models(ALL_MODELS))), safe=True)
    schema.upgrade(target=6)
    assert not database.table_exists("notice_day")
    assert schema.upgrade(target=7) == (6, 7)
    assert database.table_exists("notice_day")
    schema._v7_holiday_notices()  # a crash after the step but before its version row: running it again is harmless
    assert {c.name for c in database.get_columns("notice_day")} >= {"day", "kind", "name", "notice_year", "source"}


def test_version_8_indexes_the_inbox_by_sender_and_is_idempotent(db_url):
    from playhouse.migrate import SchemaMigrator, migrate

    database.drop_tables(list(reversed(peewee.sort_models(ALL_MODELS))), safe=True)
    schema.upgrade(target=7)
    for index in database.get_indexes("inbox"):  # a database created before version 8 had no such index
        if list(index.columns) == schema.INBOX_SENDER_COLUMNS:
            migrate(SchemaMigrator.from_database(database.obj).drop_index("inbox", index.name))
    assert schema.upgrade(target=8) == (7, 8)
    assert [list(i.columns) for i in database.get_indexes("inbox")].count(schema.INBOX_SENDER_COLUMNS) == 1
    schema._v8_inbox_sender_index()  # a crash after the step but before its version row: harmless
    assert [list(i.columns) for i in database.get_indexes("inbox")].count(schema.INBOX_SENDER_COLUMNS) == 1
