"""The admin's second day: every first-day step reruns with exit 0 and says what was already so; the office's
contact sheet grows and is imported again."""

import csv

import pytest
from openpyxl import Workbook

from store.models import Contact, LeaderGroup, Unit, UnitAlias

KEY = "0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99"
FIRST_DAY = [
    ("init",),
    ("plan", "import", "--sample"),
    ("unit", "merge", "区政府办", "区政府办公室"),
    ("unit", "alias", "政府办", "区政府办公室"),
    ("group", "add-member", "区政府各部门", "区财政局", "区审计局", "区政府办公室"),
    ("leaders", "add", "区政府领导群", "--webhook-key", KEY),
]


def _csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return str(path)


HEADER = ["单位", "姓名", "企业微信账号", "手机", "角色"]


def test_every_first_day_step_reruns_with_exit_0(cli, tmp_path):
    sheet = _csv(tmp_path / "contacts.csv", [HEADER, ["区财政局", "张三", "zhangsan", "13800138000", "联络员"],
                                             ["区财政局", "李四", "lisi", "", "领导"]])
    steps = FIRST_DAY + [("contact", "import", sheet)]
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.output)
    counts = (Unit.select().count(), UnitAlias.select().count(), Contact.select().count(),
              LeaderGroup.select().count())
    for step in steps:
        again = cli(*step)
        assert again.exit_code == 0, (step, again.output)
        assert "Traceback" not in again.output
    assert (Unit.select().count(), UnitAlias.select().count(), Contact.select().count(),
            LeaderGroup.select().count()) == counts
    assert "already merged" in cli(*FIRST_DAY[2]).output
    assert "already a name of" in cli(*FIRST_DAY[3]).output
    assert "already in" in cli(*FIRST_DAY[4]).output
    assert "already exists" in cli(*FIRST_DAY[5]).output
    assert "0 added, 0 changed, 2 unchanged" in cli("contact", "import", sheet).output
    assert "up to date" in cli("init").output and "already imported" in cli(*FIRST_DAY[1]).output


def test_a_grown_sheet_adds_changes_with_update_and_lists_the_missing(cli, tmp_path):
    assert cli("plan", "import", "--sample").exit_code == 0
    first = _csv(tmp_path / "v1.csv", [HEADER, ["区财政局", "张三", "zhangsan", "13800138000", "联络员"],
                                        ["区财政局", "李四", "lisi", "", "领导"],
                                        ["区审计局", "王五", "wangwu", "", "联络员"]])
    assert cli("contact", "import", first).exit_code == 0
    grown = _csv(tmp_path / "v2.csv", [HEADER, [" 区财政局", "张三", " ZhangSan ", "13800138000", "联络员"],
                                        ["区审计局", "李四", "lisi", "", "领导"],
                                        ["区司法局", "赵六", "zhaoliu", "", "联络员"],
                                        ["区司法局", "钱七", "qianqi", "", "领导"]])
    refused = cli("contact", "import", grown)
    assert refused.exit_code == 1 and "lisi" in refused.output and "--update" in refused.output
    assert Contact.select().count() == 3
    result = cli("contact", "import", grown, "--update")
    assert result.exit_code == 0, result.output
    assert "2 added, 1 changed, 1 unchanged" in result.output
    assert "wangwu" in result.output and "--remove-missing" in result.output  # missing: listed, kept
    assert Contact.select().count() == 5
    assert Contact.get(Contact.userid == "lisi").unit.name == "区审计局"
    assert Contact.select().where(Contact.userid ** "zhangsan").count() == 1  # ' ZhangSan ' is zhangsan
    declined = cli("contact", "import", grown, "--remove-missing", input="n\n")
    assert declined.exit_code == 1 and "王五 (wangwu" in declined.output and Contact.select().count() == 5
    removed = cli("contact", "import", grown, "--remove-missing", input="y\n")
    assert removed.exit_code == 0 and "wangwu" in removed.output and Contact.select().count() == 4


def test_add_contact_in_another_case_is_the_same_userid(cli):
    assert cli("plan", "import", "--sample").exit_code == 0
    assert cli("contact", "add", "--unit", "区财政局", "--name", "陈四", "--userid", "chensi").exit_code == 0
    same = cli("contact", "add", "--unit", "区财政局", "--name", "陈四", "--userid", "ChenSi ")
    assert same.exit_code == 0 and "already" in same.output
    other = cli("contact", "add", "--unit", "区财政局", "--name", "别人", "--userid", "CHENSI")
    assert other.exit_code == 1 and "陈四" in other.output
    assert Contact.select().count() == 1


@pytest.mark.parametrize("title_rows", [1, 2])
def test_xlsx_with_a_title_row_above_the_header(cli, tmp_path, title_rows):
    assert cli("plan", "import", "--sample").exit_code == 0
    book = Workbook()
    sheet = book.active
    for _ in range(title_rows):
        sheet.append(["五华区政务公开工作联络员名单"])
    sheet.append(HEADER)
    sheet.append(["区财政局", "张三", "zhangsan", "13800138000", "联络员"])
    path = tmp_path / "名单.xlsx"
    book.save(path)
    result = cli("contact", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and Contact.select().count() == 1
