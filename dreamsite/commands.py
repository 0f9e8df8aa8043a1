"""The base of every product command: when the database, the disk or the configuration is
not usable, the command prints one line that says what is wrong and what to do, and exits
with EXIT_UNUSABLE, instead of a traceback full of paths. `--traceback` still shows one.

Only faults of the surroundings are turned into copy; a bug (an IntegrityError, a
TypeError) keeps its traceback.
"""

import errno
import os
import sqlite3
import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, InterfaceError, OperationalError

EXIT_UNUSABLE = 4

AGAIN = "then run the command again."
UNREACHABLE = (
    "Cannot connect to the database server. Start it, or set DATABASE_URL to a server that "
    f"is running, {AGAIN}"
)
NO_SUCH_DATABASE = (
    "The database named in DATABASE_URL does not exist. Create it, then run "
    "`python manage.py migrate`."
)
LOGIN_REFUSED = (
    f"The database server refused the login. Check the user and password in DATABASE_URL, {AGAIN}"
)
NOT_MIGRATED = (
    "The database is not set up for this version (tables are missing). Run "
    f"`python manage.py migrate`, {AGAIN}"
)
CANNOT_OPEN = (
    "The SQLite database cannot be opened: its directory is missing or not accessible. "
    f"Create the var directory (DREAMS_VAR_DIR), run `python manage.py migrate`, {AGAIN}"
)
READ_ONLY = (
    "The database is read-only for this process. Make the database (for SQLite, its file and "
    f"the var directory) writable by the user running this command, {AGAIN}"
)
LOCKED = (
    "The database is locked by another process. Wait for that process to finish (or stop "
    f"it), {AGAIN}"
)
DISK_FULL = (
    "The disk is full. Free space on the disk that holds the database and the var "
    f"directory (DREAMS_VAR_DIR), {AGAIN}"
)
DISK_ERROR = (
    "The disk reported a read or write error. Check the disk that holds the database and "
    f"the var directory (DREAMS_VAR_DIR), {AGAIN}"
)
DAMAGED = (
    "The SQLite database file is damaged or is not a database. Restore it from a backup (or "
    f"move it aside and run `python manage.py migrate`), {AGAIN}"
)
READ_ONLY_DISK = (
    "A file could not be written: the file system is read-only. Make the var directory "
    f"(DREAMS_VAR_DIR) writable, {AGAIN}"
)
NO_ACCESS = (
    "A file could not be read or written: permission denied. Give the user running this "
    f"command access to the var directory (DREAMS_VAR_DIR), {AGAIN}"
)
DATABASE_UNUSABLE = (
    "The database is not usable right now. Check that it is running and that DATABASE_URL "
    f"points at it, {AGAIN}"
)
CONFIGURATION = (
    "The configuration is not usable{detail}. Fix it in the server's environment (or .env), "
    + AGAIN
)

# PostgreSQL's SQLSTATE codes (class 08 is every connection exception).
_PG_LINES = {
    "3D000": NO_SUCH_DATABASE,
    "28000": LOGIN_REFUSED,
    "28P01": LOGIN_REFUSED,
    "42P01": NOT_MIGRATED,
    "42703": NOT_MIGRATED,
    "25006": READ_ONLY,
    "53100": DISK_FULL,
    "58030": DISK_ERROR,
    "57P01": UNREACHABLE,
    "57P02": UNREACHABLE,
    "57P03": UNREACHABLE,
}
_SQLITE_LINES = {
    "SQLITE_CANTOPEN": CANNOT_OPEN,
    "SQLITE_READONLY": READ_ONLY,
    "SQLITE_BUSY": LOCKED,
    "SQLITE_LOCKED": LOCKED,
    "SQLITE_FULL": DISK_FULL,
    "SQLITE_IOERR": DISK_ERROR,
    "SQLITE_CORRUPT": DAMAGED,
    "SQLITE_NOTADB": DAMAGED,
}
_OS_LINES = {
    errno.ENOSPC: DISK_FULL,
    errno.EDQUOT: DISK_FULL,
    errno.EROFS: READ_ONLY_DISK,
    errno.EACCES: NO_ACCESS,
    errno.EIO: DISK_ERROR,
}
_CHAIN_LIMIT = 8


def unusable_line(error: BaseException) -> str | None:
    """What to tell the operator when `error` (or what caused it) says the database, the
    disk or the configuration is not usable; None for anything else."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < _CHAIN_LIMIT:
        line = _line(current)
        if line is not None:
            return line
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def _line(error: BaseException) -> str | None:
    if isinstance(error, DatabaseError):
        return _database_line(error)
    if isinstance(error, OSError):
        return _OS_LINES.get(error.errno or 0)
    if isinstance(error, ImproperlyConfigured):
        detail = _shareable(str(error))
        return CONFIGURATION.format(detail=f": {detail}" if detail else "")
    return None


def _database_line(error: DatabaseError) -> str | None:
    driver = error.__cause__
    if isinstance(driver, sqlite3.Error):
        name = getattr(driver, "sqlite_errorname", "") or ""
        text = str(driver)
        if text.startswith(("no such table", "no such column")):
            return NOT_MIGRATED
        for prefix, line in _SQLITE_LINES.items():
            if name == prefix or name.startswith(prefix + "_"):
                return line
    elif type(driver).__module__.startswith("psycopg"):
        sqlstate = getattr(driver, "sqlstate", None)
        if sqlstate is None or sqlstate.startswith("08"):
            # psycopg reports a failed connection (refused, unknown host, timed out) and a
            # connection lost mid-command without a SQLSTATE.
            return UNREACHABLE if isinstance(error, OperationalError | InterfaceError) else None
        if sqlstate in _PG_LINES:
            return _PG_LINES[sqlstate]
    if isinstance(error, OperationalError | InterfaceError):
        return DATABASE_UNUSABLE
    return None


def _shareable(text: str) -> str:
    """The first sentence of a configuration message, unless it could show a path, a URL or
    a value from the environment (which may be a secret)."""
    first = text.strip().splitlines()[0].split(". ")[0].rstrip(".:") if text.strip() else ""
    if "/" in first or "\\" in first:
        return ""
    if any(len(value) >= 6 and value in first for value in os.environ.values()):
        return ""
    return first


def exit_if_unusable(error: BaseException, argv: list[str]) -> None:
    """For manage.py: one line and EXIT_UNUSABLE for a fault met before any command runs
    (Django loads the settings, the database backend and the models first) or in one of
    Django's own commands (`migrate`). Returns for anything else, and under --traceback."""
    line = unusable_line(error)
    if line is None or "--traceback" in argv:
        return
    sys.stderr.write(f"{line}\n")
    sys.exit(EXIT_UNUSABLE)


class ProductCommand(BaseCommand):
    """BaseCommand, with EXIT_UNUSABLE and one line of copy for an unusable database, disk
    or configuration."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except Exception as error:
            line = unusable_line(error)
            if line is None:
                raise
            raise CommandError(line, returncode=EXIT_UNUSABLE) from error
