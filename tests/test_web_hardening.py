"""`gpurisk web` against hostile pages (127.0.0.1 only): screens clamped, tabs bounded, a tab's
dashboard gone within 5 s of its socket (even one that ignores quit and SIGTERM), SIGTERM
ending the server and every child, `--public` needing a token that every page asks for,
and the collector we start never open.

The tab server's own tests run it in this loop with a stand-in dashboard (a script that
speaks just enough of textual-serve's protocol); the rest run `gpurisk web` itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import pytest
from conditions import until

from gpurisk import web
from gpurisk.web_tabs import MAX_HEIGHT, MAX_WIDTH, TAB_STOP_S, clamp_size, make_tab_server

STANDIN = r"""
import json, os, signal, subprocess, sys, time
out = sys.argv[1]
signal.signal(signal.SIGTERM, signal.SIG_IGN)      # a dashboard that will not stop when asked
kid = subprocess.Popen(["sleep", "1000"])           # and leaves a child behind
with open(out + ".tmp", "w") as f:
    json.dump({"pid": os.getpid(), "kid": kid.pid, "cols": os.environ.get("COLUMNS"),
               "rows": os.environ.get("ROWS")}, f)
os.replace(out + ".tmp", out)
sys.stdout.buffer.write(b"__GANGLION__\n")
sys.stdout.buffer.write(b"D" + (5).to_bytes(4, "big") + b"hello")
sys.stdout.flush()
while True:
    time.sleep(1)                                    # never reads its stdin (the "quit")
