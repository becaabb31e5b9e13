"""`duban doctor`: configuration, database, WeCom, calendar and data checks, each with what to do about it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store.config import Config

OK, WARN, FAIL = "ok", "warning", "error"


@dataclass
class Check:
    name: str
    level: str  # ok | warning | error
    message: str

    def as_dict(self) -> dict:
        return {"check": self.name, "level": self.level, "message": self.message}


def check_wecom_config(config: Config) -> list[Check]:
    w = config["wecom"]
    missing = [k for k in ("corp_id", "agent_id", "secret") if not w[k]]
    checks = []
    if missing:
        checks.append(Check("wecom sending", FAIL, f"[wecom] {', '.join(missing)} not set: reminders cannot be "
                            "sent. Fill them in duban.toml or DUBAN_WECOM_* (try `duban emulator` first)."))
    else:
        checks.append(Check("wecom sending", OK, f"corp {w['corp_id']}, agent {w['agent_id']}, "
                            f"API {w['api_base_url']}"))
    missing_cb = [k for k in ("token", "encoding_aes_key") if not w[k]]
    if missing_cb:
        checks.append(Check("wecom callback", WARN, f"[wecom] {', '.join(missing_cb)} not set: liaisons' replies "
                            "cannot be received (set them from 应用 → 接收消息 → API接收)."))
    else:
        checks.append(Check("wecom callback", OK, f"callback at {config['server']['path']}"))
    return checks


def check_wecom_token(config: Config) -> Check:
    from wecom.token_check import HINTS, fetch_token_error

    w = config["wecom"]
    error = fetch_token_error(w["corp_id"], w["secret"], int(w["agent_id"]), w["api_base_url"],
                              min(float(w["timeout"]), 10.0))
    if error is None:
        return Check("wecom token", OK, "access token fetched")
    hint = HINTS.get(error.kind, "see the WeCom error code")
    return Check("wecom token", FAIL, f"cannot get an access token ({error.message}): {hint}")


def check_data(today: dt.date) -> list[Check]:
    from jobs.calendar import next_year_unknown, uncovered_years
    from store import health
    from store.holidays import notice_years

    checks = []
    years = sorted(set(health.active_plan_years()) | {today.year})
    imported = notice_years()
    unknown = uncovered_years(years, imported)
    if unknown:
        checks.append(Check("calendar", WARN, f"neither chinesecalendar nor an imported notice knows "
                            f"{', '.join(map(str, unknown))}: Monday–Friday is used; import the State Council's "
                            "holiday notice for it with `duban calendar import FILE`"))
    else:
        checks.append(Check("calendar", OK, f"holidays known for {', '.join(map(str, years))}"))
    upcoming = next_year_unknown(today, imported)
    if upcoming and today.year + 1 not in unknown:
        checks.append(Check("calendar next year", WARN, upcoming))
    lonely = health.units_without_contacts()
    if lonely:
        shown = "、".join(lonely[:10]) + (f" and {len(lonely) - 10} more" if len(lonely) > 10 else "")
        checks.append(Check("contacts", WARN, f"{len(lonely)} unit(s) with open items have no contact: {shown} "
                            "(`duban contact add` or `duban contact import`)"))
    else:
        checks.append(Check("contacts", OK, "every unit with open items has a contact"))
    unresolved = health.tasks_with_unresolved_units()
    if unresolved:
        listed = "; ".join(f"{c}{s}: {p}" for c, s, p in unresolved[:5])
        checks.append(Check("unit phrases", WARN, f"{len(unresolved)} unit phrase(s) could not be read: {listed}"))
    empty = health.groups_without_members()
    if empty:
        checks.append(Check("unit groups", WARN, f"groups named by tasks but without members reach nobody: "
                            f"{'、'.join(empty)} (`duban group add-member GROUP UNIT…`)"))
    problems = health.contacts_with_problems()
    if problems:
        listed = "; ".join(f"{u} ({n}): {p}" for u, n, p in problems[:5])
        checks.append(Check("contact problems", WARN, f"WeCom could not reach {len(problems)} contact(s): {listed}"))
    return checks


def check_outbox() -> list[Check]:
    """Messages whose outcome is unknown (a robot or group chat may or may not have them) or that died."""
    from store import outbox

    checks = []
    unknown = outbox.unknown_rows()
    if unknown:
        ids = ", ".join(str(r.id) for r in unknown[:10]) + (" …" if len(unknown) > 10 else "")
        checks.append(Check("outbox unknown", WARN, f"{len(unknown)} robot or group-chat message(s) may or may not "
                            f"have arrived (ids {ids}); they are not resent by themselves: check the group, then "
                            "`duban outbox retry ID` (`duban outbox list --state unknown`)"))
    # dead and held messages, with their reasons: jobs/doctor_delivery.py
    return checks


def run_checks(config: Config, today: dt.date, *, online: bool = True) -> list[Check]:
    """Every check; the database must already be connected (the caller reports connection errors)."""
    checks = [Check("configuration", OK, f"loaded from {config.path or 'built-in defaults and environment'}")]
    checks += check_wecom_config(config)
    w = config["wecom"]
    if online and w["corp_id"] and w["secret"] and w["agent_id"]:
        checks.append(check_wecom_token(config))
    checks += check_data(today)
    checks += check_outbox()
    from jobs.doctor_delivery import delivery_checks

    checks += delivery_checks()
    return checks
