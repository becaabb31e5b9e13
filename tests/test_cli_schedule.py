"""`duban remind --dry-run`, `duban doctor`, `duban calendar` through the CLI."""

import json

import pytest

from store.models import Outbox, ReminderLog
from tests.world import build_world


@pytest.fixture
def world(db_url):
    build_world()


def test_remind_dry_run_json(cli, world):
    result = cli("remind", "--at", "2019-10-22", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    messages = json.loads(result.output)
    czj = next(m for m in messages if m["userid"] == "czj")
    assert czj["unit"] == "区财政局"
    assert {"seq": 14, "plan": "A", "unit": "区财政局", "stage": "before_7", "due": "2019-10-31"} in czj["items"]
    assert "截止10月31日（还剩7个工作日）" in czj["text"]
    assert ReminderLog.select().count() == 0 and Outbox.select().count() == 0


def test_remind_dry_run_text_and_holiday(cli, world):
    out = cli("remind", "--at", "2019-10-22T09:30", "--dry-run").output
    assert "→ 财政联络员 (czj), 区财政局: reminder" in out and "A14 区财政局 截止10月31日（还剩7个工作日）" in out
    assert "before_7" not in out  # the stage code is for --json
    assert "Would send" in out
    holiday = cli("remind", "--at", "2019-10-03", "--dry-run")
    assert holiday.exit_code == 0 and "not a working day" in holiday.output


def test_remind_bad_at_is_usage_error(cli, world):
    result = cli("remind", "--at", "next tuesday", "--dry-run")
    assert result.exit_code == 2 and "--at" in result.output


def test_doctor_reports_what_to_fix(cli, world):
    result = cli("doctor", "--offline", "--json")
    assert result.exit_code == 1  # WeCom is not configured
    checks = {c["check"]: c for c in json.loads(result.output)}
    assert checks["wecom sending"]["level"] == "error"
    assert checks["database"]["level"] == "ok"
    assert checks["calendar"]["level"] == "ok"
    assert checks["contacts"]["level"] == "warning" and "区司法局" in checks["contacts"]["message"]
    assert "各行政执法部门" in checks["unit groups"]["message"]


def test_doctor_unknown_year_warns(cli, world):
    from store.models import Plan

    Plan.update(year=2099).execute()
    checks = {c["check"]: c for c in json.loads(cli("doctor", "--offline", "--json").output)}
    assert checks["calendar"]["level"] == "warning" and "2099" in checks["calendar"]["message"]
