"""The breakeven-breach simulation: speed, and what it costs the 1 Hz demo (not a test).

    python benchmarks/bench_breach.py [--quick]

Prints, on this machine:
1. one simulation of 100,000 paths × 36 monthly steps (draw, cumulate, average at
   12/24/36 months, with and without the Blackwell step): best and median of several
   runs, against the 200 ms budget;
2. the probabilities for each SKU with enough history, on the demo replay opened with a
   year of warm-up (the default demo opens with 61 days: NO DATA until day 90);
3. the cost per update in the demo: the default replay ticked day by day (one tick a
   second in the dashboard) — how many ticks reran the simulation, how many reused the
   cached paths, and the engine's ingest time per tick with the indicator in the catalogue
   and without it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import breach
from engine.engine import Engine
from engine.indicators import default_indicators
from engine.indicators.breach import Report, reports

BUDGET_MS = 200.0


def bench_simulation(runs: int) -> None:
    import numpy as np  # noqa: F401  (imported once, outside the timing: ~0.1 s)

    regime = breach.blackwell_regime()
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        paths = breach.unit_paths(0.45, breach.MONTHS, breach.N_PATHS, breach.SEED + i)
        sums = breach.month_sums(paths, -0.2, [*breach.HORIZONS, regime.month - 1])
        base = breach.shares_below(breach.averages(paths, sums=sums), {"6y": 0.8, "3y": 1.2})
        step = breach.shares_below(breach.averages(paths, regime=regime, sums=sums), {"6y": 0.8, "3y": 1.2})
        times.append((time.perf_counter() - t0) * 1000.0)
        del paths, sums
    best, med = min(times), statistics.median(times)
    verdict = "within" if med < BUDGET_MS else "OVER"
    print("1. simulation (draw the paths, then averages at 12/24/36 months with and without the step, 2 breakevens):")
    print(f"   {breach.N_PATHS:,} paths × {breach.MONTHS} months: best {best:.0f} ms, "
          f"median {med:.0f} ms of {runs} runs ({verdict} the {BUDGET_MS:.0f} ms budget)")
    print(f"   e.g. μ −20%/yr, σ 45%/yr, breakeven 0.8 × today's rent: P(avg < BE) at 12/24/36 months "
          f"{base[('6y', 12)]:.1%} / {base[('6y', 24)]:.1%} / {base[('6y', 36)]:.1%}; with the Blackwell step "
          f"{step[('6y', 12)]:.1%} / {step[('6y', 24)]:.1%} / {step[('6y', 36)]:.1%}")


def _session(**replay: object):  # type: ignore[no-untyped-def]
    from gpurisk.session import demo_session

    return demo_session(history=False, **replay)


def bench_probabilities() -> None:
    session = _session(warmup_days=365)
    asyncio.run(session.poll_all())
    print("2. demo data, replay opened with 365 days of warm-up (at 2026-03-03):")
    for sku, r in reports(session.engine).items():
        if isinstance(r, Report):
            p = r.params
            cells = "  ".join(f"{h}m {r.base[('reported', h)]:.1%}/{r.base[('technology', h)]:.1%}"
                              f" (step {r.stepped[('reported', h)]:.1%})" for h in breach.HORIZONS)
            print(f"   {sku:<10} {r.tier:<13} rent ${p.s0:.2f}  BE ${r.breakevens['reported']:.2f} "
                  f"({r.lives['reported']:g}y) ${r.breakevens['technology']:.2f} ({r.lives['technology']:g}y)  "
                  f"μ {p.mu:+.1%} σ {p.sigma:.1%} over {p.n_days} d")
            print(f"   {'':<10} P(avg < BE {r.lives['reported']:g}y/{r.lives['technology']:g}y): {cells}")
        else:
            print(f"   {sku:<10} NO DATA: {r}")


def bench_demo_ticks(ticks: int) -> None:
    """The replay's observations, recorded once, then fed to two engines: with and without the indicator."""
    session = _session()

    async def record() -> tuple[list, list]:  # type: ignore[type-arg]
        static: list = []
        for name in session.feed_names():
            if name != "replay":
                static.extend(await session.runner.poll(name))
        return static, [await session.runner.poll("replay") for _ in range(ticks)]

    static, batches = asyncio.run(record())
    out = {}
    for label, inds in (("with", default_indicators()),
                        ("without", [i for i in default_indicators() if i.name != "h100_breach_prob_24m"])):
        e = Engine(indicators=inds)
        e.ingest(static)
        before = dict(breach.STATS)
        per = []
        for b in batches:
            t0 = time.perf_counter()
            e.ingest(b)
            per.append((time.perf_counter() - t0) * 1000.0)
        out[label] = (per, {k: breach.STATS[k] - before[k] for k in before},
                      e.snapshot.indicators.get("h100_breach_prob_24m"))
    per, d, res = out["with"]
    base = out["without"][0]
    print(f"3. demo replay, {ticks} ticks (one a second in the dashboard; day 1 = 61 days of history):")
    print(f"   new paths drawn on {d['draws']} ticks ({d['draw_ms'] / max(d['draws'], 1):.0f} ms each: σ moved > "
          f"{breach.TOL_SIGMA:.0%}); updates from drawn paths on {d['updates']} ticks "
          f"({d['update_ms'] / max(d['updates'], 1):.1f} ms each); the rest: NO DATA or unchanged inputs")
    print(f"   ingest per tick with the indicator: mean {statistics.mean(per):.1f} ms, median "
          f"{statistics.median(per):.1f} ms, max {max(per):.0f} ms; without it: mean {statistics.mean(base):.1f} ms, "
          f"median {statistics.median(base):.1f} ms")
    print(f"   extra cost per tick: mean {statistics.mean(per) - statistics.mean(base):.1f} ms "
          f"(= {(statistics.mean(per) - statistics.mean(base)) / 10:.1f}% of a core at 1 Hz)")
    if res is not None:
        print(f"   after {ticks} ticks: {res.status} {res.value if res.value is None else f'{res.value:.1%}'}"
              f"  {res.reason or res.get('method')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer runs and ticks")
    args = ap.parse_args()
    bench_simulation(5 if args.quick else 15)
    bench_probabilities()
    bench_demo_ticks(60 if args.quick else 150)


if __name__ == "__main__":
    main()
