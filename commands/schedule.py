"""What runs on a clock: reminders, the working calendar, the scheduler service."""

from __future__ import annotations

import datetime as dt

import click

from commands.common import App, emit, json_option, label, parse_date, pass_app, table
from i18n import N_, _


def parse_at(value: str | None) -> dt.datetime | None:
    """`--at 2019-10-22` or `--at 2019-10-22T09:30`, in the configured timezone."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("{value!r} is not a date or datetime like 2019-10-22 or 2019-10-22T09:30").format(
            value=value), param_hint="--at") from None
    if len(value) == 10:
        when = when.replace(hour=9, minute=10)
    return when


WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))


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
    click.echo((_("{date} is now a working day.") if kind == "workday" else _("{date} is now a holiday.")).format(
        date=date))


@calendar.command("list")
@json_option
@pass_app
def calendar_list(app: App, as_json: bool) -> None:
    """List your overrides of the statutory calendar."""
    from store.calendar import list_overrides

    app.connect()
    emit(list_overrides(), as_json, lambda rows: table([[r["day"], label(r["kind"]), r["note"]] for r in rows],
                                                       [_("date"), _("kind"), _("note")]))


@calendar.command("check")
@click.argument("day", metavar="DATE")
@pass_app
def calendar_check(app: App, day: str) -> None:
    """Say whether DATE is a working day (statutory calendar plus overrides)."""
    from jobs.calendar import load_calendar, statutory_year_known

    date = parse_date(day)
    app.connect()
    cal = load_calendar()
    if date in cal.overrides:
        source = _("your override")
    elif statutory_year_known(date.year):
        source = _("statutory calendar")
    else:
        source = _("Monday-Friday fallback (year not known)")
    said = _("{date} ({weekday}) is a working day ({source}).") if cal.is_workday(date) else \
        _("{date} ({weekday}) is not a working day ({source}).")
    click.echo(said.format(date=date, weekday=_(WEEKDAYS[date.weekday()]), source=source))


def freeze_at(at: str | None) -> None:
    from store.clock import clock

    when = parse_at(at)
    if when is not None:
        clock.freeze(when)


@click.command()
@at_option
@click.option("--dry-run", is_flag=True, help="Show what would be sent; write nothing.")
@json_option
@pass_app
def remind(app: App, at: str | None, dry_run: bool, as_json: bool) -> None:
    """Plan today's reminders: what goes to whom and why (stage and deadline per item).

    Without --dry-run the messages are put in the outbox (sent by `duban serve` or `duban outbox flush`),
    each (assignment, deadline, stage) once: running it again the same day sends nothing new.
    """
    from jobs.calendar import load_calendar
    from jobs.reminders import plan_reminders, send_reminders
    from store.clock import clock

    app.connect()
    freeze_at(at)
    today, now = clock.today(), clock.utcnow()
    if dry_run:
        run = plan_reminders(today, now, app.config, load_calendar())
    else:
        from jobs.outbox import enqueue_message

        def enqueue(key: str, userid: str, text: str) -> int:
            return enqueue_message(key, "app", userid, text)[0].id

        run = send_reminders(today, now, app.config, load_calendar(), enqueue)
    if as_json:
        emit([m.as_dict() for m in run.messages], True, print)
        return
    if not run.workday:
        click.echo(_("{date} is not a working day: no reminders.").format(date=today))
        return
    for m in run.messages:
        said = _("escalation, {n} item(s)") if m.kind == "escalate" else _("reminder, {n} item(s)")
        click.echo(f"→ {m.name} ({m.userid}), {'、'.join(m.units)}: " + said.format(n=len(m.items)))
        for item in m.items:
            # the words the liaison reads (截止10月31日（还剩3个工作日）); the stage code is in --json
            click.echo(f"    {item.assignment.plan_code}{item.assignment.seq} {item.assignment.unit} {item.status}")
    for unit in run.unreachable:
        click.echo("! " + _("{unit} has items needing attention but no reachable contact (无联络员): {fix}").format(
            unit=unit, fix=f"`duban contact add --unit {unit} …`"))
    count = len(run.messages) if dry_run else run.enqueued
    if dry_run:
        click.echo(_("Would send {n} message(s) for {date}.").format(n=count, date=today))
    elif count:
        click.echo(_("Enqueued {n} message(s) for {date}. `duban serve` or `duban outbox flush` sends them.").format(
            n=count, date=today))
    else:
        click.echo(_("Enqueued {n} message(s) for {date}.").format(n=count, date=today))


@click.command()
@click.option("--offline", is_flag=True, help="Skip the WeCom token check.")
@json_option
@pass_app
def doctor(app: App, offline: bool, as_json: bool) -> None:
    """Check configuration, database, WeCom token, calendar coverage and data; say what to fix.

    Exit code 1 when something is an error (reminders would not go out).
    """
    from jobs.doctor import FAIL, Check, run_checks
    from store.clock import clock
    from store.db import StoreError, redact_url

    config = app.config
    try:
        app.connect()
        reachable = _("{url} is reachable and current").format(url=redact_url(config.database_url))
        checks = [Check("database", "ok", reachable)]
        checks += run_checks(config, clock.today(), online=not offline)
    except StoreError as exc:
        checks = [Check("database", FAIL, str(exc))]
    marks = {"ok": _("ok").ljust(4), "warning": _("WARN"), "error": _("FAIL")}
    emit([c.as_dict() for c in checks], as_json, lambda rows: [
        click.echo(f"[{marks[c['level']]}] {c['check']}: {c['message']}") for c in rows])
    if any(c.level == FAIL for c in checks):
        raise SystemExit(1)
