"""A small pseudo-terminal harness for the benchmarks: run a program as a user's terminal
would (a pty of a given size, TERM=xterm-256color), keep what it draws in a pyte screen,
count the bytes it sends, and wait for text to appear. No files from outside the
repository are needed (pyte and psutil come with the test extras).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time
from collections.abc import Sequence

import psutil
import pyte

KEYS = {"enter": b"\r", "escape": b"\x1b", "up": b"\x1b[A", "down": b"\x1b[B", "question_mark": b"?"}


class Term:
    """One program in a pty of ``cols`` × ``rows``; ``bytes`` counts everything it wrote."""

    def __init__(self, cmd: Sequence[str], cols: int = 120, rows: int = 40, env: dict[str, str] | None = None,
                 cwd: str | None = None) -> None:
        self.cols, self.rows = cols, rows
        self.t0 = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:  # the child: the program, in the terminal a user would have
            # COLUMNS/LINES would override the terminal's size (pytest's process has them in its C environ)
            for k in ("COLUMNS", "LINES"):
                os.environ.pop(k, None)
                os.unsetenv(k)
            os.environ.update({"TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or {})})
            for k, v in (env or {}).items():
                if v == "":
                    os.environ.pop(k, None)
            if cwd:
                os.chdir(cwd)
            # The size before the program starts: set only by the parent, it may read 80×24 first
            # and lose the SIGWINCH that arrives before it handles one.
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execvp(cmd[0], list(cmd))
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.bytes = 0
        self.proc = psutil.Process(pid)

    def pump(self, timeout: float = 0.05) -> int:
        """Read what the program wrote within ``timeout``; the number of bytes."""
        got = 0
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(0.0, left))
            if not ready:
                return got
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return got
            if not data:
                return got
            self.stream.feed(data)
            self.bytes += len(data)
            got += len(data)
            if left <= 0:
                return got

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, markers: Sequence[str], timeout: float = 20.0) -> float | None:
        """Seconds from start until every marker is on screen (None on time-out)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.02)
            if all(m in self.text for m in markers):
                return time.monotonic() - self.t0
        return None

    def settle(self, quiet: float = 0.15, limit: float = 5.0) -> None:
        """Read until the program has written nothing for ``quiet`` seconds (a frame is
        written in chunks: the first markers show before its last bytes arrive)."""
        end = time.monotonic() + limit
        while time.monotonic() < end and self.pump(quiet):
            pass

    def press(self, key: str) -> None:
        os.write(self.fd, KEYS.get(key, key.encode()))

    def key_latency(self, key: str, marker: str, timeout: float = 5.0) -> float | None:
        """Seconds from a key press until ``marker`` shows (the screen must not show it before)."""
        t = time.monotonic()
        self.press(key)
        end = t + timeout
        while time.monotonic() < end:
            self.pump(0.005)
            if marker in self.text:
                return time.monotonic() - t
        return None

    def cpu_seconds(self) -> float:
        """CPU time of the program and its children so far."""
        total = 0.0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                c = p.cpu_times()
                total += c.user + c.system
            except psutil.Error:
                pass
        return total

    def idle(self, seconds: float) -> tuple[float, float]:
        """(% of one core, bytes per second) over ``seconds`` of letting it run."""
        cpu0, b0, t0 = self.cpu_seconds(), self.bytes, time.monotonic()
        while time.monotonic() - t0 < seconds:
            self.pump(0.1)
        dt = time.monotonic() - t0
        return 100.0 * (self.cpu_seconds() - cpu0) / dt, (self.bytes - b0) / dt

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(50):
                self.pump(0.02)
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    break
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)
