"""docs/cli.md is what `--help` says (regenerate with `python docs/make_cli_reference.py`)."""

import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_cli_reference_is_in_sync():
    spec = importlib.util.spec_from_file_location("make_cli_reference", DOCS / "make_cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.cli_reference()
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == expected, (
        "docs/cli.md is stale: run `python docs/make_cli_reference.py`"
    )


def test_every_command_has_help_text():
    import click

    from bot import cli

    def walk(cmd, path):
        yield path, cmd
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from walk(sub, path + [name])

    for path, cmd in walk(cli, ["duban"]):
        assert (cmd.help or "").strip(), f"{' '.join(path)} has no help text"
