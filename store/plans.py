"""Plans and their tasks: lookups used by the CLI, chat and jobs."""

from __future__ import annotations

from store.db import StoreError
from store.models import Plan


def get_plan(ref: str | int | None = None) -> Plan:
    """A plan by id, code, or a unique part of its title; with no ref, the only active plan."""
    if ref is None or ref == "":
        plans = list(Plan.select().where(Plan.active == True).order_by(Plan.id))  # noqa: E712
        if len(plans) == 1:
            return plans[0]
        if not plans:
            raise StoreError("no plan imported yet: run `duban plan import FILE`")
        codes = ", ".join(f"{p.code} ({p.title})" for p in plans)
        raise StoreError(f"several plans are active, choose one with --plan: {codes}")
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
    raise StoreError(f"no plan {text!r}; see `duban plan list`")
