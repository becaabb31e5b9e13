"""Configuration: built-in defaults < TOML file < environment (DUBAN_<SECTION>_<KEY>).

The file is `--config`, else $DUBAN_CONFIG, else ./duban.toml when it exists. Every key is declared
here with its type, so a typo or a wrong type is an error that names the key and the file.
"""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
        raise ConfigError(f"{name} in {where} must be true or false, not {value!r}")
    if isinstance(default, int):
        try:
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} in {where} must be a whole number, not {value!r}") from None
    if isinstance(default, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} in {where} must be a number, not {value!r}") from None
    if isinstance(default, list):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"{name} in {where} must be a list, not {value!r}")
        item_type = type(default[0]) if default else str
        try:
            return [item_type(v) for v in value]
        except (TypeError, ValueError):
            raise ConfigError(f"{name} in {where} must be a list of {item_type.__name__}, not {value!r}") from None
    if not isinstance(value, str):
        raise ConfigError(f"{name} in {where} must be a string, not {value!r}")
    return value


def _validate(config: Config) -> None:
    where = lambda s, k: config.sources.get((s, k), "defaults")  # noqa: E731
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"[schedule] timezone in {where('schedule', 'timezone')} is not a known timezone: {config.timezone!r}"
        ) from None
    for key in ("remind_at",):
        value = config["schedule"][key]
        parts = value.split(":")
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[0]) > 23 or int(parts[1]) > 59:
            raise ConfigError(f"[schedule] {key} in {where('schedule', key)} must be HH:MM, not {value!r}")
    aes = config["wecom"]["encoding_aes_key"]
    if aes and len(aes) != 43:
        raise ConfigError(
            f"[wecom] encoding_aes_key in {where('wecom', 'encoding_aes_key')} must be 43 characters (it has {len(aes)})"
        )
    url = config.database_url
    if url.split(":", 1)[0].split("+")[0] not in ("sqlite", "postgresql", "postgres", "mysql", "mariadb"):
        raise ConfigError(f"[database] url in {where('database', 'url')} must start with sqlite:///, postgresql:// or mysql://")
    if config["server"]["port"] < 0 or config["server"]["port"] > 65535:
        raise ConfigError(f"[server] port in {where('server', 'port')} must be 0–65535")
    if not config["server"]["path"].startswith("/"):
        raise ConfigError(f"[server] path in {where('server', 'path')} must start with '/'")
    web_path = config["web"]["path"]
    if not web_path.startswith("/") or web_path == "/" or web_path.rstrip("/") == config["server"]["path"].rstrip("/"):
        raise ConfigError(f"[web] path in {where('web', 'path')} must start with '/' and differ from [server] path")
    for key in ("session_hours", "link_hours"):
        if config["web"][key] < 1:
            raise ConfigError(f"[web] {key} in {where('web', key)} must be at least 1")
    if config["ui"]["language"] not in ("", "zh", "en"):
        raise ConfigError(f"[ui] language in {where('ui', 'language')} must be \"zh\", \"en\" or empty (the locale decides)")
    if config["cards"]["reminders"] not in ("auto", "on", "off"):
        raise ConfigError(f"[cards] reminders in {where('cards', 'reminders')} must be auto, on or off")
    if config["import"]["max_file_mb"] < 1:
        raise ConfigError(f"[import] max_file_mb in {where('import', 'max_file_mb')} must be at least 1")
    for key in ("max_file_mb", "max_unit_mb"):
        if config["evidence"][key] < 1:
            raise ConfigError(f"[evidence] {key} in {where('evidence', key)} must be at least 1")
    for days in config["reminders"]["before_working_days"]:
        if days < 1:
            raise ConfigError("[reminders] before_working_days must hold positive numbers")


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
            raise ConfigError(f"config file {file} does not exist")
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
        config.path = file
        for section, table in data.items():
            if section not in DEFAULTS:
                raise ConfigError(f"unknown section [{section}] in {file}; known: {', '.join(DEFAULTS)}")
            if not isinstance(table, dict):
                raise ConfigError(f"[{section}] in {file} must be a table")
            for key, value in table.items():
                if key not in DEFAULTS[section]:
                    known = ", ".join(DEFAULTS[section])
                    raise ConfigError(f"unknown key [{section}] {key} in {file}; known keys: {known}")
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
