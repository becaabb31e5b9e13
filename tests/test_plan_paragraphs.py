"""Plans that are not the seed's table: numbered paragraphs with annotations, other header words, sub-rows under a
merged 序号, milestones, .html and text .pdf. Fixtures are small rebuilds of the shapes real plans have."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook

from plan.document import to_json_dict
from plan.read import read_plan, read_plan_bytes

CORPUS = Path(__file__).resolve().parent / "data" / "plans-real"

XIANGXI = """湘西州2019年深化"放管服"改革优化营商环境工作要点任务分工方案

为确保各项任务落到实处，现将工作要点分解如下。

一、持续深化简政放权
1.加大简政放权力度。坚持依法放权，做好取消下放行政许可事项的承接落实。（牵头单位：州行政审批服务局；责任单位：州司法局、州委编办及州直相关单位，各县市人民政府、湘西经开区管委会，6月底完成）
2.深化商事制度改革。推进"证照分离"改革全覆盖。〔责任单位：州市场监管局、州政府办公室，各县市人民政府，完成时限：全年〕
二、加强事中事后监管
3.全面推行"双随机、一公开"监管。
牵头单位：州市场监管局
责任单位：州直各有关部门，各县市人民政府
完成时限：2019年11月15日前完成初稿，12月底前全面完成
4.推进政务服务"一网通办"。（州数据资源局牵头，各县市人民政府配合，2019年9月投入使用）
三、保障措施
（一）加强组织领导。各单位要高度重视。
抄送：州委各部门。
"""


def roles(task) -> set[tuple[str, str]]:
    return {(u.name, u.role) for u in task.units}


def by_label(plan) -> dict:
    return {t.label: t for t in plan.tasks}


def test_paragraph_plan_annotations_labelled_lines_verbs_and_milestones(tmp_path):
    path = tmp_path / "要点.txt"
    path.write_text(XIANGXI, encoding="gb18030")
    plan = read_plan(path)
    assert plan.year == 2019 and plan.title.startswith("湘西州2019年")
    tasks = by_label(plan)
    assert list(tasks) == ["1", "2", "3", "4"]  # 三、保障措施 has no annotation: not tasks
    one = tasks["1"]
    assert one.category == "持续深化简政放权"
    assert one.requirement.startswith("加大简政放权力度。") and "牵头单位" not in one.requirement
    assert roles(one) == {("州行政审批服务局", "lead"), ("州司法局", "responsible"), ("州委编办", "responsible"),
                          ("州直相关单位", "responsible"), ("各县市人民政府", "responsible"),
                          ("湘西经开区管委会", "responsible")}
    assert [(d.kind, d.due) for d in one.deadlines] == [("fixed", date(2019, 6, 30))]
    assert [(d.kind, d.due) for d in tasks["2"].deadlines] == [("year_round", date(2019, 12, 31))]
    three = tasks["3"]  # labelled lines after the item; two milestones
    assert roles(three) == {("州市场监管局", "lead"), ("州直各有关部门", "responsible"),
                            ("各县市人民政府", "responsible")}
    assert [(d.due, d.label) for d in three.deadlines] == [(date(2019, 11, 15), "完成初稿"),
                                                          (date(2019, 12, 31), "全面完成")]
    four = tasks["4"]  # unlabelled, read by its verbs
    assert roles(four) == {("州数据资源局", "lead"), ("各县市人民政府", "cooperate")}
    assert [(d.due, d.label) for d in four.deadlines] == [(date(2019, 9, 30), "投入使用")]
    assert any(w.code == "section_without_tasks" and "保障措施" in w.message for w in plan.warnings)
    shape = to_json_dict(plan)["tasks"][2]["deadlines"]
    assert shape[0] == {"raw": "2019年11月15日前完成初稿", "kind": "fixed", "due": "2019-11-15", "label": "完成初稿"}


def test_docx_paragraphs_with_labelled_lines_and_the_first_listed_unit_rule(tmp_path):
    doc = Document()
    for text in ("桐乡市2020年政府工作报告主要工作责任分解",
                 "各责任单位要按照分工抓好落实，列第一位者为牵头单位。",
                 "一、于会游市长主抓重点工作",
                 "1.制定出台高质量发展政策体系。",
                 "责任单位：财政局、发改局、经信局",
                 "2.全面落实各级“五减”系列政策。",
                 "责任单位：税务局",
                 "3.优化营商环境。（发改局、市场监管局，2020年10月底前）"):
        doc.add_paragraph(text)
    doc.save(tmp_path / "分解.docx")
    tasks = by_label(read_plan(tmp_path / "分解.docx"))
    assert roles(tasks["1"]) == {("财政局", "lead"), ("发改局", "responsible"), ("经信局", "responsible")}
    assert roles(tasks["2"]) == {("税务局", "responsible")}  # one unit: nobody is listed first
    assert roles(tasks["3"]) == {("发改局", "lead"), ("市场监管局", "responsible")}
    assert [d.due for d in tasks["3"].deadlines] == [date(2020, 10, 31)]


def test_heading_annotation_covers_its_numbered_items_and_measures_fold_into_the_task(tmp_path):
    text = ("某市2022年政务公开工作要点\n"
            "一、推进决策公开（牵头单位：市政府办公室）\n"
            "1.完善目录。\n2.做好解读。（完成时限：6月底前）\n"
            "二、应急管理\n"
            "1.推进预案管理。\n（1）修订预案。\n（2）开展演练。\n"
            "（责任单位：市直各有关单位、各县（市、区）人民政府）\n")
    plan = read_plan_bytes(text.encode(), "要点.txt")
    tasks = by_label(plan)
    assert list(tasks) == ["1", "2", "3"]
    assert roles(tasks["1"]) == {("市政府办公室", "lead")} and tasks["1"].deadlines == []
    assert roles(tasks["2"]) == {("市政府办公室", "lead")}
    assert [d.due for d in tasks["2"].deadlines] == [date(2022, 6, 30)]
    measures = tasks["3"]
    assert "修订预案" in measures.requirement and "开展演练" in measures.requirement
    assert roles(measures) == {("市直各有关单位", "responsible"), ("各县（市、区）人民政府", "responsible")}


def _xlsx(path: Path, rows: list[list], merges: tuple[str, ...] = ()) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)
    return path


def test_xlsx_sub_rows_under_a_merged_seq_people_column_and_other_header_words(tmp_path):
    path = _xlsx(tmp_path / "民生实事.xlsx", [
        ["2021年重大民生实事项目目标任务责任分解表"],
        ["序号", "项目名称", "主要内容", "区政府分管领导", "牵头单位", "配合单位"],
        [1, "增加教育资源供给", "新建学校12个。", "何海平", "教育局", "经开区\n高新园（邹区镇）\n各街道"],
        [2, "优化养老服务", "为23000名老年人提供居家上门服务。", "张菁", "民政局", "各街道"],
        [None, None, "提升改造8家社区居家养老服务中心（站）。", None, None, None],
        [None, None, "对300户困难老人家庭进行居家适老化改造。", None, None, None],
    ], merges=("A4:A6", "B4:B6", "D4:D6", "E4:E6", "F4:F6"))
    plan = read_plan(path)
    tasks = by_label(plan)
    assert list(tasks) == ["1", "2-1", "2-2", "2-3"]
    assert roles(tasks["1"]) == {("教育局", "lead"), ("经开区", "cooperate"), ("高新园（邹区镇）", "cooperate"),
                                 ("各街道", "cooperate")}
    assert all(roles(tasks[s]) == {("民政局", "lead"), ("各街道", "cooperate")} for s in ("2-1", "2-2", "2-3"))
    assert tasks["2-3"].requirement.startswith("对300户") and tasks["2-3"].category == "优化养老服务"
    assert not any("何海平" in u.name or "张菁" in u.name for t in plan.tasks for u in t.units)
    assert [t["seq"] for t in to_json_dict(plan)["tasks"]] == [1, "2-1", "2-2", "2-3"]
    assert not any(w.code == "duplicate_seq" for w in plan.warnings)


def test_table_without_seq_column_and_month_deadlines(tmp_path):
    path = _xlsx(tmp_path / "整治.xlsx", [
        ["徐庄镇2017年度安全生产专项整治工作计划"],
        ["专项整治行业名称", "时间安排", "责任单位"],
        ["烟花爆竹", "1月份", "安监站 安监所"],
        ["养老机构", "4月份", "民政所"],
        ["学校、幼儿园", "10月份", "文化站"],
    ])
    plan = read_plan(path)
    tasks = by_label(plan)
    assert list(tasks) == ["1", "2", "3"]
    assert roles(tasks["1"]) == {("安监站", "responsible"), ("安监所", "responsible")}
    assert [d.due for d in tasks["3"].deadlines] == [date(2017, 10, 31)]
    assert any(w.code == "seq_numbered_in_order" for w in plan.warnings)


GBK_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>上城区2019年目标任务分解表</title></head><body><div class="nav">首页 &gt; 政务公开</div>
<table><tr><td><table border="1">
<tr><td>序号</td><td>任 务 名 称</td><td>指 标 要 求</td><td>牵 头 部 门</td><td>配 合 部 门</td><td>完成时限</td></tr>
<tr><td>1</td><td>地区生产总值</td><td>增长5.5%</td><td>区发改经信局</td><td>区财政局、各街道办事处</td><td>12月底前</td></tr>
<tr><td rowspan="2">2</td><td rowspan="2">重大项目</td><td>完成投资100亿元</td><td rowspan="2">区发改经信局</td>
<td>区住房和城建局</td><td>11月15日前完成初稿，12月底前全面完成</td></tr>
<tr><td>新开工项目10个</td><td>区投促局</td><td>①6月底前动工；②9月投入使用</td></tr>
</table></td></tr></table><p>杭州市上城区人民政府办公室 2019年2月15日</p></body></html>"""


