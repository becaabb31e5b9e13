"""Configuration: built-in defaults < TOML file < environment (DUBAN_<SECTION>_<KEY>).

The file is `--config`, else $DUBAN_CONFIG, else ./duban.toml when it exists. Every key is declared
here with its type, so a typo or a wrong type is an error that names the key and the file.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from i18n import _

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SECRET_KEYS = {("wecom", "secret"), ("wecom", "token"), ("wecom", "encoding_aes_key"), ("web", "secret")}

# One class per section: the keys, their types and their defaults. `config.schedule.remind_at` reads a value;
# DEFAULTS (the plain dicts the file and the environment are merged into) is made from these.


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///duban.db"
    connect_timeout: float = 5.0
    statement_timeout: float = 30.0


@dataclass(frozen=True)
class WecomSettings:
    corp_id: str = ""
    agent_id: int = 0
    secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    api_base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    timeout: float = 10.0


@dataclass(frozen=True)
class ScheduleSettings:
    timezone: str = "Asia/Shanghai"
    remind_at: str = "09:10"
    dispatch_interval_seconds: int = 20
    digest_at: str = "mon 09:10"
    jitter_seconds: int = 120


@dataclass(frozen=True)
class ReminderSettings:
    before_working_days: list[int] = field(default_factory=lambda: [7, 3, 1])
    overdue_every_working_days: int = 3
    escalate_after_working_days: int = 3
    cooperate_stages: list[str] = field(default_factory=lambda: ["due_today", "overdue"])
    recent_progress_days: int = 7
    ongoing_cadence: str = "monthly"


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 12
    max_age_hours: int = 48
    messages_per_second: float = 50.0
    duplicate_check_interval: int = 1800


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    path: str = "/wecom/callback"
    reply_budget_seconds: float = 3.5
    request_timeout_seconds: float = 10.0
    replay_window_seconds: int = 600
    inbox_retention_days: int = 30


@dataclass(frozen=True)
class ChatSettings:
    admin_contact: str = "区政府办公室"
    commands_per_minute: int = 20
    undo_minutes: int = 30


@dataclass(frozen=True)
class EvidenceSettings:
    dir: str = ""
    max_file_mb: int = 20
    max_unit_mb: int = 500


@dataclass(frozen=True)
class CardSettings:
    reminders: str = "auto"
    prompt_minutes: int = 30


@dataclass(frozen=True)
class LogSettings:
    chat_text: bool = False


@dataclass(frozen=True)
class DigestSettings:
    attach_xlsx: bool = False
    attach_chart: bool = False
    attachments_dir: str = ""
    due_soon_days: int = 14


@dataclass(frozen=True)
class WebSettings:
    enabled: bool = True
    path: str = "/board"
    public_url: str = ""
    secret: str = ""
    admins: list[str] = field(default_factory=list)
    session_hours: int = 12
    link_hours: int = 168


@dataclass(frozen=True)
class UiSettings:
    language: str = ""


@dataclass(frozen=True)
class ImportSettings:
    max_file_mb: int = 20


SECTIONS: dict[str, type] = {
    "database": DatabaseSettings, "wecom": WecomSettings, "schedule": ScheduleSettings,
    "reminders": ReminderSettings, "outbox": OutboxSettings, "server": ServerSettings, "chat": ChatSettings,
    "evidence": EvidenceSettings, "cards": CardSettings, "log": LogSettings, "digest": DigestSettings,
    "web": WebSettings, "ui": UiSettings, "import": ImportSettings,
}
DEFAULTS: dict[str, dict[str, Any]] = {name: asdict(cls()) for name, cls in SECTIONS.items()}


class ConfigError(Exception):
    """A configuration mistake; the message names the key and where it came from."""


@dataclass
class Config:
    values: dict[str, dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULTS))
    sources: dict[tuple[str, str], str] = field(default_factory=dict)  # (section, key) -> "default" | file | env var
    path: Path | None = None

    def __getitem__(self, section: str) -> dict[str, Any]:
        """The section's values as a dict (to change them in tests and the demo); read them typed instead:
        `config.schedule.remind_at`."""
        return self.values[section]

    def _typed(self, section: str) -> Any:
        return SECTIONS[section](**self.values[section])  # built on each read: tests change values in place

    @property
    def database(self) -> DatabaseSettings:
        return self._typed("database")

    @property
    def wecom(self) -> WecomSettings:
        return self._typed("wecom")

    @property
    def schedule(self) -> ScheduleSettings:
        return self._typed("schedule")

    @property
    def reminders(self) -> ReminderSettings:
        return self._typed("reminders")

    @property
    def outbox(self) -> OutboxSettings:
        return self._typed("outbox")

    @property
    def server(self) -> ServerSettings:
        return self._typed("server")

    @property
    def chat(self) -> ChatSettings:
        return self._typed("chat")

    @property
    def evidence(self) -> EvidenceSettings:
        return self._typed("evidence")

    @property
    def cards(self) -> CardSettings:
        return self._typed("cards")

    @property
    def log(self) -> LogSettings:
        return self._typed("log")

    @property
    def digest(self) -> DigestSettings:
        return self._typed("digest")

    @property
    def web(self) -> WebSettings:
        return self._typed("web")

    @property
    def ui(self) -> UiSettings:
        return self._typed("ui")

    @property
    def import_(self) -> ImportSettings:
        return self._typed("import")

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
