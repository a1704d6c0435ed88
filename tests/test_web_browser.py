"""`gpurisk web` in a real headless Chromium (Debian's ``chromium``; CI installs it).

`gpurisk web` starts its own collector here, on a config that adds one live-style feed to
the demo: a CSV index served by a counting HTTP server in this test, polled once an hour.
Two tabs (two `gpurisk --connect` dashboards) must leave that server with exactly the one
request the collector made, and the collector must count two clients.

The browser is driven over the DevTools protocol (a websocket; aiohttp's client): two tabs
load the page, and the test reads what xterm.js holds on screen, i.e. the text the user
sees, not the bytes on the wire. textual-serve keeps its ``Terminal`` in a closure, so a
script injected before the page's own catches it as it is assigned (``this.terminal =
new Terminal(...)``) and keeps a reference for the test.

Also saves ``docs/screenshot-web.png`` (1280x800) when GPURISK_WEB_SCREENSHOT names a path
(the committed one was made that way and looked at).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gpurisk.web import free_port

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs Debian's chromium)"),
              pytest.mark.browser, pytest.mark.slow, pytest.mark.subprocess]

WIDTH, HEIGHT = 1280, 800
BUDGET_S = 90.0  # a bound on the waits for a loaded CI machine; the test takes about 25 s here

HOOK = """
(() => {
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    get() { return undefined; },
    set(v) {
      Object.defineProperty(this, "terminal", {value: v, writable: true, configurable: true, enumerable: true});
      if (v && typeof v.write === "function" && v.buffer) { window.__gpuriskTerm = v; }
    },
  });
})();
"""

SCREEN_TEXT = """
(() => {
  const t = window.__gpuriskTerm;
  if (!t) { return ""; }
  const b = t.buffer.active, out = [];
  for (let i = 0; i < t.rows; i++) {
    const line = b.getLine(b.viewportY + i);
    out.push(line ? line.translateToString(true) : "");
  }
  return out.join("\\n");
})()
"""


class Tab:
    """One page over the DevTools protocol: call a method, get its result (events are skipped)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.n = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.n += 1
        await self.ws.send_json({"id": self.n, "method": method, "params": params})
        while True:
            msg = await self.ws.receive_json(timeout=20)
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    async def text(self) -> str:
        r = await self.call("Runtime.evaluate", expression=SCREEN_TEXT, returnByValue=True)
        return str(r.get("result", {}).get("value") or "")


def _get_json(url: str, method: str = "GET") -> Any:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def _wait_http(url: str, until: float) -> None:
    while time.monotonic() < until:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def _stop(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, wait: float = 15) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            return proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


class Source:
    """A stand-in source: one CSV index, every request counted."""

    CSV = b"date,value\n2026-03-02,1.61\n2026-03-03,1.63\n"

    def __init__(self) -> None:
        self.requests = 0
        source = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                source.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(source.CSV)))
                self.end_headers()
                self.wfile.write(source.CSV)

            def log_message(self, *a: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/idx.csv"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def source():  # type: ignore[no-untyped-def]
    s = Source()
    yield s
    s.close()


def desk_config(path: Path, url: str) -> Path:
    feeds = "".join(f"[feeds.{name}]\n" for name in
                    ("replay", "sample_financials", "sample_customers", "sample_rates", "sample_equity"))
    path.write_text(f"""[feeds.desk_index]
type = "csv"
url = "{url}"
date_column = "date"
value_column = "value"
sku = "H100 SXM"
provider = "DESK-IDX"
interval = 3600
{feeds}""")
    return path


@pytest.fixture
def web_server(tmp_path: Path, source: Source):  # type: ignore[no-untyped-def]
    """`gpurisk web` on a free port with its own collector; yields (page URL, stderr file, process)."""
    port = free_port()
    cfg = desk_config(tmp_path / "desk.toml", source.url)
    env = {**os.environ, "GPURISK_CONFIG": "", "GPURISK_LOG": str(tmp_path / "gpurisk.log"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
    err = open(tmp_path / "web.stderr", "w+b")
    proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "web", "--config", str(cfg), "--no-history",
                             "--port", str(port)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=tmp_path)
    try:
        yield f"http://127.0.0.1:{port}", tmp_path / "web.stderr", proc
    finally:
        code = _stop(proc)
        err.close()
        text = (tmp_path / "web.stderr").read_text(errors="replace")
        assert code == 0, text  # stopped by SIGTERM: a clean exit, its collector stopped too
        m = re.search(r"collector at (http://127\.0\.0\.1:\d+)", text)
        if m:  # the collector is gone with it
            with pytest.raises(OSError):
                urllib.request.urlopen(m.group(1) + "/healthz", timeout=2)


@pytest.fixture
def chromium(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Headless Chromium with the DevTools protocol on a port it picks (read from DevToolsActivePort)."""
    profile = tmp_path / "chromium"
    proc = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--remote-debugging-port=0",
                             f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        marker = profile / "DevToolsActivePort"
        end = time.monotonic() + 20
        while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < end:
            assert proc.poll() is None, "chromium exited at start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{marker.read_text().split()[0]}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: the browser and its helpers
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def _open(session: Any, devtools: str, url: str) -> Tab:
    target = await asyncio.to_thread(_get_json, f"{devtools}/json/new?about:blank", "PUT")
    tab = Tab(await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0))
    await tab.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                   mobile=False)
    await tab.call("Page.enable")
    await tab.call("Page.addScriptToEvaluateOnNewDocument", source=HOOK)
    await tab.call("Page.navigate", url=url)
    return tab


async def _wait_for(tab: Tab, words: tuple[str, ...], until: float) -> str:
    text = ""
    while time.monotonic() < until:
        text = await tab.text()
        if all(w in text for w in words):
            return text
        await asyncio.sleep(0.5)
    raise AssertionError(f"never on the page: {words}; last screen:\n{text}")


def _collector(stderr_path: Path) -> str:
    m = re.search(r"collector at (http://127\.0\.0\.1:\d+)", stderr_path.read_text(errors="replace"))
    assert m, stderr_path.read_text(errors="replace")
    return m.group(1)


async def test_dashboard_in_two_browser_tabs(web_server: Any, chromium: str, source: Source) -> None:
    import aiohttp

    page, stderr_path, proc = web_server
    until = time.monotonic() + BUDGET_S
    await asyncio.to_thread(_wait_http, page, until)
    words = ("DEMO", "GPU rental prices", "Risk indicators", "replay OK")
    async with aiohttp.ClientSession() as session:
        first = await _open(session, chromium, page)
        text = await _wait_for(first, words, until)
        assert "Traceback" not in text
        second = await _open(session, chromium, page)
        text2 = await _wait_for(second, words, until)
        assert "Traceback" not in text2
        shot = os.environ.get("GPURISK_WEB_SCREENSHOT")
        if shot:
            await asyncio.sleep(1.0)  # the last frame drawn
            png = await first.call("Page.captureScreenshot", format="png")
            Path(shot).write_bytes(base64.b64decode(png["data"]))
        health = await asyncio.to_thread(_get_json, _collector(stderr_path) + "/healthz")
        assert health["clients"] == 2  # each tab is a `gpurisk --connect` client of the one collector
        assert source.requests == 1  # ... and none of them polled the source itself
        for tab in (first, second):
            await tab.ws.close()
    assert proc.poll() is None, stderr_path.read_text(errors="replace")
