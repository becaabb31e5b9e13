"""Talking to the bot from the terminal (`duban say`) and running its WeCom callback alone (`duban callback …`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from commands.common import App, pass_app
from i18n import _
from store.config import Config


def make_chat_handler(config: Config, rate: Any = None) -> Callable[[str, str, str], Any]:
    """The callback's handler: the chat room's entry point, with the clock's now and this configuration
    (`rate`: a chat.quick.RateWindow counting the rate limit in memory, shared with the quick handler)."""
    from chat.handler import handle
    from store.clock import clock

    def handler(userid: str, text: str, msgid: str) -> Any:
        return handle(userid, text, msgid=msgid, now=clock.now(), config=config, rate=rate)

    return handler


def make_chat_handlers(config: Config) -> dict[str, Any]:
    """The callback's chat handlers: `handler` (the full path) and `quick_handler` (「帮助」 from memory, the
    contact directory read every 2 s), one rate-limit count shared by both."""
    from chat.quick import QuickAnswers
    from store.directory import ContactRoles

    quick = QuickAnswers(config, ContactRoles().start())
    return {"handler": make_chat_handler(config, quick.rate), "quick_handler": quick}


def make_callback_handlers(config: Config) -> dict[str, Callable[..., Any]]:
    """The callback's media_handler and card_handler: WeCom's message parts in, chat's decisions out."""
    import datetime as dt

    from chat.cards import handle_click
    from chat.evidence import handle_media
    from store.clock import clock
    from wecom.cards import assignment_of_option

    def media_handler(userid: str, media: Any, key: str, create_time: int) -> str:
        sent = dt.datetime.fromtimestamp(create_time, dt.timezone.utc).replace(tzinfo=None)
        return handle_media(userid, media.kind, media.media_id, media.filename, key, sent, clock.utcnow(), config)

    def card_handler(userid: str, click: Any, key: str, create_time: int) -> Any:
        chosen = [assignment_of_option(o) for _question, options in click.selected for o in options]
        return handle_click(userid, click.task_id, click.event_key, [a for a in chosen if a is not None], key,
                            clock.utcnow(), config)

    return {"media_handler": media_handler, "card_handler": card_handler}


def make_outbox_notifier() -> Callable[[str, str, str], None]:
    """The callback's `enqueue_notify`: one app message to `userid` through the outbox, once per key."""
    from jobs.outbox import enqueue_message

    def enqueue_notify(userid: str, text: str, dedupe_key: str) -> None:
        enqueue_message(dedupe_key, "app", userid, text)

    return enqueue_notify


@click.command()
@click.option("--as", "userid", required=True, metavar="USERID", help="The WeCom userid to speak as.")
@click.option("--url", metavar="URL", help="The callback URL (default: http://[server] host:port path).")
@click.option("--click", "click_card", nargs=2, metavar="TASK_ID KEY",
              help="Click button KEY (done, progress, extend, submit) on the card TASK_ID instead of writing.")
@click.option("--select", "selected", multiple=True, metavar="ITEM",
              help="With --click on a several-items card: an item (its number, e.g. 24) ticked before submitting.")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), metavar="PATH",
              help="Send this file (a .jpg/.png as a photo, .mp4 as a video, anything else as a file).")
