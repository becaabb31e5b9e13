"""What `doctor` and `wecom check` need to find delivery problems: failing robot keys, shared keys, messages
held for retry or dead with their reasons, and a MariaDB database that cannot store Chinese."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from store.db import backend, database
from store.models import LeaderGroup, Outbox
from store.outbox import HELD


@dataclass
class StuckMessages:
    channel: str
    target: str  # webhook keys masked
    state: str  # held (a configuration error waits for the admin) | dead (given up)
    reason: str
    count: int
    ids: list[int]
    groups: list[str]  # leader groups with this channel and target


def _mask(channel: str, target: str) -> str:
    return f"key ***{target[-4:]}" if channel == "webhook" else (target if len(target) < 60 else target[:57] + "…")


def stuck_messages() -> list[StuckMessages]:
    """Held (a configuration error) and dead messages, one entry per recipient and reason."""
    groups: dict[tuple[str, str], list[str]] = {}
    for g in LeaderGroup.select(LeaderGroup.name, LeaderGroup.channel, LeaderGroup.target):
        groups.setdefault((g.channel, g.target), []).append(g.name)
    found: dict[tuple[str, str, str, str], StuckMessages] = {}
    held = (Outbox.state << ["pending", "failed"]) & Outbox.last_error.startswith(HELD)
    query = (Outbox.select(Outbox.id, Outbox.channel, Outbox.target, Outbox.state, Outbox.last_error)
             .where((Outbox.state == "dead") | held).order_by(Outbox.id))
    for row in query:
        state = "held" if (row.last_error or "").startswith(HELD) else row.state
        reason = " ".join((row.last_error or "?").removeprefix(HELD).split())[:160]
        key = (row.channel, row.target, state, reason)
        if key not in found:
            found[key] = StuckMessages(row.channel, _mask(row.channel, row.target), state, reason, 0, [],
                                       groups.get((row.channel, row.target), []))
        found[key].count += 1
        found[key].ids.append(row.id)
    return list(found.values())


def shared_targets() -> list[tuple[str, str, list[str]]]:
    """Leader groups that share one robot key or chat: (channel, masked target, names)."""
    rows = (LeaderGroup.select(LeaderGroup.channel, LeaderGroup.target, pw.fn.COUNT(LeaderGroup.id))
            .group_by(LeaderGroup.channel, LeaderGroup.target).having(pw.fn.COUNT(LeaderGroup.id) > 1).tuples())
    out = []
    for channel, target, _count in rows:
        names = [g.name for g in LeaderGroup.select(LeaderGroup.name).where(
            (LeaderGroup.channel == channel) & (LeaderGroup.target == target)).order_by(LeaderGroup.name)]
        out.append((channel, _mask(channel, target), names))
    return out


def charset_problems() -> list[tuple[str, str, str]]:
    """MariaDB/MySQL only: (database or table, its charset, the statement that converts it to utf8mb4)."""
    if backend() != "mysql":
        return []
    problems = []
    name, charset = database.execute_sql(
        "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME = DATABASE()").fetchone()
    convert = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    if charset != "utf8mb4":
        problems.append((f"database {name}", charset, f"ALTER DATABASE `{name}` {convert};"))
    for table, collation in database.execute_sql(
            "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME").fetchall():
        if collation and not collation.startswith("utf8mb4"):
            problems.append((f"table {table}", collation.split("_")[0],
                             f"ALTER TABLE `{table}` CONVERT TO {convert};"))
    return problems
