"""`gpurisk web` without a browser: its refusals, the commands it builds, the collector it
starts and stops, and the bell that must never leave Textual's output stream.

textual-serve reads a tab's stdout as a byte protocol: a line ``__GANGLION__`` first, then
packets ``D``/``M``/``P`` + 4-byte length + payload. A single raw byte written outside the
driver (the alert bell used to write ``\\a`` to stdout) breaks the page: before the marker
the tab never starts, after it the packet framing is lost.
"""

from __future__ import annotations

import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gpurisk import web

ROOT = Path(__file__).resolve().parent.parent
MARKER = b"__GANGLION__\n"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "GPURISK_CONFIG": "", "GPURISK_LOG": str(tmp_path / "gpurisk.log"),
            "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"), **extra}


def _args(**kw: object) -> types.SimpleNamespace:
    base = dict(config=None, live=False, no_history=True, log=None, connect=None, token_env=None,
                host="127.0.0.1", port=8000, public=False)
    base.update(kw)
    return types.SimpleNamespace(**base)


# --- refusals ----------------------------------------------------------------------

@pytest.mark.subprocess
def test_non_loopback_host_needs_public(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "gpurisk", "web", "--host", "0.0.0.0"], capture_output=True,
                          text=True, timeout=60, env=_env(tmp_path))
    assert proc.returncode == 2
    assert "--host 0.0.0.0" in proc.stderr and "no login" in proc.stderr and "--public" in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("host,loop", [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.3.4.5", True),
                                       ("0.0.0.0", False), ("::", False), ("10.0.0.2", False), ("desk.example", False)])
def test_loopback(host: str, loop: bool) -> None:
    assert web.is_loopback(host) is loop


def test_public_flag_allows_it_and_token_must_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(web.WebError, match="--public needs a token"):  # test_web_hardening.py
        web.check_args(_args(host="0.0.0.0", public=True))
    monkeypatch.setenv("GPURISK_TEST_TOKEN", "s3cret-value")
    assert web.check_args(_args(host="0.0.0.0", public=True, token_env="GPURISK_TEST_TOKEN")) == "s3cret-value"
    monkeypatch.delenv("GPURISK_TEST_TOKEN", raising=False)
    with pytest.raises(web.WebError, match="GPURISK_TEST_TOKEN: that environment variable is not set"):
        web.check_args(_args(token_env="GPURISK_TEST_TOKEN"))
    monkeypatch.setenv("GPURISK_TEST_TOKEN", "s3cret-value")
    assert web.check_args(_args(token_env="GPURISK_TEST_TOKEN")) == "s3cret-value"
    with pytest.raises(web.WebError, match="not an http"):
        web.check_args(_args(connect="file:///etc/passwd"))


@pytest.mark.subprocess
@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_bad_port_is_a_usage_error(port: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "gpurisk", "web", "--port", port], capture_output=True, text=True,
                          timeout=60, env=_env(tmp_path))
    assert proc.returncode == 2 and "--port" in proc.stderr


# --- the commands it builds ------------------------------------------------------------

def test_tab_command_is_quoted_and_carries_the_token_name_not_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_TOKEN", "s3cret-value")
    cmd = web.tab_command("http://127.0.0.1:8765/x y;rm -rf ~", "DESK_TOKEN")
    argv = shlex.split(cmd)  # textual-serve runs it through a shell: one word per argument
    assert argv[:3] == [sys.executable, "-m", "gpurisk"]
    assert argv[3:] == ["--connect", "http://127.0.0.1:8765/x y;rm -rf ~", "--token-env", "DESK_TOKEN"]
    assert "s3cret-value" not in cmd


def test_a_tab_gets_the_config_file_for_its_layout(tmp_path: Path) -> None:
    """A tab is `gpurisk --connect`, which lays its panels out by its own config's [layout]:
    the file given to `web` goes with it, as an absolute path (the tab's shell may start elsewhere)."""
    cfg = tmp_path / "my desk.toml"
    argv = shlex.split(web.tab_command("http://127.0.0.1:8765", None, str(cfg)))
    assert argv[3:] == ["--config", str(cfg.resolve()), "--connect", "http://127.0.0.1:8765"]
    assert "--config" not in shlex.split(web.tab_command("http://127.0.0.1:8765", None))
    home = shlex.split(web.tab_command("http://127.0.0.1:8765", None, "~/desk.toml"))  # as load_config reads it
    assert home[4] == str(Path("~/desk.toml").expanduser())


