"""What a command handler gets besides its Command: who is asking, when, the settings, and who else to tell."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from store import chatdata
from store.chatdata import Actor
from store.config import Config


@dataclass
class Context:
    actor: Actor
    now: dt.datetime  # naive UTC, as stored
    today: dt.date  # local date in the configured timezone
    config: Config
    msgid: str | None
    notify: list[tuple[str, str]] = field(default_factory=list)  # (userid, text) for the callback layer to send
    _with_code: bool | None = field(default=None, repr=False, compare=False)

    @property
    def admin(self) -> str:
        return self.config.chat.admin_contact

    @property
    def undo_minutes(self) -> int:
        return self.config.chat.undo_minutes

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)  # ZoneInfo keeps its own cache

    def local(self, stored: dt.datetime) -> dt.datetime:
        return stored.replace(tzinfo=dt.timezone.utc).astimezone(self.tz)

    @property
    def with_code(self) -> bool:
        """Numbers carry the plan code (A24) when the asker's units have items in more than one active plan.

        Asked for only by the commands that number items, once (a plain memo: functools.cached_property takes
        a lock shared by every Context on Python 3.11)."""
        if self._with_code is None:
            if len(self.actor.unit_ids) == 1 and self.actor.own_plans is not None:
                self._with_code = self.actor.own_plans > 1  # read with the speaker: no query of its own
            else:
                self._with_code = len(chatdata.unit_plan_codes(self.actor.unit_ids)) > 1
        return self._with_code

    def tell(self, userid: str, text: str) -> None:
        if userid != self.actor.contact.userid and (userid, text) not in self.notify:
            self.notify.append((userid, text))
