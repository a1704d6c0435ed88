"""The spool: history rows the database could not take (disk full, read-only), kept for the next start.

Why: quitting on a full disk used to lose every queued row. When the store closes with
rows it could not write, they go to a JSON-lines file beside the database
(``history.sqlite3.spool.jsonl``); when that fails too (the same full disk), to a
per-user folder in the temporary directory (``gpurisk-<uid>/<hash of the database
path>.spool.jsonl``), which is often another filesystem. The next start replays every
spool of that database into it in one transaction and removes the files; while the
database still cannot take them they stay where they are. A line that does not decode
(a write cut short) is skipped; duplicates are ignored by the store's UNIQUE key.

Only json, hashlib and the standard library: no textual, no httpx.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .codec import Record

SUFFIX = ".spool.jsonl"
#: A spool file is not grown past this (a history that stays read-only run after run).
MAX_BYTES = 256 * 1024 * 1024


def _fallback_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"gpurisk-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def paths(db: Path) -> list[Path]:
    """Where the spool of ``db`` may be, in the order they are tried: beside it, then the fallback."""
    digest = hashlib.sha256(str(db.expanduser().absolute()).encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return [db.with_name(db.name + SUFFIX), _fallback_dir() / f"{digest}{SUFFIX}"]


def _own_dir(folder: Path) -> None:
    """Create the fallback folder (mode 700) and refuse one another user made or a symlink."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        raise OSError(f"{folder} is not a folder of this user")


def _line(r: Record) -> str:
    return json.dumps([*r[:8], r.ident.hex()], separators=(",", ":")) + "\n"


def write(db: Path, records: Iterable[Record]) -> Path | None:
    """Append ``records`` to the first spool of ``db`` that takes them all; the path, or
    None when none could (a write cut short is truncated back, never left half-written)."""
    data = "".join(_line(r) for r in records).encode("utf-8", "surrogatepass")
    if not data:
        return None
    for i, p in enumerate(paths(db)):
        try:
            if i:
                _own_dir(p.parent)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError:
            continue
        start = os.fstat(fd).st_size
        try:
            if start + len(data) > MAX_BYTES:
                raise OSError(f"{p} would grow past {MAX_BYTES} bytes")
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            return p
        except OSError:
            try:
                os.ftruncate(fd, start)
            except OSError:
                pass
        finally:
            os.close(fd)
        _remove_empty(p)
    return None


def _remove_empty(p: Path) -> None:
    try:
        if p.stat().st_size == 0:
            p.unlink()
    except OSError:
        pass


def _record(line: str) -> Record | None:
    try:
        v = json.loads(line)
        if not isinstance(v, list) or len(v) != 9:
            return None
        r = Record._make([*v[:8], bytes.fromhex(v[8])])
    except (ValueError, TypeError):
        return None
    ok = all(isinstance(x, str) for x in (r.kind, r.key, r.source, r.feed, r.payload))
    nums = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (r.as_of, r.fetched_at))
    return r if ok and nums and (r.value is None or isinstance(r.value, (int, float))) else None


def read(db: Path) -> tuple[list[Path], list[Record]]:
    """The spool files of ``db`` that exist, and the rows they hold (undecodable lines skipped)."""
    found: list[Path] = []
    rows: list[Record] = []
    for p in paths(db):
        try:
            with open(p, encoding="utf-8", errors="surrogatepass") as fh:
                found.append(p)
                rows.extend(r for r in map(_record, fh) if r is not None)
        except (OSError, UnicodeDecodeError):
            continue
    return found, rows


def remove(files: Iterable[Path]) -> None:
    for p in files:
        try:
            p.unlink()
        except FileNotFoundError:
            pass


__all__ = ["MAX_BYTES", "SUFFIX", "paths", "read", "remove", "write"]
