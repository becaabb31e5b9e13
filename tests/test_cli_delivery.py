"""`duban notify`, `duban outbox …` and `duban wecom check` against the WeCom emulator, on every backend."""

import json

import pytest
from wecom_support import AGENT_ID, CORP_ID, SECRET

from store.contacts import add_contact, set_away
from store.models import Contact, Outbox
from store.units import add_group, add_members, add_unit
from wecom.emulator import WeComEmulator


@pytest.fixture(autouse=True)
def registered():
    from bot import cli
    from commands import delivery

    for command in (delivery.notify, delivery.outbox, delivery.wecom):
        if command.name not in cli.commands:
            cli.add_command(command)


@pytest.fixture
def emu():
    with WeComEmulator(CORP_ID, SECRET, AGENT_ID, users=None) as e:
        yield e


@pytest.fixture
def duban(cli, emu):
    """`duban ARGS` with [wecom] pointing at the emulator (the secret can be overridden)."""

    def run(*args: str, secret: str = SECRET):
        env = {"DUBAN_WECOM_CORP_ID": CORP_ID, "DUBAN_WECOM_SECRET": secret, "DUBAN_WECOM_AGENT_ID": str(AGENT_ID),
               "DUBAN_WECOM_API_BASE_URL": emu.base_url, "DUBAN_WECOM_TIMEOUT": "5"}
        return cli(*args, env=env)

    return run


@pytest.fixture
def people(db_url):
    for name in ("区财政局", "区审计局", "区政府办公室", "区统计局"):
        add_unit(name)
    add_group("区政府各部门")
    add_members("区政府各部门", ["区财政局", "区审计局"])
    add_contact("区财政局", "财政联络员", "czj")
    add_contact("区财政局", "财政局长", "czjz", role="leader")
    add_contact("区审计局", "审计联络员", "sjj")
    add_contact("区政府办公室", "办公室联络员", "zfb")


def targets() -> list[str]:
    return [r.target for r in Outbox.select().order_by(Outbox.id)]


def test_notify_a_unit_reaches_its_liaison_only(duban, people):
    import datetime as dt

    from store.clock import clock

    clock.freeze(dt.datetime(2019, 10, 22, 9, 0, 30))  # both runs in one minute (the repeat check is per minute)
    result = duban("notify", "--unit", "区财政局", "请于周五前报送进度")
    assert result.exit_code == 0, result.output
    assert "to 1 person in 1 outbox message(s)" in result.output and "duban outbox flush" in result.output
    assert targets() == ["czj"]
    again = duban("notify", "--unit", "区财政局", "请于周五前报送进度")
    assert again.exit_code == 0 and "already enqueued" in again.output
    assert targets() == ["czj"]


def test_notify_a_group_and_all_liaisons(duban, people):
    assert duban("notify", "--group", "区政府各部门", "通知一").exit_code == 0
    assert duban("notify", "--all-liaisons", "通知二").exit_code == 0
    assert duban("notify", "--userid", "czjz", "--unit", "区审计局", "通知三").exit_code == 0
    assert targets() == ["czj|sjj", "czj|sjj|zfb", "sjj|czjz"]
    assert [r.body for r in Outbox.select().order_by(Outbox.id)] == ["通知一", "通知二", "通知三"]


def test_notify_uses_delegates_and_names_units_nobody_can_hear(duban, people):
    import datetime as dt

    set_away("czj", dt.date(2100, 1, 1), delegate="czjz")
    result = duban("notify", "--unit", "区财政局", "--unit", "区统计局", "请注意")
    assert result.exit_code == 0, result.output
    assert targets() == ["czjz"]
    assert "区统计局 has no reachable liaison" in result.stderr


def test_notify_refuses_unknown_units_and_missing_recipients(duban, people):
    unknown = duban("notify", "--unit", "区发改局", "x")
    assert unknown.exit_code == 1 and "unknown unit" in unknown.stderr
    nobody = duban("notify", "--unit", "区统计局", "x")
    assert nobody.exit_code == 1 and "nobody to notify" in nobody.stderr
    assert duban("notify", "x").exit_code == 2
    assert Outbox.select().count() == 0


