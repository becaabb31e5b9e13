"""Text as people type it on a phone: full-width digits and signs, Chinese numerals.

The rules live in plan/cntext.py (pure, shared with the plan readers), so a number is read the same way in a
plan and in a chat message."""

from __future__ import annotations

from plan.cntext import CN_DIGITS, CN_NUMERAL_CHARS, CN_UNITS, cn_number, halfwidth

__all__ = ["CN_DIGITS", "CN_NUMERAL_CHARS", "CN_UNITS", "cn_number", "halfwidth"]
