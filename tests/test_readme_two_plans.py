"""README's task / export / chart examples work as written once two plans are active (a new user's second plan)."""

import re
import shlex
from pathlib import Path

from openpyxl import load_workbook

from store.models import Plan

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "plan" / "samples" / "wuhua-2019.txt"


def readme_example(start: str) -> list[str]:
    """The README's example command line starting with `start`, as arguments (its # comment dropped)."""
    lines = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith(start)]
    assert len(lines) == 1, lines
    return shlex.split(re.sub(r"\s+#.*$", "", lines[0]))[1:]


def test_readme_examples_work_with_two_active_plans(cli, tmp_path):
    assert cli("plan", "import", "--sample").exit_code == 0
    other = tmp_path / "营商环境.txt"
    other.write_text(SAMPLE.read_text(encoding="utf-8").replace("政务公开工作要点", "优化营商环境工作"), encoding="utf-8")
    assert cli("plan", "import", str(other), "--as-new").exit_code == 0
    assert Plan.select().count() == 2
    for start in ("duban task done", "duban report chart"):
        result = cli(*readme_example(start))
        assert result.exit_code == 0, (start, result.output)
    exported = cli(*readme_example("duban export --xlsx"))
    assert exported.exit_code == 0, exported.output
    assert len(load_workbook(tmp_path / "台账.xlsx").sheetnames) == 2  # as README says: a sheet per active plan
