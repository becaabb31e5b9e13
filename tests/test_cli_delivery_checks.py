"""A wrong robot key is found: `leaders test`, `wecom check` and `doctor` say so; `leaders remove` cancels the
group's queued messages; two groups sharing a key are warned about. Against the WeCom emulator."""

import json

import pytest
from wecom_support import AGENT_ID, CORP_ID, SECRET

from store.models import Outbox
from wecom.emulator import WeComEmulator

GOOD = "0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99"
WRONG = "0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a98"


@pytest.fixture
def emu():
    with WeComEmulator(CORP_ID, SECRET, AGENT_ID, users=None, webhook_keys=[GOOD]) as e:
        yield e


@pytest.fixture
def duban(cli, emu):
    def run(*args: str, input: str | None = None):
        env = {"DUBAN_WECOM_CORP_ID": CORP_ID, "DUBAN_WECOM_SECRET": SECRET, "DUBAN_WECOM_AGENT_ID": str(AGENT_ID),
               "DUBAN_WECOM_API_BASE_URL": emu.base_url, "DUBAN_WECOM_TIMEOUT": "5"}
        return cli(*args, env=env, input=input)

    return run


def test_a_wrong_robot_key_is_reported_then_fixed(duban, emu):
    assert duban("leaders", "add", "区政府领导群", "--webhook-key", WRONG).exit_code == 0
    tested = duban("leaders", "test", "区政府领导群")
    assert tested.exit_code == 1 and "not delivered" in tested.output and "93000" in tested.output
    doctor = duban("doctor", "--json")
    assert doctor.exit_code == 1
    robot = [c for c in json.loads(doctor.output) if c["check"] == "robot key"]
    assert robot and "区政府领导群" in robot[0]["message"] and WRONG not in doctor.output  # key masked
    check = duban("wecom", "check")
    assert check.exit_code == 1 and "区政府领导群" in check.output
    assert "Everything WeCom can tell us looks right" not in check.output
    # the fix: the right key, a test that arrives
    assert duban("leaders", "remove", "区政府领导群").exit_code == 0
    assert duban("leaders", "add", "区政府领导群", "--webhook-key", GOOD).exit_code == 0
    again = duban("leaders", "test", "区政府领导群")
    assert again.exit_code == 0, again.output
    assert "msgid -" not in again.output and "check that it shows in the group" in again.output  # a robot has none
    assert any("测试消息" in str(m["content"]) for m in emu.delivered)


def test_leaders_remove_cancels_that_groups_queued_messages(duban):
    from jobs.outbox import enqueue_message

    assert duban("leaders", "add", "甲群", "--webhook-key", GOOD).exit_code == 0
    assert duban("leaders", "add", "乙群", "--userids", "zhangsan").exit_code == 0
    enqueue_message("digest:1", "webhook", GOOD, "周报")
    enqueue_message("digest:2", "app", "zhangsan", "周报")
    removed = duban("leaders", "remove", "甲群")
    assert removed.exit_code == 0 and "1 queued message(s)" in removed.output
    assert [(r.channel, r.target) for r in Outbox.select()] == [("app", "zhangsan")]


def test_two_groups_sharing_a_key_are_warned_about(duban):
    assert duban("leaders", "add", "甲群", "--webhook-key", GOOD).exit_code == 0
    second = duban("leaders", "add", "乙群", "--webhook-key", GOOD)
    assert second.exit_code == 0 and "share one" in second.output  # warned when it happens
    checks = json.loads(duban("doctor", "--json", "--offline").output)
    shared = [c for c in checks if c["check"] == "shared robot key"]
    assert shared and "甲群" in shared[0]["message"] and "乙群" in shared[0]["message"]


def test_a_latin1_mariadb_database_is_named_with_the_statement_that_fixes_it(cli, db_url, tmp_path):
    from store.db import backend, database

    if backend() != "mysql":
        pytest.skip("MariaDB only: the other backends store Chinese whatever they are told")
    name = database.execute_sql("SELECT DATABASE()").fetchone()[0]
    database.execute_sql(f"ALTER DATABASE `{name}` CHARACTER SET latin1 COLLATE latin1_swedish_ci")
    database.execute_sql("ALTER TABLE `unit` CONVERT TO CHARACTER SET latin1 COLLATE latin1_swedish_ci")
    init = cli("init")
    assert init.exit_code == 1 and "ALTER TABLE `unit` CONVERT TO CHARACTER SET utf8mb4" in init.output
    doctor = cli("doctor", "--offline")
    assert doctor.exit_code == 1 and f"ALTER DATABASE `{name}`" in doctor.output
    refused = cli("unit", "add", "区财政局")
    assert refused.exit_code == 1 and "utf8mb4" in refused.output and "Traceback" not in refused.output
    for statement in (f"ALTER DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                      "ALTER TABLE `unit` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"):
        database.execute_sql(statement)
    assert cli("init").exit_code == 0
    assert cli("unit", "add", "区财政局").exit_code == 0
