"""Template cards (模板卡片消息, developer.work.weixin.qq.com/document/path/90236): building them, and the rules
WeCom checks, shared by duban's builder (which must stay inside them) and the emulator (which refuses what
WeCom refuses).

Two kinds of card carry a reminder:
- one item: `button_interaction` with 已完成 / 报进度 / 申请延期 and the item's title, deadline and state;
- several items: `vote_interaction` whose checkbox lists the items (multiple choice) and a 提交 button: the
  liaison ticks what is done and submits once. 报进度 for each item stays in chat (`进度 24 …`); the card says so.

Limits (the documentation's; WeCom states several as "建议不超过" and cuts the text on the client, the
emulator refuses them so a builder bug shows): task_id ≤ 128 bytes of [0-9A-Za-z_-@] and unique per app;
main_title.title ≤ 36 characters, desc ≤ 44; sub_title_text ≤ 112; horizontal_content_list ≤ 6 rows with
keyname ≤ 5 and value ≤ 26 characters; at most 6 buttons, each text ≤ 10 characters and key ≤ 1024 bytes,
keys distinct; a checkbox has 1–20 options, each id ≤ 128 bytes and text ≤ 11 characters; question_key and
submit_button.key ≤ 1024 bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wecom.shaping import inert

CARD_TYPES = ("text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction")
TASK_ID_BYTES = 128
TASK_ID_RE = re.compile(r"^[0-9A-Za-z_\-@]{1,128}$")
TITLE_CHARS = 36
DESC_CHARS = 44
SUB_TITLE_CHARS = 112
HORIZONTAL_ROWS = 6
KEYNAME_CHARS = 5
VALUE_CHARS = 26
MAX_BUTTONS = 6
BUTTON_TEXT_CHARS = 10
KEY_BYTES = 1024
MAX_OPTIONS = 20
OPTION_ID_BYTES = 128
OPTION_TEXT_CHARS = 11
SOURCE_DESC_CHARS = 13

# Button keys duban uses (EventKey of the click).
KEY_DONE = "done"
KEY_PROGRESS = "progress"
KEY_EXTEND = "extend"
KEY_SUBMIT = "submit"
QUESTION_DONE = "done_items"
BUTTON_DONE_TEXT = "已标记完成"


class CardInvalid(ValueError):
    """A card WeCom would refuse; `errcode` is what WeCom answers (40058 invalid parameter)."""

    def __init__(self, message: str, errcode: int = 40058) -> None:
        super().__init__(message)
        self.errcode = errcode


def _chars(value: Any, limit: int, name: str, required: bool = False) -> None:
    if value is None or value == "":
        if required:
            raise CardInvalid(f"{name} missing")
        return
    if not isinstance(value, str):
        raise CardInvalid(f"{name} must be a string")
    if len(value) > limit:
        raise CardInvalid(f"{name} exceeds {limit} characters")


def _bytes(value: Any, limit: int, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise CardInvalid(f"{name} missing")
    if len(value.encode("utf-8")) > limit:
        raise CardInvalid(f"{name} exceeds {limit} bytes")


def validate_card(card: Any) -> None:
    """Raise CardInvalid when WeCom would refuse this template_card (the `template_card` object)."""
    if not isinstance(card, dict):
        raise CardInvalid("template_card missing")
    card_type = card.get("card_type")
    if card_type not in CARD_TYPES:
        raise CardInvalid("template_card.card_type invalid")
    task_id = card.get("task_id")
    interactive = card_type in ("button_interaction", "vote_interaction", "multiple_interaction")
    if interactive or task_id is not None:
        if not isinstance(task_id, str) or not TASK_ID_RE.match(task_id):
            raise CardInvalid("template_card.task_id invalid (1-128 bytes of 0-9 A-Z a-z _ - @)")
    source = card.get("source") or {}
    _chars(source.get("desc") if isinstance(source, dict) else None, SOURCE_DESC_CHARS, "source.desc")
    main = card.get("main_title")
    if not isinstance(main, dict):
        raise CardInvalid("template_card.main_title missing")
    _chars(main.get("title"), TITLE_CHARS, "main_title.title", required=True)
    _chars(main.get("desc"), DESC_CHARS, "main_title.desc")
    _chars(card.get("sub_title_text"), SUB_TITLE_CHARS, "sub_title_text")
    rows = card.get("horizontal_content_list") or []
    if not isinstance(rows, list) or len(rows) > HORIZONTAL_ROWS:
        raise CardInvalid(f"horizontal_content_list exceeds {HORIZONTAL_ROWS} rows")
    for row in rows:
        if not isinstance(row, dict):
            raise CardInvalid("horizontal_content_list row invalid")
        _chars(row.get("keyname"), KEYNAME_CHARS, "horizontal_content_list.keyname", required=True)
        _chars(row.get("value"), VALUE_CHARS, "horizontal_content_list.value")
    if card_type == "button_interaction":
        _validate_buttons(card.get("button_list"))
    elif card_type == "vote_interaction":
        _validate_checkbox(card.get("checkbox"))
        submit = card.get("submit_button")
        if not isinstance(submit, dict):
            raise CardInvalid("submit_button missing")
        _chars(submit.get("text"), BUTTON_TEXT_CHARS, "submit_button.text", required=True)
        _bytes(submit.get("key"), KEY_BYTES, "submit_button.key")


def _validate_buttons(buttons: Any) -> None:
    if not isinstance(buttons, list) or not buttons:
        raise CardInvalid("button_list missing")
    if len(buttons) > MAX_BUTTONS:
        raise CardInvalid(f"button_list exceeds {MAX_BUTTONS} buttons")
    keys = set()
    for button in buttons:
        if not isinstance(button, dict):
            raise CardInvalid("button_list item invalid")
        _chars(button.get("text"), BUTTON_TEXT_CHARS, "button.text", required=True)
        _bytes(button.get("key"), KEY_BYTES, "button.key")
        if button["key"] in keys:
            raise CardInvalid("button.key repeated")
        keys.add(button["key"])


def _validate_checkbox(box: Any) -> None:
    if not isinstance(box, dict):
        raise CardInvalid("checkbox missing")
    _bytes(box.get("question_key"), KEY_BYTES, "checkbox.question_key")
    options = box.get("option_list")
    if not isinstance(options, list) or not 1 <= len(options) <= MAX_OPTIONS:
        raise CardInvalid(f"checkbox.option_list needs 1 to {MAX_OPTIONS} options")
    ids = set()
    for option in options:
        if not isinstance(option, dict):
            raise CardInvalid("checkbox option invalid")
        _bytes(option.get("id"), OPTION_ID_BYTES, "option.id")
        _chars(option.get("text"), OPTION_TEXT_CHARS, "option.text", required=True)
        if option["id"] in ids:
            raise CardInvalid("option.id repeated")
        ids.add(option["id"])
    if box.get("mode", 0) not in (0, 1):
        raise CardInvalid("checkbox.mode must be 0 or 1")


def button_keys(card: dict) -> set[str]:
    """The EventKeys a click on this card can carry."""
    if card.get("card_type") == "button_interaction":
        return {b["key"] for b in card.get("button_list") or []}
    if card.get("card_type") in ("vote_interaction", "multiple_interaction"):
        return {(card.get("submit_button") or {}).get("key", "")}
    return set()


def option_ids(card: dict) -> set[str]:
    box = card.get("checkbox") or {}
    return {o["id"] for o in box.get("option_list") or []}


# --- building --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardItem:
    """One item as a card shows it."""

    assignment_id: int
    number: str  # 24 or A24
    title: str  # the short title
    deadline: str  # 10月31日, 全年, 长期
    status: str  # 还剩3个工作日, 逾期2个工作日


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def button_card(task_id: str, item: CardItem, source: str = "督办助手") -> dict:
    """The one-item card: title, deadline and state, and 已完成 / 报进度 / 申请延期."""
    card = {
        "card_type": "button_interaction",
        "source": {"desc": _clip(source, SOURCE_DESC_CHARS)},
        "main_title": {"title": _clip(f"[{item.number}] {inert(item.title)}", TITLE_CHARS),  # plan text: data
                       "desc": _clip("督办提醒：请按时完成并报告", DESC_CHARS)},
        "horizontal_content_list": [
            {"keyname": "截止", "value": _clip(item.deadline, VALUE_CHARS)},
            {"keyname": "状态", "value": _clip(item.status, VALUE_CHARS)},
        ],
        "sub_title_text": _clip("完成后可直接发送照片或文件作为佐证材料。", SUB_TITLE_CHARS),
        "task_id": task_id,
        "button_list": [
            {"text": "已完成", "style": 1, "key": KEY_DONE},
            {"text": "报进度", "style": 2, "key": KEY_PROGRESS},
            {"text": "申请延期", "style": 2, "key": KEY_EXTEND},
        ],
    }
    validate_card(card)
    return card


def vote_card(task_id: str, items: list[CardItem], unit: str, source: str = "督办助手") -> dict | None:
    """The several-items card: tick the items that are done, submit once. None when the items do not fit
    (more than 20): the reminder then goes as text."""
    if not items or len(items) > MAX_OPTIONS:
        return None
    options = [{"id": f"a{item.assignment_id}", "text": _clip(f"[{item.number}]{item.title}", OPTION_TEXT_CHARS),
                "is_checked": False} for item in items]
    if any(len(o["id"].encode("utf-8")) > OPTION_ID_BYTES for o in options):
        return None
    card = {
        "card_type": "vote_interaction",
        "source": {"desc": _clip(source, SOURCE_DESC_CHARS)},
        "main_title": {"title": _clip(f"【督办提醒】{unit}{len(items)}项工作需要关注", TITLE_CHARS),
                       "desc": _clip("勾选已完成的事项后提交；报进度请发送「进度 编号 内容」", DESC_CHARS)},
        "task_id": task_id,
        "checkbox": {"question_key": QUESTION_DONE, "option_list": options, "mode": 1},
        "submit_button": {"text": "提交已完成", "key": KEY_SUBMIT},
    }
    validate_card(card)
    return card


def assignment_of_option(option_id: str) -> int | None:
    """The assignment id an option id (a123) stands for."""
    return int(option_id[1:]) if option_id.startswith("a") and option_id[1:].isdigit() else None
