"""Logging for `duban serve`: our INFO lines, third-party chatter at WARNING, text or one JSON object a line."""

from __future__ import annotations

import datetime as dt
import json
import logging

# APScheduler writes "Running job"/"executed successfully" every few seconds; waitress and urllib3 are chatty
# too (urllib3 at DEBUG prints URLs that carry the access token).
QUIET = ("apscheduler", "waitress", "urllib3", "werkzeug")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message"} (+ "exception") per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "info", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.duban = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "duban", False):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
