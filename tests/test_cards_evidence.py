"""Issue 14 "Done when": from a reminder card, a liaison marks three of five items done with one submit and
attaches a photo to a fourth; 详情, `duban task show`, the 台账 and the digest show it; every click and file is
recorded once through WeCom retries, a double click and a restart between download and store.

Everything real: the reminder job, the outbox dispatcher, the WeCom emulator (cards, clicks, media/get), duban's
callback server over HTTP, the download job, on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import datetime as dt

import cards_world as cw
import openpyxl
import pytest

from jobs.digest_words import plan_sections
from jobs.evidence import FetchResult, download_row, fetch_downloads, run_downloads
from jobs.ledger import LEDGER_HEADER, export_ledger_xlsx
from jobs.outbox import Dispatcher, enqueue_message, make_sender
from jobs.scheduler import run_reminders
from store import downloads
from store.clock import clock
from store.digest_data import ledger_rows, plan_figures
from store.models import Assignment, CardMessage, Evidence, MediaDownload, Plan, Report


@pytest.fixture
def world(db_url, tmp_path):
    cw.build()
    wecom = cw.emulator()
    cfg = cw.config(wecom, db_url, str(tmp_path / "evidence"))
    server = cw.serve(cfg)
    phone = cw.Phone(server.url + cw.path(), cfg, wecom)
    yield phone
    server.stop()
    wecom.stop()


def _send_reminders(phone) -> dict:
    run_reminders(phone.cfg)
    Dispatcher(make_sender(phone.cfg), phone.cfg).flush()
    (message,) = [m for m in phone.wecom.messages_for("czj")]
    assert message["msgtype"] == "template_card"
    return message["content"]


def _fetch(phone):
    def enqueue(key, channel, target, text):
        enqueue_message(key, channel, target, text)

    return fetch_downloads(phone.cfg, make_sender(phone.cfg).client, enqueue)


def test_three_of_five_done_with_one_submit_and_a_photo_for_the_fourth(world, cli, tmp_path):
    phone = world
    card = _send_reminders(phone)
    assert card["card_type"] == "vote_interaction"
    assert [o["text"][:3] for o in card["checkbox"]["option_list"]] == ["[1]", "[2]", "[3]", "[4]", "[5]"]
    task_id = card["task_id"]

    # One submit with three items ticked; the button changes passively, the words come through the outbox.
    request = phone.click_request(task_id, "submit", ["1", "2", "3"])
    assert phone.send(request) == "[按钮] 已提交"
    done = {a.task.seq for a in Assignment.select().where(Assignment.state == "done")}
    assert done == {1, 2, 3}
    assert Report.select().where(Report.kind == "done").count() == 3
    assert any("已记录：[1]" in t and "已记录：[3]" in t for t in cw.outbox_texts())
    # WeCom retries the same event, then the liaison taps 提交 again: nothing is recorded twice.
    assert phone.send(request) == "[按钮] 已提交"
    clock.advance(dt.timedelta(seconds=2))
    assert phone.click(task_id, "submit", ["1", "2", "3", "5"]) == "[按钮] 已提交"
    assert Report.select().where(Report.kind == "done").count() == 3
    assert cw.assignment(5).state == "open"
    assert any("已经提交过" in t for t in cw.outbox_texts())

    # A photo: duban asks which item (the last card was a several-items one), WeCom retries the message.
    clock.advance(dt.timedelta(seconds=2))
    photo = phone.photo_request()
    question = phone.send(photo)
    assert "哪一项的佐证材料" in question and "[4]" in question
    assert phone.send(photo) == question
    assert MediaDownload.select().count() == 1

    # The download job fetches the file and dies before recording it (a restart between download and store).
    (row,) = downloads.claim_due("first-worker", clock.utcnow())
    assert download_row(row, phone.cfg, make_sender(phone.cfg).client, None, clock.utcnow(), FetchResult())
    assert phone.wecom.stats["media_downloads"] == 1

    # The liaison answers the question; after the restart the job records the file it already has.
    assert "下载完成后将作为[4]的佐证材料" in phone.say("4")
    clock.advance(dt.timedelta(seconds=downloads.LEASE_SECONDS + 1))
    result = _fetch(phone)
    assert result.done == 1
    assert phone.wecom.stats["media_downloads"] == 1  # not fetched again
    assert "已收到《发布截图.jpg》，作为[4]的佐证材料。" in cw.outbox_texts()
    assert _fetch(phone).done == 0  # nothing left to do

    # The same photo again, this time named first: one evidence record still.
    assert "请在30分钟内发送第4项的佐证材料" in phone.say("材料 4")
    assert phone.send(phone.photo_request()) == ""
    assert _fetch(phone).done == 1
    assert any("相同" in t and "未重复保存" in t for t in cw.outbox_texts())
    (evidence,) = list(Evidence.select())
    assert (evidence.assignment_id, evidence.filename, evidence.size) == (cw.assignment(4).id, "发布截图.jpg",
                                                                          len(cw.PHOTO))
    stored = tmp_path / "evidence" / evidence.path
    assert stored.read_bytes() == cw.PHOTO

    # 详情 (through the callback), the digest's figures and words, the 台账.
    detail = phone.say("详情 4")
    assert "佐证材料（共1份）" in detail and "发布截图.jpg" in detail and "张三" in detail
    plan = Plan.get()
    figures = plan_figures(plan, clock.today(), since=clock.utcnow() - dt.timedelta(days=7))
    assert (figures.done, figures.with_evidence, figures.done_without_evidence) == (3, 1, 3)
    words = "\n".join(line for section in plan_sections(figures, None) for line in section.lines)
    assert "有佐证材料1项" in words and "已完成但无佐证材料3项" in words and "（无佐证材料）" in words
    (row4,) = [r for r in ledger_rows(plan, clock.today()) if r.seq == 4]
    assert row4.evidence == ["区财政局：发布截图.jpg"]
    xlsx = tmp_path / "台账.xlsx"
    export_ledger_xlsx(xlsx)
    sheet = openpyxl.load_workbook(xlsx).active
    column = LEDGER_HEADER.index("佐证材料") + 1
    assert [sheet.cell(r, column).value for r in range(1, sheet.max_row + 1)].count("区财政局：发布截图.jpg") == 1

    # duban task show (the CLI, after the callback server is done with the database).
    shown = cli("task", "show", "4")
    assert shown.exit_code == 0, shown.output
    assert "evidence:" in shown.output and "发布截图.jpg" in shown.output and "张三" in shown.output
    assert CardMessage.get().answer.count("已记录") == 3


def test_one_item_card_buttons_and_the_progress_prompt(world):
    phone = world
    for seq in (2, 3, 4, 5):
        Assignment.update(state="done").where(Assignment.id == cw.assignment(seq).id).execute()
    card = _send_reminders(phone)
    assert card["card_type"] == "button_interaction"
    assert [b["text"] for b in card["button_list"]] == ["已完成", "报进度", "申请延期"]
    task_id = card["task_id"]
    assert phone.click(task_id, "progress") == "[按钮] 请在对话中回复"
    assert any("请在30分钟内发送[1]的进展" in t for t in cw.outbox_texts())
    answer = phone.say("已完成初稿，正在征求意见 60%")
    assert "已记录" in answer and "60%" in answer
    (report,) = list(Report.select())
    assert (report.kind, report.percent, report.assignment_id) == ("progress", 60, cw.assignment(1).id)
    # Asked for a delay, then changed their mind.
    assert phone.click(task_id, "extend") == "[按钮] 请在对话中回复"
    assert phone.say("取消") == "已取消。"
    assert phone.say("你好") != "已取消。"
    assert Report.select().count() == 1
    # The prompt expires: a later message is ordinary chat again.
    phone.click(task_id, "progress")
    clock.advance(dt.timedelta(minutes=31))
    phone.say("你好")
    assert Report.select().count() == 1
    # 已完成 on the card, and a photo right after goes to the card's item without a question.
    assert phone.click(task_id, "done") == "[按钮] 已标记完成"
    assert cw.assignment(1).state == "done"
    assert phone.send(phone.photo_request(b"%PDF-1.4 report", "年报.pdf", "file")) == ""
    assert _fetch(phone).done == 1
    assert "已收到《年报.pdf》，作为[1]的佐证材料。" in cw.outbox_texts()


def test_text_until_the_contact_has_clicked_a_card(db_url, tmp_path):
    cw.build(cards=None)
    wecom = cw.emulator()
    try:
        cfg = cw.config(wecom, db_url, str(tmp_path / "evidence"))
        run_reminders(cfg)
        Dispatcher(make_sender(cfg), cfg).flush()
        assert [m["msgtype"] for m in wecom.messages_for("czj")] == ["text"]
        cfg["cards"]["reminders"] = "on"
        clock.advance(dt.timedelta(days=1))  # Wednesday: the next stage (overdue) goes out as a card
        run_reminders(cfg)
        Dispatcher(make_sender(cfg), cfg).flush()
        assert [m["msgtype"] for m in wecom.messages_for("czj")] == ["text", "template_card"]
    finally:
        wecom.stop()


def test_run_downloads_uses_the_outbox(world):
    phone = world
    phone.say("材料 2")
    phone.send(phone.photo_request())
    result = run_downloads(phone.cfg, make_sender(phone.cfg).client)
    assert result.done == 1
    assert "已收到《发布截图.jpg》，作为[2]的佐证材料。" in cw.outbox_texts()


def test_cli_exports_evidence_and_sets_cards(world, cli, tmp_path):
    phone = world
    phone.say("材料 4")
    phone.send(phone.photo_request())
    phone.say("材料 2")
    phone.send(phone.photo_request(b"%PDF-1.4 second", "发布截图.jpg", "file"))
    assert _fetch(phone).done == 2
    out = tmp_path / "佐证材料"
    result = cli("export", "--evidence", str(out))
    assert result.exit_code == 0, result.output
    assert "2" in result.output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["index.csv", "区财政局/2 加强政策解读/发布截图.jpg", "区财政局/4 发布政府信息公开年报/发布截图.jpg"]
    assert (out / "区财政局/4 发布政府信息公开年报/发布截图.jpg").read_bytes() == cw.PHOTO
    index = (out / "index.csv").read_text(encoding="utf-8-sig").splitlines()
    assert index[0].startswith("单位,方案,序号") and len(index) == 3 and "张三" in index[1]
    assert cli("export").exit_code == 2
    assert cli("contact", "cards", "czj", "off").exit_code == 0
    from store.models import Contact

    assert Contact.get(Contact.userid == "czj").cards is False
    refused = cli("contact", "cards", "nobody", "on")
    assert refused.exit_code == 1 and "nobody" in refused.output


def test_duban_say_clicks_and_sends_files(world, cli, tmp_path):
    """`duban say --click` and `--file`: the emulator plays the user's client, the callback answers."""
    from callback_support import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN

    phone = world
    card = _send_reminders(phone)
    env = {"DUBAN_WECOM_CORP_ID": CORP_ID, "DUBAN_WECOM_TOKEN": TOKEN, "DUBAN_WECOM_ENCODING_AES_KEY": AES_KEY,
           "DUBAN_WECOM_AGENT_ID": str(AGENT_ID), "DUBAN_WECOM_SECRET": SECRET,
           "DUBAN_WECOM_API_BASE_URL": phone.wecom.base_url}
    clicked = cli("say", "--as", "czj", "--url", phone.url, "--click", card["task_id"], "submit",
                  "--select", "2", "--select", "5", env=env)
    assert clicked.exit_code == 0, clicked.output
    assert clicked.output == "[按钮] 已提交\n"
    assert {cw.assignment(s).state for s in (2, 5)} == {"done"} and cw.assignment(1).state == "open"
    wrong = cli("say", "--as", "czj", "--url", phone.url, "--click", "no-such-card", "done", env=env)
    assert wrong.exit_code == 1 and "no card" in wrong.output
    photo = tmp_path / "发布截图.jpg"
    photo.write_bytes(cw.PHOTO)
    clock.advance(dt.timedelta(seconds=2))
    asked = cli("say", "--as", "czj", "--url", phone.url, "--file", str(photo), env=env)
    assert asked.exit_code == 0 and "哪一项的佐证材料" in asked.output
    empty = tmp_path / "空.txt"
    empty.write_bytes(b"")
    refused = cli("say", "--as", "czj", "--url", phone.url, "--file", str(empty), env=env)
    assert refused.exit_code == 1 and "0 bytes" in refused.output
    both = cli("say", "--as", "czj", "--url", phone.url, "--file", str(photo), "任务", env=env)
    assert both.exit_code == 2


def test_cli_fetches_and_lists_downloads(world, cli):
    phone = world
    phone.say("材料 3")
    phone.send(phone.photo_request())
    env = {"DUBAN_WECOM_CORP_ID": phone.cfg["wecom"]["corp_id"], "DUBAN_WECOM_SECRET": phone.cfg["wecom"]["secret"],
           "DUBAN_WECOM_AGENT_ID": str(phone.cfg["wecom"]["agent_id"]),
           "DUBAN_WECOM_API_BASE_URL": phone.wecom.base_url, "DUBAN_EVIDENCE_DIR": phone.cfg["evidence"]["dir"]}
    fetched = cli("evidence", "fetch", "--json", env=env)
    assert fetched.exit_code == 0, fetched.output
    assert '"stored": 1' in fetched.output
    listed = cli("evidence", "downloads", env=env)
    assert listed.exit_code == 0 and "done" in listed.output and "czj" in listed.output
    assert Evidence.select().count() == 1
