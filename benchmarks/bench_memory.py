"""Engine memory with uptime (figures, not a test).

    python benchmarks/bench_memory.py [--updates 8000] [--every 1000]

The demo session's engine, then ``--updates`` price updates of a moving H100 index five minutes
apart on the data's clock (8,000 ≈ 28 days of a 5-minute feed), each followed by the change
column's reads, as the dashboard does. Prints RSS and the sizes of the engine's caches every
``--every`` updates: bounded structures (rings of 2,048 points, one memo entry per intermediate
and period) make it flat once they are full.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from engine.observations import PriceQuote  # noqa: E402
from gpurisk.session import demo_session  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--updates", type=int, default=8000)
    ap.add_argument("--every", type=int, default=1000)
    args = ap.parse_args()
    s = demo_session()
    asyncio.run(s.poll_all())
    e = s.engine
    e.release()
    proc = psutil.Process()
    row = e.state.prices.row("H100 SXM", "marketplace")
    assert row is not None
    t, price, rng = row.as_of, 2.0, random.Random(3)
    first = proc.memory_info().rss / 2**20
    print(f"{'updates':>8} {'RSS MB':>8} {'memo':>6} {'change cache':>13}")
    for i in range(1, args.updates + 1):
        price *= 1 + rng.gauss(0, 0.01)
        t += timedelta(minutes=5)
        e.ingest([PriceQuote(as_of=t, fetched_at=t, source="bench", sku="H100 SXM", tier="index",
                             provider="bench", price=price)], now=t)
        for name in e.indicators:
            e.change(name)
        if i % args.every == 0:
            print(f"{i:8d} {proc.memory_info().rss / 2**20:8.1f} {len(e.state.memo):6d} {len(e._prev):13d}", flush=True)
    print(f"RSS {first:.1f} → {proc.memory_info().rss / 2**20:.1f} MB over {args.updates} updates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
