"""Write docs/cli.md from the `duban` command tree: `python docs/make_cli_reference.py`.

tests/test_cli_reference.py fails when the file and `--help` disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import cli  # noqa: E402

TARGET = Path(__file__).resolve().parent / "cli.md"


def _walk(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            yield from _walk(command.get_command(click.Context(command), name), path + [name])


def cli_reference() -> str:
    out = ["# duban command reference", "", "Generated from `--help` by `python docs/make_cli_reference.py`; "
           "a test keeps it in sync.", ""]
    for path, command in _walk(cli, ["duban"]):
        name = " ".join(path)
        settings = {"terminal_width": 88, "max_content_width": 88, "help_option_names": ["-h", "--help"]}
        with click.Context(command, info_name=name, **settings) as ctx:
            text = command.get_help(ctx)
        out += [f"## `{name}`", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    TARGET.write_text(cli_reference(), encoding="utf-8")
    print(f"wrote {TARGET}")
