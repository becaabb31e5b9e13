"""Failures a user can cause or meet, as one line with what to do (a traceback only with --debug)."""

from __future__ import annotations

import errno

from i18n import _


def describe(exc: BaseException) -> str | None:
    """A one-line explanation of `exc` when it is something the admin can fix, else None."""
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        if exc.errno == errno.EADDRINUSE:
            return _("the port is already in use: another `duban serve` (or another program) listens there; stop "
                     "it, or choose another [server] port")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return _("permission denied{where}: check the file's owner and mode, or run duban as the user that "
                     "owns it").format(where=where)
        if exc.errno == errno.ENOSPC:
            return _("the disk is full{where}: free some space, nothing was written").format(where=where)
        if exc.errno == errno.EROFS:
            return _("the file system is read-only{where}").format(where=where)
        if exc.errno == errno.ENOENT:
            return _("no such file or folder{where}").format(where=where)
    import peewee

    if isinstance(exc, peewee.DataError) and "1366" in str(exc):
        return _("the MariaDB database cannot store Chinese text (it is not utf8mb4): `duban doctor` prints the "
                 "statement that converts it; nothing was written")
    if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)):
        return _("the database stopped answering: {detail} (is the server running?)").format(
            detail=" ".join(str(exc).split())[:200])
    return None
