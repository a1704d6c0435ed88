"""The breakeven-breach simulation (engine.breach) and its indicator h100_breach_prob_24m."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, timedelta

import pytest

from engine import Engine, breach as b
from engine.context import Context
from engine.indicator import NoData
from engine.indicators.breach import report, reports

from crwv_testdata import T0, full_batch, price

DAY = 86400.0


def _se(p: float, n: int) -> float:
    """Binomial standard error: antithetic pairs only make the true error smaller."""
    return math.sqrt(max(p * (1 - p), 1e-4) / n)


@pytest.mark.parametrize("k", [1.2, 1.8, 2.0, 2.6])
def test_terminal_probability_matches_closed_form(k: float) -> None:
    """P(S_T < K) over 12 monthly steps against Φ((ln(K/S0) − (μ − σ²/2)T)/(σ√T)), T = 1 y."""
    s0, mu, sigma, n = 2.0, -0.25, 0.45, 100_000
    paths = b.simulate(s0, mu, sigma, months=12, n_paths=n, seed=7)
    mc = float((paths[-1] < k).mean())
    exact = b.closed_form_below(s0, mu, sigma, k, 1.0)
    assert abs(mc - exact) < 4 * _se(exact, n)


def test_one_month_average_is_the_terminal_value() -> None:
    """Horizon 1: the 'average over the next month' is S at one month, so below() must equal the
    closed form at T = 1/12 — the averaging and counting code checked against an exact answer."""
    s0, mu, sigma, k, n = 2.0, 0.1, 0.6, 1.9, 100_000
    got = b.below(b.simulate(s0, mu, sigma, months=1, n_paths=n, seed=3), {"k": k}, horizons=(1,))[("k", 1)]
    exact = b.closed_form_below(s0, mu, sigma, k, 1 / 12)
    assert abs(got - exact) < 4 * _se(exact, n)


def test_average_matches_a_brute_force_mean() -> None:
    paths = b.simulate(2.0, -0.1, 0.5, months=36, n_paths=2_000, seed=1)
    got = b.below(paths, {"k": 1.7})
    for h in (12, 24, 36):
        want = sum(1 for row in paths.T if sum(row[:h]) / h < 1.7) / paths.shape[1]
        assert got[("k", h)] == pytest.approx(want)


def test_seed_makes_it_deterministic() -> None:
    a = b.below(b.simulate(2.0, -0.2, 0.4, seed=11), {"k": 1.8})
    again = b.below(b.simulate(2.0, -0.2, 0.4, seed=11), {"k": 1.8})
    other = b.below(b.simulate(2.0, -0.2, 0.4, seed=12), {"k": 1.8})
    assert a == again and a != other
    assert all(abs(a[key] - other[key]) < 0.01 for key in a)  # another seed: only Monte Carlo noise


def test_regime_step_raises_the_probability_from_its_month() -> None:
    paths = b.simulate(2.0, 0.0, 0.3, seed=5)
    base = b.below(paths, {"k": 1.9})
    step = b.below(paths, {"k": 1.9}, regime=b.Regime(-0.3, 13))
    assert step[("k", 12)] == base[("k", 12)]  # the step comes after the first year
    assert step[("k", 24)] > base[("k", 24)] + 0.1 and step[("k", 36)] > base[("k", 36)] + 0.1
    # a step at month 1 is the same as starting 30% lower
    assert b.below(paths, {"k": 1.9}, regime=b.Regime(-0.3, 1)) == b.below(paths * 0.7, {"k": 1.9})


def test_estimate_recovers_drift_and_volatility() -> None:
    # Deterministic trend with gaps and intraday points: μ exactly, σ zero.
    days = [d for d in range(200) if d % 7 not in (5, 6)]
    times = [d * DAY + h * 3600.0 for d in days for h in (1, 9, 17)]
    values = [2.0 * math.exp(-0.002 * t / DAY) for t in times]
    p = b.estimate(times, values)
    assert p.mu == pytest.approx(-0.002 * 365, abs=1e-3) and p.sigma == pytest.approx(0.0, abs=1e-6)
    assert p.n_days == len(days) and p.s0 == pytest.approx(values[-1])
    # A random walk: σ within sampling error (365 returns: ±4%).
    rng, v, vs = random.Random(4), 2.0, []
    for _ in range(400):
        v *= math.exp(rng.gauss(0, 0.5 / math.sqrt(365)))
        vs.append(v)
    p = b.estimate([d * DAY for d in range(400)], vs)
    assert p.n_days == b.WINDOW_DAYS and p.sigma == pytest.approx(0.5, rel=0.12)


def test_daily_keeps_the_last_point_of_each_utc_day_and_drops_bad_points() -> None:
    days, vals = b.daily([DAY + 10, DAY + 20, 2 * DAY + 5, 3 * DAY, 4 * DAY], [1.0, 2.0, float("nan"), 0.0, 3.0])
    assert (days, vals) == ([1, 4], [2.0, 3.0])


def test_short_history_is_no_data_naming_the_minimum() -> None:
    with pytest.raises(NoData, match=f"needs at least {b.MIN_DAYS}"):
        b.estimate([d * DAY for d in range(b.MIN_DAYS - 1)], [2.0] * (b.MIN_DAYS - 1))


def test_a_list_price_that_rarely_moves_is_no_data() -> None:
    values = [2.0 if d < 60 else 1.8 for d in range(120)]  # one cut in four months
    with pytest.raises(NoData, match="moved on 1 of 119 days"):
        b.estimate([d * DAY for d in range(120)], values)


def test_fan_is_the_lognormal_band_of_the_simulation() -> None:
    p = b.Params(2.0, -0.2, 0.4, 365, date(2025, 3, 1), date(2026, 3, 1))
    fan = b.fan_from(p, "H100 SXM", "marketplace", regime=b.Regime(-0.3, 6))
    assert fan.months[0] == 0 and fan.median[0] == fan.p5[0] == fan.p95[0] == 2.0
    assert fan.dates[12] == date(2027, 3, 1) and len(fan.dates) == 37
    import numpy as np

    paths = b.simulate(2.0, -0.2, 0.4, seed=9) * np.array([1.0 if m < 6 else 0.7 for m in range(1, 37)])[:, None]

    for m in (3, 6, 24, 36):
        lo, mid, hi = np.percentile(paths[m - 1], [5, 50, 95])
        assert (fan.p5[m], fan.median[m], fan.p95[m]) == pytest.approx((lo, mid, hi), rel=0.02)


# --- the indicator, on an engine fed a rent history ------------------------------------------
def _history(days: int, drift: float = -0.3, vol: float = 0.4, start: float = 2.4) -> list[list]:  # type: ignore[type-arg]
    """One batch per day of H100 marketplace medians ending at T0 (a seeded random walk)."""
    rng, v, out = random.Random(21), start, []
    for d in range(days, 0, -1):
        v *= math.exp((drift - vol * vol / 2) / 365 + rng.gauss(0, vol / math.sqrt(365)))
        out.append([price("H100 SXM", "marketplace", "vast", round(v, 4), at=T0 - timedelta(days=d))])
    return out


def _base() -> list:  # type: ignore[type-arg]
    """The CoreWeave test data without its two H100 marketplace quotes (the history replaces them)."""
    return [o for o in full_batch() if getattr(o, "key", "") != "price/H100 SXM/marketplace"
            and not (getattr(o, "sku", "") == "H100 SXM" and getattr(o, "tier", "") == "marketplace")]


def _engine(days: int, **kw: float) -> Engine:
    e = Engine()
    e.ingest(_base(), now=T0)
    for batch in _history(days, **kw):
        e.ingest(batch, now=T0)
    return e


@pytest.fixture(scope="module")
def hist() -> Engine:
    """An engine with 120 days of H100 marketplace history (read-only tests share it)."""
    return _engine(120)


def test_indicator_reads_the_history_and_the_margin_breakeven(hist: Engine) -> None:
    e = hist
    r = e.snapshot.indicators["h100_breach_prob_24m"]
    margin = e.snapshot.indicators["h100_margin_6y"]
    assert r.status in ("ok", "watch", "alert") and 0 < r.value < 1
    assert r.get("breakeven_reported") == pytest.approx(margin.get("breakeven_reported"))
    assert r.get("tier") == "marketplace" and "GBM" in r.get("method") and f"seed {b.SEED}" in r.get("method")
    assert all(len(v) < 120 for _, v in r.extra if isinstance(v, str))  # one line each in explain
    assert [row["months"] for row in r.get("table")] == [12, 24, 36]
    assert r.get("table")[1]["below_reported_share"] == r.value
    assert r.threshold.watch == 0.25 and r.threshold.alert == 0.5 and r.threshold.higher_is_worse
    assert r.get("step_probability") > r.value  # the Blackwell step only adds to the risk
    assert _engine(120).snapshot.indicators["h100_breach_prob_24m"].value == r.value  # seeded: same answer


def test_indicator_is_no_data_on_short_history() -> None:
    r = _engine(30).snapshot.indicators["h100_breach_prob_24m"]
    assert r.value is None and r.status == "no_data"
    assert f"needs at least {b.MIN_DAYS}" in r.reason and "30 daily points" in r.reason


def test_a_falling_rent_history_scores_worse() -> None:
    calm = _engine(100, drift=0.2).snapshot.indicators["h100_breach_prob_24m"].value
    falling = _engine(100, drift=-0.8).snapshot.indicators["h100_breach_prob_24m"].value
    assert falling > calm


def test_paths_are_reused_and_todays_inputs_applied_exactly() -> None:
    e = _engine(100)
    draws, updates = b.STATS["draws"], b.STATS["updates"]
    res = e.snapshot.indicators["h100_breach_prob_24m"]
    last = e.state.prices.series("H100 SXM", "marketplace").last()
    assert last is not None
    # A lower rent on the same day: σ barely moves, so the drawn paths serve; the answer is exact.
    e.ingest([price("H100 SXM", "marketplace", "vast", last[1] * 0.97, at=T0 - timedelta(hours=20))], now=T0)
    moved = e.snapshot.indicators["h100_breach_prob_24m"]
    assert b.STATS["draws"] == draws and b.STATS["updates"] <= updates + 1
    updates = b.STATS["updates"]
    assert "today's estimate" in moved.get("paths")
    assert moved.value >= res.value  # the start is a median of daily rents: it moves less, never the safe way
    s0 = next(i.value for i in moved.inputs if "median of the last" in i.name)
    paths = b.simulate(s0, 0.0, moved.get("volatility"), seed=b.SEED)
    assert b.below(paths, {"k": moved.get("breakeven_reported")})[("k", 24)] == pytest.approx(moved.value, abs=1e-4)
    # The same inputs again (a what-if, the explain screen): nothing recomputed.
    e.evaluate("h100_breach_prob_24m")
    assert b.STATS["updates"] == updates
    # A rent history that turns wild moves σ: new paths.
    for d in range(6):
        e.ingest([price("H100 SXM", "marketplace", "vast", last[1] * (1.5 if d % 2 else 0.7),
                        at=T0 + timedelta(days=d))], now=T0)
    assert b.STATS["draws"] > draws


def test_scenario_shock_raises_it(hist: Engine) -> None:
    from engine.scenarios import run_scenario

    row = run_scenario(hist, "seed").row("h100_breach_prob_24m")
    assert row is not None and row.shocked.value > row.base.value


def test_reports_and_fan_for_every_sku(hist: Engine) -> None:
    e = hist
    out = reports(e)
    assert set(out) == {"H100 SXM", "H200", "B200", "GB200", "A100 80GB"}
    assert not isinstance(out["H100 SXM"], str) and isinstance(out["B200"], str)  # one B200 quote: no history
    fan = b.fan(e, "H100 SXM")
    assert fan.start == (T0 - timedelta(days=1)).date() and fan.p5[24] < fan.median[24] < fan.p95[24]
    with pytest.raises(NoData, match="B200"):
        b.fan(e, "B200")
    h100 = report(Context(e.state, e.company))
    assert h100.base[("reported", 24)] == e.snapshot.indicators["h100_breach_prob_24m"].value


def test_snapshot_json_carries_it_with_a_year_of_demo_history() -> None:
    """The default demo opens with 61 days (NO DATA: tests/test_cli.py); a replay opened with a
    year of warm-up values it, and the JSON document (schema-checked) carries the method."""
    import asyncio
    from datetime import datetime

    import jsonschema

    from gpurisk.session import demo_session
    from gpurisk.snapshot_json import SCHEMA, snapshot_json

    s = demo_session(warmup_days=365)
    asyncio.run(s.poll_all())
    doc = snapshot_json(s.snapshot, s.status, s.demo, datetime(2026, 3, 3, 23, 59, tzinfo=UTC))
    jsonschema.validate(doc, SCHEMA)
    ind = doc["indicators"]["h100_breach_prob_24m"]
    assert ind["status"] in ("ok", "watch", "alert") and 0 < ind["value"] < 1
    assert ind["extra"]["history_days"].startswith("365 daily points") and ind["extra"]["tier"] == "marketplace"
    assert [row["months"] for row in ind["extra"]["table"]] == [12, 24, 36]
    again = demo_session(warmup_days=365)
    asyncio.run(again.poll_all())
    assert again.snapshot.indicators["h100_breach_prob_24m"].value == ind["value"]  # seeded


def test_intraday_polls_keep_a_daily_history_beyond_the_ring() -> None:
    """A live feed polled all day fills the row's point ring in days; the daily history the
    simulation reads keeps one point per day (the last), so months of polling still count."""
    e = Engine(capacity=64)
    e.ingest(_base(), now=T0)
    rng, v = random.Random(8), 2.4
    for d in range(100, 0, -1):
        for h in (2, 10, 18):  # three polls a day: the 64-point ring holds three weeks
            v *= math.exp(rng.gauss(-0.0005, 0.01))
            e.ingest([price("H100 SXM", "marketplace", "vast", v, at=T0 - timedelta(days=d, hours=-h))], now=T0)
    assert len(e.state.prices.series("H100 SXM", "marketplace")) == 64
    daily = e.state.prices.daily("H100 SXM", "marketplace")
    assert daily is not None and len(daily) == 100 and daily.last()[1] == pytest.approx(v)
    r = e.snapshot.indicators["h100_breach_prob_24m"]
    assert r.value is not None and r.get("history_days").startswith("100 daily points")


def test_a_second_engine_on_the_same_data_reuses_the_draw_and_the_memo_is_bounded() -> None:
    """A what-if, a peer or a new session on the same history asks for the same paths: they
    are drawn once, shared read-only, and only the last few draws are kept."""
    first = _engine(90).snapshot.indicators["h100_breach_prob_24m"]
    draws = b.STATS["draws"]
    again = _engine(90).snapshot.indicators["h100_breach_prob_24m"]
    assert b.STATS["draws"] == draws and again.value == first.value
    shared = next(iter(b._RECENT.values()))
    with pytest.raises(ValueError):
        shared[0, 0] = 0.0  # read-only: no engine can change another's paths
    for i in range(b.RECENT_DRAWS + 2):
        b._draw(0.3 + i / 100, 2, 4, b.SEED)
    assert len(b._RECENT) == b.RECENT_DRAWS
    assert b.STATS["draws"] == draws  # _draw itself is not a simulation run (run() counts)
