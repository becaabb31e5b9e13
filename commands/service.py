"""Long-running things: the service itself and the local WeCom emulator."""

from __future__ import annotations

import click

from commands.common import App, pass_app
from i18n import _


@click.command()
@click.option("--port", type=int, default=8001, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--webhook-key", "webhook_keys", multiple=True, help="Register a group-robot key (repeatable).")
@click.option("--token-lifetime", type=int, default=7200, show_default=True, help="Access token lifetime, seconds.")
@click.option("--write-config", "config_file", metavar="FILE",
              help="First write FILE (e.g. duban.toml) pointing duban at this emulator, with a generated callback "
                   "token and AES key; an existing FILE is kept.")
def emulator(port: int, webhook_keys: tuple[str, ...], token_lifetime: int, config_file: str | None) -> None:
    """Run a local WeCom API emulator, to try duban before you have a WeCom app.

    It speaks WeCom's JSON (gettoken, message/send, appchat, webhook/send, media/upload, user/get) with
    WeCom's limits and error codes, and shows what was delivered at /emulator/messages. It also serves
    WeCom's web sign-in page (connect/oauth2/authorize, asking which userid you are) for the status board.
    Point duban at it with `--write-config duban.toml`, or by hand:

    \b
      DUBAN_WECOM_API_BASE_URL=http://127.0.0.1:8001/cgi-bin/
      DUBAN_WECOM_CORP_ID=ww_demo_corp DUBAN_WECOM_SECRET=demo-secret DUBAN_WECOM_AGENT_ID=1000002
    """
    from wecom.emulator import main

    if config_file:
        from wecom.emulator_config import write_emulator_config

        if write_emulator_config(config_file, port):
            click.echo(_("Wrote {file}: duban now talks to this emulator (`duban --config {file} …`, or keep it as "
                         "./duban.toml).").format(file=config_file))
        else:
            click.echo(_("{file} exists: kept as it is (delete it to write a new one).").format(file=config_file))
    argv = ["--port", str(port), "--token-lifetime", str(token_lifetime)]
    for key in webhook_keys:
        argv += ["--webhook-key", key]
    click.echo(_("WeCom emulator running; Ctrl-C stops it."))
    main(argv)


@click.command()
@click.option("--no-callback", is_flag=True, help="Do not serve the WeCom callback (reminders and digests only).")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning"]), default="info", show_default=True)
@pass_app
def serve(app: App, no_callback: bool, log_level: str) -> None:
    """Run duban: daily reminders, weekly digests, the outbox dispatcher and the WeCom callback.

    Reminders go out at [schedule] remind_at on working days; the dispatcher sends the outbox every
    [schedule] dispatch_interval_seconds; the callback listens on [server] host:port path. Several
    `duban serve` on one database are safe: one schedules, the others stand by. SIGTERM stops cleanly.
    The status board (看板) is served on the same port at [web] path (see `duban web --help`).
    """
    app.connect()
    configure_logging(log_level, app.config, getattr(app, "log_format", "text"))
    run_service(app.config, callback=not no_callback)


def configure_logging(level: str, config=None, fmt: str = "text") -> None:
    from commands.logformat import configure
    from wecom.log_scrub import quiet_chat_text_loggers

    configure(level, fmt)
    # secrets scrubbed from every record; loggers that would print stored chat text stay above DEBUG
    quiet_chat_text_loggers(config)


def run_service(config, *, callback: bool = True, stop_event=None) -> None:
    """Wire the rooms together and run until SIGTERM/SIGINT (or `stop_event` is set)."""
    import logging
    import signal
    import threading

    from commands.chatops import make_chat_handlers, make_outbox_notifier
    from jobs.evidence import run_downloads
    from jobs.outbox import Dispatcher, make_sender
    from jobs.scheduler import Service, log_calendar_warnings, run_dispatch

    log = logging.getLogger("duban.serve")
    log_calendar_warnings()  # and once a day from the scheduler
    sender = make_sender(config)
    dispatcher = Dispatcher(sender, config)

    def dispatch() -> object:
        run_downloads(config, sender.client)  # evidence first: its confirmations go out in the same flush
        return dispatcher.flush()

    service = Service(config, dispatch=lambda: run_dispatch(dispatch))
    stop = stop_event or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    running = start_web_server(config, callback, make_chat_handlers, make_outbox_notifier, log)
    service.start()
    log.info("duban serving: reminders at %s, dispatcher every %ss", config.schedule.remind_at,
             config.schedule.dispatch_interval_seconds)
    try:
        stop.wait()
    finally:
        log.info("stopping")
        service.stop()
        if running is not None:
            from commands.web import stop_board

            running.stop()
            stop_board(running.app)
        log.info("stopped")


BOARD_REFRESH_SECONDS = 2.0


def start_web_server(config, callback: bool, make_handlers, make_notifier, log):
    """The callback and the status board on [server] host:port (either may be off); None when both are."""
    from commands.web import mount_board
    from wecom.callback import RunningCallback, create_app

    w = config.wecom
    app = None
    if callback and w.token and w.encoding_aes_key and w.corp_id:
        from commands.chatops import make_callback_handlers

        chat = make_handlers(config)  # {'handler': …, 'quick_handler': …}
        app = create_app(config, chat["handler"], make_notifier(), quick_handler=chat["quick_handler"],
                         **make_callback_handlers(config))
        log.info("WeCom callback at %s", config.server.path)
    elif callback:
        log.warning("[wecom] token / encoding_aes_key not set: not serving the callback (replies cannot arrive)")
    if config.web.enabled:
        if app is None:
            from flask import Flask

            app = Flask("duban.board")
        mount_board(app, config, refresh_seconds=BOARD_REFRESH_SECONDS)
        log.info("status board at %s", config.web.path)
    if app is None:
        return None
    try:
        running = RunningCallback(app, config.server.host, config.server.port).start()
    except BaseException:
        from commands.web import stop_board

        stop_board(app)  # the port is taken (or worse): no board thread may outlive the failed start
        raise
    log.info("listening on %s", running.url)
    return running
