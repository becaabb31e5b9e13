"""Secrets never reach a log line, at any level, from any library (issue 17, finding 7).

A log record factory (installed once per process by `install_scrubbing`) rewrites every record before any
handler sees it: the corp secret and its first characters (wechatpy's token cache key holds them), the
callback token and EncodingAESKey, every access token and robot key duban has used (`remember_secret`), and
anything shaped like `corpsecret=…`, `access_token=…` or `key=…` in a URL (urllib3 logs request lines at
DEBUG) become `***`. Tracebacks attached to records are scrubbed too.

Chat text (what people wrote to the bot, what it sent them) is logged only at DEBUG and only with
`[log] chat_text = true` (`chat_text_logged()`); otherwise log calls name messages by id.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "***"
MIN_SECRET = 6  # shorter values would mask ordinary words
_URL_SECRET = re.compile(
    r"((?:corpsecret|access_token|secret|(?<![A-Za-z_])key|token|encoding_aes_key)"
    r"(?:=|['\"]\s*:\s*['\"]))([^&\s'\"<>,)}]+)", re.IGNORECASE)

_lock = threading.Lock()
_secrets: set[str] = set()
_state = {"installed": False, "chat_text": False, "factory": None}
_known: list[re.Pattern | None] = [None]  # every remembered secret in one pattern, longest first


def _compile() -> None:
    _known[0] = (re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))
                 if _secrets else None)


def remember_secret(value: Any) -> None:
    """Mask this value in every log line from now on (an access token, a robot key …)."""
    if isinstance(value, str) and len(value) >= MIN_SECRET and value not in _secrets:
        with _lock:
            _secrets.add(value)
            _compile()


def scrub(text: str) -> str:
    """`text` with every known secret and every URL credential masked."""
    known = _known[0]  # one pass over the text for every secret: this runs for every log record
    if known is not None:
        text = known.sub(MASK, text)
    return _URL_SECRET.sub(lambda m: m.group(1) + MASK, text)


def chat_text_logged() -> bool:
    """Whether DEBUG lines may carry chat text ([log] chat_text)."""
    return _state["chat_text"]


def install_scrubbing(config: Any = None) -> None:
    """Scrub every log record of this process; learn the configured secrets. Safe to call again."""
    if config is not None:
        w = config.wecom
        for secret in (w.secret, w.token, w.encoding_aes_key):
            remember_secret(secret)
        remember_secret(w.secret[:10])  # wechatpy's access_token_key: f"{corp_id}_{w.secret[:10]}_access_token"
        _state["chat_text"] = bool(config.log.chat_text)
    if _state["installed"]:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub_record(record)
        return record

    _state.update(installed=True, factory=previous)
    logging.setLogRecordFactory(factory)


# Loggers whose DEBUG lines carry stored values wholesale: peewee logs every query with its parameters (inbox
# contents, outbox bodies, robot keys in leader groups). They stay at INFO; [log] chat_text turns on duban's own
# DEBUG lines that show message text, nothing more.
RAW_DATA_LOGGERS = ("peewee",)


def quiet_chat_text_loggers(config: Any = None) -> None:
    """Scrub (learning `config`'s secrets) and keep loggers that would print stored data above DEBUG."""
    install_scrubbing(config)
    for name in RAW_DATA_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def reset_scrubbing() -> None:
    """Forget learned secrets and uninstall (tests)."""
    with _lock:
        _secrets.clear()
        _compile()
    if _state["installed"]:
        logging.setLogRecordFactory(_state["factory"])
    _state.update(installed=False, chat_text=False, factory=None)


def _scrub_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed log call: leave it to logging's own error path
        return
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
