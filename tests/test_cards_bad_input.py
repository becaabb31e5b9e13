"""Issue 14's bad input: clicks on items since reassigned, archived or done; clicks from someone else; forged
events; files of 0 bytes, over the limits, of a type WeCom would not send; media expired before download; a
download cut mid-way. Each gets a clear answer, and nothing is lost or recorded twice.
"""

from __future__ import annotations

import datetime as dt

import cards_world as cw
import pytest
import requests
from callback_support import AGENT_ID, CORP_ID

from jobs.evidence import fetch_downloads
from jobs.outbox import Dispatcher, enqueue_message, make_sender
from jobs.scheduler import run_reminders
from store.clock import clock
from store.models import Assignment, Contact, Evidence, Inbox, MediaDownload, Plan, Report, Unit
from wecom.cards import CardInvalid, validate_card, vote_card
from wecom.emulator_rules import MEDIA_LIFETIME
from wecom.say import build_plain_request, card_event_xml, media_message_xml, message_xml, new_msgid


@pytest.fixture
def world(db_url, tmp_path):
    cw.build()
    wecom = cw.emulator()
    cfg = cw.config(wecom, db_url, str(tmp_path / "evidence"))
    server = cw.serve(cfg)
    yield cw.Phone(server.url + cw.path(), cfg, wecom)
    server.stop()
    wecom.stop()


def _card(phone) -> str:
    run_reminders(phone.cfg)
    Dispatcher(make_sender(phone.cfg), phone.cfg).flush()
    return phone.wecom.messages_for("czj")[-1]["content"]["task_id"]


def _fetch(phone):
    return fetch_downloads(phone.cfg, make_sender(phone.cfg).client,
                           lambda key, channel, target, text: enqueue_message(key, channel, target, text))


def test_clicks_on_items_done_archived_or_reassigned(world):
    phone = world
    task_id = _card(phone)
    assert "已记录" in phone.say("完成 1")
    Assignment.update(unit=Unit.get(Unit.name == "区审计局")).where(Assignment.id == cw.assignment(2).id).execute()
    assert phone.click(task_id, "submit", ["1", "2", "3"]) == "[按钮] 已提交"
    (answer,) = [t for t in cw.outbox_texts() if "[1]" in t and "已提交" not in t and "已记录：[3]" in t]
    assert "[1] 推进重要决策公开：此前已标记完成" in answer
    assert "[2] 加强政策解读：已不由您的单位负责，未作记录" in answer
    assert Report.select().where(Report.kind == "done").count() == 2  # 1 by text, 3 by the card
    assert cw.assignment(2).state == "open"
    Plan.update(active=False).execute()  # archived
    clock.advance(dt.timedelta(seconds=5))
    reply = phone.click(task_id, "submit", ["4"])
    assert reply == "[按钮] 已提交"  # the card was answered before: the first answer stands
    assert cw.assignment(4).state == "open"


def test_a_click_from_someone_else_and_a_forged_one(world):
    phone = world
    task_id = _card(phone)
    # 王五 is not the card's recipient: WeCom's client cannot click it for him ...
    with pytest.raises(ValueError):
        phone.wecom.card_click("sjj", task_id, "submit", ["1"])
    # ... and an event claiming he did is refused by chat.
    params, body = phone.click_request(task_id, "submit", ["1"], as_user="sjj")
    assert cw.post(phone.url, phone.cfg, params, body) == "[按钮] 无法处理"
    assert any("不是发给您的" in t for t in cw.outbox_texts("sjj"))
    assert Report.select().count() == 0
    # A forged event (signed with another key) is refused before anything is stored.
    event = phone.wecom.card_click("czj", task_id, "submit", ["1"])
    plain = card_event_xml(CORP_ID, "czj", int(clock.now().timestamp()) + 7, AGENT_ID, event)
    params, body = build_plain_request(phone.cfg, plain)
    tampered = requests.post(phone.url, params={**params, "msg_signature": "0" * 40}, data=body, timeout=10)
    assert tampered.status_code == 403
    # A card nobody sent.
    ghost = card_event_xml(CORP_ID, "czj", int(clock.now().timestamp()) + 9, AGENT_ID,
                           {**event, "TaskId": "duban-19990101-nothing"})
    assert cw.post(phone.url, phone.cfg, *build_plain_request(phone.cfg, ghost)) == "[按钮] 无法处理"
    assert Report.select().count() == 0 and Assignment.select().where(Assignment.state == "done").count() == 0
    assert Inbox.select().where(Inbox.key.contains(str(int(clock.now().timestamp()) + 7))).count() == 0


