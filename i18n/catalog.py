"""Bring the Chinese catalog up to date with the code: `python -m i18n.catalog`.

It extracts every `_()`, `ngettext()` and `N_()` string from the source (Babel) and every `--help` text from
the command tree, adds what is new to i18n/locale/zh/LC_MESSAGES/duban.po with an empty translation, keeps
every existing translation and drops ids nobody uses. Then fill in the empty `msgstr ""` lines.
`python -m i18n.catalog --check` lists what is missing and exits 1 (tests/test_i18n_catalog.py does the same).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

from i18n import DOMAIN, catalog_path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("commands", "store", "jobs", "plan", "wecom", "chat", "i18n")
SOURCE_FILES = ("bot.py",)


def source_messages(root: Path = ROOT) -> dict[str | tuple[str, str], set[str]]:
    """id (or (singular, plural)) -> the files that use it."""
    found: dict[str | tuple[str, str], set[str]] = {}

    def add(message: str | tuple, filename: str) -> None:
        if isinstance(message, tuple):
            message = (message[0], message[1])
        if message:
            found.setdefault(message, set()).add(filename)

    method_map = [("**.py", "python")]
    for folder in SOURCE_DIRS:
        if not (root / folder).is_dir():
            continue
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            root / folder, method_map, keywords=DEFAULT_KEYWORDS, options_map={"**.py": {}}
        ):
            add(message, f"{folder}/{filename}")
    for name in SOURCE_FILES:
        for _lineno, message, _comments, _context in extract_from_file("python", root / name, keywords=DEFAULT_KEYWORDS):
            add(message, name)
    return found


def help_messages() -> dict[str, str]:
    from bot import cli
    from commands.localize import help_msgids

    return help_msgids(cli)


def template() -> Catalog:
    catalog = Catalog(domain=DOMAIN, project="duban", charset="utf-8")
    for message, files in sorted(source_messages().items(), key=lambda kv: str(kv[0])):
        catalog.add(message, locations=[(f, None) for f in sorted(files)])
    for message, where in sorted(help_messages().items()):
        existing = catalog.get(message)
        if existing is None:
            catalog.add(message, auto_comments=[f"--help: {where}"])
        else:
            existing.auto_comments.append(f"--help: {where}")
    return catalog


def current(language: str = "zh") -> Catalog:
    path = catalog_path(language)
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        return Catalog(locale=language, domain=DOMAIN, project="duban", charset="utf-8")
    with path.open("rb") as f:
        return read_po(f, locale=language, domain=DOMAIN)


def updated(language: str = "zh") -> Catalog:
    catalog = current(language)
    catalog.update(template(), no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    return catalog


def render(catalog: Catalog) -> str:
    buf = io.BytesIO()
    write_po(buf, catalog, sort_output=True, include_lineno=False, ignore_obsolete=True, omit_header=False, width=110)
    text = buf.getvalue().decode("utf-8")
    # The header's dates and Babel version would change between runs and make every merge a conflict.
    return "\n".join(line for line in text.splitlines() if not line.startswith(('"POT-Creation-Date', '"PO-Revision-Date', '"Generated-By'))) + "\n"


def untranslated(catalog: Catalog) -> list[str]:
    """Ids without a Chinese translation (empty, or marked fuzzy)."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    catalog = updated()
    text = render(catalog)
    path = catalog_path()
    if "--check" in argv:
        missing = untranslated(catalog)
        stale = path.read_text(encoding="utf-8") != text if path.exists() else True
        for message in missing:
            print(f"untranslated: {message!r}")
        if stale:
            print(f"{path} is not up to date with the code: run `python -m i18n.catalog`")
        return 1 if missing or stale else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    missing = untranslated(catalog)
    print(f"wrote {path}: {len(catalog)} messages, {len(missing)} without a translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
