"""Long-running things: the service itself and the local WeCom emulator."""

from __future__ import annotations

import click

from commands.common import App, pass_app


@click.command()
@click.option("--port", type=int, default=8001, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--webhook-key", "webhook_keys", multiple=True, help="Register a group-robot key (repeatable).")
@click.option("--token-lifetime", type=int, default=7200, show_default=True, help="Access token lifetime, seconds.")
def emulator(port: int, webhook_keys: tuple[str, ...], token_lifetime: int) -> None:
    """Run a local WeCom API emulator, to try duban before you have a WeCom app.

    It speaks WeCom's JSON (gettoken, message/send, appchat, webhook/send, media/upload, user/get) with
    WeCom's limits and error codes, and shows what was delivered at /emulator/messages. Point duban at it:

    \b
      DUBAN_WECOM_API_BASE_URL=http://127.0.0.1:8001/cgi-bin/
      DUBAN_WECOM_CORP_ID=ww_demo_corp DUBAN_WECOM_SECRET=demo-secret DUBAN_WECOM_AGENT_ID=1000002
    """
    from wecom.emulator import main

    argv = ["--port", str(port), "--token-lifetime", str(token_lifetime)]
    for key in webhook_keys:
        argv += ["--webhook-key", key]
    click.echo("WeCom emulator running; Ctrl-C stops it.")
    main(argv)


@click.command()
@click.option("--no-callback", is_flag=True, help="Do not serve the WeCom callback (reminders and digests only).")
@pass_app
def serve(app: App, no_callback: bool) -> None:
    """Run duban: daily reminders, weekly digests, the outbox dispatcher and the WeCom callback.

    Reminders go out at [schedule] remind_at on working days; the dispatcher sends the outbox every
    [schedule] dispatch_interval_seconds; the callback listens on [server] host:port path. Several
    `duban serve` on one database are safe: one schedules, the others stand by. SIGTERM stops cleanly.
    """
    from jobs.service import run_service

    app.connect()
    run_service(app.config, callback=not no_callback)
