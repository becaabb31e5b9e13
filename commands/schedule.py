"""What runs on a clock: reminders, the working calendar, the scheduler service."""

from __future__ import annotations

import datetime as dt

import click

from commands.common import App, emit, json_option, parse_date, pass_app, table


def parse_at(value: str | None) -> dt.datetime | None:
    """`--at 2019-10-22` or `--at 2019-10-22T09:30`, in the configured timezone."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or datetime like 2019-10-22 or 2019-10-22T09:30",
                                 param_hint="--at") from None
    if len(value) == 10:
        when = when.replace(hour=9, minute=10)
    return when


def at_option(f):
    return click.option("--at", "at", metavar="DATETIME",
                        help="Pretend it is this local date or time (2019-10-22, 2019-10-22T09:30).")(f)


@click.group()
def calendar() -> None:
    """The working calendar: statutory holidays and 调休 days, plus your overrides."""


@calendar.command("set")
@click.argument("day", metavar="DATE")
@click.argument("kind", type=click.Choice(["workday", "holiday"]))
@click.option("--note", default="", help="Why (e.g. 区里统一补休).")
@pass_app
def calendar_set(app: App, day: str, kind: str, note: str) -> None:
    """Make DATE a working day or a holiday whatever the statutory calendar says."""
    from store.calendar import set_override

    date = parse_date(day)
    app.connect()
    set_override(date, kind, note)
    click.echo(f"{date} is now a {kind}.")


@calendar.command("list")
@json_option
@pass_app
def calendar_list(app: App, as_json: bool) -> None:
    """List your overrides of the statutory calendar."""
    from store.calendar import list_overrides

    app.connect()
    emit(list_overrides(), as_json, lambda rows: table([[r["day"], r["kind"], r["note"]] for r in rows],
                                                       ["date", "kind", "note"]))


@calendar.command("check")
@click.argument("day", metavar="DATE")
@pass_app
def calendar_check(app: App, day: str) -> None:
    """Say whether DATE is a working day (statutory calendar plus overrides)."""
    from jobs.calendar import load_calendar, statutory_year_known

    date = parse_date(day)
    app.connect()
    cal = load_calendar()
    word = "a working day" if cal.is_workday(date) else "not a working day"
    source = "override" if date in cal.overrides else (
        "statutory calendar" if statutory_year_known(date.year) else "Monday-Friday fallback (year not known)")
    click.echo(f"{date} ({date:%A}) is {word} ({source}).")
