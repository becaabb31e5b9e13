"""`duban unit …` and `duban group …` on every backend."""

import json

from store.clock import utcnow
from store.models import Assignment, Contact, Plan, Report, Task, TaskGroup, Unit, UnitAlias, UnitGroup


def test_init_is_idempotent(cli):
    first = cli("init")
    assert first.exit_code == 0
    assert "up to date" in first.output  # the fixture already initialised it
    assert cli("init").exit_code == 0


def test_unit_add_list_alias(cli):
    assert cli("unit", "add", "区政府办公室", "--alias", "区政府办").exit_code == 0
    assert cli("unit", "add", "区 财政局").exit_code == 0  # spaces from wrapped text are dropped
    out = json.loads(cli("unit", "list", "--json").output)
    assert [u["name"] for u in out] == sorted(["区政府办公室", "区财政局"])
    office = next(u for u in out if u["name"] == "区政府办公室")
    assert office["aliases"] == ["区政府办"]
    assert cli("unit", "alias", "财政局", "区财政局").exit_code == 0
    assert UnitAlias.get(UnitAlias.alias == "财政局").unit.name == "区财政局"
    table = cli("unit", "list").output
    assert "区政府办公室" in table and "区政府办" in table


def test_unit_duplicates_refused(cli):
    cli("unit", "add", "区政府办公室", "--alias", "区政府办")
    dup = cli("unit", "add", "区政府办公室")
    assert dup.exit_code == 0 and "already exists" in dup.output  # a rerun says what was already so
    clash = cli("unit", "add", "区政府办")
    assert clash.exit_code == 1 and "alias" in clash.output
    assert Unit.select().count() == 1


def test_unknown_unit_lists_closest(cli):
    cli("unit", "add", "区政府办公室")
    cli("unit", "add", "区财政局")
    result = cli("unit", "alias", "办公室", "区政府办")
    assert result.exit_code == 1
    assert "unknown unit '区政府办'" in result.output and "区政府办公室" in result.output
    assert "Traceback" not in result.output


def test_unit_rename_keeps_old_name_as_alias(cli):
    cli("unit", "add", "区科信局")
    assert cli("unit", "rename", "区科信局", "区科学技术和信息化局").exit_code == 0
    assert Unit.get().name == "区科学技术和信息化局"
    assert UnitAlias.get().alias == "区科信局"


def _task(seq=1):
    plan = Plan.get_or_none(Plan.code == "A") or Plan.create(
        code="A", title="测试方案", year=2019, source_name="t.txt", sha256="0" * 64, imported_at=utcnow())
    return Task.create(plan=plan, seq=seq, requirement="要求")


def test_unit_merge_moves_everything(cli):
    cli("unit", "add", "区政府办", "--alias", "政府办")
    cli("unit", "add", "区政府办公室")
    cli("group", "add", "区政府各部门")
    cli("group", "add-member", "区政府各部门", "区政府办", "区政府办公室")
    cli("contact", "add", "--unit", "区政府办", "--name", "张三", "--userid", "zhangsan")
    old, new = Unit.get(Unit.name == "区政府办"), Unit.get(Unit.name == "区政府办公室")
    t1, t2 = _task(1), _task(2)
    a_old = Assignment.create(task=t1, unit=old, role="lead", created_at=utcnow())
    Assignment.create(task=t2, unit=old, role="cooperate", created_at=utcnow())
    a_new2 = Assignment.create(task=t2, unit=new, role="responsible", created_at=utcnow())
    Report.create(assignment=a_old, at=utcnow(), kind="progress", text="进展")
    result = cli("unit", "merge", "区政府办", "区政府办公室")
    assert result.exit_code == 0, result.output
    assert Unit.get_or_none(Unit.name == "区政府办") is None
    # nothing points at the old unit any more
    assert Contact.get().unit_id == new.id
    assert {a.unit_id for a in Assignment.select()} == {new.id}
    assert Assignment.select().where(Assignment.task == t2).count() == 1
    assert Assignment.get_by_id(a_new2.id).role == "responsible"
    assert Report.get().assignment.unit_id == new.id
    assert {a.alias for a in UnitAlias.select()} == {"政府办", "区政府办"}
    assert all(a.unit_id == new.id for a in UnitAlias.select())
    assert cli("group", "show", "区政府各部门", "--json").exit_code == 0
    members = json.loads(cli("group", "show", "区政府各部门", "--json").output)["members"]
    assert members == ["区政府办公室"]


def test_unit_remove_refuses_with_contacts_unless_forced(cli):
    cli("unit", "add", "区财政局")
    cli("contact", "add", "--unit", "区财政局", "--name", "王五", "--userid", "wangwu")
    refused = cli("unit", "remove", "区财政局")
    assert refused.exit_code == 1 and "--force" in refused.output
    assert Unit.select().count() == 1
    assert cli("unit", "remove", "区财政局", "--force").exit_code == 0
    assert Unit.select().count() == 0 and Contact.select().count() == 0


def test_group_membership_brings_group_tasks(cli):
    cli("group", "add", "区政府各部门", "--note", "区政府组成部门")
    cli("unit", "add", "区财政局")
    task = _task(5)
    TaskGroup.create(task=task, group=UnitGroup.get(), role="responsible")
    listed = json.loads(cli("group", "list", "--json").output)
    assert listed == [{"name": "区政府各部门", "members": 0, "tasks": 1, "note": "区政府组成部门"}]
    assert "no members" in cli("group", "list").output
    added = cli("group", "add-member", "区政府各部门", "区财政局")
    assert added.exit_code == 0 and "1 new assignment" in added.output
    a = Assignment.get()
    assert (a.task_id, a.unit.name, a.role, a.via_group.name) == (task.id, "区财政局", "responsible", "区政府各部门")
    removed = cli("group", "remove-member", "区政府各部门", "区财政局")
    assert removed.exit_code == 0 and Assignment.select().count() == 0


def test_group_errors(cli):
    assert cli("group", "add", "各有关单位").exit_code == 0
    again = cli("group", "add", "各有关单位")
    assert again.exit_code == 0 and "already exists" in again.output
    bad = cli("group", "add-member", "各有关单位", "不存在的局")
    assert bad.exit_code == 1 and "unknown unit" in bad.output
    assert cli("group", "show", "各有关单").exit_code == 1
    assert cli("group", "add-member", "各有关单位").exit_code == 2  # usage: units required
