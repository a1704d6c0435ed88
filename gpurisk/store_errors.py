"""The history's errors and the small helpers both store.py and store_ops.py use (so neither
imports the other's private functions)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from engine.errors import GpuriskError


class StoreError(GpuriskError):
    """The history file cannot be used (not a database, newer schema, disk error)."""


class HistoryFileError(StoreError):
    """The history path names something that is not a gpurisk history: not a SQLite
    database, damaged, a directory, another program's database, or written by a newer
    gpurisk. A user error to report (exit 2). A file that cannot be opened or written
    (permissions, locked, disk full) stays a plain StoreError: the dashboard runs
    without history and says so."""


def _file_error(path: Path | None, exc: BaseException) -> StoreError:
    """The StoreError for a failure to open or read ``path``: HistoryFileError when the
    file is the problem (it names the file and what it is), else a plain StoreError."""
    name = getattr(exc, "sqlite_errorname", "")
    if path is not None and path.is_dir():
        return HistoryFileError(f"{path} is a directory, not a history database")
    if name == "SQLITE_NOTADB":
        return HistoryFileError(f"{path} is not a SQLite database (it is not a gpurisk history file)")
    if name == "SQLITE_CORRUPT":
        return HistoryFileError(f"{path} is a damaged SQLite database ({exc})")
    if isinstance(exc, _SchemaError):
        return HistoryFileError(f"cannot use history {path}: {exc}")
    return StoreError(f"cannot use history {path}: {exc}")


class _SchemaError(sqlite3.DatabaseError):
    """A database that is not (or no longer) a history file this gpurisk can use."""


def _rollback(db: sqlite3.Connection) -> None:
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # the connection is broken; the transaction is gone with it


__all__ = ["HistoryFileError", "StoreError"]
