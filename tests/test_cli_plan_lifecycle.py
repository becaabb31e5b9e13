"""A plan after import: a corrected file is recognised, diffed, replaced; archive, restore, delete."""

import datetime as dt
import json

from store.models import Assignment, Outbox, Plan, Report, Task, Unit


def _corrected(tmp_path):
    """The sample with task 59 dropped and task 57's deadline changed, as an office corrects a plan."""
    from commands.plans import SAMPLE_PLAN

    text = SAMPLE_PLAN.read_text(encoding="utf-8")
    start, end = text.index("\t59\n"), text.index("\t64\n")
    changed = (text[:start] + text[end:]).replace("\t区政府办公室\n\t全年工作\n\n\t58", "\t区政府办公室\n\t12月底前\n\n\t58")
    path = tmp_path / "corrected.txt"
    path.write_text(changed, encoding="utf-8")
    return path


def test_a_corrected_plan_stops_and_offers_replace_or_as_new(cli, tmp_path):
    assert cli("plan", "import", "--sample").exit_code == 0
    path = _corrected(tmp_path)
    refused = cli("plan", "import", str(path))
    assert refused.exit_code == 1
    assert "plan A" in refused.output and "--replace" in refused.output and "--as-new" in refused.output
    assert "Traceback" not in refused.output
    assert Plan.select().count() == 1 and Task.select().count() == 74
    dry = cli("plan", "import", str(path), "--dry-run")
    assert dry.exit_code == 1 and Plan.select().count() == 1
    assert cli("plan", "import", str(path), "--replace").exit_code == 0
    assert Plan.select().count() == 1 and Task.select().count() == 73


def test_as_new_makes_a_second_plan_on_purpose(cli, tmp_path):
    assert cli("plan", "import", "--sample").exit_code == 0
    result = cli("plan", "import", str(_corrected(tmp_path)), "--as-new")
    assert result.exit_code == 0, result.output
    assert "Imported plan B" in result.output and Plan.select().count() == 2
    both = cli("plan", "import", str(_corrected(tmp_path)), "--as-new", "--replace")
    assert both.exit_code == 2


def test_diff_shows_added_removed_changed_and_writes_nothing(cli, tmp_path):
    assert cli("plan", "import", "--sample").exit_code == 0
    path = _corrected(tmp_path)
    data = json.loads(cli("plan", "diff", str(path), "--json").output)
    assert data["plan"]["code"] == "A"
    assert [t["seq"] for t in data["removed"]] == [59] and data["added"] == []
    changed = {t["seq"]: t["changes"] for t in data["changed"]}
    assert changed[57]["deadline"] == {"old": "全年工作", "new": "12月底前"}
    assert set(changed) == {57, 58} and data["unchanged"] == 71  # 58 inherits 57's deadline cell
    text = cli("plan", "diff", str(path), "A")
    assert text.exit_code == 0 and "- [59]" in text.output and "~ [57]" in text.output
    assert Task.select().count() == 74


def test_archive_stops_reminders_and_chat_restore_brings_them_back(cli):
    assert cli("plan", "import", "--sample").exit_code == 0
    cli("contact", "add", "--unit", "区政府办公室", "--name", "张三", "--userid", "zhangsan")
    from chat.handler import handle_message
    from store.clock import clock
    from store.config import load_config

    def tasks_in_chat() -> str:
        return handle_message("zhangsan", "任务", msgid=None, now=clock.now(), config=load_config(None, environ={}))

    clock.freeze(dt.datetime(2019, 10, 22, 10, 0))
    before = tasks_in_chat()
    assert "56" in before  # 区政府办公室's items, 56 among them
    first = cli("plan", "archive", "A")
    assert first.exit_code == 0 and "Archived plan A" in first.output
    again = cli("plan", "archive", "A")
    assert again.exit_code == 0 and "already archived" in again.output
    assert tasks_in_chat() != before and "56" not in tasks_in_chat()  # gone from the chat list
    remind = cli("remind", "--at", "2019-10-22", "--json")
    assert remind.exit_code == 0 and json.loads(remind.output) == []
    assert Outbox.select().count() == 0
    listed = json.loads(cli("plan", "list", "--json").output)
    assert listed[0]["active"] is False
    assert cli("export", "--xlsx", "old.xlsx", "--plan", "A").exit_code == 0  # history and exports stay
    assert cli("plan", "restore", "A").exit_code == 0
    assert "already active" in cli("plan", "restore", "A").output
    remind = json.loads(cli("remind", "--at", "2019-10-22", "--json").output)
    assert any(m["userid"] == "zhangsan" for m in remind)


def test_delete_only_a_plan_with_nothing_recorded(cli):
    assert cli("plan", "import", "--sample").exit_code == 0
    assert cli("task", "done", "56", "--unit", "区政府办公室").exit_code == 0
    refused = cli("plan", "delete", "A", "--yes")
    assert refused.exit_code == 1 and "archive" in refused.output and Plan.select().count() == 1
    Report.delete().execute()
    Assignment.update(state="open").execute()
    deleted = cli("plan", "delete", "A", "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert Plan.select().count() == 0 and Task.select().count() == 0
    assert Unit.select().count() > 0  # units and contacts are the office's, not the plan's


def test_import_refuses_dubans_own_ledger(cli, tmp_path):
    assert cli("plan", "import", "--sample").exit_code == 0
    ledger = tmp_path / "台账.xlsx"
    assert cli("export", "--xlsx", str(ledger)).exit_code == 0
    result = cli("plan", "import", str(ledger), "--as-new")
    assert result.exit_code == 1 and "台账" in result.output and "--replace" in result.output
    assert Plan.select().count() == 1
