"""Key latency while a ~20 MB CSV is parsed, printed as figures (not a test).

    python benchmarks/bench_keys.py [--mb 20] [--quick]

The CSV feed parses off the event loop (``asyncio.to_thread``), so keys must not wait.
Measured on this machine, each on a fresh ~20 MB file (~650,000 rows):

1. *loop lag*: a callback scheduled every 10 ms records how late it runs — the longest
   time a key press would have waited for the loop. Three cases: a bare loop (no work),
   the feed's poll through the runner (parsing in a thread), and, for contrast, the same
   parse run on the loop (what the feed did before);
2. *key latency* in the dashboard (Textual, headless): a ``right`` key event posted every
   20 ms while the same poll runs, each timed until the dashboard's action has run; and
   the same with nothing running.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datetime import UTC

from feeds.csv_feed import CSVFeed
from feeds.runner import FeedRunner

TICK = 0.010


def make_csv(path: Path, mb: float) -> int:
    """Dated index values, one per minute, until the file holds ``mb`` MB; the row count."""
    from datetime import datetime, timedelta

    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    rows, size, n = ["date,value,note\n"], 16, 0
    while size < mb * 1_000_000:
        line = f"{(t0 + timedelta(minutes=n)).strftime('%Y-%m-%dT%H:%M:%SZ')},{2 + (n % 997) / 1000:.4f},ok\n"
        rows.append(line)
        size += len(line)
        n += 1
    path.write_text("".join(rows), encoding="utf-8")
    return n


async def lag_during(work) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    """How late a 10 ms tick runs while ``work()`` is awaited: (lags in s, work time in s)."""
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    done = False

    async def ticker() -> None:
        while not done:
            t = loop.time()
            await asyncio.sleep(TICK)
            lags.append(max(0.0, loop.time() - t - TICK))

    task = asyncio.ensure_future(ticker())
    await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    await work()
    took = time.perf_counter() - t0
    done = True
    await task
    return lags, took


def fmt(lags: list[float]) -> str:
    s = sorted(lags)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
    return (f"max {s[-1] * 1000:7.1f} ms   p99 {p99 * 1000:6.1f} ms   median {statistics.median(s) * 1000:5.2f} ms"
            f"   (n={len(s)})")


async def loop_lag(path: Path) -> dict[str, float]:
    feed = CSVFeed(path=str(path), value_column="value", sku="H100 SXM", provider="bench", interval=3600,
                   max_bytes=50_000_000)
    runner = FeedRunner([feed])
    out: dict[str, float] = {}

    async def bare() -> None:
        await asyncio.sleep(out.get("parse_s", 2.0))

    async def threaded() -> None:
        obs = await runner.poll(feed.instance)
        assert len(obs) == feed.max_rows, runner.status[feed.instance].last_error

    async def on_loop() -> None:
        feed.parse(path.read_text(encoding="utf-8"))

    lags, took = await lag_during(threaded)
    out["parse_s"] = took
    print(f"  poll, parse off the loop ({took:.2f} s): {fmt(lags)}")
    out["thread_max"], out["thread_median"] = max(lags), statistics.median(lags)
    bare_lags, _ = await lag_during(bare)
    print(f"  bare loop, same duration        : {fmt(bare_lags)}")
    out["bare_max"], out["bare_median"] = max(bare_lags), statistics.median(bare_lags)
    lags, took = await lag_during(on_loop)
    print(f"  parse ON the loop (before) ({took:.2f} s): {fmt(lags)}")
    out["loop_max"] = max(lags)
    await runner.aclose()
    return out


async def key_latency(path: Path, presses: int) -> tuple[list[float], list[float]]:
    """(latencies during the poll, latencies idle): a ``right`` key event posted the way the
    terminal driver posts it, timed until the dashboard's action has run. (``Pilot.press``
    itself waits for the *process* to look idle, which a busy worker thread never does, so
    its own duration is not a key latency.)"""
    from textual import events

    from gpurisk.config import load_config
    from gpurisk.session import Session
    from tui.app import Dashboard

    handled: list[float] = []

    feed = CSVFeed(path=str(path), value_column="value", sku="H100 SXM", provider="bench", interval=3600,
                   max_bytes=50_000_000)
    session = Session(load_config(None), [feed])
    app = Dashboard(session, autopoll=False)
    step = app.action_step

    def probe(delta: int) -> None:  # the action the key is bound to, timed
        handled.append(time.perf_counter())
        step(delta)

    app.action_step = probe  # type: ignore[method-assign]

    async def press() -> float:
        before = len(handled)
        t0 = time.perf_counter()
        app.post_message(events.Key("right", None))
        while len(handled) == before:
            if time.perf_counter() - t0 > 10:
                raise RuntimeError("key not handled in 10 s")
            await asyncio.sleep(0.0005)
        return handled[-1] - t0

    busy: list[float] = []
    idle: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        for _ in range(20):
            idle.append(await press())
            await asyncio.sleep(0.02)
        worker = app.scheduler.launch(feed.instance)  # a Textual worker (the dashboard spawns them)
        await asyncio.sleep(0.02)
        while worker is not None and not worker.is_finished and len(busy) < presses:
            busy.append(await press())
            await asyncio.sleep(0.02)
        if worker is not None:
            await worker.wait()
        assert session.status[feed.instance].state == "OK", session.status[feed.instance].last_error
    await session.runner.aclose()
    return busy, idle


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=20.0, help="CSV size in MB (default 20)")
    ap.add_argument("--quick", action="store_true", help="a 5 MB file")
    args = ap.parse_args()
    mb = 5.0 if args.quick else args.mb
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.csv"
        n = make_csv(path, mb)
        print(f"CSV: {path.stat().st_size / 1e6:.1f} MB, {n:,} rows; tick every {TICK * 1000:.0f} ms")
        print("1. loop lag (how long a key would wait for the event loop)")
        out = asyncio.run(loop_lag(path))
        ratio = out["thread_max"] / max(out["bare_max"], 1e-4)
        print(f"   worst lag during the parse: {out['thread_max'] * 1000:.1f} ms = {ratio:.1f} × the bare loop's "
              f"{out['bare_max'] * 1000:.1f} ms (median {out['thread_median'] * 1000:.2f} vs "
              f"{out['bare_median'] * 1000:.2f} ms); on the loop it was {out['loop_max'] * 1000:.0f} ms")
        print("2. key latency in the dashboard (headless Textual, a 'right' key posted every 20 ms)")
        times, idle = asyncio.run(key_latency(path, presses=400))
        print(f"   idle:            {fmt(idle)}")
        if times:
            print(f"   during the poll: {fmt(times)}  — key posted → action run")
            print(f"   ratio of worst cases: {max(times) / max(idle):.1f} ×")
        else:
            print("   the poll ended before the first press")
        verdict = "OK" if out["thread_max"] < 0.1 and (not times or max(times) < 0.1) else "OVER 100 ms"
        print(f"budget: no key waits more than 100 ms -> {verdict}")


if __name__ == "__main__":
    main()
