"""Doctor checks for delivery: robot keys WeCom refused, shared keys, held and dead messages, and a database
that cannot store Chinese. Shared by `duban doctor` and `duban wecom check`."""

from __future__ import annotations

from i18n import _
from jobs.doctor import FAIL, OK, WARN, Check

# WeCom errcodes that mean the robot key itself is wrong (not a busy moment).
BAD_KEY_CODES = ("93000", "93001", "40001", "40014")


def check_delivery() -> list[Check]:
    from store.delivery_health import shared_targets, stuck_messages

    checks = []
    for s in stuck_messages():
        ids = ", ".join(map(str, s.ids[:8])) + (" …" if len(s.ids) > 8 else "")
        who = "、".join(s.groups) if s.groups else s.target
        if s.channel == "webhook" and any(code in s.reason for code in BAD_KEY_CODES):
            checks.append(Check("robot key", FAIL, _(
                "the robot key of {who} ({target}) was refused by WeCom: {reason}. {n} message(s) wait (ids {ids}). "
                "Copy the key again from the group's robot, then `duban leaders remove` and `duban leaders add` "
                "the group, `duban leaders test` it and `duban outbox retry --dead`").format(
                who=who, target=s.target, reason=s.reason, n=s.count, ids=ids)))
        elif s.state == "dead":
            checks.append(Check("outbox dead", FAIL, _(
                "{n} message(s) to {who} could not be sent and were given up (ids {ids}): {reason}. Fix the cause, "
                "then `duban outbox retry --dead`").format(n=s.count, who=who, ids=ids, reason=s.reason)))
        else:
            checks.append(Check("outbox held", FAIL, _(
                "{n} message(s) to {who} are held until a configuration error is fixed (ids {ids}): {reason}").format(
                n=s.count, who=who, ids=ids, reason=s.reason)))
    for channel, target, names in shared_targets():
        checks.append(Check("shared robot key", WARN, _(
            "leader groups {names} share one {channel} ({target}): each digest goes to the same group twice; "
            "give each group its own robot").format(names="、".join(names), channel=channel, target=target)))
    return checks


def check_charset() -> list[Check]:
    from store.delivery_health import charset_problems

    problems = charset_problems()
    if not problems:
        return []
    statements = " ".join(statement for _what, _charset, statement in problems)
    return [Check("database charset", FAIL, _(
        "{what} use(s) {charset}, which cannot store Chinese text: run `{statements}` in the database, then "
        "`duban doctor` again").format(what=", ".join(w for w, _c, _s in problems[:5]),
                                       charset=problems[0][1], statements=statements))]


def delivery_checks() -> list[Check]:
    checks = check_charset() + check_delivery()
    return checks or [Check("delivery", OK, _("no held or dead messages, no shared robot keys"))]
