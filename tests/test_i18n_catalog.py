"""The admin CLI speaks Chinese: every message and --help text has a translation in the catalog.

When this fails after you added or changed a CLI string: run `python -m i18n.catalog`, then fill in the empty
`msgstr ""` lines of i18n/locale/zh/LC_MESSAGES/duban.po (README, "Translating the command line").
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

import i18n
from i18n import catalog as cat

ROOT = Path(__file__).resolve().parent.parent
FIX = "run `python -m i18n.catalog` and translate the empty msgstr lines in i18n/locale/zh/LC_MESSAGES/duban.po"


@pytest.fixture(scope="module")
def updated():
    return cat.updated()


def test_catalog_is_up_to_date_with_the_code(updated):
    written = cat.catalog_path().read_text(encoding="utf-8")
    assert written == cat.render(updated), f"the catalog is stale: {FIX}"


def test_every_message_and_help_text_has_a_chinese_translation(updated):
    missing = cat.untranslated(updated)
    assert not missing, f"{len(missing)} strings lack Chinese ({FIX}):\n" + "\n".join(map(repr, missing[:40]))


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_translations_keep_the_placeholders(updated):
    wrong = []
    for message in updated:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        try:
            expected = set().union(*(_fields(i) for i in ids))
            if len(ids) == 1 and _fields(strings[0]) != expected:
                wrong.append(ids[0])
            elif any(not _fields(s) <= expected for s in strings if s):  # one Chinese form serves every count
                wrong.append(ids[0])
        except ValueError:  # not a format string (a literal brace): nothing to compare
            continue
    assert not wrong, "translations whose {placeholders} differ from the English:\n" + "\n".join(wrong)


# --- strings that never reached the catalog ----------------------------------------------------------------------

OUTPUT_CALLS = {"echo", "secho", "confirm", "prompt", "ClickException", "BadParameter", "UsageError", "fail",
                "table"}
TRANSLATORS = {"_", "gettext", "ngettext", "N_"}
WORDS = re.compile(r"[A-Za-z]{2,}")


def _literal_words(node: ast.AST) -> list[str]:
    """English string literals in an output expression that did not go through `_()`."""
    found: list[str] = []

    def visit(n: ast.AST) -> None:
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            if WORDS.search(n.value):
                found.append(n.value)
        elif isinstance(n, ast.Call):
            name = n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", None)
            if name in TRANSLATORS:
                return
            if isinstance(n.func, ast.Attribute):
                visit(n.func.value)  # "Imported {x}".format(...) without _()
        elif isinstance(n, ast.JoinedStr):
            for part in n.values:
                visit(part)
        elif isinstance(n, ast.FormattedValue):
            visit(n.value)
        elif isinstance(n, ast.BinOp):
            visit(n.left)
            visit(n.right)
        elif isinstance(n, ast.IfExp):
            visit(n.body)
            visit(n.orelse)
        elif isinstance(n, (ast.List, ast.Tuple)):
            for element in n.elts:
                visit(element)
        elif isinstance(n, (ast.ListComp, ast.GeneratorExp)):
            visit(n.elt)
        elif isinstance(n, ast.Subscript):
            visit(n.value)

    visit(node)
    return found


def _output_calls_with_english(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name not in OUTPUT_CALLS:
            continue
        arguments = list(node.args) + [k.value for k in node.keywords if k.arg in (None, "message", "text", "header", "hint")]
        for argument in arguments:
            for literal in _literal_words(argument):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {literal!r}")
    return problems


def test_cli_output_goes_through_gettext():
    files = [ROOT / "bot.py", *sorted((ROOT / "commands").glob("*.py"))]
    problems = [p for f in files for p in _output_calls_with_english(f)]
    assert not problems, "CLI output not wrapped in _() (wrap it, then " + FIX + "):\n" + "\n".join(problems)


def test_translate_marks_are_plain_strings():
    """`_(f"…")` can never be in the catalog: pass the values to .format() after `_()` instead."""
    bad = []
    for folder in cat.SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSLATORS:
                    first = node.args[0] if node.args else None
                    built = isinstance(first, (ast.JoinedStr, ast.BinOp)) or (
                        isinstance(first, ast.Call) and getattr(first.func, "attr", None) == "format")
                    if built:
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, "_() of something that is not a string literal:\n" + "\n".join(bad)


# --- choosing the language ---------------------------------------------------------------------------------------


def test_language_follows_config_then_locale():
    assert i18n.choose_language("", {"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.choose_language("", {"LANG": "en_US.UTF-8"}) == "en"
    assert i18n.choose_language("", {}) == "en"
    assert i18n.choose_language("en", {"LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.choose_language("zh", {"LANG": "C"}) == "zh"
    assert i18n.choose_language("", {"LANGUAGE": "zh_CN", "LANG": "C"}) == "zh"


def _help(args, env, tmp_path, monkeypatch, config: str | None = None):
    from bot import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    if config is not None:
        (tmp_path / "duban.toml").write_text(config, encoding="utf-8")
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def test_chinese_locale_gives_chinese_help_and_back(tmp_path, monkeypatch):
    english = _help(["plan", "--help"], {"LANG": "C.UTF-8"}, tmp_path, monkeypatch)
    chinese = _help(["plan", "--help"], {"LANG": "zh_CN.UTF-8"}, tmp_path, monkeypatch)
    assert english.exit_code == chinese.exit_code == 0
    assert english.output != chinese.output
    assert "Show this message and exit." in english.output
    assert "Show this message and exit." not in chinese.output
    again = _help(["plan", "--help"], {"LANG": "C.UTF-8"}, tmp_path, monkeypatch)
    assert again.output == english.output


def test_config_language_wins_over_the_locale(tmp_path, monkeypatch):
    zh = _help(["--help"], {"LANG": "C.UTF-8"}, tmp_path, monkeypatch, config='[ui]\nlanguage = "zh"\n')
    en = _help(["--help"], {"LANG": "zh_CN.UTF-8"}, tmp_path, monkeypatch, config='[ui]\nlanguage = "en"\n')
    assert "Show this message and exit." not in zh.output
    assert "Show this message and exit." in en.output


def test_a_wrong_language_in_config_is_a_one_line_error(tmp_path, monkeypatch):
    result = _help(["config", "show"], {}, tmp_path, monkeypatch, config='[ui]\nlanguage = "fr"\n')
    assert result.exit_code == 1
    assert "[ui] language" in result.output
    assert "Traceback" not in result.output


def test_the_compiled_catalog_is_cached_per_user(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(i18n, "_translations", {})
    first = i18n.translations("zh")
    cached = list((tmp_path / "duban").glob("zh-*.mo"))
    assert len(cached) == 1
    monkeypatch.setattr(i18n, "_translations", {})
    again = i18n.translations("zh")
    assert again.gettext("Show this message and exit.") == first.gettext("Show this message and exit.") != \
        "Show this message and exit."
