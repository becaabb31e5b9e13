"""`duban contact …` and `duban leaders …` on every backend."""

import csv
import json

import pytest
from openpyxl import Workbook, load_workbook

from store.models import Contact, LeaderGroup


@pytest.fixture
def units(cli):
    cli("unit", "add", "区政府办公室", "--alias", "区政府办")
    cli("unit", "add", "区财政局")


def test_contact_add_list_remove(cli, units):
    ok = cli("contact", "add", "--unit", "区政府办", "--name", "张三", "--userid", "zhang.san", "--mobile", "138 0013 8000")
    assert ok.exit_code == 0, ok.output
    cli("contact", "add", "--unit", "区财政局", "--name", "李局", "--userid", "lij", "--role", "leader")
    rows = json.loads(cli("contact", "list", "--json").output)
    assert [(r["unit"], r["userid"], r["mobile"], r["role"]) for r in rows] == [
        ("区政府办公室", "zhang.san", "13800138000", "liaison"),
        ("区财政局", "lij", None, "leader"),
    ]
    only = json.loads(cli("contact", "list", "--unit", "区财政局", "--json").output)
    assert [r["userid"] for r in only] == ["lij"]
    assert cli("contact", "remove", "lij").exit_code == 0
    assert cli("contact", "remove", "lij").exit_code == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--userid", "bad id!"], "invalid WeCom userid"),
        (["--userid", "x" * 65], "invalid WeCom userid"),
        (["--userid", "ok", "--mobile", "12345"], "invalid mobile"),
        (["--userid", "ok", "--unit", "区发改局"], "unknown unit"),
    ],
)
def test_contact_add_validation(cli, units, args, message):
    base = {"--unit": "区财政局", "--name": "某人"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    result = cli("contact", "add", *[x for kv in base.items() for x in kv])
    assert result.exit_code == 1
    assert message in result.output
    assert Contact.select().count() == 0


def test_contact_duplicate_userid_refused(cli, units):
    cli("contact", "add", "--unit", "区财政局", "--name", "甲", "--userid", "jia")
    dup = cli("contact", "add", "--unit", "区政府办公室", "--name", "乙", "--userid", "jia")
    assert dup.exit_code == 1 and "already" in dup.output
    assert Contact.select().count() == 1


def test_contact_away_and_back(cli, units):
    cli("contact", "add", "--unit", "区财政局", "--name", "甲", "--userid", "jia")
    cli("contact", "add", "--unit", "区财政局", "--name", "乙", "--userid", "yi")
    past = cli("--today", "2019-10-16", "contact", "away", "jia", "--until", "2019-10-15")
    assert past.exit_code == 1 and "in the past" in past.output
    away = cli("--today", "2019-10-01", "contact", "away", "jia", "--until", "2019-10-15", "--delegate", "yi")
    assert away.exit_code == 0 and "乙 covers" in away.output
    c = Contact.get(Contact.userid == "jia")
    assert str(c.away_until) == "2019-10-15" and c.delegate.userid == "yi"
    assert cli("contact", "away", "jia", "--back").exit_code == 0
    c = Contact.get(Contact.userid == "jia")
    assert c.away_until is None and c.delegate is None
    assert cli("contact", "away", "jia").exit_code == 2
    assert cli("contact", "away", "jia", "--until", "someday").exit_code == 2


def _write_csv(path, rows, encoding):
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh).writerows(rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_contact_import_csv_encodings(cli, units, tmp_path, encoding):
    path = tmp_path / "contacts.csv"
    _write_csv(path, [["单位", "姓名", "企业微信账号", "手机", "角色"],
                      ["区政府办", "张三", "zhangsan", "13800138000", "联络员"],
                      ["区财政局", "李四", "lisi", "", "领导"]], encoding)
    result = cli("contact", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "2 added, 0 changed, 0 unchanged" in result.output
    roles = {c.userid: (c.unit.name, c.role) for c in Contact.select()}
    assert roles == {"zhangsan": ("区政府办公室", "liaison"), "lisi": ("区财政局", "leader")}


def test_contact_import_xlsx_english_headers(cli, units, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["unit", "name", "userid", "mobile", "role"])
    sheet.append(["区财政局", "王五", "wangwu", 13900139000, "liaison"])
    book.save(tmp_path / "c.xlsx")
    result = cli("contact", "import", str(tmp_path / "c.xlsx"))
    assert result.exit_code == 0, result.output
    assert Contact.get().mobile == "13900139000"


def test_contact_import_refuses_whole_file_naming_every_bad_row(cli, units, tmp_path):
    cli("contact", "add", "--unit", "区财政局", "--name", "老人", "--userid", "old")
    path = tmp_path / "bad.csv"
    _write_csv(path, [["单位", "姓名", "企业微信账号", "手机", "角色"],
                      ["区财政局", "好人", "good", "", ""],
                      ["区农业局", "未知", "u1", "", ""],
                      ["区财政局", "坏号", "bad id", "", ""],
                      ["区财政局", "重复", "old", "", ""],
                      ["区财政局", "好人2", "good", "", ""],
                      ["区财政局", "角色", "r1", "", "主任"]], "gbk")
    result = cli("contact", "import", str(path))
    assert result.exit_code == 1
    for line in ("line 3", "line 4", "line 6", "line 7"):
        assert line in result.output
    assert "line 2:" not in result.output and "line 5" not in result.output  # 'old' renamed: a change, not a bad row
    assert Contact.select().count() == 1  # nothing written


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\x00\x01\x02garbage", "binary"),
    ("名字,电话\n张三,1\n".encode(), "header"),
])
def test_contact_import_bad_files(cli, units, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    result = cli("contact", "import", str(path))
    assert result.exit_code == 1 and message in result.output


def test_contact_import_unknown_extension(cli, units, tmp_path):
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.4")
    result = cli("contact", "import", str(tmp_path / "c.pdf"))
    assert result.exit_code == 1 and "unsupported file type" in result.output


def test_contact_export_round_trip(cli, units, tmp_path):
    cli("contact", "add", "--unit", "区财政局", "--name", "甲", "--userid", "jia", "--mobile", "13800138000")
    cli("contact", "add", "--unit", "区政府办公室", "--name", "乙", "--userid", "yi", "--role", "leader")
    assert cli("contact", "export", str(tmp_path / "out.xlsx")).exit_code == 0
    rows = list(load_workbook(tmp_path / "out.xlsx").active.iter_rows(values_only=True))
    assert rows[0] == ("单位", "姓名", "企业微信账号", "手机", "角色")
    assert ("区财政局", "甲", "jia", "13800138000", "联络员") in rows
    assert cli("contact", "export", str(tmp_path / "out.csv")).exit_code == 0
    Contact.delete().execute()
    assert cli("contact", "import", str(tmp_path / "out.csv")).exit_code == 0
    assert Contact.select().count() == 2


KEY = "693a91f6-7aaa-4bc4-97a0-0ec2afa5aaab"


def test_leaders_add_list_remove(cli):
    url = f"https://example.invalid/cgi-bin/webhook/send?key={KEY}"
    assert cli("leaders", "add", "区领导群", "--webhook-key", url).exit_code == 0
    assert cli("leaders", "add", "分管领导", "--userids", "lij,wangw").exit_code == 0
    listed = json.loads(cli("leaders", "list", "--json").output)
    assert [(g["name"], g["channel"]) for g in listed] == [("分管领导", "app"), ("区领导群", "webhook")]
    assert KEY not in cli("leaders", "list").output  # the key is the only credential
    assert LeaderGroup.get(LeaderGroup.name == "区领导群").target == KEY
    assert cli("leaders", "remove", "区领导群").exit_code == 0
    assert cli("leaders", "remove", "区领导群").exit_code == 1


@pytest.mark.parametrize("args, code", [
    (["g", "--webhook-key", "not-a-key"], 1),
    (["g", "--chat-id", "bad chat!"], 1),
    (["g", "--userids", "ok,bad id"], 1),
    (["g"], 2),
    (["g", "--chat-id", "abc", "--userids", "x"], 2),
    (["g", "--chat-id", "abc", "--plan", "nope"], 1),
    (["g", "--chat-id", "abc", "--schedule", "every monday"], 1),
])
def test_leaders_add_validation(cli, args, code):
    result = cli("leaders", "add", *args)
    assert result.exit_code == code, result.output
    assert LeaderGroup.select().count() == 0


def test_contact_reachable_clears_a_wecom_problem(cli, units):
    cli("contact", "add", "--unit", "区财政局", "--name", "甲", "--userid", "jia")
    assert cli("contact", "reachable", "jia").exit_code == 1  # nothing to clear
    Contact.update(problem="errcode 60111: userid not found").where(Contact.userid == "jia").execute()
    assert "60111" in cli("contact", "list").output
    result = cli("contact", "reachable", "jia")
    assert result.exit_code == 0 and "will get messages again" in result.output
    assert Contact.get(Contact.userid == "jia").problem is None
