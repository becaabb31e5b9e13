"""A command loads only what it uses: no database driver it does not need, no document or chart library.

Each command runs in a fresh interpreter; what counts is what ended up loaded (sys.modules), not time.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("psycopg2", "psycopg", "pymysql", "MySQLdb", "playhouse", "openpyxl", "docx", "matplotlib", "numpy",
         "pdfplumber", "wechatpy", "flask", "apscheduler")
PROBE = """
import atexit, json, sys
atexit.register(lambda: print("LOADED " + json.dumps(sorted({m.split(".")[0] for m, v in list(sys.modules.items())
                                                                if v is not None})), file=sys.stderr))
sys.argv = ["duban"] + sys.argv[1:]
import bot
bot.main()
"""


def loaded(tmp_path: Path, *args: str, env: dict | None = None) -> set[str]:
    run = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=120)
    line = next(x for x in run.stderr.splitlines() if x.startswith("LOADED "))
    return set(json.loads(line[len("LOADED "):]))


def test_help_loads_no_driver_document_or_chart_library(tmp_path):
    assert loaded(tmp_path, "--help") & set(HEAVY) == set()


def test_a_sqlite_task_list_loads_no_server_driver(tmp_path):
    env = {"DUBAN_DATABASE_URL": f"sqlite:///{tmp_path / 'duban.db'}"}
    for args in (("init",), ("plan", "import", "--sample")):
        subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env={**os.environ, **env,
                       "PYTHONPATH": str(ROOT)}, check=True, capture_output=True, timeout=120)
    modules = loaded(tmp_path, "task", "list", env=env)
    assert "peewee" in modules and "sqlite3" in modules
    assert modules & set(HEAVY) == set()


def test_a_server_database_gets_its_driver_when_opened(db_url, tmp_path):
    probe = ("import sys; from store import db; db.connect(sys.argv[1]); "
             "print(db.database.execute_sql('SELECT 1').fetchone()[0], db.backend())")
    run = subprocess.run([sys.executable, "-c", probe, db_url], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == "1"