def test_outbox_flush_sends_and_exits_0(duban, people, emu):
    duban("notify", "--all-liaisons", "请报送进度")
    result = duban("outbox", "flush")
    assert result.exit_code == 0, result.output
    assert "Sent 1 message(s)." in result.output and "0 message(s) left unsent" in result.output
    assert sorted(m["target"] for m in emu.delivered) == ["czj", "sjj", "zfb"]
    listed = json.loads(duban("outbox", "list", "--json").output)
    assert listed["counts"]["sent"] == 1 and listed["messages"][0]["state"] == "sent"
    assert duban("outbox", "flush").exit_code == 0 and len(emu.delivered) == 3


def test_outbox_flush_exits_1_on_a_dead_message_and_retry_brings_it_back(duban, people, emu):
    emu.fail_user("sjj")
    duban("notify", "--unit", "区审计局", "给审计")
    duban("notify", "--unit", "区财政局", "给财政")
    result = duban("outbox", "flush")
    assert result.exit_code == 1
    assert "Sent 1 message(s)." in result.stdout and "is dead: recipient rejected" in result.stderr
    assert Contact.get(Contact.userid == "sjj").problem is not None
    dead = json.loads(duban("outbox", "list", "--state", "dead", "--json").output)["messages"]
    assert [m["target"] for m in dead] == ["sjj"]
    assert duban("outbox", "retry", "--dead").output.startswith("1 message(s) will be sent again")
    assert duban("outbox", "list", "--state", "dead", "--json").output.count('"id"') == 0
    assert duban("outbox", "retry").exit_code == 2


def test_outbox_flush_with_a_wrong_secret_exits_1_and_keeps_the_messages(duban, people, emu):
    duban("notify", "--all-liaisons", "请报送进度")
    result = duban("outbox", "flush", secret="definitely-wrong-secret")
    assert result.exit_code == 1
    assert "configuration error" in result.stderr and "40001" in result.stderr
    assert "definitely-wrong-secret" not in result.output
    row = Outbox.get()
    assert (row.state, row.attempts) == ("pending", 0) and emu.delivered == []
    assert duban("outbox", "flush").exit_code == 0 and len(emu.delivered) == 3


def test_wecom_check_all_good(duban, people):
    result = duban("wecom", "check")
    assert result.exit_code == 0, result.output
    assert "access token: ok" in result.output and "Contacts checked: 4, problems: 0" in result.output
    assert SECRET not in result.output


def test_wecom_check_reports_an_unknown_userid(duban, people, emu):
    emu.fail_user("sjj")
    result = duban("wecom", "check")
    assert result.exit_code == 1
    assert "审计联络员 (sjj), 区审计局: WeCom does not know this userid" in result.stderr
    data = json.loads(duban("wecom", "check", "--json").stdout)
    assert data["ok"] is False and [p["userid"] for p in data["problems"]] == ["sjj"]


def test_wecom_check_with_a_wrong_secret_says_so_plainly(duban, people):
    result = duban("wecom", "check", secret="definitely-wrong-secret")
    assert result.exit_code == 1
    assert "Cannot get a WeCom access token" in result.stderr and "the secret is wrong" in result.stderr
    assert "definitely-wrong-secret" not in result.output


def test_flush_without_wecom_settings_is_a_plain_configuration_error(cli, people):
    result = cli("outbox", "flush")
    assert result.exit_code == 1 and "[wecom] corp_id, secret, agent_id not set" in result.stderr


def test_a_message_sent_after_a_retry_shows_no_stale_error(duban, people, emu):
    duban("notify", "--unit", "区财政局", "给财政")
    stale = "the dispatcher stopped before WeCom answered: outcome unknown"
    Outbox.update(state="unknown", last_error=stale).execute()  # what a dispatcher stopped mid-send leaves
    row = Outbox.get()
    assert duban("outbox", "retry", str(row.id)).exit_code == 0
    assert duban("outbox", "flush").exit_code == 0
    listed = json.loads(duban("outbox", "list", "--json").output)["messages"]
    assert [(m["state"], m["last_error"]) for m in listed] == [("sent", None)]
    assert "dispatcher stopped" not in duban("outbox", "list").output
