"""The history's errors, without SQLite: the dashboard can name a bad history file (exit 2)
and a run without history never loads sqlite3. The SQLite helpers store.py and store_ops.py
share are in store_db.py."""

from __future__ import annotations

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
    from .store_db import _SchemaError  # a failure of the store: sqlite3 is loaded already

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


__all__ = ["HistoryFileError", "StoreError"]
