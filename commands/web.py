"""The status board (看板): its wiring for `duban serve`, and `duban web open`."""

from __future__ import annotations

import click

from commands.common import App, pass_app
from i18n import _


def board_services(config, refresh_seconds: float | None = None):
    """What web/ needs from jobs/ and store/ (web/ itself never imports jobs/)."""
    from jobs.calendar import load_calendar
    from store.evidence import evidence_dir
    from web.services import BoardServices

    def write_ledger(path, codes, today, unit_ids):
        from jobs.ledger import export_ledger_xlsx
        from store.models import Unit

        names = None
        if unit_ids is not None:
            names = {n for (n,) in Unit.select(Unit.name).where(Unit.id.in_(list(unit_ids) or [0])).tuples()}
        return export_ledger_xlsx(path, codes[0] if len(codes) == 1 else None, today, names)

    return BoardServices(calendar=load_calendar, write_ledger=write_ledger, evidence_dir=evidence_dir(config),
                         refresh_seconds=refresh_seconds)


def mount_board(flask_app, config, refresh_seconds: float | None = None):
    """Add the board to a Flask app (the callback's, or a fresh one); returns the app. With `refresh_seconds`,
    a thread keeps the board's figures recomputed after changes (stop it with `stop_board`)."""
    from web import register_board

    return register_board(flask_app, config, board_services(config, refresh_seconds))


def stop_board(flask_app) -> None:
    refresher = flask_app.extensions.get("duban_board_refresher")
    if refresher is not None:
        refresher.stop()


def board_base_url(config) -> str:
    web = config.web
    if web.public_url:
        return web.public_url.rstrip("/") + web.path.rstrip("/")
    server = config.server
    return f"http://{server.host}:{server.port}{web.path.rstrip('/')}"


@click.group()
def web() -> None:
    """The status board (看板) `duban serve` shows at [web] path beside the callback.

    Leaders sign in from WeCom (web OAuth) and see every plan; a liaison sees their own units. Digests to
    leader groups carry a signed link that opens the overview read-only ([web] public_url must be set).
    """


@web.command("open")
@click.option("--as", "userid", required=True, metavar="USERID", help="Sign in as this WeCom userid (a contact or admin).")
@pass_app
def web_open(app: App, userid: str) -> None:
    """Print a link that signs in to the board as USERID, valid for 10 minutes (for trying the board)."""
    from store.board_data import board_viewer
    from store.clock import clock
    from store.db import StoreError
    from web.auth import signin_link

    app.connect()
    if board_viewer(userid, app.config.web.admins, clock.today()) is None:
        raise StoreError(_("{userid} is not an active contact, an admin or a leader-group member: the board would refuse "
                           "them").format(userid=userid))
    click.echo(signin_link(app.config, board_base_url(app.config), userid))
