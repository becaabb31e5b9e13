"""Text as people type it on a phone: full-width digits and signs, Chinese numerals."""

from __future__ import annotations

import unicodedata

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS)


def halfwidth(text: str) -> str:
    """Full-width forms folded to ASCII (２４ → 24, ％ → %, ＃ → #, ？ → ?), one character for one.

    Keeping the length lets a caller slice the original text with positions found in the folded one,
    so what people wrote is stored as they wrote it.
    """
    out = []
    for ch in text:
        if ch == "\u3000":
            out.append(" ")
            continue
        folded = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def cn_number(text: str) -> int | None:
    """二十四 → 24, 十 → 10, 一百 → 100, 百 → 100, 六〇 → 60; None when it is not a plain numeral."""
    if not text or any(ch not in CN_NUMERAL_CHARS for ch in text):
        return None
    if all(ch in CN_DIGITS for ch in text):  # digit by digit: 六〇 → 60
        value = 0
        for ch in text:
            value = value * 10 + CN_DIGITS[ch]
        return value
    total, digit, last_unit = 0, None, 10_000
    for ch in text:
        if ch in CN_DIGITS:
            if digit is not None and CN_DIGITS[ch] != 0:
                return None  # two digits without a unit between them: 二三十
            digit = CN_DIGITS[ch] if CN_DIGITS[ch] != 0 else None
        else:
            unit = CN_UNITS[ch]
            if unit >= last_unit:
                return None  # 十百, 百百
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    if digit is not None:
        total += digit
    return total
