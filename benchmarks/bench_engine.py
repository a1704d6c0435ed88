"""Engine speed and memory, printed as figures (not a test).

    python benchmarks/bench_engine.py [--quick]

Measures, on this machine:
1. ingest + recompute per update on the sample data set (one replay tick = one batch);
2. one changed price, one new filing, and a full recompute, with 10 SKUs × 6 tiers
   and 10,000 points of history per series;
3. scenario evaluation time;
4. RSS after 1,000 and after 100,000 single-price updates (memory must stay flat).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from engine.engine import Engine
from engine.observations import FinancialFact, PriceQuote

T0 = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime.now(UTC)


def stats(samples: list[float]) -> str:
    s = sorted(samples)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
    return f"median {statistics.median(s) * 1e6:8.1f} µs   p99 {p99 * 1e6:8.1f} µs   (n={len(s)})"


def quote(sku: str, tier: str, provider: str, price: float, t: datetime) -> PriceQuote:
    return PriceQuote(as_of=t, fetched_at=NOW, source="bench", sku=sku, tier=tier, provider=provider, price=price)


def demo_batches(ticks: int = 400) -> tuple[list, list[list]]:
    """Observations of the demo feeds: (financials, customers, rates, assumptions), replay batches."""
    from gpurisk.session import demo_session

    session = demo_session(history=False)
    static: list = []
    batches: list[list] = []

    async def go() -> None:
        for name in session.feed_names():
            if name != "replay":
                static.extend(await session.runner.poll(name))
        for _ in range(ticks):
            batches.append(await session.runner.poll("replay"))

    asyncio.run(go())
    return static, batches


def sample_engine() -> tuple[Engine, list[list]]:
    static, batches = demo_batches()
    engine = Engine()
    engine.ingest(static)
    return engine, batches


def bench_sample() -> None:
    print("== 1. sample data: one replay tick (all quotes of one day) per update")
    engine, batches = sample_engine()
    warm, ticks = batches[0], batches[1:]
    engine.ingest(warm)
    times = []
    for b in ticks:
        t = time.perf_counter()
        engine.ingest(b)
        times.append(time.perf_counter() - t)
    n = statistics.mean(len(b) for b in ticks)
    print(f"   ingest+recompute  {stats(times)}   ~{n:.0f} quotes per tick, {len(engine.indicators)} indicators")


def big_engine(points: int) -> Engine:
    skus = [f"SKU{i}" for i in range(8)] + ["H100 SXM", "GB200"]
    tiers = ["marketplace", "neocloud_list", "hyperscaler_list", "index", "tier5", "tier6"]
    engine = Engine(capacity=points)
    static, _ = demo_batches(ticks=0)
    engine.ingest(static)
    for k in range(points):
        t = T0 + timedelta(hours=k)
        engine.ingest([quote(sku, tier, "p", 2.0 + (k % 97) / 100, t) for sku in skus for tier in tiers])
    return engine


def bench_big(points: int) -> None:
    print(f"== 2. 10 SKUs × 6 tiers × {points:,} points of history per series")
    t = time.perf_counter()
    engine = big_engine(points)
    print(f"   (building the history took {time.perf_counter() - t:.1f} s)")
    last = T0 + timedelta(hours=points)
    one, filing, full = [], [], []
    for k in range(2000):
        ts = last + timedelta(minutes=k + 1)
        t = time.perf_counter()
        engine.ingest([quote("H100 SXM", "marketplace", "p", 1.5 + (k % 13) / 100, ts)])
        one.append(time.perf_counter() - t)
    for k in range(200):
        f = FinancialFact(as_of=NOW, fetched_at=NOW, source="bench filing", company="CRWV", metric="cash",
                          value=1.3e9 + k, period_end=date(2025, 3, 31))
        t = time.perf_counter()
        engine.ingest([f])
        filing.append(time.perf_counter() - t)
    for _ in range(200):
        t = time.perf_counter()
        engine.recompute_all()
        full.append(time.perf_counter() - t)
    print(f"   one changed price  {stats(one)}")
    print(f"   one new filing     {stats(filing)}")
    print(f"   full recompute     {stats(full)}")
    print(f"   incremental (price) is {statistics.median(full) / statistics.median(one):.1f}× cheaper than full")
    try:
        from engine.scenarios import PRESETS, run_scenario  # type: ignore[attr-defined]
    except ImportError:
        print("   scenarios: engine.scenarios not available")
        return
    sc = []
    scenario = next(iter(PRESETS.values()))
    for _ in range(50):
        t = time.perf_counter()
        run_scenario(engine, scenario)
        sc.append(time.perf_counter() - t)
    print(f"   scenario '{scenario.name}'  {stats(sc)}")


def rss_mb() -> float:
    gc.collect()
    return psutil.Process(os.getpid()).memory_info().rss / 1e6


def bench_memory(total: int) -> None:
    print(f"== 3. memory: RSS after 1,000 vs {total:,} single-price updates")
    engine, batches = sample_engine()
    engine.ingest(batches[0])
    base = T0 + timedelta(days=4000)
    skus = ["H100 SXM", "H200", "B200", "GB200", "A100 80GB"]
    after_1k = 0.0
    for k in range(total):
        engine.ingest([quote(skus[k % 5], "marketplace", "vast.ai", 1.5 + (k % 31) / 100, base + timedelta(seconds=k))])
        if k == 999:
            after_1k = rss_mb()
    end = rss_mb()
    print(f"   RSS after 1,000: {after_1k:.1f} MB   after {total:,}: {end:.1f} MB   growth {end - after_1k:+.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller history and fewer updates")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores")
    bench_sample()
    bench_big(1_000 if args.quick else 10_000)
    bench_memory(10_000 if args.quick else 100_000)


if __name__ == "__main__":
    main()
