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


# The names of doctor's checks, as people read them (the names themselves are in --json).
CHECK_NAMES = (N_("calendar"), N_("calendar next year"), N_("configuration"), N_("contact problems"),
               N_("contacts"), N_("database"), N_("database charset"), N_("delivery"), N_("outbox dead"),
               N_("outbox held"), N_("outbox unknown"), N_("robot key"), N_("shared robot key"), N_("unit groups"),
               N_("unit phrases"), N_("wecom callback"), N_("wecom sending"), N_("wecom token"))
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))


def at_option(f):
    return click.option("--at", "at", metavar="DATETIME",
                        help="Pretend it is this local date or time (2019-10-22, 2019-10-22T09:30).")(f)


@click.group()
def calendar() -> None:
    """The working calendar: holidays and 调休 make-up days, and where they come from.

    Your overrides (`set`) win over an imported State Council notice (`import`), which wins over the
    chinesecalendar package (2004–2026); a year none of them knows counts Monday–Friday.
    """


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
    """Say whether DATE is a working day, and which source said so.

    Sources, strongest first: your override (`calendar set`), an imported State Council notice
    (`calendar import`), the chinesecalendar package (2004–2026), else Monday–Friday.
    """
    from jobs.calendar import NOTICE, OVERRIDE, STATUTORY, load_calendar

    date = parse_date(day)
    app.connect()
    cal = load_calendar()
    source = cal.source(date)
    name = cal.day_name(date)
    if source == OVERRIDE:
        said = _("your override (`duban calendar set`)")
    elif source == NOTICE and date in cal.notice:
        said = _("imported notice {title}").format(title=cal.notice[date][2])
    elif source == NOTICE:
        said = _("Monday–Friday: the imported {year} notice does not name this day").format(year=date.year)
    elif source == STATUTORY:
        said = _("chinesecalendar package")
    else:
        said = _("Monday–Friday fallback: {year} is not known; `duban calendar import` its notice").format(
            year=date.year)
    cal.warned_years.add(date.year)  # the line below says what an unknown year means; no English log line too
    word = _("a working day") if cal.is_workday(date) else _("not a working day")
    named = f" ({name})" if name else ""
    click.echo(_("{date} ({weekday}) is {word}{name}; source: {source}.").format(
        date=date, weekday=_(WEEKDAYS[date.weekday()]), word=word, name=named, source=said))


@calendar.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Read and compare; store nothing.")
@json_option
@pass_app
def calendar_import(app: App, files: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Read the State Council's holiday notice and store that year's days off and make-up working days.

    FILE is the notice 国务院办公厅关于XXXX年部分节假日安排的通知 as .txt (copied from gov.cn or a news
    site; UTF-8 or GBK), .docx, .html (a saved web page), or - for standard input. Junk lines around it,
    Traditional characters and full-width punctuation are fine. Several files are read in order, later
    ones amending earlier ones (e.g. the 2020 notice, then 关于延长2020年春节假期的通知). Importing a
    year again replaces that year. Where chinesecalendar also knows the year, every day they disagree on is
    listed. A text that is not a notice, or contradicts itself, is refused and nothing is stored.

    \b
    Each November, when next year's notice is out:
      duban calendar import 通知.txt --dry-run
      duban calendar import 通知.txt
      duban calendar show 2027
    """
    import sys

    from plan.holiday_files import read_notice
    from plan.holidays import NoticeError
    from store.holidays import import_notices

    named = []
    for path in files:
        if path == "-":
            named.append(("-", sys.stdin.buffer.read()))
        else:
            with open(path, "rb") as handle:
                named.append((path, handle.read()))
    app.connect()
    try:
        result = import_notices([read_notice(data, name) for name, data in named], dry_run=dry_run)
    except NoticeError as exc:
        raise click.ClickException(_("{error}; nothing was stored").format(error=exc)) from None
    if as_json:
        emit(result.as_json(), True, print)
        return
    for year in result.years:
        names = list(dict.fromkeys(year.days[day][1] for day in sorted(year.days)))
        click.echo(_("{year}: {off} day(s) off, {on} make-up working day(s) ({names})").format(
            year=year.year, off=len(year.holidays()), on=len(year.workdays()), names="; ".join(names)))
    kinds = {"holiday": _("a day off"), "workday": _("a working day")}
    for d in result.disagreements:
        line = _("! {day}: the notice says {notice}, chinesecalendar says {statutory}") if d["in_notice"] else \
            _("! {day}: not in the notice (so {notice}), chinesecalendar says {statutory}")
        click.echo(line.format(day=d["day"], notice=kinds[d["notice"]], statutory=kinds[d["chinesecalendar"]])
                   + (f" — {d['name']}" if d["name"] else ""))
    if dry_run:  # the days it read, as `calendar show` would list them once stored
        table([[day.isoformat(), "一二三四五六日"[day.weekday()], label(kind), name]
               for year in result.years for day, (kind, name, _source) in sorted(year.days.items())],
              [_("date"), "周", _("kind"), _("holiday name")])
        click.echo(_("Dry run: nothing stored."))
    else:
        click.echo(_("Stored {count} day(s); `duban calendar show YEAR` lists them.").format(count=result.stored))


@calendar.command("show")
@click.argument("year", type=int)
@json_option
@pass_app
def calendar_show(app: App, year: int, as_json: bool) -> None:
    """List YEAR's days off and make-up working days, each with its name and source."""
    from jobs.calendar import calendar_year

    app.connect()
    rows = calendar_year(year)
    emit(rows, as_json, lambda rs: table(
        [[r["day"], "一二三四五六日"[r["weekday"] - 1], label(r["kind"]), r["name"], label(r["source"])] for r in rs],
        [_("date"), "周", _("kind"), _("holiday name"), _("source")]))


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
    from jobs.reminders import item_status, plan_reminders, send_reminders
    from store.clock import clock

    app.connect()
    freeze_at(at)
    today, now = clock.today(), clock.utcnow()
    if dry_run:
        run = plan_reminders(today, now, app.config, load_calendar())
    else:
        run = send_reminders(today, now, app.config, load_calendar())
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
            click.echo(f"    {item.assignment.plan_code}{item.assignment.seq_label} {item.assignment.unit} "
                       f"{item_status(item)}")
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
    marks = {"ok": _("ok"), "warning": _("WARN"), "error": _("FAIL")}
    wide = max(len(m) for m in marks.values())
    marks = {level: mark.ljust(wide) for level, mark in marks.items()}
    emit([c.as_dict() for c in checks], as_json, lambda rows: [
        click.echo(f"[{marks[c['level']]}] {_(c['check'])}: {c['message']}") for c in rows])
    if any(c.level == FAIL for c in checks):
        raise SystemExit(1)
