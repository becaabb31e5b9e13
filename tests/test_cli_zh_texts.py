"""What a new user met following the README with LANG=zh_CN.UTF-8: English left in Chinese output, internal codes
in tables, wrong words and plurals. Each check here failed before."""

import json
from pathlib import Path

import pytest

from commands.plans import task_counts
from store.models import Plan

ZH = {"LANG": "zh_CN.UTF-8"}
NOT_A_PLAN = Path(__file__).parent.parent / "README.md"
PLAN_TEXT = Path(__file__).parent.parent / "plan" / "samples" / "wuhua-2019.txt"


@pytest.fixture
def zh(cli):
    return lambda *args: cli(*args, env=ZH)


def test_refused_calendar_and_plan_imports_are_in_chinese(zh, tmp_path):
    notice = zh("calendar", "import", str(PLAN_TEXT))
    assert notice.exit_code == 1 and "不是节假日安排通知" in notice.output and "not a holiday notice" not in notice.output
    plan = zh("plan", "import", str(NOT_A_PLAN))
    assert plan.exit_code == 1 and "未找到方案" in plan.output and "no plan found" not in plan.output
    (tmp_path / "empty.txt").write_text("国务院办公厅关于2027年部分节假日安排的通知\n", encoding="utf-8")
    empty = zh("calendar", "import", str(tmp_path / "empty.txt"))
    assert empty.exit_code == 1 and "未找到2027年的休息日或调休上班日" in empty.output


def test_calendar_show_names_sources_in_chinese_and_keeps_codes_in_json(zh):
    shown = zh("calendar", "show", "2019")
    header = shown.output.splitlines()[0]
    assert "名称" in header and "姓名" not in header
    assert "chinesecalendar 软件包" in shown.output
    rows = json.loads(zh("calendar", "show", "2019", "--json").output)
    assert {r["source"] for r in rows} == {"chinesecalendar"}


def test_calendar_check_of_an_unknown_year_has_no_english_line(zh):
    checked = zh("calendar", "check", "2027-01-01")
    assert checked.exit_code == 0 and "2027" in checked.output
    assert "neither chinesecalendar" not in checked.output and "treating" not in checked.output


def test_doctor_says_in_chinese_what_is_known_from_where(zh):
    early = zh("--today", "2026-11-05", "doctor").output
    assert "2027年的节假日安排尚不知道" in early and "are not known yet" not in early
    assert "chinesecalendar 软件包 2004–" in early  # not just the years of active plans


def test_plan_import_group_note_and_plan_show_in_chinese(zh):
    assert zh("plan", "import", "--sample").exit_code == 0
    assert "导入方案时创建" in zh("group", "list").output
    Plan.update(issued_on=None).execute()
    shown = zh("plan", "show").output
    assert "印发于 未注明" in shown and "?" not in shown.split("印发于")[1][:5]


def test_required_options_are_marked_in_chinese(zh):
    from bot import cli
    from commands.chatops import say

    if say.name not in cli.commands:
        cli.add_command(say)
    helped = zh("say", "--help").output
    assert "[必填]" in helped and "[required]" not in helped


def test_counts_have_their_plural():
    assert task_counts(1, 1) == "1 task, 1 assignment"
    assert task_counts(74, 87) == "74 tasks, 87 assignments"


def test_first_steps_name_every_plan_format(cli):
    assert ".html, .pdf" in cli("--help").output
