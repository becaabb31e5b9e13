"""What every command module shares: the app context, output helpers, error handling."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import click

from i18n import N_, _
from store.config import Config, ConfigError, load_config
from store.db import StoreError

# Errors a user can fix: printed as one line, exit 1, never a traceback.
USER_ERRORS: tuple[type[Exception], ...] = (StoreError, ConfigError)


def _user_error_types() -> tuple[type[Exception], ...]:
    from plan.tables import TableReadError

    extra: list[type[Exception]] = [TableReadError]
    from plan.readers.base import PlanReadError

    extra.append(PlanReadError)
    return USER_ERRORS + tuple(extra)


class DubanGroup(click.Group):
    """Turns the errors a user can fix into a one-line message and exit code 1; speaks the admin's language."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        from commands.localize import choose_for_run

        choose_for_run(self, args)
        return super().main(args, *rest, **kwargs)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        from commands.localize import localize

        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            localize(command)
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _user_error_types() as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(_("Error: {message}").format(message=" ".join(str(exc).split("\n", 1)[:1]) + (
                "\n" + str(exc).split("\n", 1)[1] if "\n" in str(exc) else "")), err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - anything else: one line, the traceback with --debug
            if ctx.params.get("debug") or ctx.parent is not None:
                raise
            from commands.errors import describe

            said = describe(exc)
            if said is None:
                said = _("unexpected {kind}: {detail} (run again with --debug for the traceback)").format(
                    kind=type(exc).__name__, detail=" ".join(str(exc).split())[:300])
            click.echo(_("Error: {message}").format(message=said), err=True)
            ctx.exit(1)


class App:
    """What a command needs: the configuration and, on first use, the database."""

    def __init__(self, config_path: str | None, today: dt.date | None = None) -> None:
        from store.files import use_private_umask

        use_private_umask()  # every file and folder duban creates is its user's alone (0600 / 0700)
        self.config_path = config_path
        self.today = today
        self._config: Config | None = None
        self._connected = False

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            from store.clock import clock
            from wecom.log_scrub import install_scrubbing

            install_scrubbing(self._config)  # secrets never reach a log line

            clock.set_timezone(self._config.timezone)
            if self.today is not None:
                clock.shift_to(self.today)
        return self._config

    def connect(self, require_schema: bool = True) -> None:
        if self._connected:
            return
        from store import db, schema

        d = self.config.database
        db.connect(self.config.database_url, connect_timeout=float(d.connect_timeout),
                   statement_timeout=float(d.statement_timeout))
        self._connected = True
        if require_schema:
            schema.require_current()


pass_app = click.make_pass_decorator(App)


def emit(data: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        render(data)


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


# Codes that stay in --json; people read these words instead.
LABELS = {
    "liaison": N_("liaison"), "leader": N_("leader"),
    "webhook": N_("group robot"), "appchat": N_("app group chat"), "app": N_("app message"),
    "lead": N_("lead"), "responsible": N_("responsible"), "cooperate": N_("cooperate"), "guide": N_("guide"),
    "open": N_("open"), "done": N_("done"), "overdue": N_("overdue"), "due_soon": N_("due soon"),
    "on_track": N_("on track"), "pending": N_("pending"), "approved": N_("approved"), "rejected": N_("rejected"),
    "active": N_("active"), "replaced": N_("replaced"), "archived": N_("archived"),
    "queued": N_("queued"), "sending": N_("sending"), "sent": N_("sent"), "failed": N_("failed"), "dead": N_("dead"),
    "held": N_("held"), "unknown": N_("unknown"), "cancelled": N_("cancelled"),
    "workday": N_("working day"), "holiday": N_("holiday"), "unit": N_("unit"), "group": N_("unit group"),
    # calendar sources (jobs.calendar OVERRIDE, NOTICE, STATUTORY, FALLBACK)
    "override": N_("your override"), "notice": N_("imported notice"), "chinesecalendar": N_("chinesecalendar package"),
    "monday-friday": N_("Monday–Friday"),
}


def label(code: str | None) -> str:
    """The word people read for a stored code (unknown codes are shown as they are)."""
    if not code:
        return ""
    return _(LABELS[code]) if code in LABELS else code





def table(rows: list[list[Any]], header: list[str]) -> None:
    """A plain aligned table; wide (Chinese) characters count as two columns."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        click.echo("  ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(row)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))
    if not rows:
        click.echo(_("(none)"))


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("{value!r} is not a date like 2019-10-31").format(value=value)) from None
