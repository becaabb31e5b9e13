"""`--help` in the admin's language: click keeps help texts on the command objects, so they are swapped.

The English text stays the message id (remembered on the object), so switching back and forth is exact.
Only commands already loaded are walked; a group that loads its commands later localizes each as it is
resolved (DubanGroup.resolve_command), so lazy loading stays lazy.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator

import click

import i18n

_ORIGINALS = "_duban_msgids"


def _texts(command: click.Command) -> Iterator[tuple[object, str]]:
    yield command, "help"
    yield command, "short_help"
    yield command, "epilog"
    for param in command.params:
        if isinstance(param, click.Option):
            yield param, "help"
    ctx = click.Context(command, help_option_names=["-h", "--help"])
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        yield help_option, "help"


def msgid(text: str | None) -> str | None:
    """The catalog id of a help text: as click shows it (indentation removed)."""
    return inspect.cleandoc(text) if text else text


def _click_english(text: str | None) -> str | None:
    """click makes the --help option (and caches it) with its text already through our catalog: when that happened
    in Chinese, the English message id is the one it was translated from."""
    from i18n.click_texts import MESSAGES

    for english in MESSAGES:
        if text and text != english and i18n.gettext(english) == text:
            return english
    return text


def localize(command: click.Command) -> None:
    """Put every help text of `command` and its loaded subcommands in the current language."""
    for obj, attr in _texts(command):
        originals = obj.__dict__.setdefault(_ORIGINALS, {})
        if attr not in originals:
            originals[attr] = msgid(_click_english(getattr(obj, attr)))
        english = originals[attr]
        setattr(obj, attr, i18n.gettext(english) if english else english)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize(sub)


def walk(command: click.Command, path: tuple[str, ...] = ("duban",)) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command of the tree, loading lazy groups (for the catalog and its test, not for a run)."""
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from walk(sub, path + (name,))


def help_msgids(root: click.Command) -> dict[str, str]:
    """Every help text of the tree (English, as the catalog holds it) -> where it is used."""
    found: dict[str, str] = {}
    for path, command in walk(root):
        for obj, attr in _texts(command):
            originals = obj.__dict__.get(_ORIGINALS, {})
            text = originals[attr] if attr in originals else msgid(_click_english(getattr(obj, attr)))
            if text:
                where = " ".join(path) + ("" if obj is command else f" {'/'.join(getattr(obj, 'opts', []))}")
                found.setdefault(text, where)
    return found


def configured_language(argv: list[str]) -> str:
    """The language for this run: --config/$DUBAN_CONFIG/./duban.toml [ui] language, else the locale."""
    from store.config import ConfigError, load_config

    path = None
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            path = argv[i + 1]
        elif arg.startswith("--config="):
            path = arg.split("=", 1)[1]
    try:
        configured = load_config(path)["ui"]["language"]
    except ConfigError:
        configured = None  # the command itself reports the mistake
    return i18n.choose_language(configured)


def choose_for_run(root: click.Command, args: list[str] | None) -> None:
    from i18n.click_texts import use_catalog

    argv = list(sys.argv[1:] if args is None else args)
    i18n.set_language(configured_language(argv))
    use_catalog()
    localize(root)
