"""History and alert state reach the disk within 2 s of arriving; a history path that is
not a database is a clear error (exit 2), never a traceback; "history disabled" is shown
inside the dashboard. (Signals against a real process: tests/test_signals.py.)"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conditions import until

from gpurisk.config import load_config
from gpurisk.session import Session

ROOT = Path(__file__).resolve().parents[1]
CRI = ROOT / "tests" / "fixtures" / "feeds" / "cri-h100-index.csv"


def config(tmp_path: Path, history: Path | None = None, extra: str = "") -> Path:
    p = tmp_path / "gpurisk.toml"
    p.write_text(f"""
[app]
history_path = "{history or tmp_path / 'h.sqlite3'}"
alert_log = "{tmp_path / 'alerts.jsonl'}"
[feeds.cri]
type = "csv"
path = "{CRI}"
date_column = "publication_date"
value_column = "cri_h100"
sku = "H100 SXM"
provider = "CRI-H100"
{extra}""")
    return p


def rows_on_disk(path: Path) -> int:
    """What another process would see (a separate connection)."""
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM obs").fetchone()[0])


def saved_alert_state(path: Path) -> dict | None:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT value FROM kv WHERE name = 'alerts'").fetchone()
    return None if row is None else json.loads(row[0])


async def test_rows_reach_the_disk_within_two_seconds_without_a_later_poll(tmp_path: Path) -> None:
    s = Session.from_config(load_config(config(tmp_path)))
    assert s.store is not None and not s.flusher.armed  # nothing pending, no timer
    await s.poll("cri")
    assert s.store.pending == 2 and rows_on_disk(tmp_path / "h.sqlite3") == 0  # queued, timer armed
    handle = s.flusher._handle
    assert handle is not None
    await s.poll("cri")  # a burst: one timer, not one per poll
    assert s.flusher._handle is handle
    # no later poll: the timer alone writes (not before its delay, within a bounded wait)
    assert await until(lambda: rows_on_disk(tmp_path / "h.sqlite3") == 2, s.flusher.delay + 10)
    assert rows_on_disk(tmp_path / "h.sqlite3") == 2 and s.store.pending == 0
    assert not s.flusher.armed  # idle again: no work while nothing is pending
    await s.aclose()


async def test_alert_state_is_saved_by_the_same_timer(tmp_path: Path) -> None:
    cfg = config(tmp_path, extra="[feeds.disclosures]\n")  # real disclosures: alerts evaluate
    s = Session.from_config(load_config(cfg))
    s.setup_alerts()
    assert s._alert_store is s.store
    for name in s.feed_names():
        await s.poll(name)
    want = json.loads(json.dumps(s.alerts.to_dict()))
    assert await until(lambda: saved_alert_state(tmp_path / "h.sqlite3") == want, s.flusher.delay + 10)
    saved = saved_alert_state(tmp_path / "h.sqlite3")
    assert saved is not None and saved == json.loads(json.dumps(s.alerts.to_dict()))
    # quiet evaluations (no event) move state too: saved on the next timer, not only on events
    before = saved
    s.alerts._st["hhi > 2500"].value = 1.0  # what a new evaluation would have recorded
    s._alerts_dirty = True
    s.flusher.schedule()
    assert await until(lambda: saved_alert_state(tmp_path / "h.sqlite3") != before, s.flusher.delay + 10)
    await s.aclose()


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPURISK")}
    env["GPURISK_LOG"] = str(tmp_path / "debug.log")
    return subprocess.run([sys.executable, "-m", "gpurisk", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def not_a_database(tmp_path: Path, kind: str) -> Path:
    p = tmp_path / f"{kind}.sqlite3"
    if kind == "text":
        p.write_text("these are my notes, not a database\n" * 50)
    elif kind == "directory":
        p.mkdir()
    elif kind == "foreign":  # another program's SQLite file with a table called obs
        with sqlite3.connect(p) as db:
            db.execute("CREATE TABLE obs (x INTEGER)")
    elif kind == "other-app":  # another program's SQLite file, no obs table
        with sqlite3.connect(p) as db:
            db.execute("CREATE TABLE notes (x TEXT)")
    elif kind == "damaged":
        with sqlite3.connect(p) as db:
            db.execute("CREATE TABLE t (x TEXT)")
            db.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
        data = bytearray(p.read_bytes())
        data[100:4096] = b"\xff" * (4096 - 100)  # the header page's b-tree ruined
        p.write_bytes(bytes(data))
    return p


@pytest.mark.subprocess
@pytest.mark.parametrize("kind", ["text", "directory", "foreign", "other-app", "damaged"])
def test_export_of_a_file_that_is_not_a_database_exits_2(tmp_path: Path, kind: str) -> None:
    bad = not_a_database(tmp_path, kind)
    before = bad.read_bytes() if bad.is_file() else None
    out = run(["--config", str(config(tmp_path, bad)), "export"], tmp_path)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and str(bad) in out.stderr
    assert out.stderr.startswith("gpurisk: history error: ") and out.stdout == ""
    if before is not None and kind != "damaged":
        assert bad.read_bytes() == before  # left as it was


@pytest.mark.subprocess
def test_dashboard_on_a_file_that_is_not_a_database_exits_2(tmp_path: Path) -> None:
    """On a terminal (a pty: without one the dashboard refuses before it opens history)."""
    bad = not_a_database(tmp_path, "text")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPURISK", "TEXTUAL"))}
    env.update(GPURISK_LOG=str(tmp_path / "debug.log"), TERM="xterm-256color")
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "--config", str(config(tmp_path, bad))], cwd=ROOT,
                                env=env, stdin=slave, stdout=slave, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        os.close(slave)
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
    finally:
        os.close(master)
    assert proc.returncode == 2, err
    assert f"{bad} is not a SQLite database" in err and "--no-history" in err
    assert "Traceback" not in err


async def test_history_disabled_is_shown_inside_the_dashboard(tmp_path: Path) -> None:
    """A history file that cannot be created or opened (here its folder is a file; also
    permissions, a lock): the dashboard runs without history and says so in a
    notification and on the feeds screen, not on a stderr the dashboard hides."""
    from gpurisk.text.explain import feeds_text
    from tui.app import Dashboard

    (tmp_path / "data").write_text("a file where a folder should be")
    s = Session.from_config(load_config(config(tmp_path, tmp_path / "data" / "h.sqlite3")))
    assert s.store is None and s.history_error and "cannot use history" in s.history_error
    app = Dashboard(s, autopoll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        notes = [text for _, text in app.notices.log]  # on the notice line, not a toast over the panels
        assert any(n.startswith("HISTORY: history disabled: cannot use history") for n in notes), notes
        plain = feeds_text(s, app.clock()).plain
        assert f"history: history disabled: cannot use history {tmp_path / 'data' / 'h.sqlite3'}" in plain
