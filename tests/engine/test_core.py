"""Existing leverage, concentration and unit-economics indicators against coreweave.md."""

from __future__ import annotations

from datetime import UTC

import pytest

from engine.indicators.concentration import hhi_bounds
from engine.indicators.unit_economics import breakeven_rent

from crwv_testdata import BS24, FY24_FLOWS, assumptions, balance_sheet, customers, flows, price, share


def test_balance_sheet_ratios(make_engine):
    e = make_engine(balance_sheet())
    ind = e.snapshot.indicators
    assert ind["liabilities_to_assets"].value == pytest.approx(BS24["total_liabilities"] / BS24["total_assets"])
    assert round(ind["liabilities_to_assets"].value, 3) == 0.927
    assert round(ind["current_ratio"].value, 3) == 0.386
    assert round(ind["quick_ratio"].value, 3) == 0.358
    assert round(ind["cash_ratio"].value, 3) == 0.274
    assert ind["current_ratio"].status == "alert"
    assert ind["liabilities_to_assets"].inputs[0].source.startswith("sec:")


def test_interest_coverage_fy2024(make_engine):
    e = make_engine(balance_sheet(), flows())
    r = e.snapshot.indicators["interest_coverage"]
    expected = FY24_FLOWS["operating_income"] / abs(FY24_FLOWS["interest_expense"])
    assert r.value == pytest.approx(expected)
    assert f"{r.value:.2f}" == "0.90"
    assert r.status == "alert"


def test_hhi_bounds_2024():
    lo, hi = hhi_bounds([0.62, 0.15])
    assert lo == pytest.approx(62**2 + 15**2)
    rest = 100 - 62 - 15  # 23 points left: two customers just under 10% and a 3% one
    assert hi == pytest.approx(lo + 10**2 + 10**2 + (rest - 20) ** 2)
    assert (round(lo), round(hi)) == (4069, 4278)


def test_hhi_indicator_infers_second_customer_from_top2_aggregate(make_engine):
    e = make_engine([share("Microsoft", 0.62, "FY2024", BS_END), share("Top 2 customers", 0.77, "FY2024", BS_END)])
    r = e.snapshot.indicators["hhi"]
    assert round(r.value) == 4069 and round(r.get("upper")) == 4278
    top = e.snapshot.indicators["top1_share"]
    assert top.value == 0.62 and top.get("customer") == "Microsoft"  # the aggregate is not a customer


def test_breakeven_example():
    C, u, ltv, i, o = 36_600.0, 0.85, 0.6, 11.0, 0.35
    hours = 8760 * u
    dep6, dep3, interest = C / (6 * hours), C / (3 * hours), C * ltv * i / 100 / hours
    assert round(dep6, 3) == 0.819 and dep3 == pytest.approx(1.639, abs=1e-3) and round(interest, 3) == 0.324
    assert breakeven_rent(C, 6, u, ltv, i, o) == pytest.approx(dep6 + interest + o)
    assert round(breakeven_rent(C, 6, u, ltv, i, o), 2) == 1.49
    assert round(breakeven_rent(C, 3, u, ltv, i, o), 2) == 2.31
    with pytest.raises(ValueError):
        breakeven_rent(C, 6, 0.0, ltv, i, o)


def test_h100_margins_use_assumed_rate_without_facilities(make_engine):
    e = make_engine(assumptions(), [price("H100 SXM", "marketplace", "vast", 1.60)])
    m6, m3 = e.snapshot.indicators["h100_margin_6y"], e.snapshot.indicators["h100_margin_3y"]
    assert m6.value == pytest.approx(1.60 / breakeven_rent(36_600, 6, 0.85, 0.6, 11.0, 0.35) - 1)
    assert m3.value == pytest.approx(1.60 / breakeven_rent(36_600, 3, 0.85, 0.6, 11.0, 0.35) - 1)
    assert m3.status == "alert" and m6.status == "watch"


def test_missing_inputs_are_no_data(make_engine):
    e = make_engine(customers())
    res = e.recompute_all()
    assert res["current_ratio"].status == "no_data" and "balance sheet" in res["current_ratio"].reason
    assert res["h100_margin_6y"].status == "no_data" and res["h100_margin_6y"].reason
    assert res["top1_share"].value == 0.62


BS_END = balance_sheet()[0].period_end


def test_concentration_extras(make_engine):
    e = make_engine(customers(), flows())
    ind = e.snapshot.indicators
    lo, hi = hhi_bounds([0.62, 0.15])
    eff = ind["effective_customers"]
    assert eff.value == pytest.approx(10_000 / hi) and eff.get("upper") == pytest.approx(10_000 / lo)
    assert eff.status == "alert"  # fewer than 4 effective customers
    trend = ind["top1_trend"]
    assert trend.value == pytest.approx(0.62 - 0.35) and trend.get("previous_period") == "FY2023"
    assert trend.status == "alert"
    rar = ind["revenue_at_risk"]
    assert rar.value == pytest.approx(FY24_FLOWS["revenue"] * 1000 * 0.62) and rar.get("customer") == "Microsoft"


def test_trend_without_history_is_no_data(make_engine):
    e = make_engine([share("Microsoft", 0.62, "FY2024", BS_END)])
    r = e.snapshot.indicators["top1_trend"]
    assert r.status == "no_data" and "earlier" in r.reason


def test_change_vs_the_previous_period_and_over_24_hours(make_engine) -> None:
    from datetime import date, datetime, timedelta

    from crwv_testdata import BS24, balance_sheet, full_batch, price

    e = make_engine(full_batch())
    assert e.change("liabilities_to_assets")[0] is None  # one balance sheet: nothing to compare with
    q1 = {**BS24, "total_liabilities": 18_791_101, "total_assets": 21_860_383}
    e.ingest(balance_sheet(q1, date(2025, 3, 31)))
    delta, basis = e.change("liabilities_to_assets")
    assert basis == "vs 2024-12-31"
    assert delta == pytest.approx(18_791_101 / 21_860_383 - BS24["total_liabilities"] / BS24["total_assets"])
    t = datetime(2026, 3, 1, tzinfo=UTC)
    assert e.change("h100_margin_6y") == (None, "less than 24 h of history")
    e.ingest([price("H100 SXM", "marketplace", "vast", 1.65, t + timedelta(hours=1))])
    before = e.snapshot.indicators["h100_margin_6y"].value
    e.ingest([price("H100 SXM", "marketplace", "vast", 2.40, t + timedelta(hours=26))])
    delta, basis = e.change("h100_margin_6y")
    assert basis == "24 h" and delta == pytest.approx(e.snapshot.indicators["h100_margin_6y"].value - before)
