"""`duban doctor`: configuration, database, WeCom, calendar and data checks, each with what to do about it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from i18n import _
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
    w = config.wecom
    missing = [k for k in ("corp_id", "agent_id", "secret") if not getattr(w, k)]
    checks = []
    if missing:
        checks.append(Check("wecom sending", FAIL, _('[wecom] {missing} not set: reminders cannot be sent. Fill them in duban.toml or DUBAN_WECOM_* (try `duban emulator` first).').format(missing=', '.join(missing))))
    else:
        checks.append(Check("wecom sending", OK, _('corp {corp_id}, agent {agent_id}, API {api_base_url}').format(corp_id=w.corp_id, agent_id=w.agent_id, api_base_url=w.api_base_url)))
    missing_cb = [k for k in ("token", "encoding_aes_key") if not getattr(w, k)]
    if missing_cb:
        checks.append(Check("wecom callback", WARN, _("[wecom] {missing_cb} not set: liaisons' replies cannot be received (set them from 应用 → 接收消息 → API接收).").format(missing_cb=', '.join(missing_cb))))
    else:
        checks.append(Check("wecom callback", OK, _('callback at {path}').format(path=config.server.path)))
    return checks


def check_wecom_token(config: Config) -> Check:
    from wecom.token_check import HINTS, fetch_token_error

    w = config.wecom
    error = fetch_token_error(w.corp_id, w.secret, int(w.agent_id), w.api_base_url,
                              min(float(w.timeout), 10.0))
    if error is None:
        return Check("wecom token", OK, _('access token fetched'))
    hint = HINTS.get(error.kind, "see the WeCom error code")
    return Check("wecom token", FAIL, _('cannot get an access token ({message}): {hint}').format(message=error.message, hint=hint))


def check_data(today: dt.date) -> list[Check]:
    from jobs.calendar import next_year_unknown, statutory_range, uncovered_years
    from store import health
    from store.holidays import notice_years

    checks = []
    years = sorted(set(health.active_plan_years()) | {today.year})
    imported = notice_years()
    unknown = uncovered_years(years, imported)
    if unknown:
        checks.append(Check("calendar", WARN, _("neither chinesecalendar nor an imported notice knows {value}: Monday–Friday is used; import the State Council's holiday notice for it with `duban calendar import FILE`").format(value=', '.join(map(str, unknown)))))
    else:
        span = statutory_range()
        known = [_("chinesecalendar package {first}–{last}").format(first=span[0], last=span[1])] if span else []
        if imported:
            known.append(_("imported notices {years}").format(years=", ".join(map(str, sorted(imported)))))
        checks.append(Check("calendar", OK, _("holidays known for {value} (from: {sources})").format(
            value=", ".join(map(str, years)), sources="; ".join(known))))
    upcoming = next_year_unknown(today, imported, translate=_)
    if upcoming and today.year + 1 not in unknown:
        checks.append(Check("calendar next year", WARN, upcoming))
    lonely = health.units_without_contacts()
    if lonely:
        shown = "、".join(lonely[:10]) + (_(" and {n} more").format(n=len(lonely) - 10) if len(lonely) > 10 else "")
        checks.append(Check("contacts", WARN, _('{lonely} unit(s) with open items have no contact: {shown} (`duban contact add` or `duban contact import`)').format(lonely=len(lonely), shown=shown)))
    else:
        checks.append(Check("contacts", OK, _('every unit with open items has a contact')))
    unresolved = health.tasks_with_unresolved_units()
    if unresolved:
        listed = "; ".join(f"{c}{s}: {p}" for c, s, p in unresolved[:5])
        checks.append(Check("unit phrases", WARN, _('{unresolved} unit phrase(s) could not be read: {listed}').format(unresolved=len(unresolved), listed=listed)))
    empty = health.groups_without_members()
    if empty:
        checks.append(Check("unit groups", WARN, _('groups named by tasks but without members reach nobody: {empty} (`duban group add-member GROUP UNIT…`)').format(empty='、'.join(empty))))
    problems = health.contacts_with_problems()
    if problems:
        listed = "; ".join(f"{u} ({n}): {p}" for u, n, p in problems[:5])
        checks.append(Check("contact problems", WARN, _('WeCom could not reach {problems} contact(s): {listed}').format(problems=len(problems), listed=listed)))
    return checks


def check_outbox() -> list[Check]:
    """Messages whose outcome is unknown (a robot or group chat may or may not have them) or that died."""
    from store import outbox

    checks = []
    unknown = outbox.unknown_rows()
    if unknown:
        ids = ", ".join(str(r.id) for r in unknown[:10]) + (" …" if len(unknown) > 10 else "")
        checks.append(Check("outbox unknown", WARN, _('{unknown} robot or group-chat message(s) may or may not have arrived (ids {ids}); they are not resent by themselves: check the group, then `duban outbox retry ID` (it did not arrive) or `duban outbox arrived ID` (it did)').format(unknown=len(unknown), ids=ids)))
    # dead and held messages, with their reasons: jobs/doctor_delivery.py
    return checks


def run_checks(config: Config, today: dt.date, *, online: bool = True) -> list[Check]:
    """Every check; the database must already be connected (the caller reports connection errors)."""
    checks = [Check("configuration", OK, _('loaded from {value}').format(value=config.path or _('built-in defaults and environment')))]
    checks += check_wecom_config(config)
    w = config.wecom
    if online and w.corp_id and w.secret and w.agent_id:
        checks.append(check_wecom_token(config))
    checks += check_data(today)
    checks += check_outbox()
    from jobs.doctor_delivery import delivery_checks

    checks += delivery_checks()
    return checks
