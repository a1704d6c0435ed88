"""`gpurisk serve` against hostile clients (127.0.0.1 only): the Authorization scheme in any
case, headers and bodies within a time limit, connections capped in total and per address
(idle ones give way), clients that never read evicted and their sockets closed, and
half-open connections beyond a lowered file limit leaving /healthz up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conditions import until

from gpurisk.remote import sse_events
from gpurisk.session import demo_session

TOKEN = "t" * 24


def demo() -> Any:
    s = demo_session(interval=3600)
    s.setup_alerts()
    return s


class Run:
    def __init__(self, port: int, guard: Any, collector: Any) -> None:
        self.port, self.guard, self.collector = port, guard, collector
        self.url = f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def running(token: str | None = None, max_clients: int | None = None, **limits: Any) -> AsyncIterator[Run]:
    """The collector in this loop with a Guard of the given limits."""
    from gpurisk.serve import collector as mod
    from gpurisk.serve.guard import Guard
    from gpurisk.serve.run import serve

    made: list[Any] = []
    real = mod.Collector

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, s: Any) -> None:
            super().__init__(s, **({"max_clients": max_clients} if max_clients else {}))
            made.append(self)

    guard = Guard(**limits)
    stop = asyncio.Event()
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    mod.Collector = Spy
    try:
        task = asyncio.ensure_future(serve(demo(), "127.0.0.1", 0, token, ready=ready.set_result, stop=stop,
                                           guard=guard))
        await asyncio.wait([ready, task], timeout=10, return_when=asyncio.FIRST_COMPLETED)
        assert ready.done(), "the collector did not start"
    finally:
        mod.Collector = real
    try:
        yield Run(ready.result(), guard, made[0])
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def open_raw(port: int, data: bytes = b"", source: str = "127.0.0.1", rcvbuf: int | None = None) -> socket.socket:
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((source, 0))
    s.setblocking(False)
    await asyncio.get_running_loop().sock_connect(s, ("127.0.0.1", port))
    if data:
        await asyncio.get_running_loop().sock_sendall(s, data)
    return s


async def closed_by_peer(s: socket.socket, seconds: float) -> bool:
    """True once the server closed ``s`` (EOF or reset), reading away whatever it sent."""
    loop = asyncio.get_running_loop()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(s, 65536), max(0.01, end - time.monotonic()))
        except TimeoutError:
            return False
        except OSError:
            return True
        if not chunk:
            return True
    return False


# --- the Authorization scheme ---------------------------------------------------------------

async def test_bearer_scheme_is_case_insensitive_the_token_is_not() -> None:
    async with running(token=TOKEN) as r, httpx.AsyncClient(timeout=10) as h:
        for scheme in ("Bearer", "bearer", "BEARER", "bEaReR"):
            got = await h.get(f"{r.url}/api/snapshot", headers={"Authorization": f"{scheme} {TOKEN}"})
            assert got.status_code == 200, scheme
        for bad in (f"Bearer {TOKEN.upper()}", f"Basic {TOKEN}", TOKEN, f"Bearer{TOKEN}", ""):
            got = await h.get(f"{r.url}/api/snapshot", headers={"Authorization": bad})
            assert got.status_code == 401, bad


# --- time limits ----------------------------------------------------------------------------

@pytest.mark.serial
async def test_headers_must_arrive_within_the_timeout() -> None:
    async with running(header_timeout=0.5) as r:
        silent = await open_raw(r.port)
        trickle = await open_raw(r.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never ends its headers
        try:
            t0 = time.monotonic()
            assert await closed_by_peer(silent, 5) and await closed_by_peer(trickle, 5)
            assert time.monotonic() - t0 < 4
            assert r.guard.counts["header_timeout"] >= 2
            assert await until(lambda: r.guard.stats()["open"] == 0, 3)
        finally:
            silent.close()
            trickle.close()


async def test_keep_alive_idle_is_closed_and_a_request_is_not_cut() -> None:
    async with running(header_timeout=0.5) as r:
        s = await open_raw(r.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            loop = asyncio.get_running_loop()
            first = await asyncio.wait_for(loop.sock_recv(s, 65536), 5)
            assert first.startswith(b"HTTP/1.1 200")
            assert await closed_by_peer(s, 5)  # idle after its answer: closed
        finally:
            s.close()


@pytest.mark.serial
async def test_a_body_must_arrive_within_the_timeout() -> None:
    async with running(body_timeout=0.5) as r:
        s = await open_raw(r.port, b"POST /api/ack HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: 100\r\n\r\n{\"rule\":")
        try:
            loop = asyncio.get_running_loop()
            t0 = time.monotonic()
            got = await asyncio.wait_for(loop.sock_recv(s, 65536), 5)
            assert got.startswith(b"HTTP/1.1 408") and time.monotonic() - t0 < 3
            assert r.guard.counts["body_timeout"] == 1
        finally:
            s.close()


# --- connection caps ------------------------------------------------------------------------

@pytest.mark.serial
async def test_caps_per_address_and_in_total_idle_ones_give_way() -> None:
    async with running(max_total=12, max_per_addr=6, header_timeout=60) as r, \
            httpx.AsyncClient(timeout=5) as h:
        socks = [await open_raw(r.port) for _ in range(20)]  # 127.0.0.1: only 6 are kept at a time
        socks += [await open_raw(r.port, source="127.0.0.2") for _ in range(4)]
        try:
            assert await until(lambda: r.guard.stats()["open"] == 10, 5), r.guard.stats()
            assert r.guard.per_addr == {"127.0.0.1": 6, "127.0.0.2": 4}
            assert r.guard.counts["evicted"] >= 14
            t0 = time.monotonic()
            hz = await h.get(f"{r.url}/healthz")  # at the per-address cap: an idle one gives way
            assert hz.status_code == 200 and time.monotonic() - t0 < 1
            assert hz.json()["connections"]["limit"] == 12
            assert r.guard.stats()["open"] <= 12
        finally:
            for s in socks:
                s.close()


@pytest.mark.serial
async def test_never_reading_event_clients_give_way_and_their_sockets_close() -> None:
    async with running(max_clients=3, header_timeout=60) as r, httpx.AsyncClient(timeout=5) as h:
        hogs = [await open_raw(r.port, b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n", rcvbuf=4096)
                for _ in range(3)]
        try:
            assert await until(lambda: len(r.collector.clients) == 3, 5)
            for _ in range(3):  # each reader takes the place of one that does not read
                t0 = time.monotonic()
                async with h.stream("GET", f"{r.url}/api/events") as resp:
                    assert resp.status_code == 200
                    async for ev, _, _ in sse_events(resp.aiter_bytes()):
                        assert ev == "snapshot"
                        break
                assert time.monotonic() - t0 < 3
            for s in hogs:
                assert await closed_by_peer(s, 10)
            assert r.collector.dropped_clients >= 3
            assert await until(lambda: r.guard.stats()["open"] <= 1, 5), r.guard.stats()
        finally:
            for s in hogs:
                s.close()


async def test_an_idle_event_client_that_does_not_read_is_dropped_at_the_heartbeat(monkeypatch: Any) -> None:
    from gpurisk.serve import app as app_mod

    monkeypatch.setattr(app_mod, "HEARTBEAT", 0.3)
    async with running(header_timeout=60) as r:
        hog = await open_raw(r.port, b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n", rcvbuf=4096)
        try:
            assert await until(lambda: len(r.collector.clients) == 1, 5)
            assert await until(lambda: not r.collector.clients, 5)  # no pressure needed
            assert await until(lambda: r.guard.stats()["open"] == 0, 5), r.guard.stats()
            assert await closed_by_peer(hog, 5)
        finally:
            hog.close()


# --- the file limit, as a process -----------------------------------------------------------

@pytest.mark.subprocess
@pytest.mark.serial
def test_half_open_connections_beyond_a_lowered_file_limit_leave_healthz_up(tmp_path: Any) -> None:
    """256 descriptors for the process, 300 connections that never send a byte: /healthz
    still answers within 1 s, and the limit is logged."""
    def low_limit() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    env = {**os.environ, "GPURISK_CONFIG": "", "GPURISK_LOG": str(tmp_path / "debug.log"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
    err = tmp_path / "stderr"
    with open(err, "wb") as errf:
        proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "--no-history", "serve", "--port", "0"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf, env=env,
                                preexec_fn=low_limit)
    socks: list[socket.socket] = []
    try:
        end = time.monotonic() + 60
        port = None
        while port is None:
            assert proc.poll() is None and time.monotonic() < end, err.read_text(errors="replace")
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)$", err.read_text(errors="replace"), re.M)
            port = int(m.group(1)) if m else None
            time.sleep(0.05)
        for _ in range(300):
            s = socket.socket()
            s.settimeout(5)
            s.connect(("127.0.0.1", port))
            socks.append(s)
        time.sleep(0.5)  # let the server accept them all (the check below is the assertion)
        for _ in range(3):
            t0 = time.monotonic()
            got = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0)
            assert got.status_code == 200 and time.monotonic() - t0 < 1.0
        conns = got.json()["connections"]
        assert conns["limit"] < 256 and conns["open"] <= conns["limit"]
        assert "idle connection from 127.0.0.1 closed to make room" in err.read_text(errors="replace")
    finally:
        for s in socks:
            s.close()
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_systemd_unit_raises_the_file_limit_above_the_connection_cap() -> None:
    from pathlib import Path

    from gpurisk.serve.guard import MAX_CONNECTIONS, default_limits

    unit = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "gpurisk-serve.service"
    lines = [ln.strip() for ln in unit.read_text(encoding="utf-8").splitlines()]
    (limit,) = [int(ln.split("=", 1)[1]) for ln in lines if ln.startswith("LimitNOFILE=")]
    total, per = default_limits(limit)
    assert total == MAX_CONNECTIONS and total < limit and per <= total
    assert default_limits(1024)[0] < 1024 and default_limits(256)[0] < 256
