"""The status board's pages and who sees what, through Flask's test client and the WeCom emulator's OAuth.

The world (tests/world.py): the sample plan of 2019; 区财政局 has liaison czj and leader czjz, 区政府办公室 has
zfb, 区审计局 has sjj; admin01 is in [web] admins. Today is 2019-11-05.
"""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from openpyxl import load_workbook

from store.clock import clock
from store.evidence import record_evidence, relative_path
from store.models import Assignment, Deadline, Plan, Report, Task, Unit
from tests.board_support import ADMIN, CORP_ID, SECRET, make_board, sign_in
from wecom.emulator import WeComEmulator


@pytest.fixture
def board(db_url, tmp_path):
    emulator = WeComEmulator(corp_id=CORP_ID, corp_secret=SECRET).start()
    yield make_board(emulator, tmp_path)
    emulator.stop()


def unit_id(name: str) -> int:
    return Unit.get(Unit.name == name).id


def seq_of(unit: str, other: str | None = None) -> int:
    """A task of `unit` (and not of `other`)."""
    mine = {s for (s,) in Task.select(Task.seq).join(Assignment).join(Unit).where(Unit.name == unit).tuples()}
    if other:
        mine -= {s for (s,) in Task.select(Task.seq).join(Assignment).join(Unit).where(Unit.name == other).tuples()}
    return min(mine)


def plan_code() -> str:
    return Plan.select(Plan.code).scalar()


def add_evidence(board, unit: str, seq: int, name: str = "照片.jpg", data: bytes = b"\xff\xd8evidence-bytes",
                 path: str | None = None) -> int:
    assignment = (Assignment.select().join(Task).switch(Assignment).join(Unit)
                  .where((Unit.name == unit) & (Task.seq == seq)).get())
    sha = hashlib.sha256(data + name.encode()).hexdigest()
    path = path or relative_path(sha, name)
    root = board.config["evidence"]["dir"]
    if ".." not in path:
        import pathlib

        file = pathlib.Path(root) / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
    info, _ = record_evidence(assignment.id, None, "czj", name, "image", "image/jpeg", len(data), sha, path, None,
                              clock.utcnow(), clock.utcnow())
    return info.id


