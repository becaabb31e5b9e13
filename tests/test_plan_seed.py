"""The seed plan (五华区2019年政务公开工作要点分工方案), pinned task by task.

Every row below was checked by eye against plan/samples/wuhua-2019.txt and the rules: blank cells inherit
from the row above (inherited: c=category, s=subcategory, u=units, d=deadline), the category repeated at a
page break (rows 3, 7, 12, 14, 19 …) is written, not inherited; units are split into single units and groups.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from plan.document import to_json_dict
from plan.read import read_plan

SEED = Path(__file__).resolve().parent.parent / "plan" / "samples" / "wuhua-2019.txt"

C1 = "着眼稳定预期，加强政策解读和回应关切"
C2 = "强化权力监督，深入推进决策和执行公开"
C3 = "聚焦政策落实，深化重点领域信息公开"
C4 = "优化服务功能，加强公共平台建设"
C5 = "提升工作质量，完善公开制度规范"
YR = ("全年工作", "year_round", "2019-12-31")
INHERITED = {"c": "category", "s": "subcategory", "u": "units", "d": "deadline"}

# (seq, category, subcategory, requirement prefix, inherited, units, groups, deadlines (raw, kind, due))
# fmt: off
EXPECTED = [
    (1, C1, "深入解读重要政策措施", "围绕2019年全区经济社", "",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (2, C1, "深入解读重要政策措施", "严格执行《五华区行政机关", "csud",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (3, C1, "深入解读重要政策措施", "对人民群众和媒体关注度高", "",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (4, C1, "深入解读重要政策措施", "建立健全政务公开中的政务", "csd",
     [("区委网信办", "guide")],
     [("区政府各部门", "responsible")],
     [YR]),
    (5, C1, "深入解读重要政策措施", "进一步强化舆情回应意识，", "csud",
     [("区委网信办", "guide")],
     [("区政府各部门", "responsible")],
     [YR]),
    (6, C1, "积极回应社会关切", "对减税降费、金融安全、生", "cud",
     [("区委网信办", "guide")],
     [("区政府各部门", "responsible")],
     [YR]),
    (7, C1, "积极回应社会关切", "认真组织和协调区领导参加", "",
     [("区政府新闻办", "lead"), ("区政府办", "lead")],
     [("区级各部门", "responsible")],
     [YR]),
    (8, C1, "积极回应社会关切", "健全完善与新闻宣传、网信", "csd",
     [("区委网信办", "guide")],
     [("区政府涉及主管部门", "responsible")],
     [YR]),
    (9, C1, "积极回应社会关切", "加强网民留言办理，严格按", "csud",
     [("区委网信办", "guide")],
     [("区政府涉及主管部门", "responsible")],
     [YR]),
    (10, C1, "增强解读回应效果", "开展形象化、通俗化、多元", "cd",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (11, C1, "增强解读回应效果", "对专业性较强的政策，注重", "csud",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (12, C1, "增强解读回应效果", "对群众关切和社会热点，主", "",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (13, C1, "增强解读回应效果", "鼓励引进第三方力量组织参", "csud",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (14, C2, "推进重要决策公开", "区属各部门主动向有代表性", "",
     [],
     [("区政府各部门", "responsible")],
     [("10月底", "fixed", "2019-10-31")]),
    (15, C2, "推进重要决策公开", "按照《昆明市人民政府重大", "csu",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (16, C2, "推进重要部署执行公开", "围绕2019年我区《政府", "cud",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (17, C2, "推进重要部署执行公开", "围绕我区经济社会发展规划", "csud",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (18, C2, "推进重要部署执行公开", "进一步加强审计和督查发现", "csd",
     [("区审计局", "responsible"), ("区政府目督办", "responsible")],
     [],
     [YR]),
    (19, C2, "推进重要部署执行公开", "在重大行政决策执行过程中", "",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (20, C2, "推进重要部署执行公开", "加大人大代表建议、政协提", "csd",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (21, C2, "推动行政执法信息公开", "贯彻落实国务院和省、市人", "c",
     [("区司法局", "lead")],
     [("各行政执法部门", "responsible")],
     [("7月底前", "fixed", "2019-07-31")]),
    (22, C2, "推动行政执法信息公开", "利用政府网站和统一执法信", "csu",
     [("区司法局", "lead")],
     [("各行政执法部门", "responsible")],
     [YR]),
    (23, C2, "推动行政执法信息公开", "探索建立群众意见反馈互动", "csud",
     [("区司法局", "lead")],
     [("各行政执法部门", "responsible")],
     [YR]),
    (24, C3, "加强三大攻坚战信息公开", "围绕完善地方金融风险防范", "d",
     [("区财政局", "lead")],
     [],
     [YR]),
    (25, C3, "加强三大攻坚战信息公开", "围绕精准扶贫工作，重点做", "csd",
     [("区农业农村局", "lead")],
     [("区属各部门", "responsible")],
     [YR]),
    (26, C3, "加强三大攻坚战信息公开", "围绕打好“碧水”“蓝天”", "",
     [("市生态环境局五华分局", "lead"), ("区水务局", "lead"), ("区农业农村局", "lead"), ("区城市管理局", "lead")],
     [("区属各部门", "responsible")],
     [YR]),
    (27, C3, "深化“放管服”改革信息公开", "围绕“放管服”改革新任务", "cd",
     [("区政管局", "responsible"), ("区发改局", "responsible"), ("区科信局", "responsible"), ("区人社局", "responsible"), ("区住建局", "responsible"), ("区市场监管局", "responsible"), ("区税务局", "responsible")],
     [("各有关单位", "responsible")],
     [YR]),
    (28, C3, "深化“放管服”改革信息公开", "以“双随机、一公开” “", "csd",
     [("区发改局", "lead"), ("区市场监管局", "lead")],
     [],
     [YR]),
    (29, C3, "深化“放管服”改革信息公开", "加大政务服务信息公开，按", "csd",
     [("区政管局", "responsible")],
     [("区级各行政审批职能部门", "responsible")],
     [YR]),
    (30, C3, "深化“放管服”改革信息公开", "及时公开各类证明的清理和", "csd",
     [("区政管局", "responsible"), ("市发改局", "responsible"), ("区司法局", "responsible"), ("区市场监管局", "responsible")],
     [],
     [YR]),
    (31, C3, "强化重点民生领域信息公开", "梳理贯彻落实《五华区人民", "",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [YR]),
    (32, C3, "强化重点民生领域信息公开", "及时公开促进就业创业的政", "csd",
     [("区教育体育局", "lead"), ("区人力资源社会保障局", "lead"), ("区退役军人事务局", "lead")],
     [],
     [YR]),
    (33, C3, "强化重点民生领域信息公开", "及时公开义务教育招生方案", "csd",
     [("区教育体育局", "lead")],
     [],
     [YR]),
    (34, C3, "强化重点民生领域信息公开", "加大医疗服务、药品安全、", "csd",
     [("区市场监管局", "lead"), ("区卫生健康局", "lead"), ("区医保局", "lead")],
     [],
     [YR]),
    (35, C3, "强化重点民生领域信息公开", "依托全国征地信息共享平台", "csd",
     [("区自然资源局", "lead")],
     [],
     [YR]),
    (36, C3, "强化重点民生领域信息公开", "探索开展重点领域政府信息", "csd",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (37, C3, "细化财政信息公开", "增加区级各部门财政项目的", "",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (38, C3, "细化财政信息公开", "推动全区各政府部门加快财", "csd",
     [("区财政局", "responsible")],
     [],
     [YR]),
    (39, C3, "细化财政信息公开", "财政部门定期公开本级政府", "csud",
     [("区财政局", "responsible")],
     [],
     [YR]),
    (40, C3, "细化财政信息公开", "参照国家、省市的做法，公", "csud",
     [("区财政局", "responsible")],
     [],
     [YR]),
    (41, C4, "推进政府网站优质规范发展", "按照市政府办公室的安排部", "d",
     [("区科信局", "lead")],
     [("区政府各部门", "responsible")],
     [YR]),
    (42, C4, "推进政府网站优质规范发展", "参考省、市政府门户网站改", "csd",
     [("区科信局", "lead")],
     [],
     [YR]),
    (43, C4, "推进政府网站优质规范发展", "严格落实网络意识形态责任", "cs",
     [("区委网信办", "lead"), ("区科信局", "lead")],
     [("区政府各部门", "responsible")],
     [("12月底前", "fixed", "2019-12-31")]),
    (44, C4, "推进政府网站优质规范发展", "深化政府网站政务公开专栏", "",
     [("区科信局", "lead")],
     [("区政府各部门", "responsible")],
     [YR]),
    (45, C4, "推进政府网站优质规范发展", "按照市政府统一安排，组织", "csud",
     [("区科信局", "lead")],
     [("区政府各部门", "responsible")],
     [YR]),
    (46, C4, "推进政府网站优质规范发展", "加强政府网站间的协同联动", "csud",
     [("区科信局", "lead")],
     [("区政府各部门", "responsible")],
     [YR]),
    (47, C4, "推进政务新媒体健康有序发展", "贯彻落实国务院办公厅《关", "c",
     [("区政府办公室", "responsible"), ("区融媒体中心", "responsible")],
     [],
     [("12月底前", "fixed", "2019-12-31"), YR]),
    (48, C4, "推进政务新媒体健康有序发展", "参照省、市政府模式，开展", "csd",
     [("区融媒体中心", "lead"), ("区科信局", "lead")],
     [("区政府各部门", "responsible")],
     [("12月底前", "fixed", "2019-12-31"), YR]),
    (49, C4, "推进政务新媒体健康有序发展", "结合机构改革后的职责调整", "csd",
     [("区政管局", "lead")],
     [("区级各行政审批职能部门", "cooperate")],
     [("12月底前", "fixed", "2019-12-31"), YR]),
    (50, C4, "加快办事大厅线上线下融合发展", "进一步整合优化各级政务服", "",
     [("区政府办公室", "lead"), ("区政管局", "lead")],
     [("区政府各部门", "responsible")],
     [YR]),
    (51, C4, "加快办事大厅线上线下融合发展", "优化政府信息与政务公开的", "csud",
     [("区政府办公室", "lead"), ("区政管局", "lead")],
     [("区政府各部门", "responsible")],
     [YR]),
    (52, C4, "加快办事大厅线上线下融合发展", "加快推进区政府网站在线办", "csud",
     [("区政府办公室", "lead"), ("区政管局", "lead")],
     [("区政府各部门", "responsible")],
     [YR]),
    (53, C4, "加快办事大厅线上线下融合发展", "配合全市推动“12345", "csu",
     [("区政府办公室", "lead"), ("区政管局", "lead")],
     [("区政府各部门", "responsible")],
     [("10月底前", "fixed", "2019-10-31")]),
    (54, C4, "加快办事大厅线上线下融合发展", "探索推进政府信息公开查阅", "csu",
     [("区政府办公室", "lead"), ("区政管局", "lead")],
     [("区政府各部门", "responsible")],
     [YR]),
    (55, C5, "强化组织领导", "进一步理顺和完善领导体制", "d",
     [("区政府办公室", "lead")],
     [("区政府各部门", "responsible")],
     [YR]),
    (56, C5, "强化组织领导", "严格按照国务院办公厅、省", "",
     [("区政府办公室", "responsible"), ("区委目督办", "cooperate"), ("区政府目督办", "cooperate")],
     [],
     [("11月底前", "fixed", "2019-11-30")]),
    (57, C5, "强化组织领导", "按照政务公开新任务新要求", "cs",
     [("区政府办公室", "lead")],
     [],
     [YR]),
    (58, C5, "强化组织领导", "根据政府信息与政务公开第", "csd",
     [],
     [("区政府各部门", "responsible")],
     [YR]),
    (59, C5, "抓好政府信息公开条例的贯彻落实", "组织开展对国家新修订的《", "c",
     [("区政府办公室", "lead")],
     [],
     [("10月底前", "fixed", "2019-10-31")]),
    (64, C5, "抓好政府信息公开条例的贯彻落实", "加大基层政府信息公开和数", "",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [YR]),
    (65, C5, "抓好政府信息公开条例的贯彻落实", "采取“请进来+走出去”和", "cs",
     [("区政府办公室", "lead")],
     [],
     [("12月底前", "fixed", "2019-12-31")]),
    (66, C5, "抓好政府信息公开条例的贯彻落实", "加强政务公开制度建设，抓", "cs",
     [("区政府办公室", "lead")],
     [],
     [("11月底前", "fixed", "2019-11-30")]),
    (67, C5, "推广基层政务公开试点成果", "结合基层试点经验做法，抓", "cu",
     [("区政府办公室", "lead")],
     [],
     [YR]),
    (68, C5, "推广基层政务公开试点成果", "积极参加全省基层政务公开", "",
     [("区政府办公室", "lead")],
     [],
     [YR]),
    (69, C5, "推广基层政务公开试点成果", "积极配合省政府基层政务公", "csd",
     [("区政府办公室", "lead")],
     [],
     [YR]),
    (70, C5, "加强相关基础工作", "强化信息化手段运用，做好", "cud",
     [("区政府办公室", "lead")],
     [],
     [YR]),
    (71, C5, "加强相关基础工作", "机构改革涉及的政府各部门", "csd",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [YR]),
    (72, C5, "加强相关基础工作", "规范落实行政机关公文标识", "csud",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [YR]),
    (73, C5, "加强相关基础工作", "规范有序办理政府信息公开", "csud",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [YR]),
    (74, C5, "加强相关基础工作", "做好市政府办公室政府信息", "csu",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [("10月底前", "fixed", "2019-10-31")]),
    (75, C5, "加强相关基础工作", "积极组织区政府各部门向国", "cs",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [YR]),
    (76, C5, "加强相关基础工作", "将贯彻落实本方案的主要情", "csu",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [("2020年3月底前", "fixed", "2020-03-31")]),
    (77, C5, "加强相关基础工作", "2020年3月31日前向", "csud",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [("2020年3月底前", "fixed", "2020-03-31")]),
    (78, C5, "加强相关基础工作", "区级各部门在2019年1", "csu",
     [("区政府办公室", "responsible")],
     [("区政府各部门", "responsible")],
     [("2020年1月中旬", "fixed", "2020-01-20")]),
]
# fmt: on

EXPECTED_WARNINGS = [
    (21, "deadline_past_at_issue"),
    (43, "unit_fragment_ignored"),  # 做到谁发布、谁负责: a clause naming no unit is said, not dropped
    (78, "date_mismatch"),
    (64, "seq_gap"),
    (None, "likely_duplicate_unit"),
    (None, "likely_duplicate_unit"),
]


@pytest.fixture(scope="module")
def seed_json() -> dict:
    return to_json_dict(read_plan(SEED))


def test_seed_has_exactly_the_expected_tasks(seed_json):
    assert [t["seq"] for t in seed_json["tasks"]] == [row[0] for row in EXPECTED]
    assert len(EXPECTED) == 74


@pytest.mark.parametrize("row", EXPECTED, ids=[f"seq{row[0]}" for row in EXPECTED])
def test_seed_task(seed_json, row):
    seq, category, subcategory, prefix, inherited, units, groups, deadlines = row
    task = next(t for t in seed_json["tasks"] if t["seq"] == seq)
    assert task["category"] == category
    assert task["subcategory"] == subcategory
    assert task["requirement"].startswith(prefix)
    assert task["inherited"] == [INHERITED[c] for c in inherited]
    assert [(u["name"], u["role"]) for u in task["units"]] == units
    assert [(g["name"], g["role"]) for g in task["groups"]] == groups
    assert [(d["raw"], d["kind"], d["due"]) for d in task["deadlines"]] == deadlines


def test_seed_warnings(seed_json):
    warnings = seed_json["warnings"]
    assert [(w["seq"], w["code"]) for w in warnings] == EXPECTED_WARNINGS
    by_code = {w["code"]: w["message"] for w in warnings}
    assert "60–63" in by_code["seq_gap"]
    assert "2019-12-15" in by_code["date_mismatch"] and "2020-01-20" in by_code["date_mismatch"]
    assert (
        "2019-07-31" in by_code["deadline_past_at_issue"]
        and "2019-09-05" in by_code["deadline_past_at_issue"]
    )
    pairs = {w["message"] for w in warnings if w["code"] == "likely_duplicate_unit"}
    assert any("区政府办" in m and "区政府办公室" in m for m in pairs)
    assert any("区发改局" in m and "市发改局" in m for m in pairs)


def test_seed_year_round_tasks_and_units_raw():
    plan = read_plan(SEED)
    tasks = {t.seq: t for t in plan.tasks}
    # 12月底前 and 全年工作 in one cell (seq 47, separated by a blank line) give two deadlines, inherited by 48-49
    assert [d.kind for d in tasks[49].deadlines] == ["fixed", "year_round"]
    # a trailing clause that names nobody is not a unit
    assert tasks[43].unresolved_units == []
    assert tasks[43].units_raw.endswith("做到谁发布、谁负责")
    assert sum(1 for t in plan.tasks if any(d.kind == "year_round" for d in t.deadlines)) == 62
