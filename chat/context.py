"""What a command handler gets besides its Command: who is asking, when, the settings, and who else to tell."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
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

    @property
    def admin(self) -> str:
        return self.config["chat"]["admin_contact"]

    @property
    def undo_minutes(self) -> int:
        return self.config["chat"]["undo_minutes"]

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def local(self, stored: dt.datetime) -> dt.datetime:
        return stored.replace(tzinfo=dt.timezone.utc).astimezone(self.tz)

    @cached_property
    def with_code(self) -> bool:
        """Numbers carry the plan code (A24) when the asker's units have items in more than one active plan."""
        return len(chatdata.unit_plan_codes(self.actor.unit_ids)) > 1

    def tell(self, userid: str, text: str) -> None:
        if userid != self.actor.contact.userid and (userid, text) not in self.notify:
            self.notify.append((userid, text))
