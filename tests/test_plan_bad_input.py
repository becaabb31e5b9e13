"""Bad input to `duban plan import`: exit 1, one clear line naming the file, nothing written.

The files are built by tests/bad_plan_files.py (the same builders bench/bench_import_limits.py times); the zip
bomb here unpacks to 100 MB so the test stays quick; the bench uses 1 GB.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from plan.read import read_plan
from plan.readers import PlanReadError
from tests import bad_plan_files as bad

CASES = [
    ("分工方案.docx", lambda p: bad.zip_bomb_docx(p, unpacked_mb=100), "likely zip bomb"),
    ("分工方案.xlsx", lambda p: bad.many_entries_xlsx(p, entries=3000), "refused as malformed"),
    ("分工方案（大）.docx", bad.huge_file, "over the 20 MB import limit"),
    ("台账.xlsx", lambda p: bad.huge_sheet_xlsx(p, rows=12000), "more than 10000 table rows"),
    ("扫描件.pdf", bad.scanned_pdf, "no text layer (a scanned document)"),
    ("照片.png", bad.png_image, "this is an image"),
    ("加密.docx", bad.encrypted_docx, "password-protected"),
    ("损坏.xlsx", bad.corrupt_xlsx, "not a valid .xlsx file"),
    ("新闻.html", bad.html_without_plan, "no plan found"),
]


@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_refused_by_the_reader(tmp_path, name, build, expected):
    path = build(tmp_path / name)
    with pytest.raises(PlanReadError) as info:
        read_plan(path, year=2024)
    message = str(info.value)
    assert message.startswith(name + ":") and expected in message and "\n" not in message


@pytest.mark.parametrize(("name", "build", "expected"),
                         [c for c in CASES if c[0] in ("分工方案.docx", "扫描件.pdf", "新闻.html")],
                         ids=["zip bomb", "scanned pdf", "html without plan"])
def test_cli_refuses_with_exit_1_and_writes_nothing(cli, tmp_path, name, build, expected):
    assert cli("init").exit_code == 0
    path = build(tmp_path / name)
    result = cli("plan", "import", str(path))
    assert result.exit_code == 1
    assert expected in result.output and len(result.output.strip().splitlines()) == 1
    listed = cli("plan", "list", "--json")
    assert listed.exit_code == 0 and listed.output.strip() in ("[]", '{"plans": []}')


def test_max_file_mb_is_configurable(cli, tmp_path):
    assert cli("init").exit_code == 0
    plan = tmp_path / "plan.txt"
    plan.write_text("2021年工作要点\n一、重点工作\n1.推进政务公开。（牵头单位：区政府办公室，6月底前完成）\n"
                    + "抄送：区委办。\n" + "附注\n" * 400_000, encoding="utf-8")  # 2.8 MB
    (tmp_path / "small-limit.toml").write_text("[import]\nmax_file_mb = 1\n", encoding="utf-8")
    refused = cli("--config", str(tmp_path / "small-limit.toml"), "plan", "import", str(plan), "--dry-run")
    assert refused.exit_code == 1 and "over the 1 MB import limit" in refused.output
    accepted = cli("plan", "import", str(plan), "--dry-run")
    assert accepted.exit_code == 0, accepted.output


def test_a_lying_zip_directory_cannot_unpack_more_than_it_declares(tmp_path):
    """zipfile stops at the declared size: a part that declares 1 kB but holds 50 MB is a damaged file."""
    path = bad.zip_bomb_docx(tmp_path / "lie.docx", unpacked_mb=50)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as package:
        info = package.getinfo("word/document.xml")
    # patch the central directory's uncompressed size (zip64 extra field) down to 1 kB
    size = info.file_size.to_bytes(8, "little")
    at = data.rfind(size)
    data[at : at + 8] = (1024).to_bytes(8, "little")
    lie = Path(tmp_path / "lie2.docx")
    lie.write_bytes(bytes(data))
    with pytest.raises(PlanReadError):
        read_plan(lie, year=2024)


def test_a_plan_without_any_year_takes_the_current_year_with_a_warning(cli, tmp_path):
    import json

    from store.clock import clock

    assert cli("init").exit_code == 0
    plan = tmp_path / "要点.txt"
    plan.write_text("政务公开工作要点\n一、重点工作\n1.推进决策公开。（牵头单位：区政府办公室，6月底前）\n", encoding="utf-8")
    result = cli("plan", "import", str(plan), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tasks"][0]["deadlines"][0]["due"] == f"{clock.today().year}-06-30"
    assert any(w["code"] == "plan_year_assumed" for w in data["warnings"])
