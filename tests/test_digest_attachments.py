"""[digest] attach_xlsx / attach_chart: the 台账 and the status chart go with the weekly digest, rendered at
digest time and uploaded at send time, through the real client against the WeCom emulator over HTTP."""

import datetime as dt
import hashlib
import json
import tempfile
from pathlib import Path

import openpyxl
import pytest

from jobs.calendar import load_calendar
from jobs.digest import attachments_root, prune_attachments, send_digests
from jobs.outbox import Dispatcher, enqueue_message, make_sender
from store.clock import clock
from store.config import load_config
from store.contacts import add_leader_group
from store.db import backend
from store.models import DigestLog, Outbox
from tests.world import at, build_world
from wecom.emulator import WeComEmulator

CORP_ID, SECRET, AGENT_ID = "ww_test_corp", "test-secret-0123456789", 1000002
ROBOT = "12345678-1234-1234-1234-123456789abc"
LEADERS = ["leader1", "leader2"]
CHAT = "chat01"


@pytest.fixture
def emu():
    with WeComEmulator(CORP_ID, SECRET, AGENT_ID, users=None, webhook_keys=[ROBOT]) as e:
        yield e


@pytest.fixture
def world(db_url):
    build_world()


def make_config(emu, folder: Path, xlsx: bool = True, chart: bool = True):
    cfg = load_config(None, environ={})
    cfg["wecom"].update(corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID, api_base_url=emu.base_url, timeout=5.0)
    cfg["digest"].update(attach_xlsx=xlsx, attach_chart=chart, attachments_dir=str(folder))
    return cfg


def flush(cfg, now=None):
    # The store's frozen clock drives the dispatcher (`now` shifts it); nothing here waits.
    return Dispatcher(make_sender(cfg), cfg, worker_name="t", sleep=lambda s: None).flush(now=now)


def digest_now(cfg, day="2019-10-21", enqueue=enqueue_message, groups=None):
    at(day, 9, 30)
    return send_digests(clock.now(), cfg, load_calendar(), enqueue, groups=groups)


def body(row: Outbox) -> dict:
    return json.loads(row.body)


def test_a_robot_group_an_appchat_and_app_people_get_the_digest_the_ledger_and_the_chart(world, emu, tmp_path):
    cfg = make_config(emu, tmp_path / "files")
    assert make_sender(cfg).create_appchat(LEADERS, name="主任群", chatid=CHAT) == (CHAT, None)
    add_leader_group("区领导群", webhook_key=ROBOT)
    add_leader_group("分管领导", userids=LEADERS)
    add_leader_group("主任群", chat_id=CHAT)

    sent = digest_now(cfg)
    assert sorted(d.group for d in sent) == ["主任群", "分管领导", "区领导群"]
    assert all(d.attachments == ["台账-2019-W43.xlsx", "完成情况-2019-W43.png"] for d in sent)
    group_of = {d.target: d.group_id for d in sent}
    group_key = {ROBOT: ROBOT, CHAT: CHAT, "leader1": "|".join(LEADERS), "leader2": "|".join(LEADERS)}
    parts = {d.target: len(d.parts) for d in sent}
    files = {r.dedupe_key: r for r in Outbox.select().where(Outbox.msgtype != "markdown")}
    assert sorted(files) == sorted(f"digest:{g}:2019-W43:{kind}" for g in group_of.values() for kind in ("xlsx", "chart"))
    for row in files.values():
        spec = body(row)
        assert Path(spec["path"]).is_file() and Path(spec["path"]).is_relative_to(tmp_path / "files" / "2019-W43")
        assert spec["filename"] == Path(spec["path"]).name
        assert row.msgtype == ("file" if spec["filename"].endswith(".xlsx") else "image")
    ledger = openpyxl.load_workbook(body(files[f"digest:{group_of[ROBOT]}:2019-W43:xlsx"])["path"])
    assert ledger.active.cell(2, 1).value == "序号" and ledger.active.max_row > 10

    result = flush(cfg)
    assert (result.sent, result.dead, result.failed, result.alerts) == (Outbox.select().count(), 0, 0, [])
    for target in (ROBOT, CHAT, *LEADERS):
        got = [m["msgtype"] for m in emu.messages_for(target)]
        assert got == ["markdown"] * parts[group_key[target]] + ["file", "image"], target

    def png(target):
        return Path(body(files[f"digest:{group_of[group_key[target]]}:2019-W43:chart"])["path"]).read_bytes()

    # the robot: the file uploaded by this robot (only it may use the id), the image inline with its md5
    robot_file, robot_image = emu.messages_for(ROBOT)[-2:]
    assert emu._media[robot_file["content"]["media_id"]]["owner"] == ROBOT
    assert robot_file["content"]["filename"] == "台账-2019-W43.xlsx"
    assert robot_image["content"]["md5"] == hashlib.md5(png(ROBOT)).hexdigest()
    assert png(ROBOT).startswith(b"\x89PNG")
    assert "base64" in robot_image["raw"]["image"] and "media_id" not in robot_image["raw"]["image"]
    # the app (people and its own group chat): uploaded by the app, the image as image media
    for target in (CHAT, *LEADERS):
        app_file, app_image = emu.messages_for(target)[-2:]
        for message, kind in ((app_file, "file"), (app_image, "image")):
            media = emu._media[message["content"]["media_id"]]
            assert (media["owner"], media["type"]) == (None, kind)
        assert app_file["content"]["filename"] == "台账-2019-W43.xlsx"
        assert (app_image["content"]["filename"], app_image["content"]["size"]) == ("完成情况-2019-W43.png",
                                                                                   len(png(target)))
    # the media_id is noted in the row, so a resend would repeat the same request (duplicate check)
    assert all(body(Outbox.get_by_id(r.id))["media_id"] for r in files.values()
               if r.target != ROBOT or r.msgtype == "file")

    # still once a week
    delivered = len(emu.delivered)
    for day in ("2019-10-22", "2019-10-25"):
        assert digest_now(cfg, day) == []
    assert flush(cfg).sent == 0 and len(emu.delivered) == delivered
    assert DigestLog.select().count() == 3


