"""`--today` through the one clock, one-line errors with --debug for the traceback, JSON logs, and the config
that points duban at the emulator."""

import datetime as dt
import json
import logging
import os

import pytest

from commands.logformat import JsonFormatter, configure
from store.clock import clock
from store.config import load_config
from wecom.emulator_config import write_emulator_config


def test_today_runs_any_command_as_of_that_date_and_says_so(cli):
    assert cli("plan", "import", "--sample").exit_code == 0
    assert cli("contact", "add", "--unit", "区政府办公室", "--name", "张三", "--userid", "zhangsan").exit_code == 0
    result = cli("--today", "2019-10-22", "remind", "--dry-run")
    assert result.exit_code == 0
    assert "as of 2019-10-22" in result.output and "for 2019-10-22" in result.output
    env = cli("remind", "--dry-run", env={"DUBAN_TODAY": "2019-10-23"})
    assert "as of 2019-10-23" in env.output and "for 2019-10-23" in env.output
    assert "as of" not in cli("plan", "list").output  # marked only while it is set


def test_today_keeps_the_clock_running():
    clock.shift_to(dt.date(2019, 10, 22))
    assert clock.today() == dt.date(2019, 10, 22) and not clock.frozen and clock.shifted
    first = clock.now()
    assert clock.now() >= first
    clock.unfreeze()
    assert clock.today() != dt.date(2019, 10, 22)


def test_a_bad_today_is_a_usage_error(cli):
    result = cli("--today", "2019-13-01", "plan", "list")
    assert result.exit_code == 2 and "2019-13-01" in result.output


def test_unexpected_errors_are_one_line_and_debug_shows_the_traceback(cli, tmp_path):
    target = tmp_path / "no-such-folder" / "contacts.csv"
    plain = cli("contact", "export", str(target))
    assert plain.exit_code == 1 and "Traceback" not in plain.output and "no such file or folder" in plain.output
    assert len([line for line in plain.output.splitlines() if line.strip()]) == 1
    with pytest.raises(FileNotFoundError):
        cli("--debug", "contact", "export", str(target))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_a_file_nobody_may_read_is_one_line(cli, tmp_path):
    sheet = tmp_path / "contacts.csv"
    sheet.write_text("单位,姓名,企业微信账号\n", encoding="utf-8")
    sheet.chmod(0)
    result = cli("contact", "import", str(sheet))
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_a_bad_config_is_one_line(cli, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[server]\nport = 'eighty'\n", encoding="utf-8")
    result = cli("--config", str(config), "plan", "list")
    assert result.exit_code == 1 and "[server] port" in result.output and "Traceback" not in result.output


def test_json_log_lines_and_quiet_third_parties(capsys):
    record = logging.LogRecord("duban.chat", logging.INFO, __file__, 1, "chat request from %s", ("zhangsan",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "INFO" and entry["message"] == "chat request from zhangsan"
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure("info", "json")
        assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("waitress").getEffectiveLevel() == logging.WARNING
        logging.getLogger("apscheduler.executors").info("Running job")
        logging.getLogger("duban.test").info("sent outbox 1")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
        assert [line["message"] for line in lines] == ["sent outbox 1"]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def test_emulator_config_is_valid_owner_only_and_kept_on_rerun(tmp_path):
    path = tmp_path / "duban.toml"
    assert write_emulator_config(path, 8001)
    assert (path.stat().st_mode & 0o777) == 0o600
    config = load_config(path, environ={})
    w = config["wecom"]
    assert w["api_base_url"] == "http://127.0.0.1:8001/cgi-bin/" and len(w["encoding_aes_key"]) == 43
    assert len(w["token"]) >= 16
    before = path.read_text(encoding="utf-8")
    assert not write_emulator_config(path, 9000)
    assert path.read_text(encoding="utf-8") == before
    other = tmp_path / "other.toml"
    write_emulator_config(other, 8001)
    assert load_config(other, environ={})["wecom"]["token"] != w["token"]  # generated each time


@pytest.mark.parametrize("server", ["postgresql", "mysql"])
def test_a_missing_server_database_says_how_to_create_it(tmp_path, monkeypatch, server):
    from click.testing import CliRunner

    from bot import cli as duban_cli
    from tests.conftest import BACKENDS, IN_CI, MYSQL_URL, POSTGRES_URL

    if server not in BACKENDS:
        pytest.skip(f"{server} not among DUBAN_TEST_BACKENDS")
    admin = POSTGRES_URL if server == "postgresql" else MYSQL_URL
    url = admin.rsplit("/", 1)[0] + "/duban_no_such_database"
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(duban_cli, ["init"], env={"DUBAN_DATABASE_URL": url})
    if "does not exist" not in result.output:
        message = f"SKIPPED BACKEND {server} unreachable: {result.output.strip()}"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    assert result.exit_code == 1 and "Traceback" not in result.output
    fix = "createdb" if server == "postgresql" else "CREATE DATABASE duban_no_such_database CHARACTER SET utf8mb4"
    assert fix in result.output and len(result.output.strip().splitlines()) == 1
