"""What a click on a reminder card means: the same rules as the chat commands, applied once.

已完成 marks the card's item done; 提交 marks every ticked item done; 报进度 / 申请延期 ask for the text in
chat, and the person's next message answers it (chat.prompts). Only the card's recipient may click it, only
for items still theirs (not reassigned, archived or deleted); a WeCom retry is answered from the inbox by
the callback layer, and a second click (a new event) finds the first click's record: nothing changes twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from chat import replies
from store import cardstate, chatdata
from store.chatdata import ChatDataError
from store.config import Config

# The keys wecom/cards.py gives the buttons (the card is built there, its clicks are read here).
KEY_DONE, KEY_PROGRESS, KEY_EXTEND, KEY_SUBMIT = "done", "progress", "extend", "submit"
BUTTON_DONE = "已标记完成"
BUTTON_SUBMITTED = "已提交"
BUTTON_ASKED = "请在对话中回复"
BUTTON_REFUSED = "无法处理"


@dataclass
class CardAnswer:
    reply: str  # what the clicker reads in chat
    button: str  # the clicked button's new text
    notify: list[tuple[str, str]] = field(default_factory=list)


def handle_click(userid: str, task_id: str, event_key: str, selected: list[int], key: str, now: dt.datetime,
                 config: Config) -> CardAnswer:
    """Apply one click; `selected` are the assignment ids ticked on a multiple-choice card; `key` is the event's
    inbox key (unique per click)."""
    today = now.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(config.timezone)).date()
    actor = chatdata.find_actor(userid, today)
    if actor is None:
        return CardAnswer(replies.not_a_contact(config.chat.admin_contact), BUTTON_REFUSED)
    card = cardstate.get_card(task_id)
    if card is None:
        return CardAnswer("这张卡片已失效，请发送「任务」查看待办事项。", BUTTON_REFUSED)
    if card.userid != userid:
        return CardAnswer("这张卡片不是发给您的，不能代为操作。", BUTTON_REFUSED)
    cardstate.set_contact_cards(userid, True, only_if_unset=True)  # their client shows cards
    ids = cardstate.card_assignments(card)
    if event_key in (KEY_PROGRESS, KEY_EXTEND):
        return _ask(actor, ids[0] if len(ids) == 1 else None, event_key, now, today, config)
    if card.answer:
        return CardAnswer("这张卡片已经提交过：\n" + card.answer, BUTTON_DONE if event_key == KEY_DONE else BUTTON_SUBMITTED)
    if event_key == KEY_DONE:
        targets = ids[:1]
    elif event_key == KEY_SUBMIT:
        targets = [i for i in selected if i in ids]
        if not targets:
            return CardAnswer("没有勾选任何事项，未作记录。请勾选已完成的事项后再提交。", "未勾选")
    else:
        return CardAnswer("这个按钮已不再使用，请发送「任务」查看待办事项。", BUTTON_REFUSED)
    results = [_done_line(actor, aid, key, now, today) for aid in targets]
    summary = "\n".join(line for line, _ok in results)
    cardstate.note_click(card, summary, now)
    rest = [i for i in ids if i not in targets]
    reply = summary
    if rest:
        reply += "\n其余事项如有进展，请发送「进度 编号 内容」；佐证材料可直接发送图片或文件。"
    else:
        reply += "\n佐证材料（照片、文件）可直接发送给我。"
    if not any(ok for _line, ok in results):
        return CardAnswer(summary, BUTTON_REFUSED)
    return CardAnswer(reply, BUTTON_DONE if event_key == KEY_DONE else BUTTON_SUBMITTED)


def _done_line(actor, assignment_id: int, key: str, now: dt.datetime, today: dt.date) -> tuple[str, bool]:
    """What became of one ticked item, and whether it is done now."""
    item = chatdata.get_item(assignment_id, today)
    if item is None:
        return "一项事项已归档或删除，未作记录。", False
    label = f"[{item.seq}] {replies.short_title(item.subcategory, item.requirement)}"
    if item.unit_id not in actor.unit_ids:
        return f"{label}：已不由您的单位负责，未作记录。", False
    if item.state == "done":
        return f"{label}：此前已标记完成。", True
    try:
        chatdata.mark_done(item, actor.contact, "（通过卡片标记）", f"{key}#{assignment_id}", now)
    except ChatDataError:
        return f"{label}：此前已标记完成。", True
    return f"已记录：{label} {item.unit} 已完成", True


def _ask(actor, assignment_id: int | None, event_key: str, now: dt.datetime, today: dt.date,
         config: Config) -> CardAnswer:
    item = chatdata.get_item(assignment_id, today) if assignment_id else None
    if item is None:
        return CardAnswer("该事项已归档或删除。发送「任务」查看待办事项。", BUTTON_REFUSED)
    if item.unit_id not in actor.unit_ids:
        return CardAnswer("该事项已不由您的单位负责。发送「任务」查看待办事项。", BUTTON_REFUSED)
    if item.state == "done":
        return CardAnswer(f"[{item.seq}] 已标记完成，无需再报。", BUTTON_DONE)
    minutes = config.cards.prompt_minutes
    kind = "progress" if event_key == KEY_PROGRESS else "extension"
    cardstate.set_prompt(actor.contact.userid, kind, item.assignment_id, None, now, minutes)
    what = ("进展，例如：已完成初稿 60%" if kind == "progress"
            else "新的截止日期和原因，例如：11月30日 等待上级批复")
    return CardAnswer(f"请在{minutes}分钟内发送[{item.seq}]的{what}。发送「取消」放弃。", BUTTON_ASKED)
