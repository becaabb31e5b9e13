"""Private files: what duban writes (the SQLite database with tokens, robot keys and mobile numbers, exports,
digest attachments, evidence) is readable by its own user only (issue 17, finding 8).

- `use_private_umask()` makes every file and folder the process creates 0600 / 0700 (the CLI calls it first);
- `tighten()` fixes a file that already existed with a looser mode (an export written over an old one, a
  database created by an older duban);
- `private_dir()` creates a folder 0700, or accepts an existing one only if this user owns it (a folder
  another local user created could be read or have its files swapped before they are uploaded);
- `private_temp_dir()` is a fresh `tempfile.mkdtemp` folder, never a fixed shared path.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from store.db import StoreError

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def use_private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def tighten(path: str | Path, mode: int = FILE_MODE) -> None:
    """Make an existing file of ours `mode` (0600); a missing file or one owned by someone else is left."""
    try:
        info = os.stat(path)
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & ~mode:
            os.chmod(path, stat.S_IMODE(info.st_mode) & mode)
    except FileNotFoundError:
        return


def private_dir(path: str | Path) -> Path:
    """`path` as a folder only this user can use: created 0700, or an existing one of ours tightened to 0700.
    Raises StoreError for a folder owned by another user (or a symlink to one)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    info = os.stat(folder)
    if info.st_uid != os.getuid():
        raise StoreError(f"folder {folder} belongs to another user (uid {info.st_uid}): duban keeps private files "
                         "only in a folder of its own; choose another one")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(folder, DIR_MODE)
    return folder


def private_temp_dir(prefix: str) -> Path:
    """A new folder in the system temp dir that only this user can use (0700, a name nobody can guess)."""
    return Path(tempfile.mkdtemp(prefix=prefix))