"""


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(cond: Any, seconds: float, step: float = 0.05) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return bool(cond())


def test_clamp_size() -> None:
    assert clamp_size("9999", "9999") == (MAX_WIDTH, MAX_HEIGHT) == (500, 200)
    assert clamp_size("-5", "0") == (20, 5)
    assert clamp_size("abc", None) == (80, 24)
    assert clamp_size("1" * 5000, "30") == (500, 30)
    assert clamp_size(120, 40) == (120, 40)


@contextlib.asynccontextmanager
async def tab_server(tmp_path: Path, max_tabs: int = 8) -> AsyncIterator[tuple[str, Any, list[str]]]:
    from aiohttp import web as aweb

    said: list[str] = []
    cmd = shlex.join([sys.executable, "-c", STANDIN, str(tmp_path / "tab")])
    server = make_tab_server(cmd, "127.0.0.1", 0, "http://127.0.0.1:0", max_tabs=max_tabs, say=said.append)
    app = await server._make_app()
    runner = aweb.AppRunner(app, shutdown_timeout=TAB_STOP_S + 1)
    await runner.setup()
    site = aweb.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", server, said
    finally:
        await asyncio.wait_for(runner.cleanup(), 20)


def standin_info(tmp_path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((tmp_path / "tab").read_text())
    except (OSError, ValueError):
        return None


@pytest.mark.subprocess
@pytest.mark.serial
async def test_a_huge_screen_is_clamped_and_a_closed_tab_is_gone_within_5_s(tmp_path: Path) -> None:
    async with tab_server(tmp_path) as (url, server, _), aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{url}/ws?width=9999&height=9999")
        info: dict[str, Any] | None = None
        try:
            assert await until(lambda: standin_info(tmp_path) is not None, 30)
            info = standin_info(tmp_path)
            assert info is not None and (info["cols"], info["rows"]) == ("500", "200")
            msg = await ws.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.BINARY and msg.data == b"hello"
            sent: list[Any] = []
            (tab,) = server.tabs

            async def spy(data: Any) -> bool:
                sent.append(data)
                return True

            tab.send_meta = spy
            await ws.send_str(json.dumps(["resize", {"width": 100000, "height": 70000}]))
            assert await until(lambda: sent, 5)
            assert sent[0] == {"type": "resize", "width": 500, "height": 200}
            del tab.send_meta
        finally:
            await ws.close()
        t0 = time.monotonic()
        assert info is not None
        # it ignores the quit and SIGTERM; it and its child are gone within 5 s all the same
        assert await until(lambda: not alive(info["pid"]) and not alive(info["kid"]), TAB_STOP_S + 1)
        assert time.monotonic() - t0 < TAB_STOP_S
        assert await until(lambda: not server.tabs, 2)


@pytest.mark.subprocess
async def test_tabs_are_bounded_and_one_more_is_told_why(tmp_path: Path) -> None:
    async with tab_server(tmp_path, max_tabs=1) as (url, server, said), aiohttp.ClientSession() as http:
        first = await http.ws_connect(f"{url}/ws?width=80&height=24")
        try:
            assert await until(lambda: standin_info(tmp_path) is not None, 30)
            extra = await http.ws_connect(f"{url}/ws?width=80&height=24")
            msg = await extra.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.BINARY and b"tabs are open" in msg.data and b"--max-tabs" in msg.data
            closing = await extra.receive(timeout=10)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert len(server.tabs) == 1
            assert any("a tab was refused" in s for s in said)
        finally:
            await first.close()
        info = standin_info(tmp_path)
        assert info is not None and await until(lambda: not alive(info["pid"]), TAB_STOP_S + 1)


@pytest.mark.subprocess
@pytest.mark.serial
async def test_stopping_the_server_stops_stuck_tabs(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        async with tab_server(tmp_path) as (url, server, _):
            ws = await http.ws_connect(f"{url}/ws")
            assert await until(lambda: standin_info(tmp_path) is not None, 30)
            t0 = time.monotonic()
        assert time.monotonic() - t0 < TAB_STOP_S + 2  # runner.cleanup() above: bounded
        info = standin_info(tmp_path)
        assert info is not None
        # the group was killed during cleanup; the kernel may take a moment to end a grandchild
        assert wait_for(lambda: not alive(info["pid"]) and not alive(info["kid"]), 2.0), info
        await ws.close()


# --- gpurisk web itself ---------------------------------------------------------------------

def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "GPURISK_CONFIG": "", "GPURISK_LOG": str(tmp_path / "gpurisk.log"),
            "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"), **extra}


@pytest.mark.subprocess
def test_public_without_a_token_exits_2_with_one_line(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "127.0.0.1"):
        p = subprocess.run([sys.executable, "-m", "gpurisk", "web", "--host", host, "--public"], capture_output=True,
                           text=True, timeout=60, env=_env(tmp_path))
        assert p.returncode == 2, p.stderr
        assert p.stderr.count("\n") == 1 and "--public needs a token" in p.stderr and "--token-env" in p.stderr
        assert "Traceback" not in p.stderr and p.stdout == ""


def _start_web(tmp_path: Path, *args: str,
               env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = web.free_port()
    err = tmp_path / "web.stderr"
    with open(err, "wb") as errf:
        proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "web", "--no-history", "--port", str(port), *args],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf,
                                env=env or _env(tmp_path), cwd=tmp_path, start_new_session=True)
    ok = wait_for(lambda: "the dashboard is at" in err.read_text(errors="replace") or proc.poll() is not None, 90)
    assert ok and proc.poll() is None, err.read_text(errors="replace")
    return proc, port, err


def _tree(pid: int) -> list[psutil.Process]:
    try:
        return [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _end(proc: subprocess.Popen[bytes], procs: list[psutil.Process]) -> None:
    """Whatever is left of the tree (children run in sessions of their own): killed. By psutil
    handles taken while they ran, never by a bare number: a PID that ended may already be another
    process (another test's, on a busy machine), and psutil refuses to signal a reused PID."""
    procs = [*procs, *_tree(proc.pid)]
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.kill()


@pytest.mark.subprocess
def test_our_collector_is_loopback_only_and_wants_a_token(tmp_path: Path) -> None:
    proc, port, err = _start_web(tmp_path)
    procs = _tree(proc.pid)
    try:
        url = re.search(r"collector at (http://127\.0\.0\.1:\d+)", err.read_text()).group(1)  # type: ignore[union-attr]
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(url + "/api/snapshot", timeout=5)
        assert denied.value.code == 401
        lines = [" ".join(p.cmdline()) for p in _tree(proc.pid)]
        serve = [ln for ln in lines if " serve " in ln]
        assert serve and "--host 127.0.0.1" in serve[0] and f"--token-env {web.OWN_TOKEN_ENV}" in serve[0]
        (child,) = [p for p in _tree(proc.pid) if " serve " in " ".join(p.cmdline())]
        token = child.environ().get(web.OWN_TOKEN_ENV, "")
        assert len(token) >= 32 and not [ln for ln in lines if token in ln]
        assert token not in err.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(30) == 0
        finally:
            _end(proc, procs)


@pytest.mark.slow
@pytest.mark.subprocess
async def test_public_pages_need_the_token_and_sigterm_ends_tabs_and_all(tmp_path: Path) -> None:
    token = "page-token-" + "y" * 24
    proc, port, err = _start_web(tmp_path, "--public", "--token-env", "GPURISK_TEST_PAGE_TOKEN", "--max-tabs", "2",
                                 env=_env(tmp_path, GPURISK_TEST_PAGE_TOKEN=token))
    base = f"http://127.0.0.1:{port}"
    procs = _tree(proc.pid)
    try:
        async with aiohttp.ClientSession() as anon:
            r = await anon.get(f"{base}/")
            assert r.status == 401 and "token" in await r.text()
            with pytest.raises(aiohttp.WSServerHandshakeError) as denied:
                await anon.ws_connect(f"{base}/ws?width=80&height=24")
            assert denied.value.status == 401
            r = await anon.get(f"{base}/?token=wrong")
            assert r.status == 401
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # a browser's jar
            r = await http.get(f"{base}/?token={token}")
            assert r.status == 200 and "gpurisk" in await r.text()
            ws = await http.ws_connect(f"{base}/ws?width=9999&height=9999")  # the cookie lets it in
            end = time.monotonic() + 90
            while time.monotonic() < end:
                tabs = [p for p in _tree(proc.pid) if "--connect" in " ".join(p.cmdline())]
                if tabs:
                    break
                await asyncio.sleep(0.2)
            assert tabs, err.read_text(errors="replace")
            assert tabs[0].environ()["COLUMNS"] == "500" and tabs[0].environ()["ROWS"] == "200"
            msg = await ws.receive(timeout=60)
            assert msg.type == aiohttp.WSMsgType.BINARY
            procs = _tree(proc.pid)
            pids = [p.pid for p in procs]
            assert len(pids) >= 3  # web, its collector, a tab
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)  # a tab open: the server still ends, and all its children
            code = await asyncio.get_running_loop().run_in_executor(None, proc.wait, 30)
            assert code == 0 and time.monotonic() - t0 < 20, err.read_text(errors="replace")
            assert wait_for(lambda: not any(alive(p) for p in pids), 5)
    finally:
        _end(proc, procs)
    text = err.read_text(errors="replace")
    assert token not in text and "collector stopped (exit status 0)" in text