def test_options_off_send_the_markdown_only(world, emu, tmp_path):
    cfg = make_config(emu, tmp_path / "files", xlsx=False, chart=False)
    add_leader_group("区领导群", webhook_key=ROBOT)
    [digest] = digest_now(cfg)
    assert digest.attachments == []
    assert {r.msgtype for r in Outbox.select()} == {"markdown"}
    assert not (tmp_path / "files").exists()
    assert flush(cfg).sent == len(digest.parts)
    assert {m["msgtype"] for m in emu.delivered} == {"markdown"} and emu.stats["media_uploads"] == 0


def test_xlsx_only_and_a_chart_that_fails_to_render_loses_nothing_else(world, emu, tmp_path, monkeypatch):
    def no_font(*args, **kwargs):
        raise RuntimeError("no font with Chinese glyphs")

    monkeypatch.setattr("jobs.chart.render_status_chart_png", no_font)
    cfg = make_config(emu, tmp_path / "files")
    add_leader_group("区领导群", webhook_key=ROBOT)
    [digest] = digest_now(cfg)
    assert digest.attachments == ["台账-2019-W43.xlsx"]
    assert [r.msgtype for r in Outbox.select().order_by(Outbox.id)] == ["markdown"] * len(digest.parts) + ["file"]
    [folder] = (tmp_path / "files" / "2019-W43").iterdir()
    assert [p.name for p in folder.iterdir()] == ["台账-2019-W43.xlsx"]


def test_a_failed_enqueue_rolls_back_and_removes_its_files(world, emu, tmp_path):
    cfg = make_config(emu, tmp_path / "files", chart=False)
    group = add_leader_group("区领导群", webhook_key=ROBOT)

    def no_files(key, channel, target, text, msgtype="text"):
        if msgtype == "file":
            raise RuntimeError("database went away")
        return enqueue_message(key, channel, target, text, msgtype=msgtype)

    with pytest.raises(RuntimeError):
        digest_now(cfg, enqueue=no_files, groups=[group])
    assert DigestLog.select().count() == 0 and Outbox.select().count() == 0
    assert list((tmp_path / "files" / "2019-W43").iterdir()) == []
    [digest] = digest_now(cfg)
    assert digest.attachments == ["台账-2019-W43.xlsx"]


def test_a_missing_file_is_a_dead_row_with_its_reason(db_url, emu, tmp_path):
    cfg = make_config(emu, tmp_path)
    at("2019-10-21", 9, 30)
    gone = tmp_path / "2019-W43" / "台账-2019-W43.xlsx"
    enqueue_message("digest:1:2019-W43:xlsx", "webhook", ROBOT, {"path": str(gone), "filename": gone.name},
                    msgtype="file")
    enqueue_message("digest:2:2019-W43:xlsx", "app", "leader1", {"path": str(gone), "filename": gone.name},
                    msgtype="file")
    result = flush(cfg)
    assert (result.sent, result.dead, result.alerts) == (0, 2, [])
    for row in Outbox.select():
        assert row.state == "dead" and row.last_error.startswith("attachment file missing or unreadable: ")
        assert str(gone) in row.last_error
        assert (row.id, row.last_error) in result.dead_rows
    assert emu.stats["media_uploads"] == 0 and emu.delivered == []