def test_html_page_in_gbk_with_nested_layout_tables_and_rowspan(tmp_path):
    path = tmp_path / "分解表.html"
    path.write_bytes(GBK_PAGE.encode("gbk"))
    plan = read_plan(path)
    tasks = by_label(plan)
    assert list(tasks) == ["1", "2-1", "2-2"]
    assert roles(tasks["1"]) == {("区发改经信局", "lead"), ("区财政局", "cooperate"), ("各街道办事处", "cooperate")}
    assert roles(tasks["2-2"]) == {("区发改经信局", "lead"), ("区投促局", "cooperate")}
    assert [(d.due, d.label) for d in tasks["2-1"].deadlines] == [(date(2019, 11, 15), "完成初稿"),
                                                                 (date(2019, 12, 31), "全面完成")]
    assert [(d.due, d.label) for d in tasks["2-2"].deadlines] == [(date(2019, 6, 30), "动工"),
                                                                 (date(2019, 9, 30), "投入使用")]


def test_html_paragraph_plan_in_utf8(tmp_path):
    page = ("<html><head><meta charset='utf-8'><title>2020年政府工作报告主要工作责任分解</title></head><body>"
            "<p>一、重点工作</p><p>1.制定出台政策体系。</p><p>责任单位：财政局、发改局</p>"
            "<p>2.落实减税降费。<br>牵头单位：税务局<br>配合单位：财政局</p></body></html>")
    plan = read_plan_bytes(page.encode(), "分解.htm")
    tasks = by_label(plan)
    assert roles(tasks["1"]) == {("财政局", "responsible"), ("发改局", "responsible")}
    assert roles(tasks["2"]) == {("税务局", "lead"), ("财政局", "cooperate")}


