"""The dashboard on hostile terminals, each in a real pseudo-terminal (``python -m gpurisk``
on the sample data, its own session and process group, killed whole at the end).

* Any ``TERM`` (``dumb``, unknown, ``vt100``; ``GPURISK_SGR=plain``), any size down to
  20×5, stdin closed or not a terminal: the dashboard draws (or exits 2 with one line),
  does not spin, and ends within 2 s of ``q``, SIGTERM, SIGINT, SIGHUP or the terminal
  closing.
* ``NO_COLOR``: no colour code is written.
* SIGTSTP / ctrl+z suspend; SIGCONT redraws the whole screen.

Every wait is bounded (a deadline, polled); the figures are printed (``-s``).
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pyte
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX ptys and signals"),
              pytest.mark.xdist_group("pty")]  # one dashboard on a pty at a time
DRAWN = "GPU rental prices"  # the first panel's title, on screen at any size that shows a panel
SGR = re.compile(rb"\x1b\[([0-9;:]*)m")


class Term:
    """``python -m gpurisk --no-history`` on a ``cols``×``rows`` pty, its controlling terminal.

    ``stdin``: "pty" (the terminal), "closed" (``0<&-``) or "devnull"; ``ctty``: whether
    the pty becomes the controlling terminal (without it there is no /dev/tty)."""

    def __init__(self, tmp: Path, env: dict[str, str] | None = None, cols: int = 80, rows: int = 24,
                 stdin: str = "pty", ctty: bool = True, stdout_tty: bool = True) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("TEXTUAL", "GPURISK", "NO_COLOR", "COLUMNS", "LINES", "COLORTERM"))}
        base.update(TERM="xterm-256color", GPURISK_LOG=str(tmp / "debug.log"), PYTHONPATH=str(ROOT))
        base.update(env or {})
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.out = bytearray()
        self._lock = threading.Lock()
        self.reading = threading.Event()  # cleared: nobody reads the terminal (a stalled SSH link)
        self.reading.set()

        def child() -> None:
            if ctty:
                fcntl.ioctl(1, termios.TIOCSCTTY, 0)
            if stdin == "closed":
                os.close(0)

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gpurisk", "--no-history"], cwd=ROOT, env=base,
            stdin=subprocess.DEVNULL if stdin == "devnull" else slave,
            stdout=slave if stdout_tty else subprocess.PIPE, stderr=slave,
            start_new_session=True, preexec_fn=child, close_fds=True)
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            self.reading.wait()
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.out += chunk
                self.stream.feed(chunk)

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.screen.display)

    def until(self, cond: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not within {timeout} s; screen:\n{self.text()}\n"
                                     f"exit: {self.proc.poll()}; tail: {bytes(self.out[-400:])!r}")
            time.sleep(0.05)

    def quiet(self, seconds: float, timeout: float) -> None:
        """Until nothing has been written for ``seconds`` (bounded by ``timeout``)."""
        last, since = len(self.out), time.monotonic()

        def settled() -> bool:
            nonlocal last, since
            if len(self.out) != last:
                last, since = len(self.out), time.monotonic()
            return time.monotonic() - since >= seconds

        self.until(settled, timeout, "a quiet terminal")

    def wait_drawn(self, timeout: float = 20.0) -> None:
        self.until(lambda: DRAWN in self.text() or self.proc.poll() is not None, timeout, "the dashboard")
        assert self.proc.poll() is None, f"exited {self.proc.returncode}: {self.text()}"

    def resize(self, cols: int, rows: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def key(self, data: bytes) -> None:
        os.write(self.master, data)

    def cpu_percent(self, seconds: float = 2.0) -> float:
        """CPU used by the process over ``seconds``, in % of one core."""
        p = psutil.Process(self.proc.pid)
        t0, c0 = time.monotonic(), sum(p.cpu_times()[:2])
        time.sleep(seconds)  # a measuring window, not a wait for a condition
        return 100 * (sum(p.cpu_times()[:2]) - c0) / (time.monotonic() - t0)

    def settles(self, limit: float = 40.0, windows: int = 8) -> list[float]:
        """CPU over one-second windows until one is under ``limit`` % of a core (at most
        ``windows``): a spinning loop never gets there; a dashboard finishing its first polls
        on a loaded machine does, a window or two later. The last sample is the verdict."""
        samples = [self.cpu_percent(1.0)]
        while samples[-1] >= limit and len(samples) < windows:
            samples.append(self.cpu_percent(1.0))
        return samples

    def exit_within(self, seconds: float) -> int:
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {seconds} s later; screen:\n{self.text()}") from None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        try:
            os.close(self.master)
        except OSError:
            pass


@pytest.fixture
def term(tmp_path: Path):  # type: ignore[no-untyped-def]
    started: list[Term] = []

    def start(**kw: object) -> Term:
        t = Term(tmp_path, **kw)  # type: ignore[arg-type]
        started.append(t)
        return t

    yield start
    for t in started:
        t.close()


ENDS = [("q", 0), ("SIGTERM", 143), ("SIGINT", 130), ("SIGHUP", 129), ("hangup", 129)]


def end(t: Term, how: str) -> None:
    if how == "q":
        t.key(b"q")
    elif how == "hangup":
        os.close(t.master)  # the terminal goes away: the kernel sends SIGHUP
    else:
        os.kill(t.proc.pid, getattr(signal, how))


@pytest.mark.subprocess
@pytest.mark.parametrize("env", [{"TERM": "dumb"}, {"TERM": "foo"}, {"TERM": "vt100"},
                                 {"TERM": "dumb", "GPURISK_SGR": "plain"}], ids=lambda e: "-".join(e.values()))
def test_any_term_draws_stays_quiet_and_quits(term, env: dict[str, str]) -> None:
    t = term(env=env)
    t.wait_drawn()
    samples = t.settles()
    print(f"\n{env}: {samples[-1]:.0f}% of a core after the first frame")
    assert samples[-1] < 40, f"spinning: {samples} % of a core"
    at = time.monotonic()
    t.key(b"q")
    assert t.exit_within(2.0) == 0
    print(f"q: exited in {time.monotonic() - at:.2f} s")


@pytest.mark.subprocess
def test_resizes_while_starting_do_not_hang_it(term) -> None:
    """A terminal resized while the dashboard starts (a tiling window manager sizing a new
    window): two Resize events of different sizes used to chase each other for ever."""
    t = term()
    t0, n = time.monotonic(), 0
    while time.monotonic() - t0 < 1.5:  # resizes all through the start-up
        t.resize(100 - n % 2 * 20, 30 - n % 2 * 6)
        n += 1
        time.sleep(0.02)
    t.resize(80, 24)  # the size the screen emulator has
    t.wait_drawn()
    # A resize chase keeps a core busy for ever; a dashboard that settled goes quiet (its first
    # polls and the demo's replay tick may still cost a burst on a loaded machine: not a hang).
    samples = t.settles()
    assert samples[-1] < 40, samples
    t.key(b"q")
    assert t.exit_within(2.0) == 0


@pytest.mark.subprocess
@pytest.mark.serial
@pytest.mark.parametrize("how, status", ENDS, ids=[e[0] for e in ENDS])
def test_a_dumb_terminal_ends_within_2_s(term, how: str, status: int) -> None:
    t = term(env={"TERM": "dumb"})
    t.wait_drawn()
    at = time.monotonic()
    end(t, how)
    assert t.exit_within(2.0) == status
    print(f"\n{how}: exited {status} in {time.monotonic() - at:.2f} s")


@pytest.mark.subprocess
@pytest.mark.parametrize("size", [(20, 5), (40, 10)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_tiny_dumb_terminal_draws_and_quits(term, size: tuple[int, int]) -> None:
    t = term(env={"TERM": "dumb"}, cols=size[0], rows=size[1])
    t.until(lambda: t.text().strip() != "" or t.proc.poll() is not None, 20, "a frame")
    assert t.proc.poll() is None, t.text()
    assert "Traceback" not in t.text()
    assert t.settles()[-1] < 40
    t.key(b"q")
    assert t.exit_within(2.0) == 0


@pytest.mark.subprocess
@pytest.mark.parametrize("stdin", ["closed", "devnull"])
def test_stdin_closed_or_not_a_terminal_reads_keys_from_the_terminal(term, stdin: str) -> None:
    t = term(stdin=stdin)
    t.wait_drawn()
    t.key(b"q")
    assert t.exit_within(2.0) == 0
    assert "Traceback" not in t.text()


@pytest.mark.subprocess
def test_no_terminal_at_all_is_one_line_and_exit_2(term) -> None:
    """stdin /dev/null and no controlling terminal (no /dev/tty): nothing to read keys from."""
    t = term(stdin="closed", ctty=False, stdout_tty=False)
    status = t.exit_within(15.0)
    t.until(lambda: b"\n" in t.out, 5, "the error line")
    lines = [ln for ln in bytes(t.out).decode(errors="replace").splitlines() if ln.strip()]
    assert status == 2 and len(lines) == 1 and lines[0].startswith("gpurisk: "), lines


@pytest.mark.subprocess
def test_no_color_sends_no_colour_codes(term) -> None:
    t = term(env={"NO_COLOR": "1"})
    t.wait_drawn()
    t.key(b"q")
    assert t.exit_within(2.0) == 0
    colour = set()
    for m in SGR.finditer(bytes(t.out)):
        codes = m.group(1).replace(b":", b";").split(b";")
        colour |= {c for c in codes
                   if c in (b"38", b"48") or (c.isdigit() and (30 <= int(c) <= 49 or 90 <= int(c) <= 107))}
    assert not colour, f"colour codes sent under NO_COLOR: {sorted(colour)}"
    assert SGR.search(bytes(t.out)), "bold and the like are not colour: they stay"


def _stopped(t: Term) -> bool:
    return psutil.Process(t.proc.pid).status() == psutil.STATUS_STOPPED


@pytest.mark.slow
@pytest.mark.subprocess  # not serial: waits on what the screen shows, with bounds of seconds, no timing
@pytest.mark.parametrize("how", ["SIGTSTP", "ctrl+z"])
def test_suspend_and_continue_redraw_the_whole_screen(term, how: str) -> None:
    t = term()
    t.wait_drawn()
    t.until(lambda: "DEMO" in t.text(), 10, "the top bar")
    t.quiet(0.5, 10)  # the first frame's follow-up paints (the breach simulation) done
    t.key(b"p")  # paused: the replay stops moving figures, so the redraw is compared to a still screen
    t.until(lambda: "PAUSED" in t.text(), 10, "paused")
    t.quiet(0.5, 10)
    before = t.text()
    if how == "SIGTSTP":
        os.killpg(t.proc.pid, signal.SIGTSTP)
    else:
        t.key(b"\x1a")
    t.until(lambda: _stopped(t), 5, "the process stopped")
    with t._lock:  # the shell's output over the screen while the dashboard is suspended
        t.stream.feed(b"\x1b[2J\x1b[H$ jobs\r\n[1]+  Stopped  gpurisk\r\n")
    os.killpg(t.proc.pid, signal.SIGCONT)
    lines = [ln for ln in before.splitlines() if ln.strip()]

    def redrawn() -> bool:
        now = t.text()
        return sum(ln in now for ln in lines) >= len(lines) - 2  # a clock or an age may tick

    t.until(redrawn, 5, "the whole screen redrawn")
    t.key(b"q")
    assert t.exit_within(2.0) == 0


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.serial
@pytest.mark.parametrize("how, status", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_stalled_terminal_still_ends_within_2_s(term, how: str, status: int) -> None:
    """Nobody reads the terminal (a stalled link): Textual's writer blocks and its shutdown
    waits for it; the watchdog ends the process, with the same status."""
    t = term()
    t.wait_drawn()
    t.reading.clear()
    p = psutil.Process(t.proc.pid)
    deadline = time.monotonic() + 20
    n = 0
    while time.monotonic() < deadline:  # repaints until the pty's buffer is full and a write blocks
        t.resize(80 + n % 2 * 40, 24 + n % 2 * 16)
        n += 1
        time.sleep(0.1)
        if n > 10 and p.cpu_percent(0.2) < 2:  # the writer is stuck: nothing more is painted
            break
    at = time.monotonic()
    end(t, how)
    code = t.exit_within(2.5)
    took = time.monotonic() - at
    t.reading.set()
    print(f"\nstalled, {how}: exited {code} in {took:.2f} s after {n} resizes")
    assert code == status and took < 2.0


def test_strip_colour_keeps_attributes_and_drops_every_colour_form() -> None:
    from tui.sgr import strip_colour

    assert strip_colour("\x1b[1;38;2;1;2;3;48;5;17mA\x1b[0m") == "\x1b[1mA\x1b[0m"
    assert strip_colour("\x1b[31;42;91;103;39;49mB\x1b[m") == "B\x1b[m"
    assert strip_colour("\x1b[4;7mC\x1b[2J\x1b[3;1H") == "\x1b[4;7mC\x1b[2J\x1b[3;1H"


async def test_a_headless_run_never_starts_the_exit_watchdog() -> None:
    """The watchdog ends its process: inside a test (run_test, headless) it must not exist,
    or a ``q`` there would end the test runner 1.2 s later."""
    from gpurisk.session import demo_session
    from tui.app import Dashboard

    app = Dashboard(demo_session(), autopoll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert app.lifecycle._watchdog is None
