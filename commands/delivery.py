"""Getting messages out: `duban notify`, the outbox (`duban outbox …`) and the WeCom check (`duban wecom check`)."""

from __future__ import annotations

import hashlib

import click

from commands.common import App, emit, json_option, label, pass_app, table
from i18n import _, ngettext

# --- notify ----------------------------------------------------------------------------------------------------


@click.command()
@click.option("--unit", "units", multiple=True, metavar="UNIT", help="The liaisons of this unit (repeatable).")
@click.option("--group", "groups", multiple=True, metavar="GROUP",
              help="The liaisons of every unit in this unit group (repeatable).")
@click.option("--all-liaisons", is_flag=True, help="Every active liaison.")
@click.option("--userid", "userids", multiple=True, metavar="ID", help="This contact (repeatable).")
@click.argument("text")
@pass_app
def notify(app: App, units: tuple[str, ...], groups: tuple[str, ...], all_liaisons: bool,
           userids: tuple[str, ...], text: str) -> None:
    """Send TEXT to liaisons as one WeCom app message, through the outbox.

    \b
      duban notify --unit 区财政局 --unit 区审计局 "请于周五前报送进度"
      duban notify --group 区政府各部门 "…"
      duban notify --all-liaisons "…"
    Running the same command again within the same minute enqueues nothing new.
    """
    from jobs.outbox import enqueue_message
    from store.clock import clock
    from store.contacts import notify_recipients

    if not (units or groups or all_liaisons or userids):
        raise click.UsageError(_("say who: --unit, --group, --all-liaisons or --userid"))
    if not text.strip():
        raise click.UsageError(_("the notice text is empty"))
    app.connect()
    found = notify_recipients(units, groups, all_liaisons, userids)
    minute = clock.utcnow().strftime("%Y%m%d%H%M")
    digest = hashlib.sha256("\n".join([text, "|".join(sorted(found.userids)), minute]).encode("utf-8"))
    rows = enqueue_message(f"notify:{minute}:{digest.hexdigest()[:32]}", "app", "|".join(found.userids), text)
    for unit_name in found.without_liaison:
        click.echo("! " + _("{unit} has no reachable liaison: nobody there gets this notice.").format(unit=unit_name),
                   err=True)
    if found.skipped:
        click.echo("! " + _("left out (WeCom could not reach them, see `duban contact list`): {names}").format(
            names=", ".join(found.skipped)), err=True)
    if not any(getattr(r, "inserted", True) for r in rows):
        click.echo(_("This notice was already enqueued this minute (same text and recipients): nothing new."))
        return
    interval = app.config.schedule.dispatch_interval_seconds
    people = ngettext("Enqueued a notice to {n} person in {parts} outbox message(s).",
                      "Enqueued a notice to {n} people in {parts} outbox message(s).", len(found.userids))
    click.echo(people.format(n=len(found.userids), parts=len(rows)) + " "
               + _("`duban serve` sends it within {seconds} s; to send it now run `duban outbox flush`.").format(
                   seconds=interval))


# --- outbox ----------------------------------------------------------------------------------------------------


@click.group()
def outbox() -> None:
    """The outbox: every message duban sends waits here until WeCom has it."""


@outbox.command("list")
@click.option("--state", type=click.Choice(["pending", "sending", "sent", "failed", "dead", "unknown"]),
              help="Only messages in this state (unknown: a robot or group chat may or may not have got it).")
@click.option("--limit", type=int, default=200, show_default=True, help="At most this many, newest first.")
@json_option
@pass_app
def outbox_list(app: App, state: str | None, limit: int, as_json: bool) -> None:
    """List outbox messages, newest first, with counts by state."""
    from store.outbox import counts_by_state, list_outbox

    app.connect()
    rows = list_outbox(state, limit)
    if as_json:
        emit({"counts": counts_by_state(), "messages": rows}, True, print)
        return
    table([[r["id"], label(r["state"]), label(r["channel"]), r["target"], r["attempts"],
            r["next_try_at"] or r["sent_at"] or "", (r["last_error"] or "")[:60], r["preview"]] for r in rows],
          [_("id"), _("state"), _("channel"), _("to"), _("tries"), _("next try / sent"), _("last error"), _("text")])
    counts = counts_by_state()
    click.echo("  ".join(f"{label(k)}: {v}" for k, v in counts.items()))


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--dead", "all_dead", is_flag=True, help="Every dead message.")
@pass_app
def outbox_retry(app: App, ids: tuple[int, ...], all_dead: bool) -> None:
    """Send failed, dead or unknown messages again (by ID, or all dead ones with --dead).

    A robot or group-chat message whose outcome is unknown (`duban outbox list --state unknown`) is never
    resent by itself: check the group first, since retrying it may post it twice.
    """
    from store.outbox import retry, retry_dead

    if bool(ids) == all_dead:
        raise click.UsageError(_("give message IDs or --dead (not both)"))
    app.connect()
    count = retry_dead() if all_dead else retry(list(ids))
    click.echo(_("{n} message(s) will be sent again by `duban serve` or `duban outbox flush`.").format(n=count))