def test_upload_errors_classify_like_send_errors(db_url, emu, tmp_path):
    cfg = make_config(emu, tmp_path)
    at("2019-10-21", 9, 30)
    path = tmp_path / "台账.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook, but bytes to upload")
    spec = {"path": str(path), "filename": path.name}
    enqueue_message("busy", "webhook", ROBOT, spec, msgtype="file")
    enqueue_message("big", "app", "leader1", spec, msgtype="file")
    emu.script_faults("webhook/upload_media", [-1])
    emu.script_faults("media/upload", [40006])
    result = flush(cfg)
    busy, big = Outbox.get(Outbox.dedupe_key == "busy"), Outbox.get(Outbox.dedupe_key == "big")
    assert (busy.state, busy.attempts) == ("failed", 1) and "-1" in busy.last_error
    assert big.state == "dead" and big.last_error.startswith("file too large for WeCom (errcode 40006")
    assert (result.failed, result.dead) == (1, 1)

    # a bad robot key is a configuration error: held with an alert, no attempt burnt
    enqueue_message("held", "webhook", ROBOT, spec, msgtype="file")
    emu.script_faults("webhook/upload_media", [93000])
    result = flush(cfg, now=busy.next_try_at)
    assert len(result.alerts) == 1 and "93000" in result.alerts[0]
    assert (result.held, result.sent) == (2, 0)  # the held row and the robot's other row wait for the admin
    assert Outbox.get(Outbox.dedupe_key == "held").attempts == 0
    assert Outbox.get(Outbox.dedupe_key == "busy").attempts == 1


def test_a_resend_reuses_the_upload_and_a_big_robot_image_goes_as_a_file(db_url, emu, tmp_path):
    cfg = make_config(emu, tmp_path)
    now = at("2019-10-21", 9, 30)
    chart = tmp_path / "完成情况.png"
    chart.write_bytes(b"\x89PNG" + bytes(range(256)) * 40)
    enqueue_message("app-image", "app", "leader1", {"path": str(chart), "filename": chart.name}, msgtype="image")
    emu.script_faults("message/send", [-1])
    assert flush(cfg).failed == 1 and emu.stats["media_uploads"] == 1
    row = Outbox.get(Outbox.dedupe_key == "app-image")
    assert body(row)["media_type"] == "image"
    result = flush(cfg, now=row.next_try_at)
    assert result.sent == 1 and emu.stats["media_uploads"] == 1  # the same media_id, not a second upload
    [got] = emu.messages_for("leader1")
    assert (got["msgtype"], got["content"]["media_id"]) == ("image", body(row)["media_id"])

    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * (2 * 1024 * 1024))
    enqueue_message("robot-image", "webhook", ROBOT, {"path": str(big), "filename": big.name}, msgtype="image",
                    now=now)
    assert flush(cfg, now=row.next_try_at).sent == 1
    [robot] = emu.messages_for(ROBOT)
    assert robot["msgtype"] == "file" and robot["content"]["size"] == big.stat().st_size
    assert emu._media[robot["content"]["media_id"]]["owner"] == ROBOT


def test_where_attachments_wait_and_old_weeks_go(db_url, tmp_path):
    cfg = load_config(None, environ={})
    if backend() == "sqlite":
        assert attachments_root(cfg) == (tmp_path / "duban.db").resolve().parent / "digest-files"
    else:
        root = attachments_root(cfg)  # a private mkdtemp folder, never a fixed shared name
        assert root.parent == Path(tempfile.gettempdir()) and root.name.startswith("duban-digest-")
    cfg["digest"]["attachments_dir"] = str(tmp_path / "mine")
    assert attachments_root(cfg) == (tmp_path / "mine").resolve()

    for name in ("2019-W36", "2019-W37", "2019-W38", "2019-W43", "notes"):
        (tmp_path / "mine" / name).mkdir(parents=True)
    (tmp_path / "mine" / "2019-W36" / "台账-2019-W36.xlsx").write_bytes(b"old")
    # five weeks before Monday 2019-10-21 is 2019-09-16, the Monday of W38
    assert prune_attachments(tmp_path / "mine", dt.date(2019, 10, 21)) == 2
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["2019-W38", "2019-W43", "notes"]


def test_a_media_id_wecom_forgot_is_uploaded_again(db_url, emu, tmp_path):
    cfg = make_config(emu, tmp_path)
    at("2019-10-21", 9, 30)
    path = tmp_path / "台账.xlsx"
    path.write_bytes(b"PK\x03\x04 bytes to upload")
    enqueue_message("file", "app", "leader1", {"path": str(path), "filename": path.name}, msgtype="file")
    emu.script_faults("message/send", [-1, 40007])
    assert flush(cfg).failed == 1
    row = Outbox.get(Outbox.dedupe_key == "file")
    first = body(row)["media_id"]
    assert flush(cfg, now=row.next_try_at).failed == 1 and emu.stats["media_uploads"] == 1  # reused, refused
    row = Outbox.get(Outbox.dedupe_key == "file")
    assert "media_id" not in body(row) and body(row)["path"] == str(path)
    assert flush(cfg, now=row.next_try_at).sent == 1 and emu.stats["media_uploads"] == 2
    [got] = emu.messages_for("leader1")
    assert got["content"]["media_id"] != first and got["content"]["filename"] == "台账.xlsx"
