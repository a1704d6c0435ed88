"""The alert hook's children end with it: background jobs, setsid escapees, and at gpurisk's exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from gpurisk import hook

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="Linux /proc")


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_dead(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


def reap(*pids: int) -> None:
    """Whatever the code under test left (never this test run's own group). Only a process that
    is still one of ours (every hook here ends in ``sleep 1000``): an ended one's PID may already
    be another test's process on a busy machine."""
    for pid in pids:
        try:
            p = psutil.Process(pid)
            if "sleep 1000" not in " ".join(p.cmdline()):
                continue
            if pid != os.getpgrp() and os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            p.kill()
        except (OSError, psutil.Error):
            pass


def wait_file(p: Path, within: float = 5.0) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if p.exists() and p.read_text().strip():
            return p.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{p} never written")


def test_background_child_is_killed_when_the_hook_ends() -> None:
    res = hook.run("sleep 1000 & echo $!", b"", timeout=10)
    pid = int(res.stdout.split()[0])
    try:
        assert res.returncode == 0 and not res.timed_out
        assert wait_dead(pid), "sleep 1000 & outlived its hook"
    finally:
        reap(pid)


def test_setsid_escapee_is_killed_too(tmp_path: Path) -> None:
    f = tmp_path / "pid"
    cmd = (f"setsid sh -c 'echo $$ > {f}; exec sleep 1000' </dev/null >/dev/null 2>&1 & "
           f"while [ ! -s {f} ]; do sleep 0.01; done")
    res = hook.run(cmd, b"", timeout=10)
    pid = int(wait_file(f))
    try:
        assert res.returncode == 0
        assert wait_dead(pid), "a setsid child outlived its hook"
    finally:
        reap(pid)


def test_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    f = tmp_path / "pid"
    t0 = time.monotonic()
    res = hook.run(f"sleep 1000 & echo $! > {f}; sleep 1000", b"", timeout=0.5)
    pid = int(wait_file(f))
    try:
        assert res.timed_out and time.monotonic() - t0 < 5
        assert wait_dead(pid)
    finally:
        reap(pid)


@pytest.mark.subprocess
def test_a_running_hook_ends_when_gpurisk_exits(tmp_path: Path) -> None:
    f = tmp_path / "pid"
    code = f"""
import sys, threading, time
from pathlib import Path
from gpurisk import hook
t = threading.Thread(target=hook.run, args=("echo $$ > {f}; sleep 1000", b"", 600), daemon=True)
t.start()
deadline = time.monotonic() + 10
while not (Path({str(f)!r}).exists() and Path({str(f)!r}).read_text().strip()) and time.monotonic() < deadline:
    time.sleep(0.02)
sys.exit(0)
"""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, timeout=30, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root)})
    pid = int(wait_file(f))
    try:
        assert out.returncode == 0, out.stderr
        assert wait_dead(pid), "the hook outlived gpurisk"
    finally:
        reap(pid)


def test_the_marker_is_in_the_hook_environment() -> None:
    res = hook.run(f"printenv {hook.MARK}", b"", timeout=10)
    assert len(res.stdout.strip()) == 16