@pytest.mark.skipif(not (CORPUS / "ningbo-2014-msss.pdf").exists(), reason="corpus PDF not present")
def test_text_pdf_with_labelled_fields_on_one_line():
    plan = read_plan(CORPUS / "ningbo-2014-msss.pdf")
    tasks = by_label(plan)
    assert roles(tasks["1"]) == {("市轨道交通工程建设指挥部", "responsible")}
    assert roles(tasks["2"]) == {("市公安局", "responsible"), ("市城管局", "cooperate"), ("市财政局", "cooperate")}
    assert ("宁波电业局", "cooperate") in roles(tasks["4"])  # the 配合单位 line wrapped onto the next line
    assert not any("林静国" in u.name or "劳可军" in u.name for t in plan.tasks for u in t.units)


def test_a_file_without_a_plan_says_what_was_looked_for(tmp_path):
    from plan.readers import PlanReadError

    with pytest.raises(PlanReadError, match="looked for a table with a header row .* and for numbered items"):
        read_plan_bytes("会议纪要\n今天开会，研究了工作。\n".encode(), "纪要.txt")


def test_short_labels_bracket_labels_and_attachment_lines(tmp_path):
    text = ("某市2024年政务公开工作要点\n各区人民政府，市政府各部门：\n现将要点印发给你们。\n"
            "附件：1.责任分工表\n"
            "一、推进重点领域公开\n"
            "1、推进财政信息公开。（牵头：市财政局；配合：各区人民政府；时限：年内）\n"
            "2、推进教育信息公开。【责任单位】市教育局【完成时限】9月中旬前\n"
            "附件：2.名单\n"
            "（此件公开发布）\n")
    tasks = by_label(read_plan_bytes(text.encode(), "要点.txt"))
    assert roles(tasks["1"]) == {("市财政局", "lead"), ("各区人民政府", "cooperate")}
    assert [d.kind for d in tasks["1"].deadlines] == ["year_round"]
    assert roles(tasks["2"]) == {("市教育局", "responsible")}
    assert [d.due for d in tasks["2"].deadlines] == [date(2024, 9, 20)]
    assert "附件" not in tasks["2"].requirement and "此件" not in tasks["2"].requirement


def test_two_labels_in_one_cell_separated_by_a_space():
    from plan.units import parse_units

    parsed = parse_units("牵头单位：市民政局 责任单位：各区民政局")
    assert [(r.name, r.role) for r in parsed.refs] == [("市民政局", "lead"), ("各区民政局", "responsible")]


