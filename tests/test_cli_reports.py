"""`duban digest`, `duban export`, `duban report scorecard|chart` against each backend."""

import json

import click
import openpyxl
import pytest
from click.testing import CliRunner

from commands import reports
from commands.common import App, DubanGroup
from store.contacts import add_leader_group
from store.models import DigestLog, Outbox, Task
from tests.world import build_world

WEBHOOK_KEY = "12345678-1234-1234-1234-123456789abc"


@click.group(cls=DubanGroup)
@click.pass_context
def root(ctx: click.Context) -> None:
    ctx.obj = App(None)


for command in (reports.digest, reports.export, reports.report):
    root.add_command(command)


@pytest.fixture
def run(db_url, tmp_path, monkeypatch):
    """`duban ARGS` with this module's commands (bot.py registers them; the lead wires them in)."""
    build_world()
    add_leader_group("区领导群", webhook_key=WEBHOOK_KEY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(root, list(args), env={"DUBAN_DATABASE_URL": db_url}, catch_exceptions=False)

    return invoke


def test_digest_dry_run_json_then_send_once(run):
    result = run("digest", "--at", "2019-10-28T09:30", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [d["group"] for d in data] == ["区领导群"] and data[0]["sent"] is False
    assert data[0]["target"] == "key ***9abc"
    parts = data[0]["parts"]
    assert all(p["bytes"] == len(p["markdown"].encode()) <= 4096 for p in parts)
    assert data[0]["figures"][0]["tasks"] == Task.select().count()
    assert DigestLog.select().count() == 0 and Outbox.select().count() == 0

    result = run("digest", "--at", "2019-10-28T09:30")
    assert result.exit_code == 0, result.output
    assert "Enqueued 1 digest(s)." in result.output
    assert Outbox.select().count() == len(parts)
    result = run("digest", "--at", "2019-10-29")
    assert "No digest due." in result.output
    result = run("digest", "--group", "区领导群", "--at", "2019-10-30")
    assert "already sent this week" in result.output
    assert Outbox.select().count() == len(parts)


def test_digest_unknown_group_is_an_error(run):
    result = run("digest", "--group", "没有这个群", "--dry-run")
    assert result.exit_code == 1 and "no leader group named" in result.output


def test_export_scorecard_and_chart(run, tmp_path):
    result = run("export", "--xlsx", "台账.xlsx", "--at", "2019-11-12")
    assert result.exit_code == 0, result.output
    assert f"Wrote {Task.select().count()} task row(s)" in result.output
    assert openpyxl.load_workbook(tmp_path / "台账.xlsx").active.max_row == Task.select().count() + 2

    result = run("report", "scorecard", "--at", "2019-11-12", "--json")
    data = json.loads(result.output)
    assert data["from"] == "2019-09-05" and data["to"] == "2019-11-12"
    office = next(u for u in data["units"] if u["unit"] == "区政府办公室")
    assert (office["due"], office["on_time"], office["overdue_item_days"]) == (4, 0, 4 * 12)  # 14, 53, 59, 74
    result = run("report", "scorecard", "--at", "2019-11-12", "--from", "2019-11-01")
    assert "区政府办公室" in result.output and "overdue item-days" in result.output
    result = run("report", "scorecard", "--xlsx", "评分.xlsx", "--json")
    assert result.exit_code == 2

    result = run("report", "chart", "--png", "status.png", "--at", "2019-11-12")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "status.png").stat().st_size > 10_000
