"""Sub-rows (4-1, 4-2 under one merged 序号) and milestone labels, from the import to chat, the CLI, reminders
and the 台账."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from openpyxl import Workbook

from chat.parse import parse_ref
from store.clock import clock
from store.models import Assignment, Deadline, Task, Unit
from tests.chat_world import Chat


def _plan_xlsx(path):
    book = Workbook()
    sheet = book.active
    for row in (["某区2019年重点民生实事分工方案"],
                ["序号", "项目名称", "主要内容", "牵头单位", "完成时限"],
                [1, "政务公开", "推进决策公开。", "区财政局", "11月15日前完成初稿，12月底前全面完成"],
                [2, "养老服务", "为老年人提供居家上门服务。", "区财政局", "10月底前"],
                [None, None, "提升改造8家居家养老服务中心。", None, "11月底前"]):
        sheet.append(row)
    for cells in ("A4:A5", "B4:B5", "D4:D5"):
        sheet.merge_cells(cells)
    book.save(path)
    return path


@pytest.fixture
def imported(cli, tmp_path):
    assert cli("init").exit_code == 0
    result = cli("plan", "import", str(_plan_xlsx(tmp_path / "民生实事.xlsx")))
    assert result.exit_code == 0, result.output
    unit = Unit.get(Unit.name == "区财政局")
    assert cli("contact", "add", "--unit", "区财政局", "--name", "张三", "--userid", "czj").exit_code == 0
    return unit


def test_sub_rows_and_milestone_labels_are_stored(imported):
    rows = {t.label: t for t in Task.select()}
    assert sorted(rows) == ["1", "2-1", "2-2"]
    assert (rows["2-2"].seq, rows["2-2"].sub, rows["2-2"].category) == (2, 2, "养老服务")
    labels = [d.label for d in Deadline.select().where(Deadline.task == rows["1"]).order_by(Deadline.position)]
    assert labels == ["完成初稿", "全面完成"]


def test_chat_reference_with_a_sub_row():
    ref, _end, problem = parse_ref(" 4-2 已完成")
    assert problem is None and (ref.seq, ref.sub, str(ref)) == (4, 2, "4-2")
    ref, _end, _problem = parse_ref(" 24 10-31")  # a date after a number is not a sub-row
    assert (ref.seq, ref.sub) == (24, 0)


def test_chat_done_on_a_sub_row_and_a_bare_number_asks_which(imported):
    clock.freeze(dt.datetime(2019, 10, 22, 9, 0))
    chat = Chat()
    asked = chat.say("czj", "完成 2")
    assert "2-1" in asked and "2-2" in asked
    done = chat.say("czj", "完成 2-2 已改造完毕")
    assert "2-2" in done
    states = {t.label: Assignment.get(Assignment.task == t).state for t in Task.select()}
    assert states == {"1": "open", "2-1": "open", "2-2": "done"}


def test_cli_task_done_and_show_take_a_sub_row(cli, imported):
    shown = cli("task", "show", "2-1", "--json")
    assert shown.exit_code == 0 and "居家上门服务" in shown.output
    refused = cli("task", "done", "2", "--unit", "区财政局")
    assert refused.exit_code == 1 and "2-1, 2-2" in refused.output
    bad = cli("task", "done", "2-x", "--unit", "区财政局")
    assert bad.exit_code == 2
    assert cli("task", "done", "2-1", "--unit", "区财政局").exit_code == 0
    assert Assignment.get(Assignment.task == Task.get(Task.seq == 2, Task.sub == 1)).state == "done"


def test_reminder_names_the_milestone_and_the_sub_row(cli, imported):
    result = cli("remind", "--at", "2019-11-12", "--dry-run")
    assert result.exit_code == 0
    assert "A1 区财政局 完成初稿：截止11月15日" in result.output and "A2-1 区财政局" in result.output
    message = cli("remind", "--at", "2019-11-12", "--dry-run", "--json").output
    assert "[1] 推进决策公开。 完成初稿：截止11月15日（还剩3个工作日）" in message and "[2-1]" in message


def test_ledger_shows_sub_rows_and_milestones(cli, imported, tmp_path):
    out = tmp_path / "台账.xlsx"
    assert cli("export", "--xlsx", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=1)]
    header = next(i for i, r in enumerate(values) if r and r[0] == "序号")
    seqs = [r[0] for r in values[header + 1:] if r[0] is not None]
    assert seqs == [1, "2-1", "2-2"]
    assert "完成初稿" in values[header + 1][values[header].index("完成时限")]
