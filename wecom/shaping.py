"""Pure message shaping: WeCom limits are in BYTES of UTF-8 (a Chinese character is 3 bytes).

`split_message` cuts a long text into parts that each fit, numbering them with a PREFIX marker
"（i/n）\\n" (full-width brackets, then a newline) so a reader sees the part number first. Removing exactly
one marker from each part (`strip_part_marker`) and joining gives back the original text.
A text that fits is returned unchanged, without a marker.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from wecom.limits import (  # noqa: F401 - re-exported: shaping's callers read the limits here
    APP_MARKDOWN_LIMIT,
    APP_TEXT_LIMIT,
    TEXTCARD_DESCRIPTION_LIMIT,
    TEXTCARD_TITLE_LIMIT,
    WEBHOOK_MARKDOWN_LIMIT,
    WEBHOOK_TEXT_LIMIT,
)

PART_MARKER = re.compile(r"\A（(\d+)/(\d+)）\n")

# Cuts never fall strictly inside these spans (while a span fits in a part).
_FONT_SPAN = re.compile(r"<font\b[^>]*>.*?</font>", re.S | re.I)
_LINK = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)")
# Tag markup is never cut, even when an over-long font span has to be.
_TAG = re.compile(r"</?font\b[^>]*>|<@[^<>\s]+>", re.I)
# User text made inert (`inert`): markup characters become their full-width look-alikes, link schemes and
# domain names are broken so no client turns them into links.
_MARKUP = str.maketrans({"<": "＜", ">": "＞", "*": "＊", "`": "'", "[": "［", "]": "］", "#": "＃", "|": "｜",
                         "\\": "＼", "~": "～"})
_TAG_LIKE = re.compile(r"</?[A-Za-z@!][^<>]{0,500}>")  # <a href=…>, </a>, <font …>, <@userid>, <!--…-->
_SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.-]{1,15}):/+")
_DOMAIN = re.compile(r"(?<![A-Za-z0-9-])(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])")
_SOFT_BREAK_AFTER = frozenset("。；，、！？,.;!? \t")
_MAX_CHAR_BYTES = 4


def utf8_len(s: str) -> int:
    """Length of `s` in UTF-8 bytes."""
    return len(s.encode("utf-8"))


def part_marker(index: int, total: int) -> str:
    """The marker put before part `index` (1-based) of `total`."""
    return f"（{index}/{total}）\n"


def strip_part_marker(part: str) -> str:
    """A part without its leading marker (unchanged when it has none)."""
    return PART_MARKER.sub("", part, count=1)


def split_message(text: str, limit_bytes: int, *, number_parts: bool = True) -> list[str]:
    """Split `text` into parts of at most `limit_bytes` UTF-8 bytes each, markers included.

    Cuts go after a newline when the current line fits; a longer line is cut at a character boundary
    (preferably after punctuation or a space), never inside a `<font …>…</font>` span, a `<@userid>`
    mention or a `[link](url)`. Only a single font span longer than a part is cut inside its text (never
    inside the tags themselves). Raises ValueError when `limit_bytes` cannot hold a marker and a character.
    """
    if utf8_len(text) <= limit_bytes:
        return [text]
    if not number_parts:
        return _split(text, limit_bytes)
    digits = 1
    while True:
        widest = 10**digits - 1
        chunks = _split(text, limit_bytes - utf8_len(part_marker(widest, widest)))
        if len(chunks) <= widest:
            return [part_marker(i, len(chunks)) + chunk for i, chunk in enumerate(chunks, start=1)]
        digits += 1


def _split(text: str, budget: int) -> list[str]:
    if budget < _MAX_CHAR_BYTES:
        raise ValueError(f"a part of {budget} bytes cannot hold a character")
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + len(ch.encode("utf-8")))
    n = len(text)
    inside_span = _inside(n, [_FONT_SPAN, _LINK, _TAG], text)
    inside_tag = _inside(n, [_TAG], text)
    line_cuts = [i + 1 for i, ch in enumerate(text) if ch == "\n" and not inside_span[i + 1]]

    chunks: list[str] = []
    start = 0
    while start < n:
        if offsets[n] - offsets[start] <= budget:
            chunks.append(text[start:])
            break
        end = bisect_right(offsets, offsets[start] + budget) - 1  # last index that fits
        cut = _last_line_cut(line_cuts, start, end)
        if cut is None:
            cut = _last_cut(text, inside_span, start, end, prefer_soft=True)
        if cut is None:  # a font span longer than a part: cut its text, never its tags
            cut = _last_cut(text, inside_tag, start, end, prefer_soft=False)
        if cut is None:
            raise ValueError(f"a part of {budget} bytes cannot hold a tag of this text")
        chunks.append(text[start:cut])
        start = cut
    return chunks


def _inside(n: int, patterns: list[re.Pattern], text: str) -> bytearray:
    """inside[i] == 1 when a cut before text[i] would fall strictly inside a matched span."""
    inside = bytearray(n + 1)
    for pattern in patterns:
        for match in pattern.finditer(text):
            for i in range(match.start() + 1, match.end()):
                inside[i] = 1
    return inside


def _last_line_cut(line_cuts: list[int], start: int, end: int) -> int | None:
    k = bisect_right(line_cuts, end) - 1
    if k >= 0 and line_cuts[k] > start:
        return line_cuts[k]
    return None


def _last_cut(text: str, forbidden: bytearray, start: int, end: int, *, prefer_soft: bool) -> int | None:
    fallback = None
    half = start + (end - start) // 2
    for i in range(end, start, -1):
        if forbidden[i]:
            continue
        if fallback is None:
            fallback = i
            if not prefer_soft:
                return i
        if i <= half:  # no soft break in the upper half: take the longest part
            break
        if text[i - 1] in _SOFT_BREAK_AFTER:
            return i
    return fallback


def markdown_to_text(md: str) -> str:
    """Plain text of WeCom's markdown subset, for readers on the WeChat plugin (no markdown there).

    Headings and `>` quotes lose their markers, **bold** and `code` their delimiters, font colours their tags;
    [link](url) becomes "link (url)" and <@userid> becomes @userid.
    """
    lines = []
    for line in md.split("\n"):
        line = re.sub(r"^\s{0,3}(?:>\s?)+", "", line)
        line = re.sub(r"^\s{0,3}#{1,6}\s+", "", line)
        lines.append(line)
    text = "\n".join(lines)
    text = _LINK.sub(_link_text, text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text, flags=re.S)
    text = re.sub(r"`([^`\n]*)`", r"\1", text)
    text = re.sub(r"</?font\b[^>]*>", "", text, flags=re.I)
    return re.sub(r"<@([^<>\s]+)>", r"@\1", text)


def _link_text(match: re.Match) -> str:
    label, _, url = match.group(0)[1:-1].partition("](")
    if not label or label == url:
        return url
    return f"{label} ({url})"


__all__ = [
    "APP_MARKDOWN_LIMIT", "APP_TEXT_LIMIT", "PART_MARKER", "TEXTCARD_DESCRIPTION_LIMIT", "TEXTCARD_TITLE_LIMIT",
    "WEBHOOK_MARKDOWN_LIMIT", "WEBHOOK_TEXT_LIMIT", "markdown_to_text", "part_marker", "split_message",
    "strip_part_marker", "utf8_len",
]


def inert(text: str | None, limit: int | None = None) -> str:
    """Text someone typed, made safe to put in front of another person: one line, no control or invisible
    characters, and no link, tag (<a>, <font>), mention (<@userid>) or markdown that WeCom (or a browser)
    would act on: tags and mentions are dropped (`<a href="http://evil.example">登录</a>` shows as 登录), other
    markup characters become full-width look-alikes, and bare links are broken (http：//evil．example).
    Clipped to `limit` characters with "…". Every notice, digest, card and board that quotes people calls this.
    """
    text = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    text = " ".join(_TAG_LIKE.sub("", " ".join(text.split())).split()).translate(_MARKUP)
    text = _SCHEME.sub(lambda m: m.group(1) + "：//", text)
    text = _DOMAIN.sub(lambda m: m.group(0).replace(".", "．"), text)
    return text if limit is None or len(text) <= limit else text[:limit] + "…"
