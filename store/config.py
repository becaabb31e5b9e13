"""Configuration: built-in defaults < TOML file < environment (DUBAN_<SECTION>_<KEY>).

The file is `--config`, else $DUBAN_CONFIG, else ./duban.toml when it exists. Every key is declared
here with its type, so a typo or a wrong type is an error that names the key and the file.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from i18n import _

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SECRET_KEYS = {("wecom", "secret"), ("wecom", "token"), ("wecom", "encoding_aes_key"), ("web", "secret")}

DEFAULTS: dict[str, dict[str, Any]] = {
    "database": {
        "url": "sqlite:///duban.db",
        "connect_timeout": 5.0,
        "statement_timeout": 30.0,
    },
    "wecom": {
        "corp_id": "",
        "agent_id": 0,
        "secret": "",
        "token": "",
        "encoding_aes_key": "",
        "api_base_url": "https://qyapi.weixin.qq.com/cgi-bin/",
        "timeout": 10.0,
    },
    "schedule": {
        "timezone": "Asia/Shanghai",
        "remind_at": "09:10",
        "dispatch_interval_seconds": 20,
        "digest_at": "mon 09:10",
        "jitter_seconds": 120,
    },
    "reminders": {
        "before_working_days": [7, 3, 1],
        "overdue_every_working_days": 3,
        "escalate_after_working_days": 3,
        "cooperate_stages": ["due_today", "overdue"],
        "recent_progress_days": 7,
        "ongoing_cadence": "monthly",
    },
    "outbox": {
        "max_attempts": 12,
        "max_age_hours": 48,
        "messages_per_second": 50.0,
        "duplicate_check_interval": 1800,
    },
    "server": {
        "host": "127.0.0.1",
        "port": 8080,
        "path": "/wecom/callback",
        "reply_budget_seconds": 3.5,
        "request_timeout_seconds": 10.0,
        "replay_window_seconds": 600,
        "inbox_retention_days": 30,
    },
    "chat": {
        "admin_contact": "区政府办公室",
        "commands_per_minute": 20,
        "undo_minutes": 30,
    },
    "evidence": {
        "dir": "",
        "max_file_mb": 20,
        "max_unit_mb": 500,
    },
    "cards": {
        "reminders": "auto",
        "prompt_minutes": 30,
    },
    "log": {
        "chat_text": False,
    },
    "digest": {
        "attach_xlsx": False,
        "attach_chart": False,
        "attachments_dir": "",
        "due_soon_days": 14,
    },
    "web": {
        "enabled": True,
        "path": "/board",
        "public_url": "",
        "secret": "",
        "admins": [],
        "session_hours": 12,
        "link_hours": 168,
    },
    "ui": {
        "language": "",
    },
    "import": {
        "max_file_mb": 20,
    },
}


class ConfigError(Exception):
    """A configuration mistake; the message names the key and where it came from."""


@dataclass
class Config:
    values: dict[str, dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULTS))
    sources: dict[tuple[str, str], str] = field(default_factory=dict)  # (section, key) -> "default" | file | env var
    path: Path | None = None

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    def get(self, section: str, key: str) -> Any:
        return self.values[section][key]

    @property
    def database_url(self) -> str:
        return self.values["database"]["url"]

    @property
    def timezone(self) -> str:
        return self.values["schedule"]["timezone"]

    def masked(self) -> dict[str, dict[str, Any]]:
        """The effective values with secrets masked, for `duban config show`."""
        out = copy.deepcopy(self.values)
        for section, key in SECRET_KEYS:
            out[section][key] = mask_secret(out[section][key])
        out["database"]["url"] = _mask_url(out["database"]["url"])
        return out


def mask_secret(value: str) -> str:
    """Enough to tell two secrets apart, never enough to use one."""
    if not value:
        return ""
    if len(value) < 12:
        return "***"
    return f"***{value[-3:]} ({len(value)} chars)"


def _mask_url(url: str) -> str:
    from store.db import redact_url

    return redact_url(url)


def _coerce(section: str, key: str, value: Any, where: str) -> Any:
    default = DEFAULTS[section][key]
    name = f"[{section}] {key}"
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise ConfigError(_('{name} in {where} must be true or false, not {value!r}').format(name=name, where=where, value=value))
    if isinstance(default, int):
        try:
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(_('{name} in {where} must be a whole number, not {value!r}').format(name=name, where=where, value=value)) from None
    if isinstance(default, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(_('{name} in {where} must be a number, not {value!r}').format(name=name, where=where, value=value)) from None
    if isinstance(default, list):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(_('{name} in {where} must be a list, not {value!r}').format(name=name, where=where, value=value))
        item_type = type(default[0]) if default else str
        try:
            return [item_type(v) for v in value]
        except (TypeError, ValueError):
            raise ConfigError(_('{name} in {where} must be a list of {name2}, not {value!r}').format(name=name, where=where, name2=item_type.__name__, value=value)) from None
    if not isinstance(value, str):
        raise ConfigError(_('{name} in {where} must be a string, not {value!r}').format(name=name, where=where, value=value))
    return value


def _at_least(low: float) -> Callable[[Any], str | None]:
    return lambda v: None if v >= low else f"must be at least {low:g}"


def _between(low: float, high: float) -> Callable[[Any], str | None]:
    return lambda v: None if low <= v <= high else f"must be between {low:g} and {high:g}"


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else "must be one of " + ", ".join(repr(c) for c in choices)


def _anything(_value: Any) -> str | None:
    return None


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "is not a known timezone (e.g. Asia/Shanghai)"
    return None


def _time_of_day(value: str) -> str | None:
    from store.timetext import parse_time_of_day

    try:
        parse_time_of_day(value)
    except ValueError:
        return "must be HH:MM, like 09:10"
    return None


def _weekly(value: str) -> str | None:
    from store.timetext import parse_schedule

    try:
        parse_schedule(value)
    except ValueError:
        return "must be a day and a time, like 'mon 09:10'"
    return None


def _database_url(value: str) -> str | None:
    if value.split(":", 1)[0].split("+")[0] in ("sqlite", "postgresql", "postgres", "mysql", "mariadb"):
        return None
    return "must start with sqlite:///, postgresql:// or mysql://"


def _aes_key(value: str) -> str | None:
    return None if not value or len(value) == 43 else f"must be 43 characters (it has {len(value)})"


def _http_url(value: str) -> str | None:
    return None if value.startswith(("http://", "https://")) else "must start with http:// or https://"


def _absolute_path(value: str) -> str | None:
    return None if value.startswith("/") else "must start with '/'"


def _not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _positive_days(value: list[int]) -> str | None:
    return None if value and all(d >= 1 for d in value) else "must hold positive numbers of working days"


def _stages(value: list[str]) -> str | None:
    unknown = set(value) - {"before", "due_today", "overdue"}
    return None if not unknown else "may hold only before, due_today and overdue"


# Every key's rule, checked at load: a wrong value fails `duban` at start with the key, the value and where it came
# from, instead of failing a job hours later. tests/test_config.py checks that every key in DEFAULTS has one.
RULES: dict[tuple[str, str], Callable[[Any], str | None]] = {
    ("database", "url"): _database_url,
    ("database", "connect_timeout"): _at_least(0.1),
    ("database", "statement_timeout"): _at_least(0.1),
    ("wecom", "corp_id"): _anything,
    ("wecom", "agent_id"): _at_least(0),
    ("wecom", "secret"): _anything,
    ("wecom", "token"): _anything,
    ("wecom", "encoding_aes_key"): _aes_key,
    ("wecom", "api_base_url"): _http_url,
    ("wecom", "timeout"): _at_least(0.1),
    ("schedule", "timezone"): _timezone,
    ("schedule", "remind_at"): _time_of_day,
    ("schedule", "dispatch_interval_seconds"): _at_least(1),
    ("schedule", "digest_at"): _weekly,
    ("schedule", "jitter_seconds"): _between(0, 1800),
    ("reminders", "before_working_days"): _positive_days,
    ("reminders", "overdue_every_working_days"): _at_least(1),
    ("reminders", "escalate_after_working_days"): _at_least(0),
    ("reminders", "cooperate_stages"): _stages,
    ("reminders", "recent_progress_days"): _at_least(0),
    ("reminders", "ongoing_cadence"): _one_of("monthly", "quarterly"),
    ("outbox", "max_attempts"): _at_least(1),
    ("outbox", "max_age_hours"): _at_least(1),
    ("outbox", "messages_per_second"): _at_least(0.1),
    ("outbox", "duplicate_check_interval"): _between(1, 14400),  # WeCom's own bounds
    ("server", "host"): _not_empty,
    ("server", "port"): _between(0, 65535),
    ("server", "path"): _absolute_path,
    ("server", "reply_budget_seconds"): _between(0.1, 4.5),  # WeCom retries after 5 s
    ("server", "request_timeout_seconds"): _at_least(0.1),
    ("server", "replay_window_seconds"): _at_least(0),
    ("server", "inbox_retention_days"): _at_least(0),
    ("chat", "admin_contact"): _anything,
    ("chat", "commands_per_minute"): _at_least(1),
    ("chat", "undo_minutes"): _at_least(0),
    ("evidence", "dir"): _anything,
    ("evidence", "max_file_mb"): _at_least(1),
    ("evidence", "max_unit_mb"): _at_least(1),
    ("cards", "reminders"): _one_of("auto", "on", "off"),
    ("cards", "prompt_minutes"): _at_least(1),
    ("log", "chat_text"): _anything,
    ("digest", "attach_xlsx"): _anything,
    ("digest", "attach_chart"): _anything,
    ("digest", "attachments_dir"): _anything,
    ("digest", "due_soon_days"): _at_least(1),
    ("ui", "language"): _one_of("", "zh", "en"),
    ("import", "max_file_mb"): _at_least(1),
    ("web", "enabled"): _anything,
    ("web", "path"): lambda v: _absolute_path(v) or (None if v.rstrip("/") else "must not be '/'"),
    ("web", "public_url"): lambda v: _http_url(v) if v else None,
    ("web", "secret"): _anything,
    ("web", "admins"): _anything,
    ("web", "session_hours"): _at_least(1),
    ("web", "link_hours"): _at_least(1),
}


def _validate(config: Config) -> None:
    for section, keys in config.values.items():
        for key, value in keys.items():
            problem = RULES.get((section, key), _anything)(value)
            if problem:
                where = config.sources.get((section, key), "defaults")
                raise ConfigError(_('[{section}] {key} in {where} {problem}, not {value!r}').format(section=section, key=key, where=where, problem=problem, value=value))
    if config["web"]["path"].rstrip("/") == config["server"]["path"].rstrip("/"):
        where = config.sources.get(("web", "path"), "defaults")
        raise ConfigError(_('[web] path in {where} must differ from [server] path').format(where=where))


def find_config_file(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("DUBAN_CONFIG")
    if env:
        return Path(env)
    default = Path("duban.toml")
    return default if default.exists() else None


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Load the effective configuration. `path` None means: $DUBAN_CONFIG, else ./duban.toml if present."""
    environ = os.environ if environ is None else environ
    config = Config()
    file = find_config_file(str(path) if path else None)
    if file is not None:
        if not file.exists():
            raise ConfigError(_('config file {file} does not exist').format(file=file))
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(_('config file {file} is not valid TOML: {exc}').format(file=file, exc=exc)) from None
        config.path = file
        for section, table in data.items():
            if section not in DEFAULTS:
                raise ConfigError(_('unknown section [{section}] in {file}; known: {DEFAULTS}').format(section=section, file=file, DEFAULTS=', '.join(DEFAULTS)))
            if not isinstance(table, dict):
                raise ConfigError(_('[{section}] in {file} must be a table').format(section=section, file=file))
            for key, value in table.items():
                if key not in DEFAULTS[section]:
                    known = ", ".join(DEFAULTS[section])
                    raise ConfigError(_('unknown key [{section}] {key} in {file}; known keys: {known}').format(section=section, key=key, file=file, known=known))
                config.values[section][key] = _coerce(section, key, value, str(file))
                config.sources[(section, key)] = str(file)
    for section, keys in DEFAULTS.items():
        for key in keys:
            var = f"DUBAN_{section.upper()}_{key.upper()}"
            if var in environ:
                config.values[section][key] = _coerce(section, key, environ[var], f"${var}")
                config.sources[(section, key)] = f"${var}"
    _validate(config)
    return config