@click.argument("text", required=False)
@pass_app
def say(app: App, userid: str, text: str | None, url: str | None, click_card: tuple[str, str] | None,
        selected: tuple[str, ...], path: str | None) -> None:
    """Send TEXT to the running bot as USERID would from WeCom, and print its answer.

    \b
      duban say --as zhangsan "任务"
      duban say --as zhangsan "进度 24 已完成初稿 60%"
      duban say --as zhangsan --click TASK_ID done
      duban say --as zhangsan --click TASK_ID submit --select 14 --select 24
      duban say --as zhangsan --file 发布截图.jpg
    The message is encrypted and signed with [wecom] token / encoding_aes_key / corp_id exactly as WeCom
    does, so this also checks that the server's keys match yours. Needs `duban serve` (or
    `duban callback serve`) running; --click and --file need `duban emulator` as [wecom] api_base_url
    (it knows the cards it delivered and keeps the file for media/get). Prints "[按钮] …" when it changes the
    clicked button. An answer that is not immediate (a file's 「已收到《…》」) comes later as a WeCom message
    through the outbox: `duban outbox list` shows it, and `duban emulator` keeps it at /emulator/messages.
    """
    from wecom.say import SayError, default_url
    from wecom.say import say as say_to

    config = app.config
    _require_callback_keys(config)
    if sum(x is not None for x in (text, click_card, path)) != 1:
        raise click.UsageError(_("give exactly one of TEXT, --click TASK_ID KEY or --file PATH"))
    try:
        if click_card is not None:
            from wecom.say import click_card as click_to

            answer = click_to(url or default_url(config), config, userid, click_card[0], click_card[1], list(selected))
        elif path is not None:
            from wecom.say import send_file

            answer = send_file(url or default_url(config), config, userid, path)
        else:
            answer = say_to(url or default_url(config), config, userid, text)
    except SayError as exc:
        click.echo(_("Error: {message}").format(message=exc), err=True)
        raise SystemExit(1) from None
    if answer:
        click.echo(answer)
        return
    click.echo(_("(no immediate reply: the bot's answer, if any, arrives later as a WeCom message to {userid}; "
                 "see it with `duban outbox list`, or at /emulator/messages?target={userid} with `duban emulator`)")
               .format(userid=userid))


@click.group()
def callback() -> None:
    """The WeCom callback (where liaisons' messages arrive)."""


@callback.command("serve")
@click.option("--host", help="Listen address (default: [server] host).")
@click.option("--port", type=int, help="Port (default: [server] port).")
@pass_app
def callback_serve(app: App, host: str | None, port: int | None) -> None:
    """Serve only the WeCom callback (no reminders, no dispatcher): answers chat messages until Ctrl-C.

    Replies that take longer than WeCom's window and messages to other people are queued in the outbox;
    `duban serve` or `duban outbox flush` sends them.
    """
    from wecom.callback import serve_callback

    config = app.config
    _require_callback_keys(config)
    app.connect()
    s = config.server
    address = f"http://{host or s.host}:{port if port is not None else s.port}{s.path}"
    click.echo(_("WeCom callback on {url}; Ctrl-C stops it.").format(url=address))
    chat = make_chat_handlers(config)
    serve_callback(config, chat["handler"], make_outbox_notifier(), host=host, port=port,
                   quick_handler=chat["quick_handler"], **make_callback_handlers(config))


@callback.command("check")
@click.option("--url", metavar="URL", help="The callback URL (default: http://[server] host:port path).")
@pass_app
def callback_check(app: App, url: str | None) -> None:
    """Do what WeCom does when you save the callback URL (the signed echostr check) and report the result."""
    from wecom.say import check_callback_url, default_url

    config = app.config
    _require_callback_keys(config)
    target = url or default_url(config)
    check = check_callback_url(target, config)
    if check.status is None:
        click.echo(_("Error: cannot reach the callback at {url}: is it running?").format(url=target), err=True)
        raise SystemExit(1)
    if check.ok:
        click.echo(_("OK: {url} answers WeCom's URL check in {ms:.0f} ms.").format(url=target, ms=check.ms))
        return
    if check.hint:
        click.echo(_("Error: {url} answered HTTP {status}: {hint}").format(url=target, status=check.status,
                                                                        hint=check.hint), err=True)
        raise SystemExit(1)
    click.echo(_("Error: {url} answered HTTP {status} without the expected echo: the server's [wecom] token, "
                 "encoding_aes_key or corp_id differ from yours.").format(url=target, status=check.status),
               err=True)
    raise SystemExit(1)


def _require_callback_keys(config: Config) -> None:
    from store.config import ConfigError

    w = config.wecom
    missing = [k for k in ("corp_id", "token", "encoding_aes_key") if not getattr(w, k)]
    if missing:
        raise ConfigError(f"[wecom] {', '.join(missing)} not set: needed to encrypt and verify callback messages")
