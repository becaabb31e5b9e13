"""The plan-accuracy scorer (bench/plan_accuracy.py) compares duban's rows with gold rows as its README says."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import plan_accuracy as pa  # noqa: E402


def test_names_compare_after_trivial_normalisation() -> None:
    assert pa.norm("各县（市、区） 人民政府") == pa.norm("各县(市、区)人民政府")
    assert pa.norm("区财政局") != pa.norm("区财政")
    assert pa.norm_label("完成设计方案，编制概预算。") == pa.norm_label("完成设计方案,编制概预算")


def test_units_are_sets_per_role_with_groups_by_name() -> None:
    gold = {"units": {"lead": ["区发改局"], "responsible": ["各街道", "区市场局"]}}
    row = {"units": [{"name": "区发改局", "role": "lead"}, {"name": "区市场局", "role": "responsible"}],
           "groups": [{"name": "各街道", "role": "responsible"}]}
    assert pa.gold_units(gold) == pa.duban_units(row)
    row["units"][0]["role"] = "responsible"
    assert pa.gold_units(gold) != pa.duban_units(row)


def test_deadlines_compare_kind_date_and_label() -> None:
    fixed = [{"kind": "fixed", "due": "2020-06-30"}]
    assert pa.deadlines_match(fixed, [{"kind": "fixed", "due": "2020-06-30", "raw": "6月底完成"}]) == (True, 0)
    assert pa.deadlines_match(fixed, [{"kind": "fixed", "due": "2020-06-29"}]) == (False, 0)
    assert pa.deadlines_match(fixed, []) == (False, 1)
    # year-round and ongoing deadlines compare by kind; duban's 12-31 for 全年 does not matter
    assert pa.deadlines_match([{"kind": "year_round"}], [{"kind": "year_round", "due": "2020-12-31"}])[0]
    milestones = [{"kind": "fixed", "due": "2019-11-15", "label": "完成初稿"},
                  {"kind": "fixed", "due": "2019-12-31", "label": "全面完成"}]
    got = [{"kind": "fixed", "due": "2019-12-31", "label": "全面完成"},
           {"kind": "fixed", "due": "2019-11-15", "label": "完成初稿。"}]
    assert pa.deadlines_match(milestones, got) == (True, 0)
    assert not pa.deadlines_match(milestones, [dict(d, label=None) for d in got])[0]


def test_scores_the_seed_against_a_small_gold(tmp_path: Path) -> None:
    """A real import of the bundled sample: exact, silently wrong, missing and extra rows are told apart."""
    shutil.copy(ROOT / "plan" / "samples" / "wuhua-2019.txt", tmp_path / "wuhua.txt")
    gold = {"file": "wuhua.txt", "source": "https://example.gov.cn/", "title": "五华区", "year": 2019,
            "kind": "table", "format": "txt", "tasks": [
                {"seq": "1", "text": "围绕2019年全区", "units": {"responsible": ["区政府各部门"]},
                 "deadlines": [{"kind": "year_round"}]},
                {"seq": "2", "text": "对人民群众和媒体关注度高", "units": {"responsible": ["区政府各部门"]},
                 "deadlines": [{"kind": "year_round"}]},
                {"seq": "7", "units": {"lead": ["区政府新闻办"], "responsible": ["区级各部门"]},
                 "deadlines": [{"kind": "year_round"}]},
                {"seq": "999", "units": {}, "deadlines": []}]}
    (tmp_path / "wuhua.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    env = pa.fresh_env(str(tmp_path))
    score = pa.score_file(tmp_path / "wuhua.gold.json", env)
    assert score.refused is None
    # row 2 of the sample is another task than the gold's text says (that text is row 3's): missing
    assert score.units["exact"] == 1 and score.units["missing"] == 2
    assert score.units["silent"] + score.units["flagged"] == 1  # row 7 also names 区政府办 as lead
    assert score.deadlines["exact"] == 2
    assert score.extra_rows == 71


@pytest.mark.parametrize("bad", ["not a plan at all\n", ""])
def test_a_refused_file_counts_every_row_missing(tmp_path: Path, bad: str) -> None:
    (tmp_path / "x.txt").write_text(bad, encoding="utf-8")
    gold = {"file": "x.txt", "source": "https://example.gov.cn/", "title": "某方案", "year": 2020, "kind": "table",
            "format": "txt", "tasks": [{"seq": "1", "units": {}, "deadlines": []}]}
    (tmp_path / "x.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    score = pa.score_file(tmp_path / "x.gold.json", pa.fresh_env(str(tmp_path)))
    assert score.refused
    assert score.units["missing"] == 1 and score.deadlines["missing"] == 1
