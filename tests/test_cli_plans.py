"""`duban plan …` and `duban task …`: the sample plan into the store on every backend."""

import json

import pytest

from store.models import Assignment, Deadline, Plan, PlanWarning, Report, Task, TaskGroup, Unit, UnitGroup


def _import_sample(cli, *extra):
    result = cli("plan", "import", "--sample", *extra)
    assert result.exit_code == 0, result.output
    return result


def test_import_sample_summary_and_rows(cli):
    out = _import_sample(cli).output
    assert "Imported plan A: 五华区2019年政务公开工作要点分工方案 (五政办通〔2019〕71号, 2019-09-05)" in out
    assert "74 tasks" in out and "[21] " in out and "[78] " in out
    assert "deadline_past_at_issue" not in out and "date_mismatch" not in out  # codes are for --json
    assert Task.select().count() == 74
    assert sorted(t.seq for t in Task.select()) == list(range(1, 60)) + list(range(64, 79))
    plan = Plan.get()
    assert (plan.code, plan.year, str(plan.issued_on)) == ("A", 2019, "2019-09-05")
    task56 = Task.get(Task.seq == 56)
    roles = {(a.unit.name, a.role) for a in task56.assignments}
    assert roles == {("区政府办公室", "responsible"), ("区委目督办", "cooperate"), ("区政府目督办", "cooperate")}
    assert [(d.kind, str(d.due)) for d in task56.deadlines] == [("fixed", "2019-11-30")]
    task47 = Task.get(Task.seq == 47)
    assert sorted(d.kind for d in task47.deadlines) == ["fixed", "year_round"]
    assert {link.group.name for link in TaskGroup.select().where(TaskGroup.task == Task.get(Task.seq == 1))} == {
        "区政府各部门"}
    codes = {w.code for w in PlanWarning.select()}
    assert {"deadline_past_at_issue", "date_mismatch", "seq_gap", "group_without_members"} <= codes


def test_import_json_shape(cli):
    data = json.loads(_import_sample(cli, "--json").output)
    assert data["plan"] == {"title": "五华区2019年政务公开工作要点分工方案", "doc_no": "五政办通〔2019〕71号",
                            "year": 2019, "issued_on": "2019-09-05"}
    first = data["tasks"][0]
    assert set(first) >= {"seq", "category", "subcategory", "requirement", "units", "groups", "deadlines", "inherited"}
    assert first["groups"] == [{"name": "区政府各部门", "role": "responsible"}]
    assert first["deadlines"] == [{"raw": "全年工作", "kind": "year_round", "due": "2019-12-31"}]
    assert {"seq": 21, "code": "deadline_past_at_issue"}.items() <= next(
        w for w in data["warnings"] if w["seq"] == 21).items()


def test_dry_run_writes_nothing(cli):
    out = _import_sample(cli, "--dry-run").output
    assert "Would import" in out and "Dry run: nothing was written." in out
    for model in (Plan, Task, Unit, UnitGroup, Assignment, Deadline):
        assert model.select().count() == 0


def test_same_file_twice_is_not_duplicated(cli):
    _import_sample(cli)
    again = _import_sample(cli)
    assert "already imported as plan A" in again.output
    assert Plan.select().count() == 1 and Task.select().count() == 74


def test_group_members_get_assignments(cli):
    _import_sample(cli)
    before = Assignment.select().count()
    cli("group", "add-member", "区政府各部门", "区财政局", "区审计局")
    n_tasks = TaskGroup.select().join(UnitGroup).where(UnitGroup.name == "区政府各部门").count()
    # 区财政局 is already named directly on some of those tasks; direct naming wins, no double assignment
    added = Assignment.select().count() - before
    assert 0 < added <= 2 * n_tasks
    assert Assignment.select().where(Assignment.via_group.is_null(False)).count() == added


