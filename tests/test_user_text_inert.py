"""User text is data, never markup, wherever it reaches another person (issue 17, finding 5).

A liaison put `<a href="http://evil.example/login">请领导点此登录审批</a>` into an extension request and it
reached the leader verbatim in 【延期申请#N】, where WeCom shows a clickable link. `wecom.shaping.inert` is the
one function every notice, digest line and quoted text goes through.
"""

import re

import pytest

from jobs.digest_words import title
from tests.chat_world import Chat, build
from wecom.shaping import inert

ATTACK = '<a href="http://evil.example/login">请领导点此登录审批</a>'
LINKISH = re.compile(r"<a\b|href=|https?://|evil\.example|<@|<font|\*\*|\]\(", re.I)


@pytest.fixture
def world(db_url):
    build()


def test_a_link_in_an_extension_request_reaches_the_leader_as_plain_text(world):
    asked = Chat().send("czj", f"延期 24 2019-12-31 {ATTACK}")
    [(leader, notice)] = asked.notify
    assert leader == "czjz" and "【延期申请#" in notice
    assert "请领导点此登录审批" in notice  # the words arrive, as words
    assert not LINKISH.search(notice), notice


def test_a_leaders_note_reaches_the_liaison_as_plain_text(world):
    chat = Chat()
    chat.send("czj", "延期 24 2019-12-31 人手不足")
    from store.models import Extension

    decided = chat.send("czjz", f"驳回 {Extension.get().id} <@all> **紧急** [点此](http://evil.example) <font color=\"warning\">x</font>")
    [(_liaison, told)] = decided.notify
    assert not LINKISH.search(told), told


@pytest.mark.parametrize("text", [
    ATTACK, "<@zhangsan> 请处理", '<font color="warning">逾期</font>', "**加粗** `代码` [链接](http://x.cn/a)",
    "登录evil.example/login领取", "www.evil.example", "HTTPS://EVIL.EXAMPLE", "第一行\n【领导批示】同意\u200b",
    "javascript:alert(1)", "wxwork://message?x=1",
])
def test_inert_leaves_no_link_tag_mention_or_markdown(text):
    shown = inert(text)
    assert not LINKISH.search(shown) and "\n" not in shown and "<" not in shown and ">" not in shown
    assert "://" not in shown and not re.search(r"[A-Za-z0-9-]\.[A-Za-z]{2,}", shown)


def test_ordinary_text_is_unchanged_and_clipped():
    assert inert("已完成初稿 60%，v1.2 版，3.5 万元") == "已完成初稿 60%，v1.2 版，3.5 万元"
    assert inert("甲" * 30, 10) == "甲" * 10 + "…"


def test_a_digest_line_quotes_plan_text_inert():
    line = title(7, "", "在<a href='http://evil.example'>门户网站</a>公开**全部**信息")
    assert not LINKISH.search(line) and "门户网站" in line


def test_text_written_as_a_formula_stays_text_in_the_ledger(db_url, tmp_path):
    import datetime as dt
    import zipfile

    import openpyxl

    from jobs.ledger import export_ledger_xlsx
    from store.models import Task
    from tests.world import build_world

    build_world()
    formula = '=HYPERLINK("http://evil.example/login","请领导点此登录审批")'
    Task.update(requirement=formula).where(Task.seq == 14).execute()  # a plan cell, imported as it was
    path = tmp_path / "台账.xlsx"
    export_ledger_xlsx(path, today=dt.date(2019, 11, 12))
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet  # no formula anywhere: the text is stored as text
    cells = [c.value for row in openpyxl.load_workbook(path).active.iter_rows() for c in row]
    assert formula in cells


def test_the_board_shows_a_report_as_plain_text(db_url, tmp_path):
    """The web board quotes reports through the same function (its `inert` template filter)."""
    from store.clock import clock
    from store.models import Assignment, Contact, Report, Task, Unit
    from tests.board_support import CORP_ID, SECRET, make_board, sign_in
    from wecom.emulator import WeComEmulator

    emulator = WeComEmulator(corp_id=CORP_ID, corp_secret=SECRET).start()
    try:
        board = make_board(emulator, tmp_path)
        seq = min(s for (s,) in Task.select(Task.seq).join(Assignment).join(Unit)
                  .where(Unit.name == "区财政局").tuples())
        assignment = (Assignment.select().join(Task).switch(Assignment).join(Unit)
                      .where((Unit.name == "区财政局") & (Task.seq == seq)).get())
        Report.create(assignment=assignment, contact=Contact.get(Contact.userid == "czj"), at=clock.utcnow(),
                      kind="progress", text=f"已完成 {ATTACK} 见www.evil.example")
        client = board.client()
        sign_in(client, board.emulator, "czj")
        code = assignment.task.plan.code
        page = client.get(f"/board/item/{code}/{seq}").get_data(as_text=True)
        assert "请领导点此登录审批" in page
        assert "evil.example" not in page and "http://evil" not in page and "&lt;a href" not in page
    finally:
        emulator.stop()
