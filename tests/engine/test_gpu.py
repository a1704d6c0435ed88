"""Per-SKU rent margins, next-generation fair rent, depreciation sensitivity."""

from __future__ import annotations

from datetime import date

import pytest

from engine.indicators.gpu import depreciation_table
from engine.indicators.unit_economics import breakeven_rent

from crwv_testdata import (
    ASSUMPTIONS,
    BS24,
    FACILITIES_24,
    FY24_FLOWS,
    K,
    assumptions,
    balance_sheet,
    facilities,
    flows,
    full_batch,
    price,
)

A = ASSUMPTIONS


def be(capex: float, life: float, rate: float = A["interest_rate_pct"], opex: float = A["opex_per_gpu_hour"]) -> float:
    return breakeven_rent(capex, life, A["utilisation"], A["ltv"], rate, opex)


def test_breakeven_example_through_the_indicator(make_engine):
    e = make_engine(assumptions(), [price("H100 SXM", "marketplace", "vast", 1.60)])
    r = e.snapshot.indicators["h100_margin_6y"]
    assert "assumption" in r.get("rate_basis")
    assert round(r.get("breakeven_reported"), 2) == 1.49
    assert round(r.get("breakeven_technology"), 2) == 2.31
    assert r.value == pytest.approx(1.60 / be(36_600, 6) - 1)


def test_margin_per_tier_including_coreweave_list(make_engine):
    quotes = [price("H100 SXM", "marketplace", "vast", 1.6), price("H100 SXM", "marketplace", "runpod", 2.0),
              price("H100 SXM", "neocloud_list", "lambda", 2.99), price("H100 SXM", "neocloud_list", "coreweave", 6.16)]
    e = make_engine(assumptions(), quotes)
    r = e.snapshot.indicators["h100_margin_6y"]
    table = {row["tier"]: row for row in r.get("table")}
    assert table["marketplace"]["price"] == pytest.approx(1.8)  # median of the marketplace tier
    assert table["neocloud"]["price"] == pytest.approx((2.99 + 6.16) / 2)
    assert table["coreweave"]["price"] == 6.16
    assert table["coreweave"]["margin_technology"] == pytest.approx(6.16 / be(36_600, 3) - 1)
    assert r.get("tier") == "marketplace" and r.value == pytest.approx(table["marketplace"]["margin_reported"])


def test_rate_follows_facilities_when_disclosed(make_engine):
    e = make_engine(assumptions(), facilities(), [price("B200", "marketplace", "vast", 3.2)])
    r = e.snapshot.indicators["margin_b200"]
    weighted = sum(p * rt for _, p, rt, _ in FACILITIES_24) / sum(p for _, p, _, _ in FACILITIES_24)
    assert round(weighted, 1) == 11.9  # coreweave.md: principal-weighted ≈ 11.9% at 2024-12-31
    assert "facility" in r.get("rate_basis") and r.get("rate_pct") == pytest.approx(weighted)
    assert r.value == pytest.approx(3.2 / be(A["capex_per_gpu_b200"], 6, weighted) - 1)


def test_per_sku_opex_override(make_engine):
    e = make_engine(assumptions({**A, "opex_per_gpu_hour_gb200": 0.6}), [price("GB200", "marketplace", "x", 4.0)])
    r = e.snapshot.indicators["margin_gb200"]
    assert r.get("breakeven_reported") == pytest.approx(be(A["capex_per_gpu_gb200"], 6, opex=0.6))


def test_sku_without_price_or_capex_is_no_data(make_engine):
    e = make_engine(assumptions({k: v for k, v in A.items() if k != "capex_per_gpu_a100"}),
                    [price("A100 80GB", "marketplace", "vast", 0.9)])
    res = e.recompute_all()
    assert res["margin_a100"].status == "no_data" and "capex_per_gpu_a100" in res["margin_a100"].reason
    assert res["margin_h200"].status == "no_data"