def test_files_wecom_would_not_send(world):
    phone = world
    with pytest.raises(ValueError, match="0 bytes"):
        phone.wecom.user_media("czj", b"", "空.txt", "file")
    with pytest.raises(ValueError, match="cannot be sent"):
        phone.wecom.user_media("czj", b"x" * (20 * 1024 * 1024 + 1), "大.zip", "file")
    with pytest.raises(ValueError, match="no 'voice'"):
        phone.wecom.user_media("czj", b"abc", "语音.amr", "voice")
    # A voice message does arrive as a message type duban does not take: it says what it does take.
    plain = message_xml(CORP_ID, "czj", "voice", int(clock.now().timestamp()), AGENT_ID, msgid=new_msgid(),
                        extra={"MediaId": "m" * 20, "Format": "amr"})
    assert "图片、文件" in cw.post(phone.url, phone.cfg, *build_plain_request(phone.cfg, plain))
    assert MediaDownload.select().count() == 0


def test_over_the_size_limits(db_url, tmp_path):
    cw.build()
    wecom = cw.emulator()
    cfg = cw.config(wecom, db_url, str(tmp_path / "evidence"), max_file_mb=1)
    server = cw.serve(cfg)
    try:
        phone = cw.Phone(server.url + cw.path(), cfg, wecom)
        phone.say("材料 1")
        phone.send(phone.photo_request(b"x" * (1024 * 1024 + 1), "大图.jpg"))
        assert _fetch(phone).dead == 1
        assert any("文件超过1MB" in t for t in cw.outbox_texts())
        cfg["evidence"]["max_file_mb"] = 20
        cfg["evidence"]["max_unit_mb"] = 1  # the unit has room for one such file, not two
        phone.say("材料 1")
        phone.send(phone.photo_request(b"a" * 700_000, "一.jpg"))
        phone.send(phone.photo_request(b"b" * 700_000, "二.jpg"))
        assert _fetch(phone).done == 1
        assert any("存储上限" in t for t in cw.outbox_texts())
        assert Evidence.select().count() == 1
    finally:
        server.stop()
        wecom.stop()


def test_media_expired_before_download(world):
    phone = world
    phone.say("材料 1")
    phone.send(phone.photo_request())
    clock.advance(dt.timedelta(seconds=MEDIA_LIFETIME + 1))  # duban was down for three days
    assert _fetch(phone).dead == 1
    assert any("已过期" in t for t in cw.outbox_texts())
    assert Evidence.select().count() == 0


def test_a_download_cut_mid_way_is_retried_and_nothing_half_stored(world, tmp_path):
    phone = world
    phone.say("材料 1")
    phone.send(phone.photo_request())
    phone.wecom.script_faults("media/get", ["truncate", "drop"])
    first = _fetch(phone)
    assert (first.retried, first.done) == (1, 0)
    folder = tmp_path / "evidence"
    assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file()]
    clock.advance(dt.timedelta(seconds=31))
    assert _fetch(phone).retried == 1  # the connection dropped this time
    clock.advance(dt.timedelta(seconds=61))
    assert _fetch(phone).done == 1
    (stored,) = [p for p in folder.rglob("*") if p.is_file()]
    assert stored.read_bytes() == cw.PHOTO
    assert MediaDownload.get().attempts == 2


