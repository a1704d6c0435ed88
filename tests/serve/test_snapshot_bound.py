"""The snapshot a new event client is sent stays a few MB however much the collector keeps:
the newest observations go in it, the rest comes by range from /api/observations, and a
--connect client put together from both mirrors the collector's engine."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from gpurisk.remote import RemoteSession
from gpurisk.serve import collector as collector_mod
from gpurisk.serve.collector import SNAPSHOT_BUDGET, Collector
from gpurisk.session import demo_session

from serve_helpers import collector


def demo():  # type: ignore[no-untyped-def]
    s = demo_session(interval=3600)
    s.setup_alerts()
    return s


def fill(c: Collector, keys: int = 40, per_key: int = 2048, size: int = 300) -> int:
    """A long-running collector's window: ``keys`` x ``per_key`` distinct records."""
    for k in range(keys):
        for i in range(per_key):
            c._keep(f"k{k}", ["PriceQuote", 1.7e9 + i * 60.0, 1.7e9 + i * 60.0, "src", "feed",
                              f'{{"k":{k},"i":{i},"pad":"{"x" * size}"}}'])
    return keys * per_key


async def test_the_snapshot_is_bounded_and_the_rest_comes_by_range() -> None:
    async with collector(demo()) as c, httpx.AsyncClient(timeout=30) as h:
        await asyncio.sleep(0.3)
        n = fill(c.collector) + sum(len(b) for k, b in c.collector._buffer.items() if not k.startswith("k"))
        held = c.collector.held()
        assert len(held) == n and sum(len(r[5]) for r in held) > 20_000_000  # 20+ MB kept
        snap = c.collector.snapshot_event()
        assert len(snap) < SNAPSHOT_BUDGET + 500_000, len(snap)  # measured: about 2 MB, not 20+
        body = json.loads(snap.split(b"data: ", 1)[1])
        older = body["older"]
        assert older["count"] + len(body["observations"]) == n
        # Page back through the rest: each page bounded, together exactly what is kept.
        pages, before, t0 = [], older["before"], time.monotonic()
        while before is not None and len(pages) < 100:
            r = await h.get(f"{c.url}/api/observations", params={"before": repr(before)})
            assert r.status_code == 200 and len(r.content) < SNAPSHOT_BUDGET + 500_000
            page = r.json()
            assert all(rec[1] < before for rec in page["observations"])
            pages.append(page["observations"])
            before = page["more_before"]
        got = [rec for p in reversed(pages) for rec in p] + body["observations"]
        assert got == held and time.monotonic() - t0 < 30
        # A range with both ends, and bad bounds refused.
        lo, hi = held[100][1], held[-100][1]
        r = (await h.get(f"{c.url}/api/observations", params={"since": repr(lo), "before": repr(hi)})).json()
        assert all(lo <= rec[1] < hi for rec in r["observations"])
        for bad in ("nan", "inf", "x", "1" * 50):
            assert (await h.get(f"{c.url}/api/observations", params={"before": bad})).status_code == 400


async def test_a_connected_client_mirrors_the_engine_from_a_small_snapshot_and_pages(monkeypatch) -> None:
    monkeypatch.setattr(collector_mod, "SNAPSHOT_BUDGET", 100_000)  # the demo's 1 MB then needs pages
    async with collector(demo()) as c:
        await asyncio.sleep(0.3)
        snap = c.collector.snapshot_event()
        assert len(snap) < 400_000 and b'"older":{"count":' in snap
        r = RemoteSession(c.url)
        try:
            await r.connect(wait=30)
            assert r.snapshots == 1
            s = c.session
            for name, res in s.snapshot.indicators.items():
                assert r.snapshot.indicators[name].value == res.value, name
            assert set(r.snapshot.prices) == set(s.snapshot.prices)
            assert r.engine.ingested == len(c.collector.held())
        finally:
            await r.aclose()
