"""Declared dependencies match what the product imports: nothing used undeclared, nothing declared unused."""

from __future__ import annotations

import ast
import configparser
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Declared, yet never imported by name, each for a reason.
USED_WITHOUT_IMPORT = {
    "psycopg2-binary": "peewee's PostgreSQL driver, loaded by peewee",
    "pymysql": "peewee's MariaDB driver, loaded by peewee",
    "noto-cjk-sans-otc": "the CJK font file the charts render with",
    "tomli": "TOML on Python 3.10 only",
}


def _declared() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    names = set()
    for line in cfg["options"]["install_requires"].splitlines():
        match = re.match(r"\s*([A-Za-z0-9_.-]+)", line)
        if match:
            names.add(match.group(1).lower().replace("_", "-"))
    return names


def _product_files() -> list[Path]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    packages = {line.strip() for line in cfg["options.packages.find"]["include"].splitlines()
                if line.strip() and "*" not in line}
    modules = {line.strip() for line in cfg["options"].get("py_modules", "").splitlines() if line.strip()}
    files = [ROOT / f"{name}.py" for name in modules]
    for package in packages:
        files += sorted((ROOT / package.replace(".", "/")).rglob("*.py"))
    return files


def _imported_top_levels() -> dict[str, str]:
    local = {p.stem for p in _product_files()} | {p.parent.name for p in _product_files()}
    found: dict[str, str] = {}
    for path in _product_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local and top != "__future__":
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def _distribution(top: str) -> str:
    dists = packages_distributions().get(top, [top])
    return dists[0].lower().replace("_", "-")


def test_every_imported_library_is_declared():
    declared = _declared()
    undeclared = {top: where for top, where in _imported_top_levels().items()
                  if _distribution(top) not in declared and top not in declared}
    assert undeclared == {}, f"imported but not in setup.cfg install_requires: {undeclared}"


def test_every_declared_library_is_used():
    imported = {_distribution(top) for top in _imported_top_levels()} | set(_imported_top_levels())
    unused = _declared() - imported - set(USED_WITHOUT_IMPORT)
    assert unused == set(), f"declared in setup.cfg but never imported: {sorted(unused)}"
