"""Durable history against a real dashboard in a real pseudo-terminal.

The dashboard runs as its own process (``python -m gpurisk``) on a pty, polling
three ``http_json`` feeds on a 127.0.0.1 server every 5 s (the feed's floor). The
server delays feed b by 1.6 s and feed c by 3.2 s, so observations arrive spread
over time, and serves each request a new price (1.001, 1.002, ...) with the time
it was sent. After a few polls the test sends a signal, then counts the rows that
``gpurisk export`` (another process) finds, price by price:

* SIGTERM, SIGHUP, SIGINT, ``q``: every price served more than 0.5 s before the
  signal is stored (zero lost); the exit status is 128 + the signal (0 for ``q``)
  and the terminal is restored (the alternate screen is left).
* SIGKILL: every price served more than 2.5 s before the kill is stored (the flush
  timer writes within 2 s of arrival; 0.5 s for the request to become a row).
* Closing the pty (an SSH drop: the kernel sends SIGHUP, the terminal is gone):
  zero lost, the process ends within its grace period.

Each case is bounded (~6-8 s); they run alone (``serial``: the ages above are timed). The figures
measured are printed (``-s``).
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DELAYS = {"a": 0.0, "b": 1.6, "c": 3.2}
pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and ptys"),
              pytest.mark.slow, pytest.mark.subprocess]  # each its own dashboard, server and files


class PriceServer:
    """Each GET /<feed> answers a new price after the feed's delay; records (sent time, price)."""

    def __init__(self) -> None:
        self.served: list[tuple[float, float]] = []
        self._n = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(DELAYS.get(self.path.strip("/"), 0.0))
                with outer._lock:
                    outer._n += 1
                    price = round(1.0 + outer._n / 1000, 3)
                body = json.dumps({"price": price}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    self.wfile.flush()
                except OSError:
                    return
                with outer._lock:
                    outer.served.append((time.monotonic(), price))

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def write_config(tmp: Path, port: int) -> Path:
    feeds = "".join(f"""
[feeds.{n}]
type = "http_json"
url = "http://127.0.0.1:{port}/{n}"
price_path = "price"
sku = "H100 SXM"
provider = "srv-{n}"
interval = 1
timeout = 10
""" for n in DELAYS)
    p = tmp / "gpurisk.toml"
    p.write_text(f'[app]\nhistory = true\nbell = false\nalert_log = "{tmp / "alerts.jsonl"}"\n{feeds}')
    return p


class Dashboard:
    """``python -m gpurisk --config ...`` on a 120×40 pty (the pty is its controlling terminal)."""

    def __init__(self, tmp: Path, config: Path) -> None:
        self.tmp = tmp
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "GPURISK"))}
        env.update(TERM="xterm-256color", GPURISK_HISTORY=str(tmp / "h.sqlite3"), GPURISK_LOG=str(tmp / "debug.log"),
                   PYTHONPATH=str(ROOT))

        def ctty() -> None:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "--config", str(config)], cwd=ROOT, env=env,
                                     stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                                     preexec_fn=ctty, close_fds=True)
        os.close(slave)
        self.out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.out += chunk

    def key(self, text: str) -> None:
        os.write(self.master, text.encode())

    def hang_up(self) -> None:
        os.close(self.master)  # the terminal goes away: the kernel sends SIGHUP

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def exported(tmp: Path, config: Path) -> list[float]:
    env = {**os.environ, "GPURISK_HISTORY": str(tmp / "h.sqlite3"), "GPURISK_LOG": str(tmp / "export.log")}
    out = subprocess.run([sys.executable, "-m", "gpurisk", "--config", str(config), "export"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return sorted(float(r["value"]) for r in csv.DictReader(io.StringIO(out.stdout)))


def run_case(tmp: Path, end: str, nth: int = 3, after: float = 1.0
             ) -> tuple[int | None, list[float], list[tuple[float, float]], float, bytes]:
    """Start the dashboard, wait for the ``nth`` answer, end it by ``end`` ``after`` seconds
    later; returns (exit status, stored prices, served (time, price), time of the end,
    terminal output)."""
    server = PriceServer()
    config = write_config(tmp, server.port)
    app = Dashboard(tmp, config)
    try:
        deadline = time.monotonic() + 15 + sum(DELAYS.values())
        while len(server.served) < nth and time.monotonic() < deadline:
            assert app.proc.poll() is None, app.out.decode(errors="replace")[-2000:]
            time.sleep(0.02)
        assert len(server.served) >= nth, f"{len(server.served)} answers, not {nth}"
        time.sleep(max(0.0, server.served[nth - 1][0] + after - time.monotonic()))  # the answer's age
        at = time.monotonic()
        if end == "q":
            app.key("q")
        elif end == "hangup":
            app.hang_up()
        else:
            os.kill(app.proc.pid, getattr(signal, end))
        code = app.wait(10)
        took = time.monotonic() - at
        print(f"\n{end}: exited {took:.2f} s after it", end="")
        assert took < 6.5  # the shutdown, or at worst the 5 s watchdog
        stored = exported(tmp, config)
        return code, stored, list(server.served), at, bytes(app.out)
    finally:
        app.kill()
        server.close()


def lost(stored: list[float], served: list[tuple[float, float]], before: float) -> list[float]:
    return [p for t, p in served if t < before and p not in stored]


@pytest.mark.parametrize("end, status", [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130), ("q", 0)])
def test_catchable_signal_and_quit_lose_nothing(tmp_path: Path, end: str, status: int) -> None:
    code, stored, served, at, out = run_case(tmp_path, end)
    missing = lost(stored, served, at - 0.5)
    print(f"\n{end}: served {len(served)}, stored {len(stored)}, lost {len(missing)} (exit {code})")
    # a at 0 s, b at 1.6 s, c at 3.2 s, the signal at 4.2 s: c is only 1.0 s old, so only
    # the signal's own flush can have stored it (and the old 5 s rule stored nothing yet).
    assert len([t for t, _ in served if t < at - 0.5]) >= 3
    assert missing == [], f"{end} lost {missing} of {served}"
    assert code == status
    assert b"\x1b[?1049l" in out  # the terminal was given back (alternate screen left)
    assert b"Traceback" not in out
    log = (tmp_path / "debug.log").read_text()
    assert f"exit status {status}" in log
    if end != "q":
        assert f"{end} received" in log


def test_sigkill_loses_at_most_two_seconds(tmp_path: Path) -> None:
    # a at 0 s, b at 1.6 s, c at 3.2 s, a again at ~5.4 s: killed 2.6 s after b, before any
    # later poll could have written a and b on its way (the old 5 s rule stored nothing here).
    code, stored, served, at, _ = run_case(tmp_path, "SIGKILL", nth=2, after=2.6)
    assert code == -signal.SIGKILL
    missing = lost(stored, served, at - 2.5)
    recent = [p for t, p in served if t >= at - 2.5 and p not in stored]
    print(f"\nSIGKILL: served {len(served)}, stored {len(stored)}, lost older than 2.5 s: {len(missing)}, "
          f"lost in the last 2.5 s: {len(recent)}")
    assert len([t for t, _ in served if t < at - 2.5]) >= 2
    assert missing == [], f"kill -9 lost {missing}, served more than 2.5 s before it ({served})"


def test_terminal_gone_loses_nothing(tmp_path: Path) -> None:
    """An SSH drop: the pty's master closes, the kernel hangs up the session."""
    code, stored, served, at, _ = run_case(tmp_path, "hangup")
    missing = lost(stored, served, at - 0.5)
    print(f"\nhang-up: served {len(served)}, stored {len(stored)}, lost {len(missing)} (exit {code})")
    assert missing == []
    assert code in (129, 128 + signal.SIGHUP)