def test_b200_implied_fair_h100_rent(make_engine):
    e = make_engine(assumptions(), [price("B200", "neocloud_list", "lambda", 5.0),
                                    price("H100 SXM", "neocloud_list", "lambda", 2.5)])
    r = e.snapshot.indicators["h100_fair_pressure_b200"]
    fair = 5.0 / A["b200_h100_perf_ratio"]
    assert r.get("fair_rent") == pytest.approx(fair)
    assert r.value == pytest.approx(2.5 / fair - 1)


def test_depreciation_table_matches_the_13bn_example():
    rows = {r["life"]: r for r in depreciation_table(13e9, 6, 43.6e6)}
    assert round(rows[5]["extra"] / 1e9, 2) == 0.43
    assert round(rows[4]["extra"] / 1e9, 2) == 1.08
    assert round(rows[3]["extra"] / 1e9, 2) == 2.17
    assert rows[6]["extra"] == 0 and rows[3]["operating_income"] == pytest.approx(43.6e6 - 13e9 / 3 + 13e9 / 6)


def test_depreciation_sensitivity_indicator(make_engine):
    e = make_engine(balance_sheet(), flows(), assumptions())
    r = e.snapshot.indicators["depreciation_sensitivity"]
    cost, opinc = BS24["tech_equipment_cost"] * K, FY24_FLOWS["operating_income"] * K
    restated = opinc - (cost / 3 - cost / 6)
    assert r.get("restated_operating_income") == pytest.approx(restated)
    assert r.value == pytest.approx(restated / (FY24_FLOWS["revenue"] * K))
    assert r.status == "alert"
    assert [row["life"] for row in r.get("table")] == [3, 4, 5, 6]


def test_full_state_computes_every_gpu_indicator_or_says_why(crwv):
    for name, r in crwv.recompute_all().items():
        if r.group == "gpu":
            assert r.value is not None or r.reason, name
    assert full_batch()  # the fixture itself is deterministic
    assert date(2024, 12, 31) in crwv.state.fin.balance_periods("CRWV")


def test_fair_pressure_pairs_the_same_provider(make_engine):
    # The case: the neocloud tier's H100 median is Lambda's price, GB200 only CoreWeave's.
    quotes = [price("H100 SXM", "neocloud_list", "lambda", 2.99),
              price("H100 SXM", "neocloud_list", "coreweave", 6.155),
              price("GB200", "neocloud_list", "coreweave", 10.50),
              price("H100 SXM", "hyperscaler_list", "azure", 12.29),
              price("GB200", "hyperscaler_list", "azure", 27.04)]
    e = make_engine(assumptions(), quotes)
    r = e.snapshot.indicators["h100_fair_pressure"]
    # CoreWeave against CoreWeave: 6.155 ÷ (10.50 ÷ 3) − 1 = +75.9%, ALERT (the tier median gave +2.6%).
    assert r.value == pytest.approx(6.155 / (10.50 / 3.0) - 1) and round(r.value, 3) == 0.759
    # information, not a credit input: no threshold, so it never scores (it falls as rents fall)
    assert r.threshold is None and r.get("basis") == "same provider" and "coreweave" in r.get("pair")
    pairs = {(p["provider"], p["tier"]): p["pressure"] for p in r.get("pairs")}
    assert pairs == pytest.approx({("coreweave", "neocloud_list"): 6.155 / 3.5 - 1,
                                   ("azure", "hyperscaler_list"): 12.29 / (27.04 / 3) - 1})


def test_fair_pressure_falls_back_to_tier_medians_and_says_so(make_engine):
    quotes = [price("H100 SXM", "neocloud_list", "lambda", 2.99), price("GB200", "neocloud_list", "coreweave", 10.5)]
    r = make_engine(assumptions(), quotes).snapshot.indicators["h100_fair_pressure"]
    assert r.value == pytest.approx(2.99 / (10.5 / 3) - 1)
    assert r.get("basis").startswith("tier median") and "no provider quotes both" in r.get("basis")
