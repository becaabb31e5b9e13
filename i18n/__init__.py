"""The admin CLI's language: gettext over a Chinese catalog, English otherwise.

Source strings are English and are their own message ids. Mark one with `_()` (or `ngettext()` for counts,
`N_()` to mark a string used later); `python -m i18n.catalog` adds new ids to
`i18n/locale/zh/LC_MESSAGES/duban.po`, where the Chinese goes; `tests/test_i18n_catalog.py` fails while any id
lacks a translation. The .po file is the only copy: it is compiled in memory (Babel) the first time Chinese is
needed, so a fresh `pip install .` needs no build step.

The language is chosen once per command: `[ui] language` ("zh" or "en", also $DUBAN_UI_LANGUAGE), else the
locale ($LANGUAGE, $LC_ALL, $LC_MESSAGES, $LANG starting with "zh" means Chinese), else English.
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
from collections.abc import Mapping
from pathlib import Path

LANGUAGES = ("en", "zh")
DOMAIN = "duban"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current = "en"
_translations: dict[str, _gettext.NullTranslations] = {}


def catalog_path(language: str = "zh") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def choose_language(configured: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """`configured` ("zh"/"en"/"" from [ui] language) wins; else the locale variables, as gettext reads them."""
    if configured:
        return "zh" if configured.lower().startswith("zh") else "en"
    environ = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_language(language: str) -> None:
    global _current
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    _current = language


def language() -> str:
    return _current


def _load(language: str) -> _gettext.NullTranslations:
    if language == "en":
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_path(language).open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def translations(language: str | None = None) -> _gettext.NullTranslations:
    language = language or _current
    if language not in _translations:
        _translations[language] = _load(language)
    return _translations[language]


def gettext(message: str) -> str:
    if _current == "en" or not message:
        return message
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    if _current == "en":
        return singular if n == 1 else plural
    return translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for the catalog without translating it now (translate with `_()` where it is shown)."""
    return message


_ = gettext
