"""Plans and their tasks: lookups used by the CLI, chat and jobs."""

from __future__ import annotations

from i18n import _
from store.db import StoreError
from store.models import Plan


def get_plan(ref: str | int | None = None) -> Plan:
    """A plan by id, code, or a unique part of its title; with no ref, the only active plan."""
    if ref is None or ref == "":
        plans = list(Plan.select().where(Plan.active == True).order_by(Plan.id))  # noqa: E712
        if len(plans) == 1:
            return plans[0]
        if not plans:
            raise StoreError(_('no plan imported yet: run `duban plan import FILE`'))
        codes = ", ".join(f"{p.code} ({p.title})" for p in plans)
        raise StoreError(_('several plans are active, choose one with --plan: {codes}').format(codes=codes))
    text = str(ref).strip()
    if text.isdigit():
        plan = Plan.get_or_none(Plan.id == int(text))
        if plan:
            return plan
    plan = Plan.get_or_none(Plan.code == text.upper())
    if plan:
        return plan
    matches = list(Plan.select().where(Plan.title.contains(text)))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise StoreError(f"{text!r} matches several plans: " + ", ".join(f"{p.code} ({p.title})" for p in matches))
    raise StoreError(_('no plan {text!r}; see `duban plan list`').format(text=text))
