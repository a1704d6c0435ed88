"""The chart screen's data: resampling by the range and the breakevens at each point,
against figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine import Engine
from engine.chart_data import MIN_POINTS, indicator_chart, period_in_force, rent_chart
from engine.observations import Assumption, DebtFacility, FinancialFact, PriceQuote
from engine.resample import resample, rule_for, window

T = datetime(2026, 1, 1, tzinfo=UTC)
H, D = 3600.0, 86400.0


def ts(y: int, m: int, d: int, h: int = 0) -> float:
    return datetime(y, m, d, h, tzinfo=UTC).timestamp()


# --- resampling --------------------------------------------------------------------------
def test_resample_keeps_the_last_observation_of_each_hour_at_its_own_time() -> None:
    t0 = ts(2026, 3, 1, 10)
    times = [t0, t0 + 600, t0 + 3000, t0 + H + 60, t0 + 3 * H + 1200, t0 + 3 * H + 1800]
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    # 10:00–10:59 → the 10:50 point (3.0); 11:01 → 4.0; 13:20 and 13:30 → 13:30 (6.0); no 12:00 bucket
    assert resample(times, values, "h") == ([t0 + 3000, t0 + H + 60, t0 + 3 * H + 1800], [3.0, 4.0, 6.0])


def test_resample_by_day_and_minute() -> None:
    times = [ts(2026, 3, 1, 1), ts(2026, 3, 1, 23), ts(2026, 3, 2, 5)]
    assert resample(times, [1.0, 2.0, 3.0], "D") == ([times[1], times[2]], [2.0, 3.0])
    t0 = ts(2026, 3, 1)
    assert resample([t0, t0 + 10, t0 + 70], [1.0, 2.0, 3.0], "min") == ([t0 + 10, t0 + 70], [2.0, 3.0])


def test_resample_drops_missing_values_and_takes_empty_input() -> None:
    assert resample([], [], "D") == ([], [])
    assert resample([0.0, 10.0], [float("nan"), 5.0], "min") == ([10.0], [5.0])
    assert resample([0.0], [float("nan")], "min") == ([], [])
    with pytest.raises(ValueError):
        resample([0.0], [], "D")


def test_rule_by_range_span() -> None:
    assert rule_for(2 * D) == ("min", "minute")
    assert rule_for(30 * D) == ("h", "hour")  # 1M
    assert rule_for(91 * D) == ("D", "day")  # 3M
    assert rule_for(3000 * D) == ("D", "day")


def test_window() -> None:
    assert window([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], 2.0) == ([2.0, 3.0], [20.0, 30.0])
    assert window([1.0, 2.0], [10.0, 20.0], None) == ([1.0, 2.0], [10.0, 20.0])


@pytest.mark.subprocess
def test_resample_does_not_import_pandas_until_called() -> None:
    import subprocess
    import sys

    code = "import engine.resample, engine.chart_data, sys; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- breakevens at each point ------------------------------------------------------------
def obs(cls, at: datetime, **kw):  # type: ignore[no-untyped-def]
    return cls(as_of=at, fetched_at=at, source="test", feed="test", **kw)


def engine_two_periods(quotes: tuple[tuple[datetime, float], ...] | None = None) -> Engine:
    """Capex 52,560 = 6 × 8,760: depreciation is $1.00/h over 6 years and $2.00/h over 3
    (utilisation 1); LTV 0.5, opex $0.20/h. The facility rate is 10% at 2025-09-30 and 12%
    at 2025-12-31, so interest is 52,560 × 0.5 × i ÷ 8,760 = $0.30/h, then $0.36/h:
    breakeven @6y 1.50 → 1.56, @3y 2.50 → 2.56. By default one marketplace quote a day
    from 2025-12-29 to 2026-01-02: two days before the later period end, three from it."""
    e = Engine()
    batch: list = [obs(Assumption, T, name=n, value=v) for n, v in (
        ("capex_per_gpu", 52560.0), ("life_reported_years", 6.0), ("life_technology_years", 3.0),
        ("utilisation", 1.0), ("ltv", 0.5), ("opex_per_gpu_hour", 0.2), ("interest_rate_pct", 9.0))]
    for end, rate in ((date(2025, 9, 30), 10.0), (date(2025, 12, 31), 12.0)):
        at = datetime(end.year, end.month, end.day, tzinfo=UTC)
        batch.append(obs(FinancialFact, at, company="CRWV", metric="total_assets", value=1e9, period_end=end))
        batch.append(obs(DebtFacility, at, company="CRWV", facility="loan", principal=1e8, period_end=end, rate=rate))
    e.ingest(batch, now=T)
    if quotes is None:
        quotes = tuple((datetime(2025, 12, d, 12, tzinfo=UTC), 2.0 + i / 10) for i, d in enumerate((29, 30, 31)))
        quotes += tuple((datetime(2026, 1, d, 12, tzinfo=UTC), 2.5) for d in (1, 2))
    for at, price in quotes:
        e.ingest([obs(PriceQuote, at, sku="H100 SXM", tier="marketplace", provider="p", price=price)], now=at)
    return e


def test_period_in_force() -> None:
    periods = [date(2025, 9, 30), date(2025, 12, 31)]
    assert period_in_force(periods, ts(2025, 9, 29)) is None
    assert period_in_force(periods, ts(2025, 9, 30)) == date(2025, 9, 30)
    assert period_in_force(periods, ts(2025, 12, 30, 12)) == date(2025, 9, 30)
    assert period_in_force(periods, ts(2026, 1, 1)) == date(2025, 12, 31)


def test_breakevens_recomputed_at_each_point_with_that_periods_rate() -> None:
    chart = rent_chart(engine_two_periods(), "H100 SXM", "marketplace", "1M")
    kinds = {line.kind: line for line in chart.lines}
    assert chart.empty == ""
    assert kinds["rent"].values == pytest.approx((2.0, 2.1, 2.2, 2.5, 2.5))
    # 12-29 and 12-30 at the September rate (10%); 12-31 (the period end itself) onwards at 12%
    assert kinds["be_reported"].values == pytest.approx((1.50, 1.50, 1.56, 1.56, 1.56))
    assert kinds["be_technology"].values == pytest.approx((2.50, 2.50, 2.56, 2.56, 2.56))
    assert kinds["be_reported"].label == "breakeven @6y"
    assert chart.rate_at(ts(2025, 12, 30, 12)) == "rate 10.00% (2025-09-30)"
    assert chart.rate_at(ts(2026, 1, 2, 12)) == "rate 12.00% (2025-12-31)"
    assert chart.resolution == "hour"  # a 1M range: hourly buckets (one quote a day here)
    assert chart.as_of == ts(2026, 1, 2, 12)
    assert "p via test: test" in chart.source


def test_points_before_the_first_balance_sheet_have_no_breakeven() -> None:
    days = ((9, 28), (9, 29), (10, 1), (10, 2))
    e = engine_two_periods(tuple((datetime(2025, m, d, tzinfo=UTC), 2.0) for m, d in days))
    chart = rent_chart(e, "H100 SXM", "marketplace", "ALL")
    be = next(line for line in chart.lines if line.kind == "be_reported")
    assert chart.main is not None and len(chart.main.times) == 4
    assert be.times == (ts(2025, 10, 1), ts(2025, 10, 2)) and be.values == pytest.approx((1.5, 1.5))


def test_ranges_end_at_the_last_point() -> None:
    e = engine_two_periods()
    assert len(rent_chart(e, "H100 SXM", "marketplace", "ALL").main.times) == 5  # type: ignore[union-attr]
    # nothing older than 30 days: 1M keeps all five here
    assert len(rent_chart(e, "H100 SXM", "marketplace", "1M").main.times) == 5  # type: ignore[union-attr]


def test_too_little_history_is_an_honest_empty_chart() -> None:
    e = engine_two_periods()
    chart = rent_chart(e, "H200", "marketplace", "1Y")
    assert chart.lines == () and "no H200 marketplace price yet" in chart.empty
    e2 = Engine()
    at = T
    e2.ingest([obs(PriceQuote, at, sku="H100 SXM", tier="marketplace", provider="p", price=2.0)], now=at)
    at2 = datetime(2026, 1, 2, tzinfo=UTC)
    e2.ingest([obs(PriceQuote, at2, sku="H100 SXM", tier="marketplace", provider="p", price=2.1)], now=at2)
    chart = rent_chart(e2, "H100 SXM", "marketplace", "1Y")
    assert chart.empty == f"2 points in 1Y — the chart needs {MIN_POINTS}; history fills as the feed polls"


def test_indicator_history_per_period_with_levels() -> None:
    e = engine_two_periods()
    chart = indicator_chart(e, "effective_rate", "ALL")
    assert chart.main is not None
    assert chart.main.values == pytest.approx((10.0, 12.0))  # one point per balance sheet
    assert "needs 3" in chart.empty  # two periods: not yet a chart
    la = indicator_chart(e, "current_ratio", "ALL")
    assert la.main is None and la.empty  # no current assets reported: no value, said so
    assert [lv.kind for lv in la.levels] == ["watch", "alert"]


def test_the_breach_band_follows_the_last_point_as_far_ahead_as_the_range_looks_back() -> None:
    pytest.importorskip("engine.breach")
    from datetime import timedelta

    start = datetime(2025, 10, 1, 12, tzinfo=UTC)
    quotes = tuple((start + timedelta(days=i), 2.0 + 0.1 * ((i * 7) % 5) / 5) for i in range(120))
    e = engine_two_periods(quotes)
    chart = rent_chart(e, "H100 SXM", "marketplace", "ALL")
    band = {line.kind: line for line in chart.lines if line.kind.startswith("fan_")}
    assert set(band) == {"fan_median", "fan_low", "fan_high"}
    last = quotes[-1][0]
    assert band["fan_median"].times[0] == ts(last.year, last.month, last.day)  # month 0: the last day
    assert len(band["fan_median"].times) == 37  # ALL: 36 months ahead
    # month 0: where the paths start, the median of the last 30 daily rents (breach.S0_DAYS)
    recent = sorted(v for _, v in quotes[-30:])
    assert band["fan_median"].values[0] == pytest.approx((recent[14] + recent[15]) / 2)
    assert all(lo <= m <= hi for lo, m, hi in zip(band["fan_low"].values, band["fan_median"].values,
                                                  band["fan_high"].values, strict=True))
    assert len(next(line for line in rent_chart(e, "H100 SXM", "marketplace", "3M").lines
                    if line.kind == "fan_median").times) == 4  # 3M: three months ahead
    # too little history: no band, and the chart says why
    short = rent_chart(engine_two_periods(), "H100 SXM", "marketplace", "ALL")
    assert not any(line.kind.startswith("fan_") for line in short.lines)
    assert any(n.startswith("no breach band:") for n in short.notes)
    be = next(line for line in chart.lines if line.kind == "be_reported")
    assert be.times[-1] == band["fan_median"].times[-1] and be.values[-1] == be.values[-2]  # carried over the band


def test_window_drops_values_that_are_not_finite() -> None:
    inf, nan = float("inf"), float("nan")
    assert window([1.0, 2.0, 3.0, 4.0], [inf, 2.0, nan, 4.0], None) == ([2.0, 4.0], [2.0, 4.0])
