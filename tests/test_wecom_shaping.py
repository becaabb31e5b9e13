import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wecom.shaping import (
    APP_TEXT_LIMIT,
    PART_MARKER,
    WEBHOOK_MARKDOWN_LIMIT,
    markdown_to_text,
    split_message,
    strip_part_marker,
    utf8_len,
)

FONT_SPAN = re.compile(r"<font\b[^>]*>.*?</font>", re.S)


def joined(parts: list[str]) -> str:
    return "".join(strip_part_marker(p) for p in parts)


def cut_positions(parts: list[str]) -> list[int]:
    positions, at = [], 0
    for part in parts[:-1]:
        at += len(strip_part_marker(part))
        positions.append(at)
    return positions


def test_utf8_len_counts_bytes():
    assert utf8_len("abc") == 3
    assert utf8_len("督办") == 6
    assert utf8_len("😀") == 4


def test_limits_are_the_documented_bytes():
    assert APP_TEXT_LIMIT == 2048
    assert WEBHOOK_MARKDOWN_LIMIT == 4096


def test_a_message_that_fits_is_unchanged_and_unmarked():
    text = "关于印发五华区2019年工作方案的通知\n请各单位按时报送进度。"
    assert split_message(text, APP_TEXT_LIMIT) == [text]


def test_3000_byte_chinese_text_gives_two_numbered_parts_that_join_back():
    line = "区政府办公室牵头，各部门配合，10月底前完成。\n"  # 3 bytes a character
    text = line * (3000 // utf8_len(line) + 1)
    assert 3000 <= utf8_len(text) < 3100
    parts = split_message(text, APP_TEXT_LIMIT)
    assert len(parts) == 2
    assert parts[0].startswith("（1/2）\n") and parts[1].startswith("（2/2）\n")
    assert all(utf8_len(p) <= APP_TEXT_LIMIT for p in parts)
    assert joined(parts) == text
    # cut at a line boundary
    assert strip_part_marker(parts[0]).endswith("\n")


def test_a_long_line_is_cut_at_a_character_boundary_preferring_punctuation():
    text = "督办事项，" * 300  # one line, 4500 bytes
    parts = split_message(text, 1000)
    assert joined(parts) == text
    assert all(utf8_len(p) <= 1000 for p in parts)
    assert all(strip_part_marker(p).endswith("，") for p in parts[:-1])


def test_never_cuts_inside_a_font_span():
    span = '<font color="warning">已逾期 12 天，请尽快办理</font>'
    text = ("事项" * 20 + span) * 40  # one long line full of spans
    parts = split_message(text, 300)
    assert joined(parts) == text
    spans = [(m.start(), m.end()) for m in FONT_SPAN.finditer(text)]
    for cut in cut_positions(parts):
        assert not any(a < cut < b for a, b in spans), cut


def test_an_over_long_font_span_is_cut_in_its_text_not_in_its_tags():
    text = '<font color="info">' + "很长的内容" * 100 + "</font>"
    parts = split_message(text, 200)
    assert joined(parts) == text
    tags = [(m.start(), m.end()) for m in re.finditer(r"</?font[^>]*>", text)]
    for cut in cut_positions(parts):
        assert not any(a < cut < b for a, b in tags)


def test_number_parts_false_gives_plain_chunks():
    text = "第一行\n" * 200
    parts = split_message(text, 100, number_parts=False)
    assert "".join(parts) == text
    assert not any(PART_MARKER.match(p) for p in parts)
    assert all(utf8_len(p) <= 100 for p in parts)


def test_marker_width_grows_with_the_number_of_parts():
    text = "一二三四五六七八九十\n" * 200  # 6200 bytes, ~ 250 parts of 30 bytes
    parts = split_message(text, 40)
    assert len(parts) >= 100
    assert parts[0].startswith(f"（1/{len(parts)}）\n")
    assert all(utf8_len(p) <= 40 for p in parts)
    assert joined(parts) == text


def test_a_limit_that_cannot_hold_a_marker_and_a_character_is_refused():
    with pytest.raises(ValueError):
        split_message("督" * 10, 12)


chunks = st.one_of(
    st.text(alphabet="ab 中文，。😀\n", min_size=1, max_size=30),
    st.builds(lambda c, t: f'<font color="{c}">{t}</font>', st.sampled_from(["info", "comment", "warning"]),
              st.text(alphabet="逾期x1 ", min_size=0, max_size=6)),
    st.builds(lambda u: f"<@{u}>", st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(chunks, min_size=1, max_size=60).map("".join), st.integers(min_value=80, max_value=400),
       st.booleans())
def test_split_property(text, limit, numbered):
    parts = split_message(text, limit, number_parts=numbered)
    assert all(utf8_len(p) <= limit for p in parts)
    if utf8_len(text) <= limit:
        assert parts == [text]
        return
    assert ("".join(parts) if not numbered else joined(parts)) == text
    if numbered:
        assert all(PART_MARKER.match(p) for p in parts)
    # every font span here is shorter than a part, so none is cut
    spans = [(m.start(), m.end()) for m in FONT_SPAN.finditer(text)]
    positions, at = [], 0
    for part in parts[:-1]:
        at += len(strip_part_marker(part) if numbered else part)
        positions.append(at)
    for cut in positions:
        assert not any(a < cut < b for a, b in spans)


def test_markdown_to_text():
    md = (
        "# 督办提醒\n"
        "> **事项**：<font color=\"warning\">已逾期</font>\n"
        "请 <@zhangsan> 查看 [任务 24](https://example.org/t/24)，回复 `完成 24`。"
    )
    assert markdown_to_text(md) == (
        "督办提醒\n"
        "事项：已逾期\n"
        "请 @zhangsan 查看 任务 24 (https://example.org/t/24)，回复 完成 24。"
    )


def test_markdown_to_text_keeps_plain_text_and_bare_links():
    assert markdown_to_text("第 3 项 #24 进度 50%") == "第 3 项 #24 进度 50%"
    assert markdown_to_text("[https://a.cn](https://a.cn)") == "https://a.cn"