def test_replace_keeps_reports_of_surviving_tasks(cli, tmp_path):
    from commands.plans import SAMPLE_PLAN

    _import_sample(cli)
    a = Assignment.select().join(Task).where(Task.seq == 56).join_from(Assignment, Unit).where(
        Unit.name == "区政府办公室").get()
    assert cli("task", "done", "56", "--unit", "区政府办公室", "--note", "电话报告").exit_code == 0
    text = SAMPLE_PLAN.read_text(encoding="utf-8")
    # drop task 59 and change task 57's deadline
    start = text.index("\t59\n")
    end = text.index("\t64\n")
    changed = (text[:start] + text[end:]).replace("\t区政府办公室\n\t全年工作\n\n\t58", "\t区政府办公室\n\t12月底前\n\n\t58")
    path = tmp_path / "changed.txt"
    path.write_text(changed, encoding="utf-8")
    result = cli("plan", "import", str(path), "--replace")
    assert result.exit_code == 0, result.output
    assert "Updated plan A" in result.output and "removed tasks: 59" in result.output
    assert Plan.select().count() == 1 and Task.select().count() == 73
    kept = Assignment.get_by_id(a.id)
    assert kept.state == "done" and Report.select().where(Report.assignment == kept).count() == 1
    assert [d.raw for d in Task.get(Task.seq == 57).deadlines] == ["12月底前"]


@pytest.mark.parametrize("name, content, words", [
    ("empty.txt", b"", ["empty.txt"]),
    ("garbage.xlsx", b"\x00\x01garbage" * 50, ["garbage.xlsx"]),
    ("plan.pdf", b"%PDF-1.4 ...", ["plan.pdf"]),
    ("noheader.csv", "名称,数量\n苹果,3\n".encode(), ["noheader.csv"]),
])
def test_bad_files_exit_1_and_write_nothing(cli, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    result = cli("plan", "import", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output
    assert Plan.select().count() == 0 and Unit.select().count() == 0


def test_plan_list_show_and_task_browsing(cli):
    _import_sample(cli)
    plans = json.loads(cli("plan", "list", "--json").output)
    assert [(p["code"], p["tasks"]) for p in plans] == [("A", 74)]
    shown = cli("plan", "show", "A")
    assert shown.exit_code == 0 and "seq_gap" not in shown.output and "[78] " in shown.output
    assert cli("plan", "show", "nope").exit_code == 1
    mine = json.loads(cli("task", "list", "--unit", "区财政局", "--json").output)
    assert {r["seq"] for r in mine} >= {24, 38}
    assert all(any(u["name"] == "区财政局" for u in r["units"]) for r in mine)
    before = json.loads(cli("task", "list", "--due-before", "2019-11-01", "--json").output)
    assert {r["seq"] for r in before} >= {14, 21, 53, 59, 74}
    assert all(r["due"] < "2019-11-01" for r in before)
    detail = json.loads(cli("task", "show", "21", "--json").output)
    assert detail["deadlines"][0]["past_at_issue"] is True
    assert detail["groups"] == [{"name": "各行政执法部门", "role": "responsible"}]
    assert cli("task", "show", "60").exit_code == 1


def test_task_done_and_reopen(cli):
    _import_sample(cli)
    assert cli("task", "done", "A56", "--unit", "区政府办公室").exit_code == 0  # as chat writes it
    again = cli("task", "done", "56", "--unit", "区政府办公室")
    assert again.exit_code == 0 and "already done" in again.output  # a rerun records nothing
    assert cli("task", "done", "A-56", "--unit", "区政府办公室").exit_code == 2
    assert cli("task", "show", "B56", "--plan", "A").exit_code == 2
    wrong = cli("task", "done", "56", "--unit", "区财政局")
    assert wrong.exit_code == 1 and "no assignment" in wrong.output
    assert cli("task", "reopen", "56", "--unit", "区政府办公室").exit_code == 0
    kinds = [r.kind for r in Report.select().order_by(Report.id)]
    assert kinds == ["done", "reopen"]


def test_parse_commands(cli):
    out = json.loads(cli("plan", "parse-deadline", "2020年3月底前", "--json").output)
    assert out[0]["due"] == "2020-03-31" and out[0]["kind"] == "fixed"
    units = json.loads(cli("plan", "parse-units", "区司法局牵头，各行政执法部门具体负责落实", "--json").output)
    assert units["units"] == [{"name": "区司法局", "role": "lead"}]
    assert units["groups"] == [{"name": "各行政执法部门", "role": "responsible"}]


def test_duplicate_warning_skipped_once_the_admin_made_the_names_one(cli):
    assert cli("unit", "add", "区政府办公室", "--alias", "区政府办").exit_code == 0
    out = _import_sample(cli).output
    assert "'区政府办' and '区政府办公室'" not in out
    assert "'区发改局' and '市发改局'" in out
    assert Unit.get_or_none(Unit.name == "区政府办") is None
