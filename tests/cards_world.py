"""A liaison with five items due today, the WeCom emulator, and duban's real callback server in front of it.

Clock: Tuesday 2019-10-22 09:00 in Shanghai (frozen; the emulator runs on the same clock). 区财政局 leads
tasks 1–5 of plan A, all due 10月22日; 张三 (czj) is its liaison, 李局长 (czjz) its leader; 王五 (sjj) is
区审计局's liaison.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from callback_support import AES_KEY, AGENT_ID, CORP_ID, PATH, SECRET, TOKEN

from commands.chatops import make_callback_handlers, make_chat_handler, make_outbox_notifier
from store.clock import clock
from store.config import load_config
from store.models import Assignment, Contact, Deadline, Outbox, Plan, Task, Unit
from wecom.callback import start_callback
from wecom.emulator import WeComEmulator
from wecom.say import (
    build_callback_request,
    build_plain_request,
    card_event_xml,
    media_message_xml,
    new_msgid,
)
from wecom.say import post_callback as post

NOW_LOCAL = dt.datetime(2019, 10, 22, 9, 0)
TITLES = {1: "推进重要决策公开", 2: "加强政策解读", 3: "推进预决算公开", 4: "发布政府信息公开年报", 5: "加强网站建设"}
# A tiny real JPEG header + body is not needed: WeCom hands over bytes, duban stores bytes.
PHOTO = b"\xff\xd8\xff\xe0" + "发布截图：区政府网站政策解读专栏".encode() * 50 + b"\xff\xd9"


def build(cards: bool | None = True) -> None:
    clock.freeze(NOW_LOCAL)
    stamp = clock.utcnow()
    finance = Unit.create(name="区财政局", created_at=stamp)
    audit = Unit.create(name="区审计局", created_at=stamp)
    plan = Plan.create(code="A", title="五华区2019年政务公开工作要点分工方案", year=2019, issued_on=dt.date(2019, 9, 6),
                       source_name="A.txt", sha256="A" * 64, imported_at=stamp)
    for seq, title in TITLES.items():
        task = Task.create(plan=plan, seq=seq, category="政务公开", subcategory=title, requirement=f"{title}。",
                           units_raw="区财政局", deadline_raw="10月22日前")
        Deadline.create(task=task, position=0, kind="fixed", due=dt.date(2019, 10, 22), raw="10月22日前")
        Assignment.create(task=task, unit=finance, role="lead", created_at=stamp)
    Contact.create(unit=finance, name="张三", userid="czj", role="liaison", created_at=stamp, cards=cards)
    Contact.create(unit=finance, name="李局长", userid="czjz", role="leader", created_at=stamp)
    Contact.create(unit=audit, name="王五", userid="sjj", role="liaison", created_at=stamp)


def assignment(seq: int) -> Assignment:
    return Assignment.select().join(Task).where(Task.seq == seq).get()


def config(emulator: WeComEmulator, db_url: str, evidence_dir: str, **evidence):
    cfg = load_config(None, environ={})
    cfg["database"]["url"] = db_url
    cfg["wecom"].update(corp_id=CORP_ID, token=TOKEN, encoding_aes_key=AES_KEY, secret=SECRET, agent_id=AGENT_ID,
                        api_base_url=emulator.base_url)
    cfg["evidence"].update(dir=evidence_dir, **evidence)
    return cfg


def emulator() -> WeComEmulator:
    return WeComEmulator(CORP_ID, SECRET, AGENT_ID, clock=lambda: clock.now().timestamp()).start()


@dataclass
class Phone:
    """What a liaison's WeCom client does: type, click, send a photo — each a real callback POST."""

    url: str
    cfg: object
    wecom: WeComEmulator
    userid: str = "czj"

    def _stamp(self) -> int:
        # A person takes at least a second between taps (WeCom keys an event by user and CreateTime).
        clock.advance(dt.timedelta(seconds=1))
        return int(clock.now().timestamp())

    def say(self, text: str) -> str:
        return post(self.url, self.cfg, *build_callback_request(self.cfg, self.userid, text))

    def click_request(self, task_id: str, key: str, selected: list[str] | None = None, as_user: str | None = None):
        event = self.wecom.card_click(self.userid, task_id, key, selected)
        plain = card_event_xml(CORP_ID, as_user or self.userid, self._stamp(), AGENT_ID, event)
        return build_plain_request(self.cfg, plain)

    def click(self, task_id: str, key: str, selected: list[str] | None = None) -> str:
        return post(self.url, self.cfg, *self.click_request(task_id, key, selected))

    def photo_request(self, data: bytes = PHOTO, filename: str = "发布截图.jpg", kind: str = "image"):
        media_id = self.wecom.user_media(self.userid, data, filename, kind)
        plain = media_message_xml(CORP_ID, self.userid, self._stamp(), AGENT_ID, kind, media_id,
                                  filename if kind == "file" else "", new_msgid())
        return build_plain_request(self.cfg, plain)

    def send(self, request) -> str:
        return post(self.url, self.cfg, *request)


def serve(cfg):
    return start_callback(cfg, make_chat_handler(cfg), make_outbox_notifier(), host="127.0.0.1", port=0,
                          **make_callback_handlers(cfg))


def outbox_texts(userid: str = "czj") -> list[str]:
    return [row.body for row in Outbox.select().where(Outbox.target == userid).order_by(Outbox.id)
            if row.msgtype == "text"]


def path() -> str:
    return PATH
