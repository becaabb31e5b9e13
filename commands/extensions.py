"""Extension requests (延期申请): the admin decides when no leader does."""

from __future__ import annotations

import click

from commands.common import App, emit, json_option, label, pass_app, table
from i18n import _


@click.group()
def extension() -> None:
    """Extension requests (延期) liaisons made in chat: list them, approve or reject."""


@extension.command("list")
@click.option("--state", type=click.Choice(["pending", "approved", "rejected", "withdrawn", "all"]), default="pending",
              show_default=True)
@json_option
@pass_app
def extension_list(app: App, state: str, as_json: bool) -> None:
    """List extension requests (pending ones by default)."""
    from store.chatdata import list_extensions

    app.connect()
    rows = list_extensions(None if state == "all" else state)
    emit(rows, as_json, lambda rows: table(
        [[r["id"], f"{r['plan']}{r['seq']}", r["unit"], r["new_due"], label(r["state"]), r["requested_by"], r["reason"]]
         for r in rows],
        [_("id"), _("task"), _("unit"), _("new due"), _("state"), _("asked by"), _("reason")],
    ))


def _decide(app: App, extension_id: int, approve: bool, note: str) -> None:
    from chat.leaders import decide_as_admin
    from jobs.outbox import enqueue_message
    from store.chatdata import ChatDataError
    from store.clock import clock
    from store.db import StoreError
    from store.reminders import active_plan_count

    app.connect()
    try:
        decided, told = decide_as_admin(extension_id, approve, note, clock.utcnow(), clock.today(),
                                        active_plan_count() > 1, app.config.chat.admin_contact,
                                        enqueue_message)
    except ChatDataError as exc:
        raise StoreError(str(exc)) from None
    facts = {"id": decided.id, "unit": decided.assignment.unit.name, "seq": decided.assignment.task.seq,
             "due": decided.new_due, "n": told}
    if approve:
        said = _("Approved extension {id} ({unit}, task {seq}); the due date is now {due}.")
    else:
        said = _("Rejected extension {id} ({unit}, task {seq}).")
    click.echo(said.format(**facts) + " "
               + _("{n} liaison(s) will be told (`duban outbox flush` or `duban serve`).").format(**facts))


@extension.command("approve")
@click.argument("extension_id", type=int, metavar="ID")
@click.option("--note", default="", help="A remark passed on to the liaison.")
@pass_app
def extension_approve(app: App, extension_id: int, note: str) -> None:
    """Approve request ID: the unit's due date moves to the requested date; the liaison is told."""
    _decide(app, extension_id, True, note)


@extension.command("reject")
@click.argument("extension_id", type=int, metavar="ID")
@click.option("--reason", required=True, help="Why (told to the liaison).")
@pass_app
def extension_reject(app: App, extension_id: int, reason: str) -> None:
    """Reject request ID: the due date stays; the liaison is told why."""
    _decide(app, extension_id, False, reason)