@outbox.command("arrived")
@click.argument("ids", nargs=-1, type=int, required=True)
@pass_app
def outbox_arrived(app: App, ids: tuple[int, ...]) -> None:
    """Mark unknown messages as delivered: you checked the group and they did arrive.

    The other answer to `duban outbox list --state unknown` (the first is `duban outbox retry ID`).
    """
    from store.outbox import confirm_arrived

    app.connect()
    count = confirm_arrived(list(ids))
    click.echo(_("{n} message(s) marked as delivered.").format(n=count))


@outbox.command("flush")
@json_option
@click.pass_context
def outbox_flush(ctx: click.Context, as_json: bool) -> None:
    """Send everything due now. Exit 0 when all of it went out, 1 when some failed, died or were held."""
    from jobs.outbox import Dispatcher, make_sender

    app = ctx.find_object(App)
    app.connect()
    result = Dispatcher(make_sender(app.config), app.config).flush()

    def render(_data: dict) -> None:
        click.echo(_("Sent {n} message(s).").format(n=result.sent))
        if result.deferred:
            click.echo(_("{n} held back by WeCom's rate limits (20 a minute per robot, 30 a minute per person): they "
                         "go out within a minute, run flush again or let `duban serve` send them.").format(
                n=result.deferred))
        if result.failed:
            click.echo(_("{n} failed and will be retried (see `duban outbox list --state failed`).").format(
                n=result.failed))
        for alert in result.alerts:
            click.echo(f"! {alert}", err=True)
        for row_id, reason in result.unknown_rows:
            click.echo("! " + _("message {id}: {reason}").format(id=row_id, reason=reason), err=True)
        for row_id, reason in result.dead_rows:
            click.echo("! " + _("message {id} is dead: {reason} (fix, then `duban outbox retry {id}`)").format(
                id=row_id, reason=reason), err=True)
        if result.unreachable:
            click.echo("! " + _("WeCom did not deliver to: {names} (marked in `duban contact list`)").format(
                names=", ".join(result.unreachable)), err=True)
        click.echo(_("{n} message(s) left unsent in the outbox.").format(n=result.remaining))

    emit(result.as_dict(), as_json, render)
    if not result.all_sent:
        ctx.exit(1)


# --- wecom -----------------------------------------------------------------------------------------------------


@click.group()
def wecom() -> None:
    """WeCom (企业微信) connection checks."""


@wecom.command("check")
@json_option
@click.pass_context
def wecom_check(ctx: click.Context, as_json: bool) -> None:
    """Fetch an access token, look up every contact's userid in WeCom, and report robot keys WeCom refused,
    held and dead messages and groups sharing a key. Exit 1 when anything is wrong."""
    from jobs.doctor_delivery import FAIL, check_delivery
    from jobs.wecom_check import check_wecom

    app = ctx.find_object(App)
    app.connect()
    result = check_wecom(app.config)
    delivery = check_delivery()
    failing = any(c.level == FAIL for c in delivery)

    def render(_data: dict) -> None:
        for error in result.errors:
            click.echo(f"! {error}", err=True)
        if not result.token_ok:
            return
        w = app.config.wecom
        click.echo(_("WeCom access token: ok (corp {corp}, agent {agent}, API {api}).").format(
            corp=w.corp_id, agent=w.agent_id, api=w.api_base_url))
        click.echo(_("Contacts checked: {n}, problems: {problems}.").format(n=result.checked,
                                                                         problems=len(result.users)))
        for p in result.users:
            click.echo(f"! {p.name} ({p.userid}), {p.unit}: {p.reason}", err=True)
        for c in delivery:
            click.echo(f"! {c.message}", err=True)
        if result.ok and not failing:
            click.echo(_("Everything WeCom can tell us looks right."))

    emit(result.as_dict() | {"delivery": [c.as_dict() for c in delivery]}, as_json, render)
    if not result.ok or failing:
        ctx.exit(1)
