"""Evidence (佐证材料) in chat: which item a photo or file is for, `材料 24`, and answers to what duban asked.

A file is for the item the person is talking about: the item duban just asked them about (报进度 / 申请延期
from a card, or `材料 24`), else the item of the one-item card they clicked last (within [cards]
prompt_minutes), else their only item; otherwise duban asks which item (listing their items) and keeps the
file until they answer. The download itself is a job (jobs/evidence.py): chat records the request and says
what happens; the job confirms 「已收到《…》，作为[24]的佐证材料」 once the file is stored.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from chat import replies
from chat.context import Context
from chat.parse import REF, Command
from chat.registry import registry
from chat.resolve import resolve_item
from store import cardstate, chatdata, downloads
from store.config import Config
from store.db import database
from store.evidence import confirmation
from store.models import ChatPrompt

CANCEL_WORDS = {"取消", "cancel", "算了"}
KIND_NAMES = {"image": "图片", "file": "文件", "video": "视频"}


def _today(now: dt.datetime, config: Config) -> dt.date:
    return now.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(config.timezone)).date()


def _talked_about(userid: str, now: dt.datetime, config: Config) -> int | None:
    prompt = cardstate.current_prompt(userid, now)
    if prompt is not None and prompt.assignment_id and prompt.kind in ("progress", "extension", "attach"):
        return prompt.assignment_id
    since = now - dt.timedelta(minutes=config.cards.prompt_minutes)
    return cardstate.last_clicked_single_item(userid, since)


def handle_media(userid: str, kind: str, media_id: str, filename: str, key: str, sent_at: dt.datetime,
                 now: dt.datetime, config: Config) -> str:
    """An image / file / video message: queue its download for the right item, or ask which item."""
    today = _today(now, config)
    actor = chatdata.find_actor(userid, today)
    if actor is None:
        return replies.not_a_contact(config.chat.admin_contact)
    target = _talked_about(userid, now, config)
    candidates = chatdata.unit_items(actor.unit_ids, today)
    if target is None and len(candidates) == 1:
        target = candidates[0].assignment_id
    with database.atomic():
        row, created = downloads.add_download(key, userid, media_id, kind, filename, target, sent_at, now)
        if target is not None or not created:
            return ""  # the download job confirms once the file is stored
        cardstate.set_prompt(userid, "evidence", None, row.id, now, config.cards.prompt_minutes)
    name = f"《{filename}》" if filename else f"这个{KIND_NAMES.get(kind, '文件')}"
    if not candidates:
        return f"已收到{name}，但本单位没有督办事项，未作为佐证材料。如有疑问请联系{config.chat.admin_contact}。"
    with_code = len(chatdata.unit_plan_codes(actor.unit_ids)) > 1
    head = [f"已收到{name}。这是哪一项的佐证材料？请回复编号，例如：{replies.number(candidates[0].seq, candidates[0].plan_code, with_code)}"]
    lines = [replies.item_line(i, today, with_code, len(actor.unit_ids) > 1) for i in candidates]
    return replies.fit_lines(head, lines, ["发送「取消」则不保存。"], lambda n: f"…等{n}项")


@registry.command("evidence", "材料", "佐证", "佐证材料", "evidence", shape=REF, usage="材料 24",
                  summary="接下来发送的图片、文件作为该项的佐证材料")
def name_evidence_item(ctx: Context, cmd: Command) -> str:
    if cmd.ref is None:
        return replies.usage_error(cmd.problem, "材料 24", cmd.word)
    found = resolve_item(ctx, cmd)
    if isinstance(found, str):
        return found
    item = found.item
    number = replies.number(item.seq, item.plan_code, ctx.with_code)
    userid = ctx.actor.contact.userid
    prompt = cardstate.current_prompt(userid, ctx.now)
    if prompt is not None and prompt.kind == "evidence" and prompt.download_id:
        return _attach_waiting(ctx, prompt, item.assignment_id, number)
    minutes = ctx.config.cards.prompt_minutes
    cardstate.set_prompt(userid, "attach", item.assignment_id, None, ctx.now, minutes)
    return f"请在{minutes}分钟内发送{replies.label(item, ctx.with_code)}的佐证材料（图片或文件）。"


def _attach_waiting(ctx: Context, prompt: ChatPrompt, assignment_id: int, number: str) -> str:
    """The person named the item for a file duban kept: record it now (or when its download finishes)."""
    userid = ctx.actor.contact.userid
    max_unit = ctx.config.evidence.max_unit_mb * 1024 * 1024
    with database.atomic():
        row = downloads.get_download(prompt.download_id)
        cardstate.clear_prompt(userid, prompt.id)
        if row is None or row.state == "dead":
            return "这个文件未能下载，请重新发送。"
        if row.state == "waiting":
            info, problem = downloads.complete(row, assignment_id, ctx.actor.contact.id, ctx.now, max_unit,
                                               claimed=False)
            if info is not None:
                return confirmation(info.filename, number, duplicate=problem == "duplicate")
            if problem == "unit_full":
                return f"本单位的佐证材料已达存储上限，这个文件未保存，请联系{ctx.admin}。"
            return "这个文件已经处理过了。"
        if row.state == "done":
            return "这个文件已经作为佐证材料保存过了。"
        downloads.name_item(row.id, assignment_id)
    return f"好的，文件下载完成后将作为[{number}]的佐证材料保存，届时会通知您。"


def answer_prompt(ctx: Context, prompt: ChatPrompt, text: str) -> tuple[str | None, str | None]:
    """(reply, None) when the message answers what duban asked with a reply of its own; (None, command text)
    when it becomes a command (the progress text becomes 「进度 24 …」); (None, None) when it is no answer."""
    words = text.strip()
    if words.lower() in CANCEL_WORDS:
        cardstate.clear_prompt(ctx.actor.contact.userid, prompt.id)
        return ("已取消，这个文件不作为佐证材料保存。" if prompt.kind == "evidence" else "已取消。"), None
    if prompt.kind == "attach":
        return None, None  # waiting for a file, not for words
    if prompt.kind == "evidence":
        number = words.lstrip("#[［").rstrip("]］")
        return (None, f"材料 {number}") if number[:1].isalnum() and len(number) <= 12 else (None, None)
    item = chatdata.get_item(prompt.assignment_id, ctx.today) if prompt.assignment_id else None
    cardstate.clear_prompt(ctx.actor.contact.userid, prompt.id)
    if item is None:
        return None, None
    number = replies.number(item.seq, item.plan_code, ctx.with_code)
    return None, f"{'进度' if prompt.kind == 'progress' else '延期'} {number} {words}"
