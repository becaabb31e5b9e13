"""Private files (issue 17, finding 8): the database, exports and attachments are their owner's alone, and no
fixed shared folder is used in the system temp dir."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from jobs.digest import attachments_root
from jobs.ledger import export_ledger_xlsx
from store import db as store_db
from store.config import load_config
from store.db import StoreError
from store.files import private_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_file_is_0600_even_when_an_older_duban_made_it_0644(tmp_path, monkeypatch):
    from bot import cli

    path = tmp_path / "duban.db"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["init"], env={"DUBAN_DATABASE_URL": f"sqlite:///{path}"})
    store_db.close()
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600
    for extra in (tmp_path / "duban.db-wal", tmp_path / "duban.db-shm"):
        if extra.exists():
            assert mode(extra) == 0o600
    fresh = tmp_path / "new" / "fresh.db"
    result = CliRunner().invoke(cli, ["init"], env={"DUBAN_DATABASE_URL": f"sqlite:///{fresh}"})
    store_db.close()
    assert result.exit_code == 0 and mode(fresh) == 0o600 and mode(fresh.parent) == 0o700


def test_an_export_is_0600_even_over_an_older_looser_file(db_url, tmp_path):
    from tests.world import build_world

    build_world()
    path = tmp_path / "台账.xlsx"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    export_ledger_xlsx(path)
    assert mode(path) == 0o600


def test_attachments_wait_beside_the_database_or_in_a_fresh_private_temp_folder(db_url):
    config = load_config(None, environ={"DUBAN_DATABASE_URL": db_url})
    root = attachments_root(config)
    if store_db.backend() == "sqlite":
        assert root.name == "digest-files" and root.parent == Path(db_url[len("sqlite:///"):]).parent
        return
    assert root.name.startswith("duban-digest-") and root.name != "duban-digest-files"
    assert mode(root) == 0o700 and os.stat(root).st_uid == os.getuid()
    assert attachments_root(config) == root  # one per process, not one per digest


def test_a_folder_of_ours_is_tightened_and_one_of_another_user_is_refused(tmp_path):
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o777)
    assert private_dir(loose) == loose and mode(loose) == 0o700
    if os.getuid() != 0:
        pytest.skip("making a folder owned by another user needs root")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chmod(theirs, 0o777)
    os.chown(theirs, 65534, 65534)
    with pytest.raises(StoreError, match="belongs to another user"):
        private_dir(theirs)


def test_evidence_files_are_0600_in_0700_folders(tmp_path):
    from jobs.evidence import store_file
    from store.evidence import relative_path

    old = os.umask(0o022)  # whatever the process umask, evidence stays private
    try:
        sha = store_file(tmp_path / "evidence", b"\xff\xd8photo", "现场.jpg")
    finally:
        os.umask(old)
    stored = tmp_path / "evidence" / relative_path(sha, "现场.jpg")
    assert mode(stored) == 0o600 and mode(stored.parent) == 0o700 and mode(tmp_path / "evidence") == 0o700
