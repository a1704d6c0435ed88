"""`gpurisk serve` as a process: it listens, polls the (stand-in) source, and on SIGTERM
stops with exit 0 and the history written (no flush timer needed)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
import pytest

pytestmark = pytest.mark.subprocess


def start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], int, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "serve", "--port", "0", *args], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    got = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "listening on http://" in line:
                got.set()

    threading.Thread(target=pump, daemon=True).start()
    if not got.wait(60):
        proc.kill()
        raise AssertionError("no 'listening on' line: " + "".join(lines))
    port = int(re.search(r"listening on http://127\.0\.0\.1:(\d+)", "".join(lines)).group(1))  # type: ignore[union-attr]
    return proc, port, lines


def test_sigterm_stops_with_exit_0_and_history_flushed(standin, tmp_path):
    cfg = standin.config(tmp_path, interval=120, history=True)
    env = {**os.environ, "GPURISK_LOG": str(tmp_path / "debug.log")}
    proc, port, lines = start(["--config", str(cfg)], env)
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30:
            hz = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
            if hz["feeds_up"] == 1:
                break
            time.sleep(0.05)
        assert hz == {**hz, "up": True, "feeds_up": 1, "feeds_total": 1, "demo": False}
        snap = httpx.get(f"http://127.0.0.1:{port}/api/snapshot", timeout=5).json()
        n_obs = snap["feeds"][0]["n_obs"]
        assert n_obs > 0 and standin.requests == 5
        proc.send_signal(signal.SIGTERM)  # at once: well inside the 2 s flush timer
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "".join(lines)
    assert "SIGTERM received" in text and "collector stopped" in text
    db = sqlite3.connect(tmp_path / "history.db")
    try:
        rows = db.execute("select count(*) from obs").fetchone()[0]
    finally:
        db.close()
    assert rows == n_obs
    assert "collector listening" in (tmp_path / "debug.log").read_text()  # the debug log too
