"""`duban extension …`: the admin decides a request a liaison made in chat; the liaison is told."""

import datetime as dt
import json

import pytest

from store.models import Assignment, Extension, Outbox
from tests import chat_world as w


@pytest.fixture
def requested(db_url):
    w.build()
    chat = w.Chat()
    answer = chat.say("czj", "延期 24 2019-11-30 等待上级文件")
    assert "申请" in answer
    return Extension.get()


def test_list_and_approve(cli, requested):
    rows = json.loads(cli("extension", "list", "--json").output)
    assert [(r["id"], r["seq"], r["unit"], r["new_due"], r["state"]) for r in rows] == [
        (requested.id, 24, "区财政局", "2019-11-30", "pending")]
    result = cli("extension", "approve", str(requested.id), "--note", "同意")
    assert result.exit_code == 0, result.output
    assert "Approved" in result.output and "2019-11-30" in result.output
    a = w.assignment(24, "区财政局")
    assert a.due_override == dt.date(2019, 11, 30) and a.state == "open"
    told = Outbox.get(Outbox.target == "czj")
    assert "【延期已批准】" in told.body and "11月30日" in told.body
    again = cli("extension", "approve", str(requested.id))
    assert again.exit_code == 1 and "approved" in again.output
    assert json.loads(cli("extension", "list", "--json").output) == []


def test_reject_needs_a_reason_and_keeps_the_date(cli, requested):
    assert cli("extension", "reject", str(requested.id)).exit_code == 2
    result = cli("extension", "reject", str(requested.id), "--reason", "时间已很充裕")
    assert result.exit_code == 0, result.output
    assert Assignment.get_by_id(requested.assignment_id).due_override is None
    assert "时间已很充裕" in Outbox.get(Outbox.target == "czj").body
    assert Extension.get_by_id(requested.id).decided_by.startswith("admin:")


def test_unknown_request(cli, requested):
    result = cli("extension", "approve", "999")
    assert result.exit_code == 1 and "999" in result.output