def test_collector_argv_keeps_the_data_options(tmp_path: Path) -> None:
    cfg = tmp_path / "desk.toml"
    argv = web.collector_argv(_args(config=str(cfg), live=True, token_env="DESK_TOKEN"), 4321)
    assert argv[:3] == [sys.executable, "-m", "gpurisk"]
    rest = argv[3:]
    assert rest[rest.index("--config") + 1] == str(cfg) and "--live" in rest and "--no-history" in rest
    assert rest[rest.index("serve"):] == ["serve", "--host", "127.0.0.1", "--port", "4321",
                                          "--token-env", "DESK_TOKEN"]
    home = web.collector_argv(_args(config="~/desk.toml", log="~/g.log"), 4321)  # the child starts elsewhere
    assert home[home.index("--config") + 1] == str(Path("~/desk.toml").expanduser())
    assert home[home.index("--log") + 1] == str(Path("~/g.log").expanduser())


def test_free_port_is_bindable() -> None:
    port = web.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_public_url_of_a_wildcard_bind_names_the_machine() -> None:
    assert web.public_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert web.public_url("::1", 8000) == "http://[::1]:8000"
    assert web.public_url("0.0.0.0", 8000) != "http://0.0.0.0:8000"


@pytest.mark.subprocess
def test_importing_web_stays_light() -> None:
    code = "import gpurisk.web, sys; print(sorted(m for m in ('textual', 'textual_serve', 'aiohttp', 'httpx') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


# --- the bell ------------------------------------------------------------------------

def test_the_dashboards_bell_writes_nothing_before_the_app_takes_it(monkeypatch: pytest.MonkeyPatch,
                                                                   capfd: pytest.CaptureFixture[str]) -> None:
    """The sink's bell until tui/app.py installs Notices.ring: silent, not a raw BEL on stdout."""
    import tui.app
    from gpurisk.cli import run_dashboard
    from gpurisk.config import load_config

    seen: dict[str, object] = {}

    def fake_run(session: object, **kw: object) -> int:
        seen["session"] = session
        return 0

    monkeypatch.setattr(tui.app, "run_dashboard", fake_run)
    cfg = load_config(None, live=False)
    cfg.history = False
    assert run_dashboard(cfg) == 0
    sink = seen["session"].alert_sink  # type: ignore[attr-defined]
    assert sink.bell is True  # the config's bell = true still rings, through the app
    capfd.readouterr()
    sink.bell_fn()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def _read_for(proc: subprocess.Popen[bytes], seconds: float) -> bytes:
    buf = b""
    end = time.monotonic() + seconds
    fd = proc.stdout.fileno()  # type: ignore[union-attr]
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
    return buf


def packets(stream: bytes) -> list[tuple[bytes, bytes]]:
    """textual-serve's framing of what follows the marker; raises on any byte outside a packet."""
    out = []
    i = 0
    while i < len(stream):
        kind = stream[i:i + 1]
        assert kind in (b"D", b"M", b"P"), f"stray byte {kind!r} at {i} after the marker: {stream[i:i + 40]!r}"
        if i + 5 > len(stream):
            break  # cut mid-header by our read window
        size = int.from_bytes(stream[i + 1:i + 5], "big")
        out.append((kind, stream[i + 5:i + 5 + size]))
        i += 5 + size
    return out


@pytest.mark.slow
@pytest.mark.subprocess
def test_demo_under_the_web_driver_starts_with_the_marker_and_only_packets_follow(tmp_path: Path) -> None:
    """The demo fires alerts in its first polls (7 FIRING at start). Run it as textual-serve
    does and read its stdout: the marker is the first byte, then nothing but packets."""
    env = _env(tmp_path, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver", COLUMNS="120", ROWS="40",
               TEXTUAL_COLOR_SYSTEM="truecolor", TERM_PROGRAM="textual")
    proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "--no-history"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        stream = _read_for(proc, 8.0)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert stream.startswith(MARKER), f"before the marker: {stream[:80]!r}"
    data = b"".join(p for k, p in packets(stream[len(MARKER):]) if k == b"D").decode("utf-8", "replace")
    assert "DEMO" in data and "Risk indicators" in data  # the dashboard was drawn, through the driver


# --- the collector child ------------------------------------------------------------------

@pytest.mark.subprocess
def test_collector_that_exits_early_is_reported(tmp_path: Path) -> None:
    c = web.Collector(_args(), None)
    c.argv = [sys.executable, "-c", "import sys; sys.exit(3)"]
    with pytest.raises(web.WebError, match="exited with status 3") as info:
        c.start(wait_s=20)
    assert info.value.code == 1


