"""Configuration: defaults < file < environment, validation that names the key and the file."""

import json

import pytest
from click.testing import CliRunner

from bot import cli
from store.config import ConfigError, load_config, mask_secret

AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_defaults_without_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(None, environ={})
    assert cfg.database_url == "sqlite:///duban.db"
    assert cfg.timezone == "Asia/Shanghai"
    assert cfg["reminders"]["before_working_days"] == [7, 3, 1]
    assert cfg.path is None


def test_file_then_environment(tmp_path):
    path = tmp_path / "duban.toml"
    path.write_text('[database]\nurl = "sqlite:///x.db"\n[wecom]\nagent_id = 1000002\nsecret = "s3cret-from-file"\n',
                    encoding="utf-8")
    cfg = load_config(path, environ={"DUBAN_WECOM_SECRET": "from-env-secret", "DUBAN_SERVER_PORT": "9000",
                                     "DUBAN_REMINDERS_BEFORE_WORKING_DAYS": "5,2"})
    assert cfg.database_url == "sqlite:///x.db"
    assert cfg["wecom"]["agent_id"] == 1000002
    assert cfg["wecom"]["secret"] == "from-env-secret"
    assert cfg["server"]["port"] == 9000
    assert cfg["reminders"]["before_working_days"] == [5, 2]
    assert cfg.sources[("wecom", "secret")] == "$DUBAN_WECOM_SECRET"


def test_duban_config_env_and_default_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "duban.toml").write_text('[schedule]\nremind_at = "08:45"\n', encoding="utf-8")
    assert load_config(None, environ={})["schedule"]["remind_at"] == "08:45"
    other = tmp_path / "other.toml"
    other.write_text('[schedule]\nremind_at = "10:05"\n', encoding="utf-8")
    monkeypatch.setenv("DUBAN_CONFIG", str(other))
    assert load_config(None)["schedule"]["remind_at"] == "10:05"


@pytest.mark.parametrize("text, words", [
    ('[wecom]\nagent_id = "abc"\n', ["[wecom] agent_id", "whole number"]),
    ('[wecom]\nsecrett = "x"\n', ["unknown key [wecom] secrett"]),
    ('[nosuch]\nx = 1\n', ["unknown section [nosuch]"]),
    ('[schedule]\ntimezone = "Mars/Olympus"\n', ["[schedule] timezone", "not a known timezone"]),
    ('[schedule]\nremind_at = "25:00"\n', ["[schedule] remind_at", "HH:MM"]),
    ('[wecom]\nencoding_aes_key = "short"\n', ["encoding_aes_key", "43 characters"]),
    ('[database]\nurl = "oracle://x"\n', ["[database] url"]),
    ('not toml = = =', ["not valid TOML"]),
])
def test_validation_names_key_and_file(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    for word in words:
        assert word in str(err.value)
    assert "bad.toml" in str(err.value)


def test_env_validation_names_variable(tmp_path):
    with pytest.raises(ConfigError, match=r"\$DUBAN_SERVER_PORT"):
        load_config(None, environ={"DUBAN_SERVER_PORT": "eighty"})


def test_every_key_has_a_rule_checked_at_load():
    from store.config import DEFAULTS, RULES

    assert {(section, key) for section, keys in DEFAULTS.items() for key in keys} == set(RULES)


@pytest.mark.parametrize("var, value, words", [
    ("DUBAN_SCHEDULE_DIGEST_AT", "monday 9h", ["[schedule] digest_at", "$DUBAN_SCHEDULE_DIGEST_AT", "'monday 9h'"]),
    ("DUBAN_REMINDERS_ONGOING_CADENCE", "weekly", ["[reminders] ongoing_cadence", "'monthly'", "'weekly'"]),
    ("DUBAN_REMINDERS_COOPERATE_STAGES", "before,later", ["cooperate_stages", "due_today"]),
    ("DUBAN_REMINDERS_BEFORE_WORKING_DAYS", "7,0", ["before_working_days", "positive"]),
    ("DUBAN_OUTBOX_DUPLICATE_CHECK_INTERVAL", "20000", ["duplicate_check_interval", "14400"]),
    ("DUBAN_SERVER_REPLY_BUDGET_SECONDS", "6", ["reply_budget_seconds", "4.5"]),
    ("DUBAN_WECOM_API_BASE_URL", "qyapi/cgi-bin", ["api_base_url", "http"]),
    ("DUBAN_SCHEDULE_DISPATCH_INTERVAL_SECONDS", "0", ["dispatch_interval_seconds", "at least 1"]),
])
def test_bad_values_fail_at_load_naming_key_value_and_source(var, value, words):
    with pytest.raises(ConfigError) as err:
        load_config(None, environ={var: value})
    for word in words:
        assert word in str(err.value)


def test_mask_secret():
    assert mask_secret("") == ""
    assert mask_secret("short") == "***"
    masked = mask_secret(AES)
    assert AES not in masked and masked.startswith("***EFG")


def test_config_show_masks_secrets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "duban.toml"
    path.write_text(f'[wecom]\ncorp_id = "ww123"\nsecret = "very-secret-corp-secret-value"\n'
                    f'token = "callbacktoken123"\nencoding_aes_key = "{AES}"\n'
                    '[database]\nurl = "postgresql://duban:pw123@127.0.0.1/duban"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "config", "show"], env={"DUBAN_CONFIG": None})
    assert result.exit_code == 0
    for secret in ("very-secret-corp-secret-value", "callbacktoken123", AES, "pw123"):
        assert secret not in result.output
    assert "ww123" in result.output and f"from {path}" in result.output
    shown = json.loads(CliRunner().invoke(cli, ["--config", str(path), "config", "show", "--json"]).output)
    assert shown["wecom"]["corp_id"] == "ww123"


def test_config_errors_exit_1(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[wecom]\nagent_id = "abc"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "config", "show"])
    assert result.exit_code == 1 and "bad.toml" in result.output
    missing = CliRunner().invoke(cli, ["--config", str(tmp_path / "none.toml"), "init"])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_sections_read_typed_with_the_merged_values(tmp_path):
    from store.config import SECTIONS

    path = tmp_path / "duban.toml"
    path.write_text('[schedule]\nremind_at = "08:40"\n[reminders]\nbefore_working_days = [5, 2]\n', encoding="utf-8")
    config = load_config(path, environ={"DUBAN_SERVER_PORT": "9000", "DUBAN_IMPORT_MAX_FILE_MB": "5"})
    assert (config.schedule.remind_at, config.schedule.digest_at) == ("08:40", "mon 09:10")
    assert config.server.port == 9000 and isinstance(config.server.port, int)
    assert config.reminders.before_working_days == [5, 2]
    assert config.import_.max_file_mb == 5
    for name, cls in SECTIONS.items():
        section = getattr(config, "import_" if name == "import" else name)
        assert isinstance(section, cls)
