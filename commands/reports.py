"""What leaders and offices read: the weekly digest, the 台账 export, the unit scorecard and the status chart."""

from __future__ import annotations

import click

from commands.common import App, emit, json_option, label, parse_date, pass_app, table
from commands.schedule import at_option, freeze_at
from i18n import _


@click.command()
@at_option
@click.option("--group", "group_name", metavar="NAME", help="Only this leader group, due or not (still once a week).")
@click.option("--dry-run", is_flag=True, help="Show the digests; send nothing, log nothing.")
@json_option
@pass_app
def digest(app: App, at: str | None, group_name: str | None, dry_run: bool, as_json: bool) -> None:
    """Preview or send the weekly digest to leader groups (领导群).

    Without --group: the groups whose digest is due now (schedule day and time passed, moved to the next
    working day in a holiday week). With --group: that group now. Either way a group gets one digest per
    week: a second run in the same week sends nothing. JSON shows each part with its size in bytes and the
    figures behind it.
    """
    from jobs.calendar import load_calendar
    from jobs.digest import attaching, build_digest, due_digests, send_digests
    from store.clock import clock
    from store.db import StoreError
    from store.digest_data import leader_groups

    app.connect()
    freeze_at(at)
    calendar = load_calendar()
    now_utc, today = clock.utcnow(), clock.today()
    if group_name:
        groups = leader_groups([group_name])
        if not groups:
            raise StoreError(f"no leader group named {group_name!r}; see `duban leaders list`")
    else:
        groups = due_digests(clock.local_now(), app.config, calendar)
    if dry_run:
        digests = [build_digest(g, today, now_utc, app.config, calendar) for g in groups]
    else:
        digests = send_digests(clock.now(), app.config, calendar, groups=groups if group_name else None)
    if as_json:
        emit([d.as_dict() | {"sent": not dry_run} for d in digests], True, print)
        return
    if not digests:
        click.echo(_("No digest due.") if not group_name else
                   _("{group}: already sent this week, or nothing to report.").format(group=group_name))
        return
    for d in digests:
        sizes = ", ".join(str(len(p.encode())) for p in d.parts)
        click.echo("== " + _("{group} ({channel}, week {week}): {n} part(s), bytes {sizes} (limit {limit})").format(
            group=d.group, channel=label(d.channel), week=d.week, n=len(d.parts), sizes=sizes, limit=d.limit))
        for part in d.parts:
            click.echo(part)
            click.echo("--")
        if d.attachments:
            click.echo(_("attachments: {files}").format(files=", ".join(d.attachments)))
        elif dry_run and attaching(app.config):
            click.echo(_("attachments: the 台账 .xlsx and/or the status chart, as [digest] asks, rendered when sent"))
    if dry_run:
        click.echo(_("Would send {n} digest(s).").format(n=len(digests)))
    else:
        click.echo(_("Enqueued {n} digest(s). `duban serve` or `duban outbox flush` sends them.").format(n=len(digests)))


@click.command("export")
@click.option("--xlsx", "path", metavar="FILE", help="Write the 台账 to this .xlsx file.")
@click.option("--evidence", "evidence_dir", metavar="DIR",
              help="Copy every evidence file (佐证材料) to DIR, a folder per unit and item, with index.csv.")
@click.option("--plan", "plan_ref", metavar="PLAN", help="Plan code, id or title (default: every active plan).")
@at_option
@pass_app
def export(app: App, path: str | None, evidence_dir: str | None, plan_ref: str | None, at: str | None) -> None:
    """Export the plan's 台账 (ledger) as offices keep it: one row per task, overdue rows in light red; and/or
    the evidence files liaisons sent (--evidence)."""
    from store.clock import clock

    if not path and not evidence_dir:
        raise click.UsageError(_("give --xlsx FILE, --evidence DIR or both"))
    app.connect()
    freeze_at(at)
    if path:
        from jobs.ledger import export_ledger_xlsx

        rows = export_ledger_xlsx(path, plan_ref, clock.today())
        click.echo(_("Wrote {n} task row(s) to {path}.").format(n=rows, path=path))
    if evidence_dir:
        from jobs.evidence_export import export_evidence

        files = export_evidence(app.config, evidence_dir, plan_ref)
        click.echo(_("Copied {n} evidence file(s) to {path}, listed in index.csv.").format(n=files, path=evidence_dir))


@click.group()
def report() -> None:
    """Reports: the unit scorecard (单位评分) and the status chart."""


@report.command("scorecard")
@click.option("--plan", "plan_ref", metavar="PLAN", help="Plan code, id or title (default: every active plan).")
@click.option("--from", "start", metavar="DATE", help="First day of the period (default: the plan's issue date).")
@click.option("--to", "end", metavar="DATE", help="Last day of the period (default: today).")
@click.option("--xlsx", "path", metavar="FILE", help="Write the scorecard to this .xlsx file.")
@json_option
@at_option
@pass_app
def scorecard(app: App, plan_ref: str | None, start: str | None, end: str | None, path: str | None, as_json: bool,
              at: str | None) -> None:
    """Score each unit: on-time completion, overdue item-days, reminders answered in two working days,
    median reply time. The rules: docs/scorecard.md."""
    from jobs.calendar import load_calendar
    from jobs.ledger import build_scorecard, scorecard_xlsx
    from store.clock import clock

    if path and as_json:
        raise click.UsageError(_("choose --json or --xlsx, not both"))
    app.connect()
    freeze_at(at)
    card = build_scorecard(plan_ref, parse_date(start) if start else None, parse_date(end) if end else None,
                           clock.today(), load_calendar().working_days_between)
    if path:
        rows = scorecard_xlsx(path, card)
        click.echo(_("Wrote {n} unit row(s) to {path}.").format(n=rows, path=path))
        return

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    def render(data: dict) -> None:
        click.echo(_("Period {start} – {end} (plans {plans})").format(start=data["from"], end=data["to"],
                                                                       plans=", ".join(data["plans"])))
        table([[s.unit, s.due, s.on_time, pct(s.on_time_rate), s.overdue_item_days, s.reminders,
                f"{s.answered_in_time} ({pct(s.answer_rate)})",
                "-" if s.median_reply_hours is None else s.median_reply_hours]
               for s in card.scores],
              [_("unit"), _("due"), _("on time"), _("on-time rate"), _("overdue item-days"), _("reminders"),
               _("answered within 2 working days"), _("median reply (hours)")])

    emit(card.as_dict(), as_json, render)


@report.command("chart")
@click.option("--png", "path", required=True, metavar="FILE", help="Write the chart to this .png file.")
@click.option("--plan", "plan_ref", metavar="PLAN", help="Plan code, id or title (default: the only active plan).")
@at_option
@pass_app
def chart(app: App, path: str, plan_ref: str | None, at: str | None) -> None:
    """Draw status by unit (done / on track / overdue) as a PNG bar chart with Chinese labels."""
    from jobs.chart import FontMissing, render_status_chart_png
    from store.clock import clock

    app.connect()
    freeze_at(at)
    try:
        width, height = render_status_chart_png(path, plan_ref, clock.today())
    except FontMissing as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Wrote {path} ({width}×{height} px).").format(path=path, width=width, height=height))
