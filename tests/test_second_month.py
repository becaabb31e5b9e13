"""Issue 12's "Done when": the admin's second month, scripted.

Re-import a corrected plan, re-import a grown contact sheet, break and fix a robot key, start a second server,
archive the old plan, print the 台账: exit 0 where nothing is wrong, a one-line error where something is, and no
duplicate plans, contacts or messages. CliRunner against the WeCom emulator, on every backend."""

import collections
import csv
import json
import re
import signal
import socket
import threading

import openpyxl
import pytest
from wecom_support import AGENT_ID, CORP_ID, SECRET

from store.models import Contact, Outbox, Plan, Task
from wecom.emulator import WeComEmulator

GOOD = "0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99"
WRONG = "0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a90"
TOKEN = "tok-QDG6eK9Xq2"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
HEADER = ["单位", "姓名", "企业微信账号", "手机", "角色"]
FIRST_SHEET = [HEADER, ["区政府办公室", "张三", "zhangsan", "13800138000", "联络员"],
               ["区政府办公室", "李四", "lisi", "", "领导"], ["区司法局", "王五", "wangwu", "", "联络员"]]
GROWN_SHEET = [["五华区政务公开联络员名单（2019年11月）"], HEADER,
               ["区政府办公室", "张三", " ZhangSan", "13800138001", "联络员"],  # same person, new mobile
               ["区政府办公室", "李四", "lisi", "", "领导"],
               ["区司法局", "王五", "wangwu", "", "联络员"],
               ["区财政局", "赵六", "zhaoliu", "", "联络员"], ["区审计局", "钱七", "qianqi", "", "联络员"]]


@pytest.fixture
def emu():
    with WeComEmulator(CORP_ID, SECRET, AGENT_ID, users=None, webhook_keys=[GOOD]) as e:
        yield e


@pytest.fixture
def duban(cli, emu, tmp_path):
    with socket.socket() as s:  # the port this office's callback server uses
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"DUBAN_WECOM_CORP_ID": CORP_ID, "DUBAN_WECOM_SECRET": SECRET, "DUBAN_WECOM_AGENT_ID": str(AGENT_ID),
           "DUBAN_WECOM_API_BASE_URL": emu.base_url, "DUBAN_WECOM_TIMEOUT": "5", "DUBAN_WECOM_TOKEN": TOKEN,
           "DUBAN_WECOM_ENCODING_AES_KEY": AES_KEY, "DUBAN_SERVER_PORT": str(port)}

    def run(*args: str, input: str | None = None, ok: bool = True):
        result = cli(*args, env=env, input=input)
        assert "Traceback" not in result.output, (args, result.output)
        if ok:
            assert result.exit_code == 0, (args, result.output)
        return result

    run.port = port
    return run


def _csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows(rows)
    return str(path)


def _corrected_plan(tmp_path):
    from commands.plans import SAMPLE_PLAN

    text = SAMPLE_PLAN.read_text(encoding="utf-8")
    start, end = text.index("\t59\n"), text.index("\t64\n")
    corrected = (text[:start] + text[end:]).replace("\t区政府办公室\n\t全年工作\n\n\t58",
                                                    "\t区政府办公室\n\t12月底前\n\n\t58")
    path = tmp_path / "分工方案（修订）.txt"
    path.write_text(corrected, encoding="utf-8")
    return str(path)


def _one_line_error(result) -> str:
    """Exit 1 and one line saying what is wrong (log lines of a starting server aside)."""
    lines = [line for line in result.output.splitlines()
             if line.strip() and not line.startswith("[as of") and not re.match(r"\d{4}-\d\d-\d\d \d", line)]
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error"), result.output
    return lines[0]