def test_notice_rules_heading_that_names_the_lead_and_labels_with_two_roles():
    text = ("某市人民政府关于2020年市政府重点工作及责任分解的通知\n"
            "一、高度重视。各单位要抓好落实。\n"
            "二、除特别注明的外，各县（市、区）政府和市经开区管委会都是配合单位。\n"
            "（此件公开发布）\n附件1\n2020年市政府重点工作责任分解\n"
            "一、县示范区管委会牵头工作（2项）\n1.建设养殖基地。\n2.打造生产基地。\n"
            "二、王丹县长牵头重点工作\n"
            "3.地区生产总值增长8%以上。\n牵头负责领导：金力。\n牵头责任单位：市发展改革委。\n"
            "协同责任单位：市经信局（首位单位为牵头单位，下同）、滁州海关等，各县、市、区政府。\n")
    plan = read_plan_bytes(text.encode(), "分解.txt")
    tasks = by_label(plan)
    assert list(tasks) == ["1", "2", "3"]  # the notice's 一、二、 hold no annotation
    everyone = {("各县（市、区）政府", "cooperate"), ("市经开区管委会", "cooperate")}
    assert roles(tasks["1"]) == {("县示范区管委会", "lead")} | everyone
    assert roles(tasks["3"]) == {("市发展改革委", "lead"), ("市经信局", "cooperate"), ("滁州海关", "cooperate"),
                                 ("各县、市、区政府", "cooperate")} | everyone
    assert not any("金力" in u.name or "王丹" in u.name for t in plan.tasks for u in t.units)


def test_columns_found_by_content_and_a_table_continued_without_its_header(tmp_path):
    doc = Document()
    doc.add_paragraph("某区2022年为民办实事项目安排")
    first = doc.add_table(rows=3, cols=5)
    for row, values in enumerate((["编号", "事项", "承担", "节点", "分管领导"],
                                  ["1", "新建社区养老服务站3个。", "区民政局", "10月底前", "张伟"],
                                  ["2", "改造老旧小区12个。", "区住建局、各街道", "11月底前", "李强"])):
        for col, value in enumerate(values):
            first.cell(row, col).text = value
    doc.add_paragraph("")
    second = doc.add_table(rows=1, cols=5)
    for col, value in enumerate(["3", "新增公办学位800个。", "区教育局", "9月投入使用", "王芳"]):
        second.cell(0, col).text = value
    doc.save(tmp_path / "实事.docx")
    plan = read_plan(tmp_path / "实事.docx")
    tasks = by_label(plan)
    assert list(tasks) == ["1", "2", "3"]
    assert tasks["2"].requirement == "改造老旧小区12个。"
    assert {u.name for u in tasks["2"].units} == {"区住建局", "各街道"}
    assert [(d.due, d.label) for d in tasks["3"].deadlines] == [(date(2022, 9, 30), "投入使用")]
    assert not any(u.name in ("张伟", "李强", "王芳") for t in plan.tasks for u in t.units)


def test_a_plan_in_traditional_characters_is_read_in_simplified_ones():
    text = ("2021年市《政府工作報告》任務分解和責任分工方案\n一、主要預期目標\n1.地區生產總值增長6.5%左右。\n"
            "牽頭單位：市發展改革委\n責任單位：各縣、區人民政府，遼東灣新區管委會\n"
            "2.一般公共預算收入增長3%。（牽頭單位：市財政局；完成時限：12月底前）\n")
    plan = read_plan_bytes(text.encode(), "方案.txt")
    tasks = by_label(plan)
    assert tasks["1"].category == "主要预期目标"
    assert roles(tasks["1"]) == {("市发展改革委", "lead"), ("各县、区人民政府", "responsible"),
                                 ("辽东湾新区管委会", "responsible")}
    assert [d.due for d in tasks["2"].deadlines] == [date(2021, 12, 31)]


def test_csv_blank_seq_with_its_own_requirement_is_a_sub_row():
    text = ("某区2020年民生实事分工方案\n序号,项目名称,主要内容,牵头单位,完成时限\n"
            "1,教育,新建学校3所。,区教育局,12月底前\n2,养老,建设养老中心2个。,区民政局,10月底前\n"
            ",,改造敬老院5家。,,\n3,交通,新建公交线路5条。,区交通局,9月底前\n")
    tasks = by_label(read_plan_bytes(text.encode("gbk"), "实事.csv"))
    assert list(tasks) == ["1", "2-1", "2-2", "3"]
    sub = tasks["2-2"]
    assert sub.requirement == "改造敬老院5家。" and roles(sub) == {("区民政局", "lead")}
    assert [d.due for d in sub.deadlines] == [date(2020, 10, 31)] and "units" in sub.inherited
