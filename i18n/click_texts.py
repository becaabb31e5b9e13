"""click's own words (Usage, Options, its error messages) through our catalog.

click calls the stdlib `gettext` it imported in each module; `use_catalog()` points those names at ours. The
strings below are click's own message ids, listed so `python -m i18n.catalog` keeps them in the catalog.
"""

from __future__ import annotations

import importlib

from i18n import N_, gettext, ngettext

CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")

MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"), N_("Aborted!"),
    N_("Missing command."), N_("Try '{command} {option}' for help."), N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"), N_("Missing argument"), N_("Missing option"),
    N_("Missing parameter"), N_("Missing parameter: {param_name}"), N_("No such option {name!r}."),
    N_("No such command {name!r}."), N_("Could not open file {filename!r}: {message}"),
    N_("Do you want to continue?"), N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."), N_("{name} {filename!r} does not exist."), N_("file"),
    N_("directory"), N_("path"), N_("default: {default}"), N_("Value must be an iterable."),
    N_("Show the version and exit."), N_("Show this message and exit."), N_("%(prog)s, version %(version)s"),
    N_("Choose from:\n\t{choices}"), N_("Confirm the action without prompting."),
    N_("deprecated"), N_("required"), N_("env var: {var}"),
)
PLURALS = (
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1),
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1),
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1),
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1),
    ngettext("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}.", 1),
)


def use_catalog() -> None:
    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
