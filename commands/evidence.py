"""`duban evidence …`: the files liaisons send (佐证材料) and their downloads from WeCom."""

from __future__ import annotations

import click

from commands.common import App, emit, json_option, pass_app, table
from i18n import _


@click.group()
def evidence() -> None:
    """Evidence files (佐证材料) liaisons send as photos, files and videos."""


@evidence.command("fetch")
@json_option
@pass_app
def evidence_fetch(app: App, as_json: bool) -> None:
    """Download the files people sent that are still waiting (`duban serve` does this every dispatcher pass),
    record them for their items and queue the confirmations (`duban outbox flush` sends them)."""
    from jobs.evidence import run_downloads
    from jobs.outbox import make_sender

    app.connect()
    result = run_downloads(app.config, make_sender(app.config).client)
    data = {"stored": result.done, "waiting": result.waiting, "retry": result.retried, "dead": result.dead}

    def render(d: dict) -> None:
        click.echo(_("Stored {stored}, waiting for the sender to name the item {waiting}, to retry {retry}, "
                     "given up {dead}.").format(**d))

    emit(data, as_json, render)


@evidence.command("downloads")
@click.option("--state", type=click.Choice(["pending", "waiting", "done", "dead"]), help="Only this state.")
@json_option
@pass_app
def evidence_downloads(app: App, state: str | None, as_json: bool) -> None:
    """List the newest downloads: who sent what, for which item, and what became of it."""
    from store.clock import clock
    from store.downloads import list_downloads

    app.connect()
    rows = [{"id": d.id, "sender": d.sender, "kind": d.kind, "filename": d.filename or "", "state": d.state,
             "attempts": d.attempts, "error": d.last_error or "",
             "sent_at": clock.to_local(d.sent_at).strftime("%Y-%m-%d %H:%M")} for d in list_downloads(state)]

    def render(data: list) -> None:
        table([[r["id"], r["sent_at"], r["sender"], r["kind"], r["filename"], r["state"], r["error"]] for r in data],
              [_("id"), _("sent"), _("sender"), _("kind"), _("file"), _("state"), _("error")])

    emit(rows, as_json, render)
