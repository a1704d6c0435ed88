"""A full disk, a read-only history and a vanished file: nothing received is lost, and it shows.

The write failure is injected at the store's write path (``database or disk is full``,
what SQLite says for SQLITE_FULL) and, where the test runs as root, made real on a
small tmpfs (skipped when it cannot be mounted; always unmounted).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conditions import FullDisk

from engine.observations import RateObs
from gpurisk import spool
from gpurisk.config import Config
from gpurisk.session import Session
from gpurisk.store import HistoryStore, StoreError

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


def rows(n: int, series: str = "SOFR", start: int = 0) -> list[RateObs]:
    return [RateObs(as_of=T0 + timedelta(minutes=i), fetched_at=T0, source="test", series=series, value=4.0 + i / 1e4)
            for i in range(start, start + n)]


@pytest.fixture(autouse=True)
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The spool's fallback folder inside the test's tmp dir, never the machine's /tmp."""
    t = tmp_path / "tmpdir"
    t.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(t))
    return t


def session_with(store: HistoryStore) -> Session:
    return Session(Config(), [], store=store)


def test_quit_on_a_full_disk_keeps_the_rows_for_the_next_start(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    store = HistoryStore(db)
    store.add(rows(3))
    store.flush()
    store._db = FullDisk(store._db)  # type: ignore[assignment]
    store.add(rows(40, start=3))
    with pytest.raises(StoreError):
        store.flush()
    s = session_with(store)
    health = s.history_state
    assert (health.state, health.ok, health.pending) == ("full", False, 40)
    assert "disk full" in health.message
    asyncio.run(s.aclose())  # was: StoreError out of store.close -> flush (a traceback, exit 1)
    assert s.exit_note is not None and "40 rows could not be written" in s.exit_note
    beside = db.with_name(db.name + spool.SUFFIX)
    assert beside.is_file() and str(beside) in s.exit_note
    with HistoryStore(db) as again:  # the next start writes them and removes the spool
        assert again.count() == 43
        assert again.spooled == 0
    assert not beside.exists()


def test_spool_falls_back_to_a_user_folder_when_beside_fails(tmp_path: Path, own_tmp: Path) -> None:
    db = tmp_path / "h.sqlite3"
    store = HistoryStore(db)
    store._db = FullDisk(store._db)  # type: ignore[assignment]
    store.add(rows(5))
    db.with_name(db.name + spool.SUFFIX).mkdir()  # the spool beside cannot be written
    assert store.close() == 5
    assert store.spool_file is not None and own_tmp in store.spool_file.parents
    assert (store.spool_file.parent.stat().st_mode & 0o777) == 0o700
    with HistoryStore(db) as again:
        assert again.count() == 5
    assert not store.spool_file.exists()


def test_nothing_spooled_when_the_writes_work(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    s = session_with(HistoryStore(db))
    s.store.add(rows(4))
    assert s.history_state.state == "ok" and s.history_state.pending == 4
    asyncio.run(s.aclose())
    assert s.exit_note is None
    assert spool.read(db) == ([], [])


def test_a_cut_spool_line_is_skipped(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    HistoryStore(db).close()
    from gpurisk.codec import encode

    assert spool.write(db, [encode(o) for o in rows(2)]) is not None
    with open(db.with_name(db.name + spool.SUFFIX), "a") as fh:
        fh.write('["RateObs", "x", 1')  # a write cut short by the full disk
    with HistoryStore(db) as again:
        assert again.count() == 2


def test_vanished_history_shows_and_its_queue_is_kept(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    s = session_with(HistoryStore(db))
    db.unlink()
    s.store.add(rows(6))
    assert s.history_state.state == "gone"
    asyncio.run(s.aclose())
    assert s.exit_note is not None and "6 rows" in s.exit_note and "file removed" in s.exit_note
    with HistoryStore(db) as again:  # a new file, with what the removed one could not keep
        assert again.count() == 6


def test_history_state_is_in_snapshot_and_metrics(tmp_path: Path) -> None:
    from gpurisk.commands import snapshot_document
    from gpurisk.metrics import exposition

    store = HistoryStore(tmp_path / "h.sqlite3")
    store._db = FullDisk(store._db)  # type: ignore[assignment]
    store.add(rows(7))
    with pytest.raises(StoreError):
        store.flush()
    s = session_with(store)
    doc = snapshot_document(s, s.config)
    assert doc["history"]["state"] == "full" and doc["history"]["pending"] == 7 and doc["history"]["ok"] is False
    body = exposition(s)[0].decode()
    assert 'gpurisk_history_state{state="full"} 1.0' in body
    assert 'gpurisk_history_state{state="ok"} 0.0' in body
    assert "gpurisk_history_pending_rows 7.0" in body
    from tui.widgets.bars import feed_text

    line = feed_text(s, datetime.now(UTC), 120).plain
    assert "history DISK FULL (7 rows waiting)" in line
    asyncio.run(s.aclose())


def test_demo_history_is_off_not_a_problem() -> None:
    s = Session(Config(), [])
    s.demo = True
    assert s.history_state.state == "off" and s.history_state.ok


# --- real filesystems (root only: tmpfs mounts) -------------------------------


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "1m") -> Iterator[Path]:
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(folder: Path) -> Path:
    """Fill the filesystem of ``folder`` to the last byte; the filler file's path."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


@pytest.mark.subprocess
def test_real_full_disk_then_room_again(tmp_path: Path, own_tmp: Path) -> None:
    with tmpfs(tmp_path / "mnt") as mnt:
        db = mnt / "h.sqlite3"
        store = HistoryStore(db)
        store.add(rows(10))
        store.flush()
        filler = fill(mnt)
        store.add(rows(3000, start=10))
        with pytest.raises(StoreError):
            store.flush()
        assert store.full
        assert store.close() == 3000
        assert store.spool_file is not None and own_tmp in store.spool_file.parents  # beside: no room either
        filler.unlink()
        with HistoryStore(db) as again:
            assert again.count() == 3010
        assert spool.read(db) == ([], [])


@pytest.mark.subprocess
def test_real_read_only_history_is_loaded(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt") as mnt:
        db = mnt / "h.sqlite3"
        with HistoryStore(db) as s:
            s.add(rows(12))
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        store = HistoryStore(db)  # was: "unable to open database file", and nothing loaded
        assert store.readonly
        assert len(store.load()) == 12
        sess = session_with(store)
        sess.store.add(rows(2, series="NEW"))
        assert sess.history_state.state == "readonly"
        asyncio.run(sess.aclose())
        assert store.unsaved == 2 and sess.exit_note and "read-only" in sess.exit_note


@pytest.mark.slow
@pytest.mark.subprocess
def test_q_on_a_full_disk_exits_0_and_the_next_start_has_every_row(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The real thing: the dashboard in a pty, history on a tmpfs that fills up, then ``q``."""
    import time

    from test_signals import Dashboard, PriceServer, exported, write_config

    with tmpfs(tmp_path / "mnt") as mnt:
        server = PriceServer()
        config = write_config(tmp_path, server.port)
        text = config.read_text().replace("[app]\n", f'[app]\nhistory_path = "{mnt / "h.sqlite3"}"\n', 1)
        config.write_text(text)
        spool_tmp = tmp_path / "spooltmp"
        spool_tmp.mkdir()
        monkeypatch.setenv("TMPDIR", str(spool_tmp))  # the fallback spool folder of the child (and of export)
        app = Dashboard(tmp_path, config)
        try:
            deadline = time.monotonic() + 20
            while (len(server.served) < 2 or not (mnt / "h.sqlite3").exists()) and time.monotonic() < deadline:
                assert app.proc.poll() is None, app.out.decode(errors="replace")[-2000:]
                time.sleep(0.05)
            filler = fill(mnt)
            n = len(server.served)
            while len(server.served) < n + 3 and time.monotonic() < deadline + 15:  # rows that meet a full disk
                time.sleep(0.05)
            time.sleep(0.5)  # the last answer becomes a queued row
            at = time.monotonic()
            app.key("q")
            code = app.wait(10)
            out = app.out.decode(errors="replace")
            assert code == 0, out[-2000:]
            assert "Traceback" not in out
            assert "rows could not be written" in out and "written at the next start" in out
            log = (tmp_path / "debug.log").read_text()
            assert "exit status 0" in log
            filler.unlink()
            stored = exported(tmp_path, config)  # opens the history (history_path): replays the spool first
            missing = [p for t, p in server.served if t < at - 0.5 and p not in stored]
            assert missing == [], f"lost {missing}"
        finally:
            app.kill()
            server.close()


# --- the file shrinks after a prune --------------------------------------------


def _size(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


@pytest.mark.parametrize("made_before_auto_vacuum", [False, True])
def test_prune_gives_the_pages_back(tmp_path: Path, made_before_auto_vacuum: bool) -> None:
    db = tmp_path / "h.sqlite3"
    if made_before_auto_vacuum:  # as every history file made by earlier versions
        con = sqlite3.connect(db)
        con.execute("PRAGMA auto_vacuum=NONE")
        con.execute("CREATE TABLE t (x)")
        con.execute("DROP TABLE t")
        con.close()
    now = datetime.now(UTC)
    old = now - timedelta(days=800)
    with HistoryStore(db) as s:
        s.add([RateObs(as_of=old + timedelta(minutes=i), fetched_at=old, source="test" * 20, series=f"S{i % 50}",
                       value=float(i)) for i in range(20_000)])
        s.add([RateObs(as_of=now - timedelta(minutes=i), fetched_at=now, source="test", series="NEW", value=1.0)
               for i in range(10)])
        s.flush()
        s._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        before = _size(db)
        assert s.prune(now) == 20_000
        assert s.count() == 10
    after = _size(db)
    assert after < before / 4, (before, after)
    with HistoryStore(db) as s:
        assert s._conn().execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # later prunes: incremental


@pytest.mark.subprocess
def test_read_only_folder_of_another_user_is_loaded() -> None:
    """The common case: a history folder (and file) the user may read but not write."""
    import shutil
    import sys

    py = "/usr/bin/python3"
    if os.getuid() != 0 or not Path(py).exists():
        pytest.skip("needs root to run a reader as another user")
    ver = subprocess.run([py, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    if ver.stdout.strip() != str(sys.version_info[:2]):
        pytest.skip(f"{py} is not Python {sys.version_info[:2]}")
    base = Path(tempfile.mkdtemp(prefix="gpurisk-ro-", dir="/tmp"))  # readable by the other user
    try:
        base.chmod(0o755)
        db = base / "h.sqlite3"
        with HistoryStore(db) as s:
            s.add(rows(12))
        db.chmod(0o444)
        base.chmod(0o555)
        root = Path(__file__).resolve().parents[1]
        site = next(p for p in sys.path if p.endswith("site-packages"))
        code = ("from gpurisk.store import HistoryStore\n"
                f"s = HistoryStore({str(db)!r})\nprint(s.readonly, len(s.load()))\ns.close()\n")
        out = subprocess.run([py, "-c", code], capture_output=True, text=True, timeout=60, user=65534, group=65534,
                             extra_groups=[], cwd="/", env={"PYTHONPATH": f"{root}:{site}", "PATH": "/usr/bin:/bin"})
        assert out.stdout.split() == ["True", "12"], out.stderr[-2000:]  # was: "unable to open database file"
    finally:
        base.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.subprocess
def test_spool_left_by_a_full_start_goes_in_when_room_comes_back(tmp_path: Path, own_tmp: Path) -> None:
    with tmpfs(tmp_path / "mnt", "4m") as mnt:
        db = mnt / "h.sqlite3"
        HistoryStore(db).close()
        from gpurisk.codec import encode

        assert spool.write(db, [encode(o) for o in rows(10_000, series="OLD")]) is not None
        filler = fill(mnt)
        os.truncate(filler, max(0, filler.stat().st_size - 256 * 1024))  # room to open, not for the spool
        store = HistoryStore(db)  # the spool cannot go in yet: it stays, and it shows
        assert store.spooled == 10_000 and store.full and not store.readonly
        assert session_with(store).history_state.state == "full"
        filler.unlink()
        store.add(rows(3))
        store.flush()  # room again: the spool goes in now
        assert store.spooled == 0 and store.count() == 10_003
        assert spool.read(db) == ([], [])
        store.close()


@pytest.mark.subprocess
def test_real_full_disk_at_start_loads_the_history(tmp_path: Path, own_tmp: Path) -> None:
    with tmpfs(tmp_path / "mnt") as mnt:
        db = mnt / "h.sqlite3"
        with HistoryStore(db) as s:
            s.add(rows(20))
        filler = fill(mnt)
        try:
            store = HistoryStore(db)  # was: "disk I/O error", history disabled and nothing loaded
        finally:
            filler.unlink()
        assert store.readonly and store.full and len(store.load()) == 20
        sess = session_with(store)
        assert sess.history_state.state == "full"
        sess.store.add(rows(4, series="NEW"))
        asyncio.run(sess.aclose())
        assert store.unsaved == 4 and sess.exit_note and "disk full" in sess.exit_note
        with HistoryStore(db) as again:
            assert again.count() == 24
