"""A small world for chat tests, made directly with the models: plan A (and, on demand, plan B), three units.

Clock: Tuesday 2019-10-22 09:00 in Shanghai. Plan A's items for 区财政局, most urgent first:
14 (10-31, responsible), 24 (11-15, lead), 30 (year-round), 40 (ongoing, cooperate).
区审计局 has 14 and 50 (10-15, overdue). 区政府办公室 leads 14.
"""

from __future__ import annotations

import datetime as dt

from chat import handle
from store.clock import clock
from store.config import load_config
from store.models import Assignment, Contact, Deadline, Inbox, Plan, Task, Unit

NOW_LOCAL = dt.datetime(2019, 10, 22, 9, 0)
TASKS_A = {
    # seq: (subcategory, requirement, deadlines [(kind, due, raw)], {unit: role})
    14: ("推进重要决策公开", "围绕重大决策事项，做好决策前征求意见和决策后的解读工作。" * 6,
         [("fixed", dt.date(2019, 10, 31), "10月底前")],
         {"区政府办公室": "lead", "区财政局": "responsible", "区审计局": "responsible"}),
    24: ("加强政策解读", "做好政策解读材料与文件同步起草、同步审签、同步发布。",
         [("fixed", dt.date(2019, 11, 15), "11月15日前")], {"区财政局": "lead"}),
    30: ("推进财政预决算公开", "全年持续推进预决算公开。", [("year_round", dt.date(2019, 12, 31), "全年工作")],
         {"区财政局": "responsible"}),
    40: ("加强网站建设", "长期做好网站内容保障。", [("ongoing", None, "长期")], {"区财政局": "cooperate"}),
    50: ("审计结果公开", "按时公开审计结果。", [("fixed", dt.date(2019, 10, 15), "10月15日前")], {"区审计局": "lead"}),
}
TASKS_B = {
    24: ("优化营商环境公开", "公开涉企收费清单。", [("fixed", dt.date(2019, 12, 20), "12月20日前")], {"区财政局": "lead"}),
    7: ("减税降费公开", "公开减税降费政策。", [("fixed", dt.date(2019, 12, 31), "年底前")], {"区财政局": "lead"}),
}
CONTACTS = [
    ("区财政局", "张三", "czj", "liaison"),
    ("区财政局", "李局长", "czjz", "leader"),
    ("区审计局", "王五", "sjj", "liaison"),
    ("区审计局", "赵局长", "sjjz", "leader"),
    ("区政府办公室", "钱六", "zfb", "liaison"),
]


def now() -> dt.datetime:
    return clock.utcnow()


def _plan(code: str, title: str, tasks: dict, units: dict[str, Unit]) -> Plan:
    stamp = clock.utcnow()
    plan = Plan.create(code=code, title=title, year=2019, issued_on=dt.date(2019, 9, 6), source_name=f"{code}.txt",
                       sha256=code * 64, imported_at=stamp)
    for seq, (sub, requirement, deadlines, roles) in tasks.items():
        task = Task.create(plan=plan, seq=seq, category="政务公开", subcategory=sub, requirement=requirement,
                           units_raw="、".join(roles), deadline_raw="、".join(d[2] for d in deadlines))
        for position, (kind, due, raw) in enumerate(deadlines):
            Deadline.create(task=task, position=position, kind=kind, due=due, raw=raw)
        for unit, role in roles.items():
            Assignment.create(task=task, unit=units[unit], role=role, created_at=stamp)
    return plan


def build() -> None:
    clock.freeze(NOW_LOCAL)
    stamp = clock.utcnow()
    units = {name: Unit.create(name=name, created_at=stamp) for name in ("区财政局", "区审计局", "区政府办公室")}
    _plan("A", "五华区2019年政务公开工作要点分工方案", TASKS_A, units)
    for unit, name, userid, role in CONTACTS:
        Contact.create(unit=units[unit], name=name, userid=userid, role=role, created_at=stamp)


def add_plan_b() -> None:
    units = {u.name: u for u in Unit.select()}
    _plan("B", "五华区优化营商环境工作分工方案", TASKS_B, units)


def config(**chat):
    cfg = load_config(None, environ={})
    cfg["chat"].update(chat)
    return cfg


class Chat:
    """Send messages the way the callback layer does: an Inbox row first, then chat."""

    def __init__(self, cfg=None) -> None:
        self.cfg = cfg or config()
        self.count = 0

    def send(self, userid: str, text: str, msgid: str | None = None, inbox: bool = True):
        self.count += 1
        msgid = msgid or f"m{self.count}"
        if inbox and not Inbox.get_or_none(Inbox.key == msgid):
            Inbox.create(key=msgid, from_user=userid, received_at=now(), content=text)
        result = handle(userid, text, msgid=msgid, now=now(), config=self.cfg)
        assert len(result.reply.encode("utf-8")) <= 2048
        assert all(len(t.encode("utf-8")) <= 2048 for _u, t in result.notify)
        return result

    def say(self, userid: str, text: str, msgid: str | None = None) -> str:
        return self.send(userid, text, msgid).reply


def assignment(seq: int, unit: str, plan: str = "A") -> Assignment:
    return (Assignment.select().join(Task).join(Plan).switch(Assignment).join(Unit)
            .where((Task.seq == seq) & (Unit.name == unit) & (Plan.code == plan)).get())
