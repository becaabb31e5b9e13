"""Words for codes that several rooms show people (the codes themselves stay in --json)."""

from __future__ import annotations

from i18n import _


def duplicate_reason(reason: str) -> str:
    """Why two unit names look like one unit (plan.units.likely_duplicates gives the code)."""
    if reason == "level_twin":
        return _("the same name at another level of government")
    if reason == "contains":
        return _("one name contains the other")
    return reason
