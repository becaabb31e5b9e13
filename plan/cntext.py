"""Chinese numerals and full-width forms, read one way everywhere: plan documents, deadline and unit phrases,
chat messages (`chat/textnorm.py` re-exports these). Pure: no I/O."""

from __future__ import annotations

CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS)


def halfwidth_char(ch: str) -> str:
    """One character folded: full-width ASCII forms (２, ％, ＃, （) to ASCII, the ideographic space to a space,
    other Unicode decimal digits to 0–9; anything else (①, 〇, Chinese) unchanged."""
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    if ch == "\u3000":
        return " "
    if code > 127 and ch.isdecimal():
        return str(int(ch))
    return ch


def halfwidth(text: str, keep: str = "") -> str:
    """`text` with every character folded by `halfwidth_char`, except those in `keep`; one character for one, so
    positions found in the folded text slice the original."""
    return "".join(ch if ch in keep else halfwidth_char(ch) for ch in text)


def cn_number(text: str) -> int | None:
    """二十四 → 24, 十 → 10, 一百 → 100, 百 → 100, 六〇 → 60, 二〇二〇 → 2020, ２４ → 24; None when it is not a plain
    number."""
    text = halfwidth(text or "")
    if text.isascii() and text.isdigit():
        return int(text)
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


def cn_digits(run: str) -> str | None:
    """A numeral run as the digits it reads as, keeping written zeros: 二〇〇五 → '2005', 〇五 → '05', 十二 → '12'."""
    if run and all(ch in CN_DIGITS for ch in run):
        return "".join(str(CN_DIGITS[ch]) for ch in run)
    value = cn_number(run)
    return None if value is None else str(value)
