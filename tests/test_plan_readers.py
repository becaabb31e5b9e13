"""Plan document readers: the seed's text form, .docx, .xlsx, .csv, and every kind of bad input."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook

from plan.document import ParsedPlan, ParsedTask, PlanReadError, to_json_dict
from plan.read import read_plan, read_plan_bytes

SEED = Path(__file__).resolve().parent.parent / "plan" / "samples" / "wuhua-2019.txt"


def by_seq(plan: ParsedPlan) -> dict[int, ParsedTask]:
    return {t.seq: t for t in plan.tasks}


def roles(task: ParsedTask) -> set[tuple[str, str]]:
    return {(u.name, u.role) for u in task.units}


# ------------------------------------------------------------------------------------------------ seed text
def test_seed_text_form_header_and_task_numbers():
    plan = read_plan(SEED)
    assert plan.title == "五华区2019年政务公开工作要点分工方案"
    assert plan.doc_no == "五政办通〔2019〕71号"
    assert plan.issuer == "昆明市五华区人民政府办公室"
    assert plan.issued_on == date(2019, 9, 5)
    assert plan.year == 2019
    assert plan.source_name == "wuhua-2019.txt"
    assert plan.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert len(plan.tasks) == 74
    assert [t.seq for t in plan.tasks] == list(range(1, 60)) + list(range(64, 79))


def test_seed_cells_join_wrapped_lines_without_spaces():
    tasks = by_seq(read_plan(SEED))
    assert tasks[1].category == "着眼稳定预期，加强政策解读和回应关切"
    assert tasks[1].subcategory == "深入解读重要政策措施"
    assert tasks[7].subcategory == "积极回应社会关切"  # a blank line inside the cell
    assert tasks[16].subcategory == "推进重要部署执行公开"
    assert tasks[1].row == 26 and tasks[78].row == 593
    assert tasks[78].requirement.startswith("区级各部门在2019年12月15日前")
    assert "抄送" not in tasks[78].requirement and tasks[78].deadline_raw == "2020年1月中旬"


def test_seed_blank_cells_inherit_but_page_break_repeats_are_explicit():
    tasks = by_seq(read_plan(SEED))
    assert tasks[2].inherited == ["category", "subcategory", "units", "deadline"]
    assert tasks[2].units_raw == "区政府各部门分别负责落实" and tasks[2].deadline_raw == "全年工作"
    # rows 3, 7, 19 repeat the category at a page break: written, not inherited
    for seq in (3, 7, 19):
        assert "category" not in tasks[seq].inherited
    assert tasks[3].inherited == [] and tasks[19].inherited == []
    # a new sub-category in a row whose category cell is blank
    assert tasks[6].inherited == ["category", "units", "deadline"]


def test_seed_read_from_gbk_bytes_gives_the_same_tasks():
    text = SEED.read_bytes().decode("utf-8")
    plan = read_plan_bytes(text.encode("gb18030"), "方案.txt")
    assert [t.seq for t in plan.tasks] == [t.seq for t in read_plan(SEED).tasks]
    assert plan.title == "五华区2019年政务公开工作要点分工方案"


def test_seed_year_and_title_arguments_win():
    plan = read_plan(SEED, year=2020, title="另一个标题")
    assert plan.year == 2020 and plan.title == "另一个标题"
    assert by_seq(plan)[14].deadlines[0].due == date(2020, 10, 31)


def test_json_dict_has_the_documented_shape():
    data = to_json_dict(read_plan(SEED))
    assert set(data) == {"plan", "tasks", "warnings"}
    assert data["plan"] == {"title": "五华区2019年政务公开工作要点分工方案", "doc_no": "五政办通〔2019〕71号",
                            "year": 2019, "issued_on": "2019-09-05"}
    task = data["tasks"][0]
    assert set(task) == {"seq", "category", "subcategory", "requirement", "units", "groups", "deadlines",
                         "inherited"}
    assert task["deadlines"] == [{"raw": "全年工作", "kind": "year_round", "due": "2019-12-31"}]
    assert all(set(u) == {"name", "role"} for t in data["tasks"] for u in t["units"] + t["groups"])
    assert {"seq": 64, "code": "seq_gap", "message": "序号 60–63 missing (between 59 and 64)"} in data["warnings"]
    assert set(data["warnings"][0]) == {"seq", "code", "message"}


# ------------------------------------------------------------------------------------------------ .docx
def _docx_plan(path: Path) -> Path:
    doc = Document()
    doc.add_paragraph("某某区人民政府办公室文件")
    doc.add_paragraph("某政办〔2024〕12号")
    doc.add_paragraph("关于印发某某区2024年重点工作分工方案的通知")
    doc.add_paragraph("某某区2024年重点工作分工方案")
    table = doc.add_table(rows=6, cols=7)
    header = ["序号", "工作任务", "", "具体要求", "牵头单位", "配合单位", "完成时限"]
    for col, text in enumerate(header):
        table.cell(0, col).text = text
    table.cell(0, 1).merge(table.cell(0, 2))  # 工作任务 spans category and sub-category
    rows = [
        ["1", "一级任务甲", "二级任务A", "完成甲事项", "区财政局", "区审计局", "6月底前"],
        ["2", "", "二级任务B", "完成乙事项", "区教育体育局", "", "9月30日前"],
        ["3", "", "", "完成丙事项", "区卫生健康局", "区医保局、区民政局", ""],
        ["", "二、第二部分", "", "", "", "", ""],
        ["4", "", "三级任务C", "完成丁事项", "", "", "全年工作"],
    ]
    for r, values in enumerate(rows, start=1):
        for col, text in enumerate(values):
            if text:
                table.cell(r, col).text = text
    table.cell(1, 1).merge(table.cell(3, 1))  # category merged down over rows 1-3
    table.cell(2, 6).merge(table.cell(3, 6))  # deadline of seq 2 also covers seq 3
    table.cell(4, 0).merge(table.cell(4, 6))  # a section heading spanning the table
    doc.add_paragraph("抄送：区委办。")
    doc.add_paragraph("某某区人民政府办公室          2024年3月1日印发")
    doc.save(path)
    return path


def test_docx_merged_cells_headings_and_cooperate_column(tmp_path):
    plan = read_plan(_docx_plan(tmp_path / "plan.docx"))
    assert plan.title == "某某区2024年重点工作分工方案"
    assert plan.doc_no == "某政办〔2024〕12号"
    assert plan.issuer == "某某区人民政府办公室"
    assert plan.issued_on == date(2024, 3, 1) and plan.year == 2024
    tasks = by_seq(plan)
    assert sorted(tasks) == [1, 2, 3, 4]
    assert (tasks[1].category, tasks[1].subcategory) == ("一级任务甲", "二级任务A")
    assert tasks[1].inherited == []
    assert tasks[2].category == "一级任务甲" and tasks[2].inherited == ["category"]
    assert tasks[3].subcategory == "二级任务B"
    assert tasks[3].inherited == ["category", "subcategory", "deadline"]
    assert [d.due for d in tasks[3].deadlines] == [date(2024, 9, 30)]
    assert ("区审计局", "cooperate") in roles(tasks[1])
    assert {("区医保局", "cooperate"), ("区民政局", "cooperate")} <= roles(tasks[3])
    assert not any(u.role == "cooperate" for u in tasks[2].units)  # a blank 配合单位 is no cooperation
    # the heading row is the category of the rows under it, numbering stripped
    assert tasks[4].category == "第二部分" and tasks[4].subcategory == "三级任务C"
    assert tasks[4].units_raw == "区卫生健康局" and "units" in tasks[4].inherited


def test_docx_split_table_with_repeated_header_is_joined(tmp_path):
    doc = Document()
    doc.add_paragraph("某某区2022年政务公开分工方案")
    for first in (1, 2):
        table = doc.add_table(rows=2, cols=4)
        for col, text in enumerate(["序号", "具体要求", "责任单位", "完成时限"]):
            table.cell(0, col).text = text
        for col, text in enumerate([str(first), f"事项{first}", "区财政局", "12月底前"]):
            table.cell(1, col).text = text
        doc.add_paragraph("")
    path = tmp_path / "split.docx"
    doc.save(path)
    plan = read_plan(path)
    assert [t.seq for t in plan.tasks] == [1, 2] and plan.year == 2022


# ------------------------------------------------------------------------------------------------ .xlsx
def _xlsx_plan(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["某某区2023年政务公开工作要点分工方案"])
    sheet.merge_cells("A1:G1")
    sheet.append(["序 号", "工作\n任务", "具体任务", "具 体 要 求", "牵头\n单位", "配合单位", "完成\n时限"])
    sheet.append([1, "公开平台建设", "网站改版", "完成网站改版", "区科信局", "区政府办公室", "10月底前"])
    sheet.append([2, None, None, "网站内容审核", "区委网信办", None, None])
    sheet.append([3, None, "新媒体管理", "清理规范新媒体", "区融媒体中心", "区政府各部门", "全年工作"])
    sheet.append([4, "制度建设", "培训", None, "区政府办公室", None, "12月底前"])
    sheet.append(["合计", "4项", None, "见上", None, None, None])
    sheet.merge_cells("B3:B5")  # category merged down
    sheet.merge_cells("F3:F4")  # cooperate merged down: seq 2 has the same cooperating unit
    sheet.merge_cells("G3:G4")  # deadline merged down
    book.save(path)
    return path


def test_xlsx_title_row_spaced_headers_merges_and_cooperate(tmp_path):
    plan = read_plan(_xlsx_plan(tmp_path / "plan.xlsx"))
    assert plan.title == "某某区2023年政务公开工作要点分工方案" and plan.year == 2023
    assert plan.issued_on is None and plan.doc_no is None
    tasks = by_seq(plan)
    assert sorted(tasks) == [1, 2, 3]
    assert tasks[1].row == 3 and tasks[3].row == 5
    assert (tasks[2].category, tasks[2].subcategory) == ("公开平台建设", "网站改版")
    assert tasks[2].inherited == ["category", "subcategory", "cooperate", "deadline"]
    assert ("区政府办公室", "cooperate") in roles(tasks[1]) and ("区政府办公室", "cooperate") in roles(tasks[2])
    assert ("区科信局", "cooperate") not in roles(tasks[1])
    assert [u.role for u in tasks[3].units if u.is_group] == ["cooperate"]
    assert tasks[2].deadlines[0].due == date(2023, 10, 31)
    codes = [(w.seq, w.code) for w in plan.warnings]
    assert (4, "missing_requirement") in codes
    assert any(code == "row_not_task" for _, code in codes)
    message = next(w.message for w in plan.warnings if w.code == "missing_requirement")
    assert "plan.xlsx" in message and "row 6" in message


def test_xlsx_note_column_holds_the_deadline(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "主要任务", "工作措施", "责任部门", "备注"])
    sheet.append([1, "任务一", "措施一", "区财政局", "2025年6月底前完成"])
    sheet.append([2, "任务二", "措施二", "区审计局", "牵头汇总"])
    path = tmp_path / "notes.xlsx"
    book.save(path)
    tasks = by_seq(read_plan(path, year=2025))
    assert [d.due for d in tasks[1].deadlines] == [date(2025, 6, 30)]
    assert tasks[2].deadlines == [] and tasks[2].deadline_raw == ""


# ------------------------------------------------------------------------------------------------ .csv
CSV_TEXT = (
    "序号,一级任务,二级任务,具体要求,责任单位,协同单位,时间节点\n"
    "1,任务甲,子任务A,做好甲,区财政局,区审计局,3月底前\n"
    "2,,,做好乙,,,\n"
    "3,任务乙,,做好丙,区民政局,,第三季度\n"
)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_encodings_inheritance_and_cooperate(tmp_path, encoding):
    path = tmp_path / f"plan-{encoding}.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    plan = read_plan(path, year=2021)
    tasks = by_seq(plan)
    assert sorted(tasks) == [1, 2, 3]
    assert tasks[2].inherited == ["category", "subcategory", "units", "deadline"]
    assert (tasks[2].category, tasks[2].subcategory) == ("任务甲", "子任务A")
    assert ("区审计局", "cooperate") in roles(tasks[1])
    assert ("区审计局", "cooperate") not in roles(tasks[2])  # CSV has no merges: blank 协同单位 is none
    assert ("区财政局", "cooperate") not in roles(tasks[2]) and any(n == "区财政局" for n, _ in roles(tasks[2]))
    # a new category does not carry the previous category's sub-category
    assert tasks[3].subcategory == "" and "subcategory" not in tasks[3].inherited
    assert tasks[3].deadlines[0].due == date(2021, 9, 30)


def test_csv_without_year_anywhere_asks_for_year(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    with pytest.raises(PlanReadError, match=r"plan\.csv.*--year"):
        read_plan(path)


# ------------------------------------------------------------------------------------------------ bad input
def _fake_soffice(bin_dir: Path, docx_source: Path) -> None:
    """A stand-in `soffice` that 'converts' by copying a prepared .docx into --outdir."""
    script = bin_dir / "soffice"
    script.write_text(
        f"#!{sys.executable}\n"
        "import shutil, sys\n"
        "args = sys.argv[1:]\n"
        "out = args[args.index('--outdir') + 1]\n"
        "stem = args[-1].rsplit('/', 1)[-1].rsplit('.', 1)[0]\n"
        f"shutil.copy({str(docx_source)!r}, out + '/' + stem + '.docx')\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_doc_is_converted_with_soffice_when_present(tmp_path, monkeypatch):
    source = _docx_plan(tmp_path / "converted.docx")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_soffice(bin_dir, source)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"old word" * 20)
    plan = read_plan(path)
    assert [t.seq for t in plan.tasks] == [1, 2, 3, 4] and plan.source_name == "old.doc"


@pytest.mark.parametrize("name", ["old.doc", "old.wps"])
def test_doc_and_wps_are_refused_without_soffice(tmp_path, monkeypatch, name):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"x" * 100)
    with pytest.raises(PlanReadError, match=r"WPS or Word and save it as \.docx") as info:
        read_plan(path)
    assert name in str(info.value)


BAD_INPUTS = [
    ("plan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
    ("scan.txt", b"%PDF-1.4 renamed", "PDF"),
    ("empty.txt", b"", "empty"),
    ("empty.docx", b"", "empty"),
    ("blank.csv", b"  \r\n\r\n", "empty"),
    ("garbage.txt", bytes(range(256)) * 4, "binary"),
    ("garbage.docx", b"PK\x03\x04 this is not really a zip" * 3, "not a valid .docx"),
    ("garbage.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a valid .xlsx"),
    ("broken.csv", b"\xff\xfe\xfd\xfc\x80\x81 abc", "neither UTF-8 nor GBK"),
    ("plan.pages", b"hello", "unsupported file type '.pages'"),
    ("notes.txt", "只是一段文字，没有表格。\n".encode(), "no plan found"),
    ("other.csv", "姓名,电话\n张三,123\n".encode(), "no recognisable header row"),
    ("header-only.csv", "序号,具体要求,责任单位,完成时限\n".encode(), "no task rows"),
]


@pytest.mark.parametrize(("name", "data", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_plan_read_error_naming_the_file(tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PlanReadError) as info:
        read_plan(path, year=2024)
    assert name in str(info.value)
    assert expected in str(info.value)


def test_missing_file_and_directory_are_plan_read_errors(tmp_path):
    with pytest.raises(PlanReadError, match="nothere.docx"):
        read_plan(tmp_path / "nothere.docx")
    (tmp_path / "dir.xlsx").mkdir()
    with pytest.raises(PlanReadError, match="dir.xlsx"):
        read_plan(tmp_path / "dir.xlsx")


def test_xlsx_without_header_names_the_file(tmp_path):
    book = Workbook()
    book.active.append(["名称", "数量"])
    book.active.append(["苹果", 3])
    path = tmp_path / "fruit.xlsx"
    book.save(path)
    with pytest.raises(PlanReadError, match=r"fruit\.xlsx: no plan found \(no recognisable header row"):
        read_plan(path, year=2024)


def test_plan_read_error_is_an_exception():
    assert issubclass(PlanReadError, Exception)


# ------------------------------------------------------------------------------------------------ text form
TEXT_FORM = (
    "某某县人民政府办公室文件\n"
    "某政办发〔2021〕3号\n"
    "\t（这一段以制表符开头，但不是表格）\n"
    "某某县2021年政务公开重点工作任务分工\n"
    "\n"
    "\t序号\n\t具 体\n要求\n\t责任\n单位\n\t时限\n要求\n"
    "\t一、公开\n平台\n"
    "\t1\n\t建设网站集\n约化平台\n\t区科信局牵头\n\t6月底前\n"
    "\t2\n\t完善网站栏目\n\t\n\t\n"
    "\t序号\n\t具体要求\n\t责任单位\n\t时限要求\n"
    "\t二、制度\n"
    "\t3\n\t建立台账\n\t区政府办公室\n\t全年\n"
    "\t4\n\t\n\t区财政局\n\t\n"
    "━━━━━━━━━━\n"
    "抄送：县委办。\n"
    "某某县人民政府办公室        二〇二一年四月八日印发\n"
)


def test_text_form_headings_repeated_header_and_chinese_issue_date():
    plan = read_plan_bytes(TEXT_FORM.encode("utf-8"), "县方案.txt")
    assert plan.title == "某某县2021年政务公开重点工作任务分工"
    assert plan.doc_no == "某政办发〔2021〕3号" and plan.issuer == "某某县人民政府办公室"
    assert plan.issued_on == date(2021, 4, 8)
    tasks = by_seq(plan)
    assert sorted(tasks) == [1, 2, 3]  # seq 4 has no requirement
    # no 工作任务 column: the heading rows are the categories
    assert [tasks[s].category for s in (1, 2, 3)] == ["公开平台", "公开平台", "制度"]
    assert tasks[1].requirement == "建设网站集约化平台"
    assert tasks[2].units_raw == "区科信局牵头" and tasks[2].inherited == ["units", "deadline"]
    assert tasks[3].deadlines[0].kind == "year_round"
    codes = [(w.seq, w.code) for w in plan.warnings]
    assert (4, "missing_requirement") in codes
    assert not any(code == "row_not_task" for _, code in codes)  # the repeated header is skipped quietly


def test_xlsx_two_row_header_with_task_levels(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "工作任务", None, "具体要求", "责任单位", "完成时限"])
    sheet.append([None, "一级任务", "二级任务", None, None, None])
    sheet.append(["（1）", "甲", "甲一", "做好甲一", "区财政局", "2019年11月30日前"])
    sheet.append(["（2）", None, "甲二", "做好甲二", None, None])
    for col in "ADEF":
        sheet.merge_cells(f"{col}1:{col}2")
    sheet.merge_cells("B1:C1")
    path = tmp_path / "levels.xlsx"
    book.save(path)
    tasks = by_seq(read_plan(path, year=2019))
    assert sorted(tasks) == [1, 2]
    assert (tasks[2].category, tasks[2].subcategory) == ("甲", "甲二")
    assert tasks[2].inherited == ["category", "units", "deadline"]
    assert tasks[2].deadlines[0].due == date(2019, 11, 30)


def test_csv_heading_row_with_chinese_ordinal_in_seq_column(tmp_path):
    path = tmp_path / "headings.csv"
    path.write_text(
        "序号,具体要求,牵头单位,完成时限\n一,稳定预期,,\n1,做好甲,区财政局,6月底前\n二、,优化服务,,\n2,做好乙,区审计局,全年\n",
        encoding="utf-8",
    )
    plan = read_plan(path, year=2020)
    assert [(t.seq, t.category) for t in plan.tasks] == [(1, "稳定预期"), (2, "优化服务")]
    assert not any(w.code == "row_not_task" for w in plan.warnings)