@pytest.mark.subprocess
def test_collector_is_stopped_with_sigterm_and_waited_for(tmp_path: Path) -> None:
    """A stand-in collector: answers /healthz, exits 0 on SIGTERM after writing a file."""
    done = tmp_path / "flushed"
    script = f"""
import http.server, signal, sys, threading
def stop(*a):
    open({str(done)!r}, "w").write("ok"); sys.exit(0)
signal.signal(signal.SIGTERM, stop)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
signal.pause()
"""
    c = web.Collector(_args(), None)
    c.argv = [sys.executable, "-c", script, str(c.port)]
    c.start(wait_s=20)
    with urllib.request.urlopen(c.url + "/healthz", timeout=5) as resp:
        assert resp.status == 200
    assert c.stop() == 0
    assert done.read_text() == "ok"


# --- the whole chain without a browser: web -> collector child -> a tab over the websocket ---------

@pytest.mark.slow
@pytest.mark.subprocess
async def test_a_tab_reaches_a_token_collector_and_the_token_is_on_no_command_line(tmp_path: Path) -> None:
    """`gpurisk web --token-env NAME`: its collector requires the token on every request but
    /healthz; a tab (opened as the page does, over /ws) draws the dashboard, so the token reached
    it, through the environment: no process of the tree has it in its command line."""
    import asyncio

    import aiohttp
    import psutil
    import pyte

    token = "desk-token-" + "x" * 24
    port = web.free_port()
    env = _env(tmp_path, GPURISK_TEST_DESK_TOKEN=token)
    err = tmp_path / "web.stderr"
    with open(err, "wb") as errf:
        proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "web", "--no-history", "--port", str(port),
                                 "--token-env", "GPURISK_TEST_DESK_TOKEN"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=errf, env=env, cwd=tmp_path)
    try:
        screen = ""
        end = time.monotonic() + 90  # a bound for a loaded CI machine; about 10 s here
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=120&height=40")
                    break
                except aiohttp.ClientError:
                    assert proc.poll() is None and time.monotonic() < end, err.read_text(errors="replace")
                    await asyncio.sleep(0.2)
            term = pyte.Screen(120, 40)
            stream = pyte.ByteStream(term)
            while not ("Risk indicators" in screen and "DEMO" in screen) and time.monotonic() < end:
                try:
                    msg = await ws.receive(timeout=max(0.1, end - time.monotonic()))
                except TimeoutError:
                    break
                if msg.type == aiohttp.WSMsgType.BINARY:
                    stream.feed(msg.data)
                    screen = "\n".join(term.display)
                elif msg.type != aiohttp.WSMsgType.TEXT:
                    break
            assert "Risk indicators" in screen and "DEMO" in screen, (screen, err.read_text(errors="replace"))
            lines = []
            for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
                try:
                    lines.append(" ".join(p.cmdline()))
                except psutil.Error:  # gone meanwhile (a shell that exec'd, say)
                    pass
            assert any(" serve " in line and "--token-env GPURISK_TEST_DESK_TOKEN" in line for line in lines)
            assert any("--connect http://127.0.0.1:" in line for line in lines), lines
            assert not [line for line in lines if token in line]
            collector = re.search(r"collector at (http://127\.0\.0\.1:\d+)", err.read_text()).group(1)  # type: ignore[union-attr]
            with pytest.raises(urllib.error.HTTPError) as denied:
                urllib.request.urlopen(collector + "/api/snapshot", timeout=5)
            assert denied.value.code == 401  # the tab got in with the token, not because there was none
            await ws.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    text = err.read_text(errors="replace")
    assert code == 0, text
    assert "collector stopped (exit status 0)" in text
    assert token not in text


@pytest.mark.subprocess
def test_a_taken_port_fails_fast_without_starting_a_collector(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "gpurisk", "web", "--no-history", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, env=_env(tmp_path))
    assert proc.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in proc.stderr and "collector" not in proc.stderr


@pytest.mark.subprocess
def test_a_collector_that_dies_is_reported_and_the_server_keeps_going(tmp_path: Path) -> None:
    import psutil

    port = web.free_port()
    err = tmp_path / "web.stderr"
    with open(err, "wb") as errf:
        proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "web", "--no-history", "--port", str(port)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf,
                                env=_env(tmp_path), cwd=tmp_path)
    try:
        end = time.monotonic() + 90
        while "the dashboard is at" not in err.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < end, err.read_text(errors="replace")
            time.sleep(0.2)
        (child,) = [p for p in psutil.Process(proc.pid).children() if "serve" in p.cmdline()]
        child.kill()
        while "the collector exited" not in err.read_text(errors="replace"):
            assert time.monotonic() < end, err.read_text(errors="replace")
            time.sleep(0.2)
        assert proc.poll() is None  # the page still answers; its tabs show DISCONNECTED
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            assert resp.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    assert code == 0
    assert "the collector exited (status -9)" in err.read_text()
