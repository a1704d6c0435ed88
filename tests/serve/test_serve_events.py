"""The event stream: a snapshot first, resume with Last-Event-ID in and out of the backlog,
a slow client dropped while updates keep flowing, a bounded number of clients."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx

from gpurisk.remote import sse_events
from gpurisk.session import demo_session

from serve_helpers import collector


def demo():  # type: ignore[no-untyped-def]
    s = demo_session(interval=3600)  # the replay's first poll only: the tests make the updates
    s.setup_alerts()
    return s


async def read(h: httpx.AsyncClient, url: str, n: int, last_id: str | None = None) -> list[tuple[str, str, dict]]:
    """The first ``n`` events of a stream (event, id, data)."""
    out = []
    headers = {"Last-Event-ID": last_id} if last_id is not None else {}
    async with h.stream("GET", f"{url}/api/events", headers=headers) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
        async for ev, ident, data in sse_events(r.aiter_bytes()):
            out.append((ev, ident, json.loads(data)))
            if len(out) == n:
                break
    return out


def bump(c) -> int:  # type: ignore[no-untyped-def]
    """One update event (as an acknowledge makes one); returns its seq."""
    assert c.collector.publish(None, c.session.snapshot, [], acked=["test"])
    return c.collector.seq


async def test_snapshot_first_then_resume_in_and_out_of_backlog():
    async with collector(demo(), backlog=5) as c, httpx.AsyncClient(timeout=10) as h:
        await asyncio.sleep(0.5)  # the first round of polls
        [(ev, ident, snap)] = await read(h, c.url, 1)
        assert ev == "snapshot" and int(ident) == c.collector.seq == snap["seq"]
        assert snap["settings"]["company"] == "CRWV" and snap["observations"] and snap["feeds"]
        assert snap["snapshot"]["schema"] == "gpurisk.snapshot/1"
        first = int(ident)
        a, b = bump(c), bump(c)
        # In the backlog: just the missed updates, in order.
        got = await read(h, c.url, 2, last_id=str(first))
        assert [(e, int(i)) for e, i, _ in got] == [("update", a), ("update", b)]
        assert got[0][2]["acknowledged"] == ["test"]
        # Up to date: nothing is resent; the next event is the next update.
        task = asyncio.ensure_future(read(h, c.url, 1, last_id=str(b)))
        await asyncio.sleep(0.3)
        nxt = bump(c)
        assert [(e, int(i)) for e, i, _ in await asyncio.wait_for(task, 10)] == [("update", nxt)]
        # Out of the backlog (5 kept): a snapshot.
        for _ in range(7):
            bump(c)
        [(ev, ident, _)] = await read(h, c.url, 1, last_id=str(first))
        assert ev == "snapshot" and int(ident) == c.collector.seq
        # Nonsense or an id from another run of the collector: a snapshot.
        for bad in ("abc", "-1", "9" * 30, str(c.collector.seq + 10)):
            [(ev, _, _)] = await read(h, c.url, 1, last_id=bad)
            assert ev == "snapshot", bad


async def test_slow_client_is_dropped_and_updates_keep_flowing():
    async with collector(demo(), queue=16) as c, httpx.AsyncClient(timeout=10) as h:
        await asyncio.sleep(0.3)
        # A client that connects and never reads (a tiny receive window).
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.setblocking(False)
        await asyncio.get_running_loop().sock_connect(slow, ("127.0.0.1", c.port))
        await asyncio.get_running_loop().sock_sendall(slow, b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.3)
        assert len(c.collector.clients) == 1
        fast: list[int] = []
        start = c.collector.seq
        n = 1500

        async def reader() -> None:
            async with h.stream("GET", f"{c.url}/api/events", headers={"Last-Event-ID": str(start)}) as r:
                async for _ev, ident, _ in sse_events(r.aiter_bytes()):
                    fast.append(int(ident))
                    if len(fast) == n:
                        return

        task = asyncio.ensure_future(reader())
        await asyncio.sleep(0.3)
        big = [["X", 0.0, 0.0, "s", "f", "p" * 8000]]  # 8 KB an update: the slow socket fills fast
        loop = asyncio.get_running_loop()
        for i in range(n):
            c.collector.publish(None, c.session.snapshot, big, acked=["t"])
            t0 = loop.time()
            while len(fast) < i - 4 and loop.time() - t0 < 5:  # a reader that keeps up (a few behind)
                await asyncio.sleep(0.001)
        await asyncio.wait_for(task, 30)
        assert fast == list(range(start + 1, start + n + 1))  # every update, in order, none lost
        assert c.collector.dropped_clients == 1  # the slow one, not the fast one
        assert len(c.collector.clients) == 1 and all(cl.queue.qsize() <= 16 for cl in c.collector.clients)
        slow.close()


async def test_bounded_number_of_event_clients():
    async with collector(demo(), max_clients=2) as c, httpx.AsyncClient(timeout=10) as h:
        async with h.stream("GET", f"{c.url}/api/events") as r1, h.stream("GET", f"{c.url}/api/events") as r2:
            for r in (r1, r2):  # clients that read (one that does not read gives way: test_hardening.py)
                async for _ in sse_events(r.aiter_bytes()):
                    break
            r = await h.get(f"{c.url}/api/events")
            assert r.status_code == 503 and "too many" in r.text
        await asyncio.sleep(0.2)
        bump(c)  # a closed stream is noticed at the next write (an update, or the heartbeat)
        await asyncio.sleep(0.3)
        assert len(c.collector.clients) == 0


async def test_heartbeat_on_an_idle_stream(monkeypatch):
    from gpurisk.serve import app as app_mod

    monkeypatch.setattr(app_mod, "HEARTBEAT", 0.2)
    async with collector(demo()) as c, httpx.AsyncClient(timeout=10) as h:
        async with h.stream("GET", f"{c.url}/api/events") as r:
            seen = b""
            async for chunk in r.aiter_bytes():
                seen += chunk
                if b": ping\n\n" in seen:
                    break
        assert b": ping" in seen


async def test_new_clients_get_what_the_engine_holds_bounded_and_without_repeats():
    from gpurisk.serve.collector import Collector

    s = demo()
    c = Collector(s, window=3)
    rec = lambda t, p: ["PriceQuote", float(t), 0.0, "s", "f", p]  # noqa: E731
    for t in range(5):
        c._keep("k", rec(t, "a"))
    for _ in range(10):  # the same facts sent again and again: no room taken
        c._keep("k", rec(3, "a"))
        c._keep("k", rec(4, "a"))
    assert [r[1] for r in c.held()] == [2.0, 3.0, 4.0]  # oldest first, the last three distinct
    await s.aclose()
