"""duban (督办): the command line. Each command parses its options, calls one library function, prints.

Exit codes: 0 ok, 1 a data or configuration error (nothing was written), 2 a usage error.
The commands live in commands/, one module per area; this file is the root and the wiring.
"""

from __future__ import annotations

import json
import sys

import click

from commands import admin, chatops, delivery, demo, extensions, plans, reports, schedule, service, web
from commands.common import App, DubanGroup, emit, json_option, pass_app
from commands.evidence import evidence as evidence_group
from i18n import _

# --- root ------------------------------------------------------------------------------------------------------


@click.group(cls=DubanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="Configuration file (default: $DUBAN_CONFIG, else ./duban.toml if present).",
)
@click.option("--today", metavar="DATE", envvar="DUBAN_TODAY",
              help="Run as if today were DATE (YYYY-MM-DD), e.g. to try the 2019 sample plan; also $DUBAN_TODAY.")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines as text or as one JSON object each (for log collectors).")
@click.version_option(package_name="duban")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, today: str | None, debug: bool, log_format: str) -> None:
    """督办 duban keeps a task-division plan (分工方案) on schedule through WeCom.

    \b
    First steps:
      duban demo                          watch it work on a sample plan (no WeCom needed)
      duban init                          create or upgrade the database
      duban plan import plan.docx         import a plan (.txt, .docx, .xlsx, .csv, .html, .pdf)
      duban contact import contacts.xlsx  who the liaisons (联络员) and leaders are
      duban serve                         remind, collect replies, post digests
    """
    from commands.common import parse_date

    ctx.obj = App(config_path, parse_date(today) if today else None)
    ctx.obj.log_format = log_format
    if today:
        ctx.obj.config  # noqa: B018 - sets the clock's timezone, then shifts it
        click.echo(_("[as of {date}: --today / DUBAN_TODAY is set, duban runs as if today were this date]").format(
            date=today), err=True)


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the database, or upgrade it to this version's schema (safe to run again)."""
    from store import schema
    from store.db import redact_url

    app = ctx.find_object(App)
    app.connect(require_schema=False)
    before, after = schema.upgrade()
    where = redact_url(app.config.database_url)
    if before == after:
        click.echo(_("Database {where} is up to date (schema version {version}): nothing to do.").format(
            where=where, version=after))
    elif before == 0:
        click.echo(_("Created database {where} (schema version {version}).").format(where=where, version=after))
    else:
        click.echo(_("Upgraded database {where} from schema version {old} to {new}.").format(
            where=where, old=before, new=after))
    from jobs.doctor_delivery import check_charset

    for problem in check_charset():
        click.echo(_("Error: {message}").format(message=problem.message), err=True)
        ctx.exit(1)


@cli.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@json_option
@pass_app
def config_show(app: App, as_json: bool) -> None:
    """Print the effective configuration (defaults < file < DUBAN_* environment), secrets masked."""
    cfg = app.config
    values = cfg.masked()

    def render(values: dict) -> None:
        click.echo("# " + _("file: {path}").format(path=cfg.path or _("(none, built-in defaults)")))
        for section, keys in values.items():
            click.echo(f"\n[{section}]")
            for key, value in keys.items():
                source = cfg.sources.get((section, key))
                note = "  # " + _("from {source}").format(source=source) if source else ""
                click.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}{note}")

    emit(values, as_json, render)



for group_command in (admin.unit, admin.group, admin.contact, admin.leaders, plans.plan, plans.task,
                      schedule.calendar, schedule.remind, schedule.doctor,
                      service.emulator, service.serve, delivery.notify, delivery.outbox, delivery.wecom,
                      chatops.say, chatops.callback, reports.digest, reports.export, reports.report, demo.demo,
                      extensions.extension, web.web, evidence_group):
    cli.add_command(group_command)


def main() -> None:
    cli(prog_name="duban")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
