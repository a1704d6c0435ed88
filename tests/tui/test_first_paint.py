"""No reflow after the first frame: at 80×24 the very first frame that shows the dashboard
is already the one-panel layout with the tab strip, never the 2×2 grid cut to fit.
The test answers Textual's synchronized-output query as a real terminal would."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

import pyte
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.subprocess


def frames(cols: int, rows: int, seconds: float = 6.0) -> list[str]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real dashboard on the sample data
        os.environ.update(TERM="xterm-256color", GPURISK_LOG=os.devnull)
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "gpurisk", "--no-history"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    seen: list[str] = []
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < seconds and len(seen) < 8:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if b"\x1b[?2026$p" in data:  # answer as a real terminal does: frames come whole
                os.write(fd, b"\x1b[?2026;2$y")
            stream.feed(data)
            text = "\n".join(screen.display)
            if "DEMO" in text and "GPU rental prices" in text:
                seen.append(text)
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    return seen


def test_the_first_frame_at_80x24_is_the_narrow_layout() -> None:
    seen = frames(80, 24)
    assert seen, "the dashboard never showed"
    # A pty read can end mid-frame, so a frame seen here may be partly painted; the grid would
    # still show its panel titles in some frame. None may show them, and the tab strip comes.
    grid = [text for text in seen if "2 Debt & liquidity" in text]
    assert not grid, grid[0]
    assert any("1 PRICES" in text for text in seen), seen[-1]
