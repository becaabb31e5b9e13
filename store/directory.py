"""Who may talk to the bot, in memory: the active contacts' userids and roles, read again every few seconds.

For answers that reveal nothing and change nothing (「帮助」): the callback answers them without a database
round trip. A snapshot is trusted for MAX_AGE_SECONDS; older (the database unreachable, the refresher stopped)
it knows nobody, and every message takes the full path. A stale entry can only mean that a contact removed
moments ago gets the help text once more; someone it does not know yet is never refused by it.
"""

from __future__ import annotations

import logging
import threading
import time

from store.db import unit_of_work
from store.models import Contact
from store.periodic import Periodic

log = logging.getLogger("duban.chat")
REFRESH_SECONDS = 2.0
MAX_AGE_SECONDS = 30.0


class ContactRoles:
    """userid → role of every active contact, as of the last `load()`."""

    def __init__(self, max_age: float = MAX_AGE_SECONDS) -> None:
        self.max_age = max_age
        self._roles: dict[str, str] = {}
        self._loaded = float("-inf")  # time.monotonic() of the last load
        self._lock = threading.Lock()
        self._refresher: Periodic | None = None

    def load(self) -> int:
        """Read the active contacts (one query); returns how many."""
        rows = Contact.select(Contact.userid, Contact.role).where(Contact.active == True).tuples()  # noqa: E712
        roles = {userid: role for userid, role in rows}
        with self._lock:
            self._roles, self._loaded = roles, time.monotonic()
        return len(roles)

    def role(self, userid: str) -> str | None:
        """The role of this active contact, or None when unknown here or the snapshot is too old to trust."""
        with self._lock:
            if time.monotonic() - self._loaded > self.max_age:
                return None
            return self._roles.get(userid)

    def start(self, interval: float = REFRESH_SECONDS) -> ContactRoles:
        """Load now and then every `interval` seconds in a daemon thread (a failed first load is retried there)."""
        try:
            with unit_of_work():
                self.load()
        except Exception:  # noqa: BLE001 - the refresher tries again; meanwhile every message takes the full path
            log.warning("the contact directory could not be read; retrying", exc_info=True)
        self._refresher = Periodic(self.load, interval, "duban-directory", log,
                                   "the contact directory could not be refreshed").start()
        return self

    def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.stop()
