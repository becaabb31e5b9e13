"""The admin CLI's language: gettext over a Chinese catalog, English otherwise.

Source strings are English and are their own message ids. Mark one with `_()` (or `ngettext()` for counts,
`N_()` to mark a string used later); `python -m i18n.catalog` adds new ids to
`i18n/locale/zh/LC_MESSAGES/duban.po`, where the Chinese goes; `tests/test_i18n_catalog.py` fails while any id
lacks a translation. The .po file is the only copy: it is compiled with Babel the first time Chinese is needed
(and kept compiled in ~/.cache/duban until the .po changes), so a fresh `pip install .` needs no build step.

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


def _cache_file(po: Path) -> Path:
    """Where the compiled catalog is kept: per user, named by the .po's size and time, so an edit recompiles."""
    stat = po.stat()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "duban" / f"{po.parent.parent.name}-{stat.st_size}-{stat.st_mtime_ns}.mo"


def _compile(po: Path, language: str) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def _load(language: str) -> _gettext.NullTranslations:
    """The .po compiled with Babel (~0.1 s), kept compiled in the user's cache for the next command."""
    if language == "en":
        return _gettext.NullTranslations()
    po = catalog_path(language)
    cached: Path | None = None
    data = b""
    try:
        cached = _cache_file(po)
        data = cached.read_bytes()
    except OSError:
        pass  # not compiled yet (or no home folder)
    if not data:
        data = _compile(po, language)
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                partial = cached.with_suffix(f".{os.getpid()}.tmp")
                partial.write_bytes(data)
                partial.replace(cached)
                for stale in cached.parent.glob(f"{po.parent.parent.name}-*.mo"):
                    if stale != cached:
                        stale.unlink(missing_ok=True)
            except OSError:
                pass  # a read-only home: compile each time
    return _gettext.GNUTranslations(io.BytesIO(data))


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
