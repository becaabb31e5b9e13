"""Upgrading databases that released versions of duban really created, with rows in them.

`tests/data/schema/vN.<backend>.sql` is the DDL a fresh install of version N ran on that backend (written by
`tests/data/schema/dump_ddl.py` from the release's own code). Each test loads one, writes rows the way that
version wrote them, runs today's `duban init` upgrade, and checks that every model's columns are there and
every row reads back through today's models.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import peewee
import pytest

from store import models as m
from store import schema
from store.db import database

HISTORY = Path(__file__).parent / "data" / "schema"
RELEASED = [1, 2, 3]
WHEN = dt.datetime(2019, 9, 2, 1, 10)


def _backend() -> str:
    if isinstance(database.obj, peewee.PostgresqlDatabase):
        return "postgresql"
    if isinstance(database.obj, peewee.MySQLDatabase):
        return "mysql"
    return "sqlite"


def _drop_everything() -> None:
    for table in database.get_tables():
        if _backend() == "postgresql":
            database.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        elif _backend() == "mysql":
            database.execute_sql("SET FOREIGN_KEY_CHECKS = 0")
            database.execute_sql(f"DROP TABLE IF EXISTS `{table}`")
            database.execute_sql("SET FOREIGN_KEY_CHECKS = 1")
        else:
            database.execute_sql("PRAGMA foreign_keys = OFF")
            database.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
            database.execute_sql("PRAGMA foreign_keys = ON")


def _load_release(version: int) -> None:
    _drop_everything()
    ddl = (HISTORY / f"v{version}.{_backend()}.sql").read_text(encoding="utf-8")
    for statement in filter(None, (s.strip() for s in ddl.split(";\n"))):
        database.execute_sql(statement.rstrip(";"))
    for applied in range(1, version + 1):
        _insert("schema_version", version=applied, applied_at=WHEN)


def _insert(table: str, **values) -> int:
    quote = "`" if _backend() == "mysql" else '"'
    columns = ", ".join(f"{quote}{c}{quote}" for c in values)
    marks = ", ".join([database.param] * len(values))
    sql = f"INSERT INTO {quote}{table}{quote} ({columns}) VALUES ({marks})"
    if _backend() == "postgresql":
        return database.execute_sql(sql + " RETURNING id", tuple(values.values())).fetchone()[0]
    return database.execute_sql(sql, tuple(values.values())).lastrowid


def _rows_as_released(version: int) -> dict[str, int]:
    """One of each core row, written with the columns that version had."""
    ids = {"unit": _insert("unit", name="区财政局", created_at=WHEN)}
    ids["group"] = _insert("unit_group", name="区政府各部门", note="", created_at=WHEN)
    _insert("unit_group_member", group_id=ids["group"], unit_id=ids["unit"], added_at=WHEN)
    ids["plan"] = _insert(
        "plan", code="A", title="五华区2019年政务公开工作要点分工方案", doc_no="五政办通〔2019〕71号", issuer="五华区",
        year=2019, issued_on=dt.date(2019, 8, 1), source_name="plan.txt", sha256="ab" * 32, active=True,
        imported_at=WHEN)
    ids["task"] = _insert(
        "task", plan_id=ids["plan"], seq=24, category="推进重要决策公开", subcategory="", requirement="按要求公开",
        units_raw="区财政局负责", deadline_raw="10月底前", inherited="")
    ids["assignment"] = _insert(
        "assignment", task_id=ids["task"], unit_id=ids["unit"], role="responsible", via_group_id=None,
        state="open", created_at=WHEN)
    _insert("deadline", task_id=ids["task"], position=0, kind="fixed", due=dt.date(2019, 10, 31),
            raw="10月底前", precision="month_end", past_at_issue=False)
    ids["contact"] = _insert(
        "contact", unit_id=ids["unit"], name="张三", userid="zhangsan", mobile="13800138000", role="liaison",
        active=True, created_at=WHEN)
    _insert("report", assignment_id=ids["assignment"], contact_id=ids["contact"], at=WHEN, kind="progress",
            text="已完成初稿", percent=60, msgid="m-1", undone=False)
    _insert("outbox", dedupe_key="remind:1", channel="app", target="zhangsan", msgtype="text", body="请报送进度",
            state="sent", attempts=1, next_try_at=WHEN, created_at=WHEN, sent_at=WHEN)
    since_v3 = {"deferred": False} if version >= 3 else {}
    _insert("inbox", key="m-1", from_user="zhangsan", received_at=WHEN, content="进度 24 已完成初稿 60%",
            reply="已记录", **since_v3)
    return ids


def _expected_columns(model: type[peewee.Model]) -> set[str]:
    return {field.column_name for field in model._meta.sorted_fields}


@pytest.mark.parametrize("version", RELEASED)
def test_released_schema_upgrades_to_current_with_rows_intact(db_url, version):
    _load_release(version)
    assert schema.schema_version() == version
    ids = _rows_as_released(version)

    before, after = schema.upgrade()

    assert (before, after) == (version, schema.CURRENT_VERSION)
    for model in m.ALL_MODELS:
        table = model._meta.table_name
        assert database.table_exists(table), f"{table} missing after upgrading from v{version}"
        live = {c.name for c in database.get_columns(table)}
        assert _expected_columns(model) <= live, f"{table} lacks {_expected_columns(model) - live} (from v{version})"
        model.select().count()  # every table reads through today's model
    contact = m.Contact.get(m.Contact.userid == "zhangsan")
    assert (contact.name, contact.unit.name, contact.problem) == ("张三", "区财政局", None)
    task = m.Task.get_by_id(ids["task"])
    assert (task.plan.code, task.seq, task.requirement) == ("A", 24, "按要求公开")
    deadline = task.deadlines.get()
    assert (deadline.due, deadline.raw, deadline.kind) == (dt.date(2019, 10, 31), "10月底前", "fixed")
    assert m.Assignment.get_by_id(ids["assignment"]).task.id == ids["task"]
    report = m.Report.get(m.Report.msgid == "m-1")
    assert (report.text, report.percent, report.assignment.unit.name) == ("已完成初稿", 60, "区财政局")
    assert m.Outbox.get(m.Outbox.dedupe_key == "remind:1").body == "请报送进度"
    assert m.Inbox.get(m.Inbox.key == "m-1").reply == "已记录"
    member = m.UnitGroupMember.get(m.UnitGroupMember.unit == ids["unit"])
    assert member.group.name == "区政府各部门"
    # Running it again changes nothing; the version rows are a complete history.
    assert schema.upgrade() == (schema.CURRENT_VERSION, schema.CURRENT_VERSION)
    assert [v.version for v in m.SchemaVersion.select().order_by(m.SchemaVersion.version)] == list(
        range(1, schema.CURRENT_VERSION + 1))


@pytest.mark.parametrize("version", RELEASED)
def test_released_schema_accepts_new_writes_after_upgrade(db_url, version):
    """The upgraded tables take rows the way today's code writes them (defaults, new columns, constraints)."""
    _load_release(version)
    _rows_as_released(version)
    schema.upgrade()
    unit = m.Unit.create(name="区审计局", created_at=WHEN)
    contact = m.Contact.create(unit=unit, name="李四", userid="lisi", role="leader", created_at=WHEN)
    assert m.Contact.get_by_id(contact.id).problem is None
    with pytest.raises(peewee.IntegrityError):
        with database.atomic():
            m.Contact.create(unit=unit, name="重复", userid="lisi", created_at=WHEN)


def test_undo_reports_of_a_released_version_get_their_link(db_url):
    """Before version 10 an undo named the report it took back only as 撤回#id in its text."""
    _load_release(3)
    ids = _rows_as_released(3)
    progress = database.execute_sql("SELECT id FROM report WHERE msgid = " + database.param, ("m-1",)).fetchone()[0]
    _insert("report", assignment_id=ids["assignment"], contact_id=ids["contact"], at=WHEN, kind="undo",
            text=f"撤回#{progress}", percent=None, msgid="m-2", undone=False)
    _insert("report", assignment_id=ids["assignment"], contact_id=ids["contact"], at=WHEN, kind="undo",
            text="撤回#999999", percent=None, msgid="m-3", undone=False)  # pointing at nothing: left unlinked
    schema.upgrade()
    assert m.Report.get(m.Report.msgid == "m-2").undoes_id == progress
    assert m.Report.get(m.Report.msgid == "m-3").undoes_id is None
