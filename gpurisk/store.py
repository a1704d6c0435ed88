"""Local history store: observations survive a restart.

Why: sparklines and 24 h changes need history, and a dashboard that starts empty
after every restart is useless for days. Each poll's observations are queued
(:meth:`HistoryStore.add`) and written in one transaction (:meth:`flush`) to a
SQLite file in WAL mode; on start the app calls :meth:`load` and hands the
result to :func:`replay` (``Engine.ingest`` per poll-sized group) before the
first poll.

Durability: WAL + ``synchronous=NORMAL`` + one transaction per flush, so a crash
or ``kill -9`` loses at most the batch being written and never corrupts the
file. Duplicates (same key, as_of and payload; fetched_at/source/feed aside)
are ignored by a UNIQUE constraint. Opening runs no scan: only ``CREATE ... IF
NOT EXISTS`` and a one-row meta read. Live and demo data use different files.
Retention (:meth:`prune`, occasionally): a year, hourly beyond the last week.

sqlite3 + json (+ platformdirs for the default path): no textual, no httpx.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from engine.engine import Engine, Snapshot
from engine.observations import Observation

from .codec import EXPORT_FIELDS, EXPORT_FORMATS, Codec, Record, _plain, encode, gc_paused, to_ts, write_export
from .store_db import _rollback, _SchemaError
from .store_errors import HistoryFileError, StoreError, _file_error

SCHEMA_VERSION = 1
LIVE_FILE, DEMO_FILE = "history.sqlite3", "history-demo.sqlite3"
HOUR = 3600.0
MAX_QUEUE = 100_000  # if writes keep failing, keep at most this many rows queued

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS obs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    as_of REAL NOT NULL,
    fetched_at REAL NOT NULL,
    source TEXT NOT NULL,
    feed TEXT NOT NULL,
    value REAL,
    payload TEXT NOT NULL,
    ident BLOB NOT NULL,
    UNIQUE (key, as_of, ident)
);
CREATE INDEX IF NOT EXISTS obs_as_of ON obs (as_of);
"""
_INSERT = (
    "INSERT OR IGNORE INTO obs (kind, key, as_of, fetched_at, source, feed, value, payload, ident)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Rows older than :cut in (key, hour) buckets touched since the last prune (new as_of
# range, or rows inserted since); within each bucket everything but the last as_of goes.
_DOWNSAMPLE = """
WITH touched(key, b) AS (
    SELECT DISTINCT key, CAST(as_of / 3600.0 AS INTEGER) FROM obs
    WHERE as_of < :cut AND (as_of >= :lo OR id > :last_id)
), bucket AS (
    SELECT o.id, o.as_of, MAX(o.as_of) OVER (PARTITION BY o.key, t.b) AS m
    FROM touched t JOIN obs o ON o.key = t.key
        AND o.as_of >= (t.b - 1) * 3600.0 AND o.as_of < (t.b + 2) * 3600.0
        AND CAST(o.as_of / 3600.0 AS INTEGER) = t.b
)
DELETE FROM obs WHERE id IN (SELECT id FROM bucket WHERE as_of < m)
"""


def default_path(demo: bool = False) -> Path:
    """Per-user data file; demo (sample) data never mixes with live data."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("gpurisk")) / (DEMO_FILE if demo else LIVE_FILE)


def _kind_names(kinds: Iterable[str | type] | None) -> list[str] | None:
    if kinds is None:
        return None
    return [k if isinstance(k, str) else k.__name__ for k in kinds]


def _where(since: datetime | None, kinds: list[str] | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if since is not None:
        clauses.append("as_of >= ?")
        args.append(to_ts(since))
    if kinds is not None:
        clauses.append(f"kind IN ({','.join('?' * len(kinds))})" if kinds else "0")
        args.extend(kinds)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


class HistoryStore:
    """One SQLite connection guarded by a lock; safe to call from any thread."""

    def __init__(self, path: Path | str | None = None, *, autoflush: int = 5000) -> None:
        self.path: Path | None = None if path is None or str(path) == ":memory:" else Path(path).expanduser()
        self.autoflush = autoflush
        self.skipped = 0  # stored rows that no longer decode (class gone or changed)
        self.rejected = 0  # observations add() could not encode
        self.dropped = 0  # queued rows given up after failed writes (queue over MAX_QUEUE)
        self._queue: list[Record] = []
        self._codec = Codec()
        self._lock = threading.RLock()
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            target = ":memory:" if self.path is None else str(self.path)
            self._db: sqlite3.Connection | None = sqlite3.connect(
                target, check_same_thread=False, isolation_level=None, timeout=5.0
            )
        except (OSError, sqlite3.Error) as exc:
            if not self._open_readonly(exc):
                raise _file_error(self.path, exc) from None
            return
        try:
            self._setup()
        except sqlite3.Error as exc:
            self._db.close()
            self._db = None
            if not self._open_readonly(exc):
                raise _file_error(self.path, exc) from None
            return
        self._replay_spool()

    # --- a history that cannot be written (store_ops.py) ----------------------
    readonly = False  # opened read-only: what it holds is loaded, nothing new is written
    full = False  # the last write failed for want of space
    last_error: str | None = None  # the last write failure, None once a write works again
    spooled = 0  # rows waiting in spool files (gpurisk/spool.py) the database could not take yet
    unsaved = 0  # rows close() could not write to the database
    spool_file: Path | None = None  # where close() kept them (None: lost)

    def _open_readonly(self, exc: BaseException) -> bool:
        from .store_ops import open_readonly

        return open_readonly(self, exc)

    def _replay_spool(self) -> None:
        from .store_ops import replay_spool

        replay_spool(self)

    def _check(self) -> set[str]:
        """The tables of the file; raises _SchemaError when it is not a history this gpurisk can use."""
        db = self._conn()
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}  # NOTADB here
        cols = {r[1] for r in db.execute("PRAGMA table_info(obs)")}
        if (tables and "obs" not in tables) or (cols and not set(EXPORT_FIELDS) <= cols):  # leave it untouched
            raise _SchemaError("it is another program's SQLite database (its obs table is not a gpurisk history)")
        if "meta" in tables:
            row = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
            if row is not None and not str(row[0]).isdigit():
                raise _SchemaError(f"not a gpurisk history (schema_version {row[0]!r})")
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                raise _SchemaError(f"schema version {row[0]} is newer than this gpurisk ({SCHEMA_VERSION})")
        return tables

    def _setup(self) -> None:
        db = self._conn()
        tables = self._check()
        if not tables:  # a new file: pages freed by a prune can be given back (store_ops.reclaim)
            db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError("history store is closed")
        return self._db

    # --- writing -----------------------------------------------------------

    def add(self, batch: Iterable[Observation]) -> int:
        """Queue observations for the next :meth:`flush`; returns how many were queued.
        An observation that cannot be encoded is skipped (counted in ``rejected``): the
        history must never break a poll. Raises StoreError if the store is closed or an
        automatic flush (queue over ``autoflush``) fails; the batch then stays queued."""
        recs = []
        for obs in batch:
            try:
                recs.append(encode(obs))
            except Exception:  # a malformed observation from a third-party feed
                self.rejected += 1
        with self._lock:
            self._conn()  # closed: raise now, not lose the batch silently
            self._queue.extend(recs)
            if len(self._queue) >= self.autoflush:
                self.flush()
        return len(recs)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def flush(self) -> int:
        """Write the queue in one transaction; returns the rows actually inserted
        (duplicates are ignored). On failure the queue is kept and StoreError raised.
        A read-only store writes nothing and keeps the queue (for :meth:`close`'s spool)."""
        with self._lock:
            db = self._conn()
            if not self._queue:
                return 0
            if self.readonly:  # kept for close()'s spool, bounded like a failing write
                self.dropped += max(0, len(self._queue) - MAX_QUEUE)
                del self._queue[:-MAX_QUEUE]
                return 0
            if self.path is not None and not self.path.exists():  # removed: writes would go nowhere
                self.dropped += max(0, len(self._queue) - MAX_QUEUE)
                del self._queue[:-MAX_QUEUE]
                self.full, self.last_error = False, f"{self.path} was removed"
                raise StoreError(f"history write failed: {self.last_error}")
            queue, self._queue = self._queue, []
            before = db.total_changes
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(_INSERT, queue)  # Record fields are in column order
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                _rollback(db)
                kept = queue + self._queue
                self.dropped += max(0, len(kept) - MAX_QUEUE)
                self._queue = kept[-MAX_QUEUE:]
                self._failed(exc)
                raise StoreError(f"history write failed: {exc}") from None
            self.full, self.last_error = False, None
            written = db.total_changes - before
            if self.spooled:  # room again: the rows an earlier run spooled go in now, not at the next start
                self._replay_spool()
            return written

    def _failed(self, exc: BaseException) -> None:
        from .store_ops import is_full

        self.full, self.last_error = is_full(exc), str(exc)

    # --- reading -----------------------------------------------------------

    def load(
        self,
        since: datetime | None = None,
        kinds: Iterable[str | type] | None = None,
        limit_per_key: int | None = 2000,
    ) -> list[Observation]:
        """Stored observations (the last ``limit_per_key`` per key), oldest first.
        Rows that no longer decode (class gone or changed) are skipped and counted in ``skipped``."""
        where, args = _where(since, _kind_names(kinds))
        cols = "id, kind, as_of, fetched_at, source, feed, payload"
        with self._lock, gc_paused():
            self.flush()
            db = self._conn()
            if not limit_per_key:
                rows = db.execute(f"SELECT {cols} FROM obs{where}", args).fetchall()
            else:  # one indexed query per key beats a window function over the table
                sql = f"SELECT {cols} FROM obs{where or ' WHERE 1'} AND key = ? ORDER BY as_of DESC LIMIT ?"
                rows = []
                for (key,) in db.execute("SELECT DISTINCT key FROM obs").fetchall():
                    rows.extend(db.execute(sql, [*args, key, int(limit_per_key)]))
            rows.sort(key=lambda r: (r[2], r[0]))
            out, bad = self._codec.decode_rows(r[1:] for r in rows)
        self.skipped += bad
        return out

    def count(self, kinds: Iterable[str | type] | None = None) -> int:
        where, args = _where(None, _kind_names(kinds))
        with self._lock:
            self.flush()
            return int(self._conn().execute(f"SELECT COUNT(*) FROM obs{where}", args).fetchone()[0])

    # --- retention ---------------------------------------------------------

    def prune(self, now: datetime, keep_days: float = 365, full_days: float = 7) -> int:
        """Drop rows older than ``keep_days``; older than ``full_days`` keep one
        point per key per hour (the last one, with any rows sharing its as_of).
        Incremental: only hours touched since the previous prune are revisited.
        Returns the number of rows deleted."""
        if full_days > keep_days:
            full_days = keep_days
        t = to_ts(now)
        keep_cut = t - keep_days * 86400.0
        cut = (int(t - full_days * 86400.0) // 3600) * HOUR  # whole hours only
        with self._lock:
            self.flush()
            db = self._conn()
            meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
            lo = float(meta.get("downsampled_until", "-inf"))
            last_id = int(meta.get("prune_last_id", "0"))
            try:
                db.execute("BEGIN IMMEDIATE")
                max_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM obs").fetchone()[0]
                deleted = db.execute("DELETE FROM obs WHERE as_of < ?", (keep_cut,)).rowcount
                args = {"cut": cut, "lo": max(lo, keep_cut), "last_id": last_id}
                before = db.total_changes  # (rowcount is -1 for a WITH ... DELETE)
                db.execute(_DOWNSAMPLE, args)
                deleted += db.total_changes - before
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
                    ("downsampled_until", repr(max(lo, cut))),
                    ("prune_last_id", str(max_id)),
                    ("pruned_at", repr(t)),
                ])
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                _rollback(db)
                self._failed(exc)
                raise StoreError(f"history prune failed: {exc}") from None
        if deleted:
            from .store_ops import reclaim

            reclaim(self)
        return deleted

    def prune_due(self, now: datetime, every: timedelta = timedelta(hours=24)) -> bool:
        """True when the last prune is older than ``every`` (or there was none); never when read-only."""
        if self.readonly:
            return False
        with self._lock:
            row = self._conn().execute("SELECT value FROM meta WHERE name = 'pruned_at'").fetchone()
        return row is None or to_ts(now) - float(row[0]) >= every.total_seconds()

    # --- export ------------------------------------------------------------

    def export(
        self, since: datetime | None, fmt: str, out: TextIO, kinds: Iterable[str | type] | None = None
    ) -> int:
        """Write every stored observation (oldest first) as CSV or a JSON array; returns the row count.
        CSV carries the payload as a JSON string; JSON embeds it as an object."""
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r} (csv or json)")
        where, args = _where(since, _kind_names(kinds))
        sql = f"SELECT {', '.join(EXPORT_FIELDS)} FROM obs{where} ORDER BY as_of, id"
        with self._lock:
            self.flush()
            try:
                return write_export(self._conn().execute(sql, args), fmt, out)
            except sqlite3.Error as exc:  # damaged pages show only when read
                raise _file_error(self.path, exc) from None

    # --- small state for other modules ------------------------------------

    def get_state(self, name: str) -> dict | None:
        with self._lock:
            row = self._conn().execute("SELECT value FROM kv WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def put_state(self, name: str, state: dict) -> None:
        """Store a small JSON-able dict (dates become ISO strings); written at once."""
        if not isinstance(state, dict):
            raise TypeError("state must be a dict")
        text = json.dumps(_plain(state), sort_keys=True)
        with self._lock:
            try:
                self._conn().execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (name, text))
            except sqlite3.Error as exc:
                raise StoreError(f"history state write failed: {exc}") from None

    # --- lifecycle ---------------------------------------------------------

    def close(self) -> int:
        """Flush what is queued and close; never raises. Rows the database cannot take
        (disk full, read-only) go to the spool (gpurisk/spool.py) for the next start:
        their number is returned and kept in ``unsaved`` (``spool_file`` says where;
        None when even the spool failed). Idempotent."""
        with self._lock:
            if self._db is None:
                return 0
            try:
                self.flush()
            except StoreError:
                pass
            finally:
                self._db.close()
                self._db = None
            if self._queue:
                from . import spool

                self.unsaved = len(self._queue)
                self.spool_file = spool.write(self.path, self._queue) if self.path is not None else None
                self._queue = []
            return self.unsaved

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def replay(engine: Engine, history: Sequence[Observation]) -> Snapshot:
    """Feed loaded history (oldest first) to the engine before the first poll.

    One batch is enough: the engine keeps one history point per price row for
    every distinct as_of inside a batch, so sparklines come back whole."""
    return engine.ingest(history) if history else engine.snapshot


def export_history(
    path: Path | str, since: datetime | None, fmt: str, out: TextIO, kinds: Iterable[str | type] | None = None
) -> int:
    """Backs ``gpurisk export``: write the history at ``path`` to ``out``; returns the row count.
    Raises FileNotFoundError when there is no history file yet, ValueError for a bad format."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (csv or json)")
    p = Path(path).expanduser()
    if p.is_dir():
        raise HistoryFileError(f"{p} is a directory, not a history database")
    if not p.is_file():
        raise FileNotFoundError(f"no history at {p}")
    with HistoryStore(p) as store:
        return store.export(since, fmt, out, kinds)
