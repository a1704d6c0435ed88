"""Scenarios: shocks applied to the live state, side by side with the base."""

from __future__ import annotations

import time

import pytest

from engine.context import Shocks
from engine.indicators.unit_economics import breakeven_rent
from engine.scenarios import PRESETS, Scenario, run_scenario

from crwv_testdata import ASSUMPTIONS, BS24, FACILITIES_24, FY24_FLOWS, K

DEBT_PRINCIPAL = sum(p for _, p, _, _ in FACILITIES_24) * K
FLOATING = sum(p for _, p, _, fl in FACILITIES_24 if fl) * K
WEIGHTED = sum(p * r for _, p, r, _ in FACILITIES_24) * K / DEBT_PRINCIPAL
INTEREST = abs(FY24_FLOWS["interest_expense"]) * K
EBIT = FY24_FLOWS["operating_income"] * K
A = ASSUMPTIONS


def test_scenario_to_shocks():
    s = Scenario("x", h100_rent_pct=-40, top_customer_cut_pct=50, rate_bp=200, life_years=3, utilisation_pts=-15)
    sh = s.shocks()
    assert sh.price_mult == {"H100 SXM": pytest.approx(0.6)} and sh.top_customer_cut == 0.5
    assert sh.rate_bp == 200 and sh.utilisation_pts == -15 and sh.life_years == 3
    assert sh.assumptions == {"life_reported_years": 3.0}
    assert Scenario("none").shocks().is_empty() and Scenario("none").shocks() == Shocks()
    assert {"seed", "blackwell", "rates", "customer", "life3", "utilisation", "stress"} <= set(PRESETS)


def test_seed_h100_rent_minus_40(crwv):
    r = run_scenario(crwv, "seed")
    row = r.row("h100_margin_6y")
    market = (1.65 + 1.9) / 2
    be6 = breakeven_rent(A["capex_per_gpu"], 6, A["utilisation"], A["ltv"], WEIGHTED, A["opex_per_gpu_hour"])
    assert row.base.value == pytest.approx(market / be6 - 1)
    assert row.shocked.value == pytest.approx(0.6 * market / be6 - 1)
    assert row.base.status == "ok" and row.shocked.status == "alert"
    assert row in r.changes and row.delta == pytest.approx(row.shocked.value - row.base.value)
    assert r.row("current_ratio").shocked == r.row("current_ratio").base  # untouched by a rent shock
    # Cheaper H100s are less overpriced against Blackwell: the fair-rent pressure of the
    # same pair (CoreWeave vs CoreWeave) eases exactly by the cut while the margins collapse.
    fp = r.row("h100_fair_pressure")
    assert fp.base.get("pair") == fp.shocked.get("pair") and "coreweave" in fp.base.get("pair")
    assert fp.shocked.value == pytest.approx(0.6 * (fp.base.value + 1) - 1)


def test_rate_shock_hits_floating_debt_only(crwv):
    r = run_scenario(crwv, Scenario("r", rate_bp=200))
    extra = FLOATING * 0.02
    assert r.row("interest_coverage").shocked.value == pytest.approx(EBIT / (INTEREST + extra))
    # the effective rate is the principal-weighted facility rate here (no year-earlier debt to average)
    assert r.row("effective_rate").base.value == pytest.approx(WEIGHTED)
    assert r.row("effective_rate").shocked.value == pytest.approx(WEIGHTED + 2.0 * FLOATING / DEBT_PRINCIPAL)
    assert r.row("spread_sofr").shocked.value == pytest.approx(WEIGHTED + 2.0 * FLOATING / DEBT_PRINCIPAL - 4.3)
    assert r.row("h100_margin_6y").shocked.get("rate_pct") == pytest.approx(WEIGHTED + 2.0 * FLOATING / DEBT_PRINCIPAL)


def test_customer_cut_removes_revenue_and_operating_income(crwv):
    r = run_scenario(crwv, Scenario("c", top_customer_cut_pct=50))
    loss = FY24_FLOWS["revenue"] * K * 0.62 * 0.5
    assert r.row("interest_coverage").shocked.value == pytest.approx((EBIT - loss) / INTEREST)
    ebitda = EBIT + FY24_FLOWS["d_and_a"] * K
    assert r.row("debt_to_ebitda").shocked.value == pytest.approx(r.row("debt_to_ebitda").base.value * ebitda
                                                                  / (ebitda - loss))


def test_life_shock_restates_depreciation_not_ebitda(crwv):
    r = run_scenario(crwv, "life3")
    cost = BS24["tech_equipment_cost"] * K
    assert r.row("interest_coverage").shocked.value == pytest.approx((EBIT - (cost / 3 - cost / 6)) / INTEREST)
    assert r.row("debt_to_ebitda").shocked.value == pytest.approx(r.row("debt_to_ebitda").base.value)
    dep = r.row("depreciation_sensitivity")
    assert dep.shocked.value == pytest.approx(dep.base.value)  # already at the 3-year life: no double count
    assert r.row("h100_margin_6y").shocked.value == pytest.approx(r.row("h100_margin_3y").base.value)


def test_utilisation_shock(crwv):
    r = run_scenario(crwv, "utilisation")
    be = breakeven_rent(A["capex_per_gpu"], 6, A["utilisation"] - 0.15, A["ltv"], WEIGHTED, A["opex_per_gpu_hour"])
    assert r.row("h100_margin_6y").shocked.get("breakeven_reported") == pytest.approx(be)


def test_scenario_leaves_base_state_untouched_and_is_fast(crwv):
    before = crwv.recompute_all()
    best = min(_timed(lambda: run_scenario(crwv, "stress")) for _ in range(5))
    assert best < 0.050, f"stress scenario took {best * 1000:.1f} ms"
    assert crwv.recompute_all() == before
    r = run_scenario(crwv, "stress")
    assert len(r.rows) == len(crwv.indicators)
    assert all(row.shocked.status in ("ok", "watch", "alert", "no_data") for row in r.rows)


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def test_customer_cut_leaves_the_disclosed_shares_as_reported(crwv):
    """A cut is about the future: it reaches contracted revenue in the projection; the disclosed
    shares stay as reported (rescaled, they would read *less* concentrated, i.e. safer)."""
    r = run_scenario(crwv, Scenario("c", top_customer_cut_pct=50))
    for name in ("top1_share", "top1_trend", "hhi", "effective_customers"):
        row = r.row(name)
        assert row.shocked.value == row.base.value and row.shocked.status == row.base.status, name

def test_effective_customers_bounds_are_labelled_the_right_way_round(crwv):
    eff = crwv.snapshot.indicators["effective_customers"]
    hhi = crwv.snapshot.indicators["hhi"]
    # The HHI's upper bound gives the fewest effective customers: that is the value and the lower bound.
    assert eff.value == pytest.approx(10_000 / hhi.get("upper")) == pytest.approx(eff.get("lower"))
    assert eff.get("upper") == pytest.approx(10_000 / hhi.value) and eff.get("upper") > eff.get("lower")