def test_a_file_for_an_unclear_item_waits_until_named_then_cancel(world):
    phone = world
    assert "哪一项" in phone.send(phone.photo_request())
    assert _fetch(phone).waiting == 1  # downloaded at once, kept until the sender says which item
    assert "已收到《发布截图.jpg》，作为[5]的佐证材料" in phone.say("5")
    assert Evidence.get().assignment_id == cw.assignment(5).id
    assert "哪一项" in phone.send(phone.photo_request(b"other", "另一张.jpg"))
    assert phone.say("取消") == "已取消，这个文件不作为佐证材料保存。"
    assert Evidence.select().count() == 1


def test_a_contact_with_cards_unknown_becomes_a_card_user_by_clicking(world):
    phone = world
    Contact.update(cards=None).execute()
    phone.cfg["cards"]["reminders"] = "on"
    task_id = _card(phone)
    phone.click(task_id, "submit", ["1"])
    assert Contact.get(Contact.userid == "czj").cards is True


def test_cards_that_would_not_fit():
    items = [cw_item(i) for i in range(21)]
    assert vote_card("t-1", items, "区财政局") is None  # 21 items: the reminder goes as text
    assert vote_card("t-1", items[:20], "区财政局")["checkbox"]["option_list"][19]["id"] == "a19"
    with pytest.raises(CardInvalid, match="task_id"):
        validate_card({**vote_card("t-1", items[:2], "区财政局"), "task_id": "x" * 129})
    with pytest.raises(CardInvalid, match="6 buttons"):
        validate_card({"card_type": "button_interaction", "main_title": {"title": "t"}, "task_id": "t",
                       "button_list": [{"text": str(i), "key": str(i)} for i in range(7)]})
    with pytest.raises(CardInvalid, match="main_title"):
        validate_card({"card_type": "button_interaction", "task_id": "t", "button_list": [{"text": "a", "key": "a"}]})


def cw_item(n: int):
    from wecom.cards import CardItem

    return CardItem(n, str(n), f"事项{n}" * 5, "10月31日", "还剩3个工作日")


def test_emulator_refuses_a_task_id_twice(world):
    phone = world
    _card(phone)
    card = phone.wecom.messages_for("czj")[-1]["content"]
    answer = requests.post(phone.wecom.base_url + "message/send",
                           params={"access_token": make_sender(phone.cfg).client.access_token},
                           json={"touser": "czj", "agentid": AGENT_ID, "msgtype": "template_card",
                                 "template_card": card}, timeout=10).json()
    assert answer["errcode"] == 40058 and "task_id" in answer["errmsg"]


def test_photo_retried_by_wecom_is_one_download(world):
    phone = world
    phone.say("材料 3")
    media_id = phone.wecom.user_media("czj", cw.PHOTO, "x.jpg", "image")
    plain = media_message_xml(CORP_ID, "czj", int(clock.now().timestamp()), AGENT_ID, "image", media_id, "",
                              new_msgid())
    request = build_plain_request(phone.cfg, plain)
    for _ in range(3):
        phone.send(request)
    assert MediaDownload.select().count() == 1
    assert _fetch(phone).done == 1 and _fetch(phone).done == 0
    assert Evidence.select().count() == 1


def test_a_click_after_the_plan_was_archived(world):
    phone = world
    for seq in (2, 3, 4, 5):
        Assignment.update(state="done").where(Assignment.id == cw.assignment(seq).id).execute()
    task_id = _card(phone)
    Plan.update(active=False).execute()
    assert phone.click(task_id, "done") == "[按钮] 无法处理"
    assert any("已归档或删除" in t for t in cw.outbox_texts())
    assert phone.click(task_id, "progress") == "[按钮] 无法处理"
    assert cw.assignment(1).state == "open" and Report.select().count() == 0