def test_the_second_month(duban, emu, tmp_path):
    # --- the first month, as the README's first day has it ---
    duban("init")
    duban("plan", "import", "--sample")
    duban("unit", "merge", "区政府办", "区政府办公室")
    duban("group", "add-member", "区政府各部门", "区财政局", "区审计局", "区政府办公室")
    duban("contact", "import", _csv(tmp_path / "v1.csv", FIRST_SHEET))
    duban("leaders", "add", "区政府领导群", "--webhook-key", GOOD)
    duban("--today", "2019-10-22", "remind")
    duban("outbox", "flush")
    assert emu.messages_for("zhangsan")

    # --- a corrected plan arrives: recognised, diffed, replaced in place ---
    corrected = _corrected_plan(tmp_path)
    _one_line_error(duban("plan", "import", corrected, ok=False))
    diff = json.loads(duban("plan", "diff", corrected, "--json").output)
    assert [str(t["seq"]) for t in diff["removed"]] == ["59"]
    duban("plan", "import", corrected, "--replace")
    assert Plan.select().count() == 1 and Task.select().count() == 73

    # --- the grown contact sheet (a title row on top, one userid in another case) ---
    grown = _csv(tmp_path / "v2.csv", GROWN_SHEET)
    changed = duban("contact", "import", grown, ok=False)  # zhangsan's mobile changed: asks for --update
    assert changed.exit_code == 1 and "--update" in changed.output
    report = duban("contact", "import", grown, "--update").output
    assert "2 added, 1 changed, 2 unchanged" in report
    assert "0 added, 0 changed, 5 unchanged" in duban("contact", "import", grown).output
    userids = [c.userid.lower() for c in Contact.select()]
    assert len(userids) == len(set(userids)) == 5

    # --- the robot key breaks (someone re-created the robot) and is fixed ---
    duban("leaders", "remove", "区政府领导群")
    duban("leaders", "add", "区政府领导群", "--webhook-key", WRONG)
    duban("--today", "2019-11-04", "digest", "--group", "区政府领导群")
    flush = duban("outbox", "flush", ok=False)
    assert flush.exit_code == 1
    doctor = duban("--today", "2019-11-04", "doctor", "--offline", ok=False)
    assert doctor.exit_code == 1 and "区政府领导群" in doctor.output and WRONG not in doctor.output
    assert duban("wecom", "check", ok=False).exit_code == 1
    removed = duban("leaders", "remove", "区政府领导群").output
    assert "1 queued message(s)" in removed  # the digest to the wrong key is cancelled, not left to die
    duban("leaders", "add", "区政府领导群", "--webhook-key", GOOD)
    duban("leaders", "add", "区政府领导群", "--webhook-key", GOOD)  # rerun: already so
    duban("leaders", "test", "区政府领导群")
    duban("--today", "2019-11-04", "digest", "--group", "区政府领导群")
    duban("outbox", "flush")
    duban("--today", "2019-11-04", "doctor", "--offline")  # nothing wrong any more: exit 0

    # --- a second server on the same port: one line, exit 1 ---
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with socket.socket() as busy:
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            busy.bind(("127.0.0.1", duban.port))
            busy.listen()
            line = _one_line_error(duban("serve", ok=False))
            assert "port is already in use" in line
        # nothing of the failed start keeps running (the board's refresher thread was once left behind)
        assert not [t for t in threading.enumerate() if t.name == "duban-board-refresh" and t.is_alive()]
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)

    # --- the old plan is archived: no reminders, still printable ---
    duban("plan", "archive", "A")
    duban("plan", "archive", "A")  # rerun: already so
    assert json.loads(duban("--today", "2019-11-05", "remind", "--json").stdout) == []
    ledger = tmp_path / "台账.xlsx"
    duban("--today", "2019-11-05", "export", "--xlsx", str(ledger), "--plan", "A")
    sheet = openpyxl.load_workbook(ledger).active
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$2"
    _one_line_error(duban("plan", "import", str(ledger), ok=False))  # duban's own 台账 is not a plan

    # --- no duplicates anywhere ---
    assert Plan.select().count() == 1
    keys = [o.dedupe_key for o in Outbox.select()]
    assert len(keys) == len(set(keys))
    sent = collections.Counter((m["target"], str(m["content"])) for m in emu.delivered)
    assert max(sent.values()) == 1, [k for k, n in sent.items() if n > 1]
    digests = [m for m in emu.messages_for(GOOD) if "测试消息" not in str(m["content"])]
    assert len(digests) >= 1