def test_anonymous_visitors_are_sent_to_wecom_sign_in_and_see_nothing(board):
    client = board.client()
    for path in ("/board/", "/board/units", f"/board/unit/{unit_id('区财政局')}", "/board/items?q=1", "/board/ledger.xlsx"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/board/login?next=")
    start = client.get("/board/login?next=/board/units")
    location = start.headers["Location"]
    assert location.startswith(board.emulator.root_url + "connect/oauth2/authorize?appid=" + CORP_ID)
    assert "scope=snsapi_base" in location and f"agentid={board.emulator.agent_id}" in location
    assert location.endswith("#wechat_redirect")
    refused = client.post("/board/")
    assert refused.status_code == 405 and "不支持" in refused.get_data(as_text=True)


def test_admin_signs_in_through_oauth_and_sees_every_unit(board):
    client = board.client()
    answer = sign_in(client, board.emulator, ADMIN, "/board/units")
    assert answer.status_code == 302 and answer.headers["Location"] == "/board/units"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/board" in cookie
    page = client.get("/board/").get_data(as_text=True)
    for words in ("已完成", "推进中", "逾期", "未启动", "落后最多的单位", "10个工作日内到期", "各单位完成情况", "区审计局", "区财政局"):
        assert words in page
    units = client.get("/board/units?sort=unit&dir=asc").get_data(as_text=True)
    names = [n for n in ("区审计局", "区政府办公室", "区财政局") if n in units]
    assert names == sorted(names, key=units.index) and len(names) == 3
    assert "按期完成率" in units and "回复用时中位数" in units


def test_overview_counts_and_due_soon(board):
    client = board.client()
    sign_in(client, board.emulator, ADMIN)
    import datetime as dt

    from store.board_data import Viewer, board_plans, load_rows, overview

    rows = load_rows(board_plans(Viewer(ADMIN, ADMIN, "admin")), clock.today())
    view = overview(rows, clock.today(), dt.date(2019, 11, 19))
    assert sum(view.assignments.values()) == len(rows) == Assignment.select().count()
    assert view.assignments["overdue"] == sum(1 for r in rows if r.fact.due and r.fact.due < clock.today())
    assert all(clock.today() <= r.fact.due <= dt.date(2019, 11, 19) for r in view.due_soon)
    page = client.get("/board/").get_data(as_text=True)
    assert f"<b>{view.tasks['overdue']}</b><span>逾期</span>" in page


def test_a_liaison_sees_only_their_units(board):
    client = board.client()
    sign_in(client, board.emulator, "czj")
    finance, audit = unit_id("区财政局"), unit_id("区审计局")
    overview = client.get("/board/").get_data(as_text=True)
    assert "区财政局" in overview and "区审计局" not in overview
    assert client.get(f"/board/unit/{finance}").status_code == 200
    refused = client.get(f"/board/unit/{audit}")
    assert refused.status_code == 404 and "无权查看" in refused.get_data(as_text=True)
    other = seq_of("区审计局", other="区财政局")
    assert client.get(f"/board/item/{plan_code()}/{other}").status_code == 404
    assert client.get(f"/board/items?unit={audit}").status_code == 404
    found = client.get(f"/board/items?q={other}").get_data(as_text=True)
    assert "共0项" in found
    shared = seq_of("区财政局")
    item = client.get(f"/board/item/{plan_code()}/{shared}").get_data(as_text=True)
    assert "区财政局" in item and "区审计局" not in item
    add_evidence(board, "区审计局", seq_of("区财政局"), name="审计截图.jpg")  # another unit's proof on a shared item
    book = load_workbook(io.BytesIO(client.get("/board/ledger.xlsx").data))
    cells = "\n".join(str(c or "") for r in book.worksheets[0].iter_rows(min_row=3, values_only=True) for c in r)
    assert "区财政局" in cells and "审计截图" not in cells
    for other in ("区审计局", "区政府办公室"):
        assert f"{other}：" not in cells


def test_evidence_downloads_check_rights_and_paths(board):
    finance_seq = seq_of("区财政局", other="区审计局")
    audit_seq = seq_of("区审计局", other="区财政局")
    mine = add_evidence(board, "区财政局", finance_seq, name='会议"纪要".jpg')
    theirs = add_evidence(board, "区审计局", audit_seq, name="审计.jpg")
    tricky = add_evidence(board, "区财政局", finance_seq, name="x.jpg", data=b"other", path="../../../etc/passwd")
    client = board.client()
    sign_in(client, board.emulator, "czj")
    item = client.get(f"/board/item/{plan_code()}/{finance_seq}").get_data(as_text=True)
    assert f"/board/evidence/{mine}" in item and "会议&#34;纪要&#34;.jpg" in item
    answer = client.get(f"/board/evidence/{mine}")
    assert answer.status_code == 200 and answer.data == b"\xff\xd8evidence-bytes"
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    for evidence_id in (theirs, tricky, 999999, 2**40):
        refused = client.get(f"/board/evidence/{evidence_id}")
        assert refused.status_code == 404 and "evidence-bytes" not in refused.get_data(as_text=True)
        assert "root:" not in refused.get_data(as_text=True)
    sneaky = add_evidence(board, "区财政局", finance_seq, name="../../.bashrc\r\nX-Evil: 1", data=b"sneaky")
    answer = client.get(f"/board/evidence/{sneaky}")
    assert answer.status_code == 200 and "X-Evil" not in answer.headers
    disposition = answer.headers["Content-Disposition"]
    assert "/" not in disposition.split("filename", 1)[1] and "\n" not in disposition
    admin = board.client()
    sign_in(admin, board.emulator, ADMIN)
    assert admin.get(f"/board/evidence/{theirs}").status_code == 200


def test_search_by_seq_words_and_filters(board):
    client = board.client()
    sign_in(client, board.emulator, ADMIN)
    seq = seq_of("区财政局")
    task = Task.get(Task.seq == seq)
    by_seq = client.get(f"/board/items?q={seq}").get_data(as_text=True)
    assert f"<b>{plan_code()}{seq}</b>" in by_seq
    assert f"<b>{plan_code()}{seq}</b>" in client.get(f"/board/items?q={plan_code()}{seq}").get_data(as_text=True)
    word = next(task.requirement[i:i + 4] for i in range(len(task.requirement))
                if not any(ch.isdigit() or ch.isspace() for ch in task.requirement[i:i + 4]))
    by_words = client.get("/board/items", query_string={"q": word}).get_data(as_text=True)
    assert f"<b>{plan_code()}{seq}</b>" in by_words
    overdue = client.get("/board/items?state=overdue").get_data(as_text=True)
    assert "st-overdue" in overdue and "st-done" not in overdue and "st-not_started" not in overdue
    assert client.get("/board/items?state=weird").status_code == 400
    assert client.get("/board/items?page=999").status_code == 404
    assert client.get("/board/items?unit=abc").status_code == 400
    assert client.get("/board/units?plan=NOPE").status_code == 404


def test_item_page_shows_the_whole_history(board):
    import datetime as dt

    from store.chatdata import mark_done, record_report, request_extension
    from store.contacts import get_contact

    seq = seq_of("区财政局")
    assignment = (Assignment.select().join(Task).switch(Assignment).join(Unit)
                  .where((Unit.name == "区财政局") & (Task.seq == seq)).get())
    czj = get_contact("czj")
    record_report(assignment, czj, "progress", "已完成初稿", 60, "m1", clock.utcnow())
    request_extension(assignment, czj, dt.date(2019, 12, 20), "等待批复", "m2", clock.utcnow())
    mark_done(assignment, czj, "全部完成", "m3", clock.utcnow())
    Deadline.create(task=assignment.task_id, position=9, kind="fixed", due=dt.date(2019, 11, 30), raw="11月底前",
                    label="完成初稿")
    client = board.client()
    sign_in(client, board.emulator, "czjz")  # the unit's leader
    page = client.get(f"/board/item/{plan_code()}/{seq}").get_data(as_text=True)
    for words in ("具体要求", "完成时限与节点", "<b>完成初稿</b>：11月底前（2019年11月30日）", "责任单位", "已完成初稿", "（60%）", "申请延期至2019-12-20", "等待批复", "全部完成"):
        assert words in page, words


def test_stored_html_is_escaped_everywhere(board):
    seq = seq_of("区财政局")
    Task.update(requirement="<script>alert(1)</script>要求", subcategory="<img src=x onerror=alert(2)>").where(
        Task.seq == seq).execute()
    Unit.update(name="区财政局<b>粗</b>").where(Unit.name == "区财政局").execute()
    assignment = Assignment.select().join(Task).where(Task.seq == seq).first()
    Report.create(assignment=assignment, at=clock.utcnow(), kind="progress", text="<a href=javascript:x>点我</a>")
    Assignment.update(last_report_at=clock.utcnow()).where(Assignment.id == assignment.id).execute()
    client = board.client()
    sign_in(client, board.emulator, ADMIN)
    pages = ["/board/", "/board/units", f"/board/unit/{assignment.unit_id}", f"/board/item/{plan_code()}/{seq}",
             f"/board/items?q={seq}", "/board/items?q=%3Cscript%3E"]
    for path in pages:
        text = client.get(path).get_data(as_text=True)
        for raw in ("<script", "<img src=x", "<b>粗</b>", "<a href=javascript"):
            assert raw not in text, (path, raw)
    item = client.get(f"/board/item/{plan_code()}/{seq}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;要求" in item and "&lt;b&gt;粗&lt;/b&gt;" in item


def test_pages_follow_every_change_and_the_refresher_recomputes_only_after_one(board):
    from store import board_cache
    from store.chatdata import mark_done
    from store.contacts import get_contact

    client = board.client()
    sign_in(client, board.emulator, ADMIN)

    def done_tasks() -> int:
        page = client.get("/board/").get_data(as_text=True)
        return int(re.search(r"<b>(\d+)</b><span>已完成</span>", page).group(1))

    assert done_tasks() == 0
    assert board_cache.refresh() == 0  # nothing changed since the page computed its figures
    seq = seq_of("区审计局", other="区财政局")
    only = Assignment.select().join(Task).where(Task.seq == seq)
    for assignment in only:
        mark_done(assignment, get_contact("sjj"), "完成", None, clock.utcnow())
    assert board_cache.refresh() >= 1  # the stamp moved: recomputed before anyone asks
    assert done_tasks() == 1


def test_archived_plans_leave_the_board(board):
    seq = seq_of("区财政局")
    evidence = add_evidence(board, "区财政局", seq)
    Plan.update(active=False).execute()
    client = board.client()
    sign_in(client, board.emulator, ADMIN)
    assert "暂无进行中的方案" in client.get("/board/").get_data(as_text=True)
    assert client.get(f"/board/item/{plan_code()}/{seq}").status_code == 404
    assert client.get(f"/board/evidence/{evidence}").status_code == 404
    assert client.get("/board/ledger.xlsx").status_code == 404
