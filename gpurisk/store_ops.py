"""The history store when the disk does not cooperate: read-only, full, or holding freed pages.

* Read-only (a read-only folder, file or mount), or a disk so full SQLite cannot open
  the file for writing: the store is opened with SQLite's ``mode=ro`` URI
  (``immutable=1`` when the WAL index cannot be created beside it), so what it holds is
  still loaded; nothing new is written (``HistoryStore.readonly``), rows received go to
  the spool at exit.
* Full: a write that fails for want of space sets ``HistoryStore.full``; the rows stay
  queued and, at close, go to the spool (gpurisk/spool.py), replayed at the next start.
* Freed pages: a prune that frees a quarter of the file or more gives the pages back
  (``incremental_vacuum`` on files made since auto_vacuum was set, ``VACUUM`` once on
  older ones up to 256 MB, which converts them), then truncates the WAL: the file shrinks.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.request import pathname2url

from . import spool
from .store_db import _rollback, _SchemaError
from .store_errors import _file_error

if TYPE_CHECKING:
    from .store import HistoryStore

log = logging.getLogger("gpurisk.store")

#: Free pages at least this many, and a quarter of the file, before a prune gives them back.
RECLAIM_MIN_PAGES = 64
#: A file made before auto_vacuum is converted by one VACUUM (a copy: seconds for a big
#: file, and it runs where the prune runs) only up to this size; larger ones keep their pages.
VACUUM_MAX_BYTES = 256 * 1024 * 1024


def is_full(exc: BaseException) -> bool:
    """A write failed because the disk (or a quota) is full."""
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "disk is full" in str(exc):
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1))


def _readonly_failure(exc: BaseException) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith("SQLITE_READONLY") or name.startswith("SQLITE_CANTOPEN") or name == "SQLITE_PERM":
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


def _no_room(path: Path) -> bool:
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024


def open_readonly(store: HistoryStore, exc: BaseException) -> bool:
    """After ``exc`` opening ``store.path`` for writing: open it read-only instead when it is
    an existing file that can be read and the failure was a read-only file, folder or mount,
    or a full disk (SQLite cannot even create its WAL index). True when that worked
    (``store.readonly`` is set; ``store.full`` too for a full disk)."""
    path = store.path
    if path is None or not path.is_file():
        return False
    full = is_full(exc) or (getattr(exc, "sqlite_errorname", "").startswith("SQLITE_IOERR") and _no_room(path))
    if not full and not _readonly_failure(exc):
        return False
    base = "file:" + pathname2url(str(path.absolute()))
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            db = sqlite3.connect(base + query, uri=True, check_same_thread=False, isolation_level=None, timeout=5.0)
        except sqlite3.Error:
            continue
        store._db = db
        try:
            store._check()
        except _SchemaError as bad:
            db.close()
            store._db = None
            raise _file_error(path, bad) from None
        except sqlite3.Error as bad:
            db.close()
            store._db = None
            if getattr(bad, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
                raise _file_error(path, bad) from None
            continue
        store.readonly, store.full = True, full
        store.last_error = f"{path} is {'on a full disk' if full else 'read-only'} ({exc}): history loaded, " \
            "new data not saved"
        log.warning("history %s", store.last_error)
        return True
    return False


def replay_spool(store: HistoryStore) -> int:
    """Write the rows spooled at an earlier close into the database and remove the spool
    files; when the database cannot take them yet, leave the files (``store.spooled``;
    the next successful flush tries again)."""
    if store.path is None:
        return 0
    files, rows = spool.read(store.path)
    if not files:
        return 0
    if rows:
        db = store._conn()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT OR IGNORE INTO obs (kind, key, as_of, fetched_at, source, feed, value, payload, ident)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(db)
            store.spooled = len(rows)
            store.full, store.last_error = is_full(exc), f"{len(rows)} spooled rows not replayed yet: {exc}"
            log.warning("history: %s", store.last_error)
            return 0
    spool.remove(files)
    store.spooled = 0
    log.info("history: %d rows written from the spool (%s)", len(rows), ", ".join(map(str, files)))
    return len(rows)


def exit_note(store: HistoryStore) -> str:
    """What to tell the user after ``close()`` left ``store.unsaved`` rows out of the database."""
    n, where = store.unsaved, store.spool_file
    gone = store.path is not None and not store.path.exists()
    reason = "disk full" if store.full else "read-only" if store.readonly else "file removed" if gone \
        else store.last_error or ""
    why = f" ({reason})" if reason else ""
    dropped = f"; {store.dropped} older rows had been dropped (queue limit)" if store.dropped else ""
    if where is not None:
        return (f"history: {n} rows could not be written to {store.path}{why}; kept in {where}, "
                f"written at the next start{dropped}")
    return f"history: {n} rows could not be written to {store.path}{why}, nor kept in a spool: they are lost{dropped}"


def reclaim(store: HistoryStore) -> bool:
    """Give the pages a prune freed back to the filesystem; True when it did."""
    with store._lock:
        db = store._conn()
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        if free < RECLAIM_MIN_PAGES or free * 4 < pages:
            return False
        try:
            if db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:
                db.executescript("PRAGMA incremental_vacuum;")  # stepped to the end (execute frees one page)
            elif pages * db.execute("PRAGMA page_size").fetchone()[0] <= VACUUM_MAX_BYTES:
                db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # a file made before auto_vacuum: VACUUM once converts it
                db.execute("VACUUM")
            else:
                return False
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as exc:  # no room for VACUUM's copy, or a reader: next prune tries again
            log.warning("history: freed pages not given back: %s", exc)
            return False
        return True


__all__ = ["RECLAIM_MIN_PAGES", "VACUUM_MAX_BYTES", "exit_note", "is_full", "open_readonly", "reclaim", "replay_spool"]
