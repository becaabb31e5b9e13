"""The real-plan corpus (tests/data/plans-real/): every gold file is well-formed and its plan file exists and opens.

These checks hold whatever the parser's quality; bench/plan_accuracy.py measures the parser against the gold.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "data" / "plans-real"
GOLDS = sorted(CORPUS.glob("*.gold.json"))
ROLES = {"lead", "responsible", "cooperate", "guide"}
KINDS = {"fixed", "year_round", "ongoing", "recurring"}
FORMATS = {"docx", "xlsx", "csv", "txt", "html", "pdf"}
SEQ = re.compile(r"^[1-9][0-9]*(-[1-9][0-9]*)?$")
HAN = re.compile(r"[\u4e00-\u9fff]")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_corpus_is_big_and_varied() -> None:
    golds = [_load(p) for p in GOLDS]
    assert len(golds) >= 30
    assert sum(1 for g in golds if g["kind"] == "paragraph") >= 12
    assert {g["format"] for g in golds} == FORMATS
    html_encodings = {g.get("encoding") for g in golds if g["format"] == "html"}
    assert {"gbk", "utf-8"} <= html_encodings
    assert any(g["format"] == "csv" and g.get("encoding") == "gbk" for g in golds)


@pytest.mark.parametrize("path", GOLDS, ids=lambda p: p.name.removesuffix(".gold.json"))
def test_gold_is_well_formed(path: Path) -> None:
    gold = _load(path)
    for key in ("file", "source", "title", "year", "kind", "format", "tasks"):
        assert key in gold, key
    assert gold["file"].startswith(path.name.removesuffix(".gold.json") + ".")
    assert gold["source"].startswith(("http://", "https://"))
    assert HAN.search(gold["title"])
    assert isinstance(gold["year"], int) and 2000 <= gold["year"] <= 2100
    assert gold["kind"] in ("table", "paragraph")
    assert gold["format"] in FORMATS and gold["file"].endswith("." + gold["format"])
    assert gold.get("rule") is None or HAN.search(gold["rule"])
    assert gold["tasks"], "a plan with no tasks"
    seqs = [t["seq"] for t in gold["tasks"]]
    assert len(seqs) == len(set(seqs)), "duplicate seq"
    for task in gold["tasks"]:
        assert isinstance(task["seq"], str) and SEQ.match(task["seq"]), task["seq"]
        assert set(task) <= {"seq", "units", "deadlines", "text"}, task
        assert task.get("text") is None or HAN.search(task["text"])
        assert set(task["units"]) <= ROLES, task["units"]
        names = [n for role in task["units"].values() for n in role]
        assert all(isinstance(n, str) and n.strip() == n and n for n in names), task["seq"]
        for role, listed in task["units"].items():
            assert len(listed) == len(set(listed)), (task["seq"], role)
        for d in task["deadlines"]:
            assert set(d) <= {"kind", "due", "label"}, d
            assert d["kind"] in KINDS, d
            if d["kind"] == "fixed":
                due = date.fromisoformat(d["due"])
                assert gold["year"] - 1 <= due.year <= gold["year"] + 5, (task["seq"], d)
            elif d.get("due") and d["kind"] != "recurring":
                raise AssertionError(f"only fixed or recurring deadlines carry a date: {d}")
            assert d.get("label") is None or HAN.search(d["label"])
        labels = [d.get("label") for d in task["deadlines"]]
        assert not any(labels) or len(labels) > 1, f"{task['seq']}: a label belongs to one of several deadlines"


def _opens(path: Path, fmt: str, encoding: str) -> str:
    """The file's text (enough to see it is the plan), opened the way an office's software would."""
    data = path.read_bytes()
    if fmt == "docx":
        from docx import Document

        doc = Document(io.BytesIO(data))
        parts = [p.text for p in doc.paragraphs]
        parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
        return "\n".join(parts)
    if fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    if fmt == "pdf":
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
        return ""
    text = data.decode(encoding)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows
    return text


@pytest.mark.parametrize("path", GOLDS, ids=lambda p: p.name.removesuffix(".gold.json"))
def test_plan_file_exists_and_opens(path: Path) -> None:
    gold = _load(path)
    plan_file = CORPUS / gold["file"]
    assert plan_file.is_file(), plan_file
    assert plan_file.stat().st_size < 2_000_000
    if gold["format"] in ("docx", "xlsx"):
        assert zipfile.is_zipfile(plan_file)
    encoding = gold.get("encoding") or ("gbk" if gold["format"] == "csv" else "utf-8")
    text = _opens(plan_file, gold["format"], encoding)
    if gold["format"] != "pdf":
        assert HAN.search(text)
    assert (CORPUS / "src" / (path.name.removesuffix(".gold.json") + ".src")).is_file()


def test_readme_lists_every_file() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for path in GOLDS:
        assert _load(path)["file"] in readme, path.name
