"""`duban leaders test GROUP`: a visible test message to a leader group, sent now, and what WeCom said."""

from __future__ import annotations

from dataclasses import dataclass

from store.config import Config


@dataclass
class LeaderTest:
    group: str
    channel: str
    state: str  # sent | failed | dead | unknown | pending
    error: str | None
    msgid: str | None

    @property
    def ok(self) -> bool:
        return self.state == "sent"

    def as_dict(self) -> dict:
        return {"group": self.group, "channel": self.channel, "state": self.state, "error": self.error,
                "wecom_msgid": self.msgid}


def test_leader_group(name: str, config: Config) -> LeaderTest:
    """Enqueue a test message for the group and flush the outbox (anything else due goes out too)."""
    from jobs.outbox import Dispatcher, enqueue_message, make_sender
    from store.clock import clock
    from store.contacts import leader_group
    from store.models import Outbox

    group = leader_group(name)
    now = clock.local_now()
    text = f"【督办】测试消息：{group.name} 能收到督办的周报。（{now:%Y-%m-%d %H:%M}）"
    channel = "app" if group.channel == "app" else group.channel
    rows = enqueue_message(f"leaders-test:{group.id}:{now:%Y%m%d%H%M%S}", channel, group.target, text)
    Dispatcher(make_sender(config), config, sleep=lambda _s: None).flush()
    row = Outbox.get_by_id(rows[0].id)
    return LeaderTest(group.name, group.channel, row.state, row.last_error, row.wecom_msgid)
