"""Altman Z'' and the naive distance to default."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from engine.indicators.market import altman_z2, equity_vol_and_return, naive_dd, norm_cdf, z2_zone

from crwv_testdata import AT_BS, BS24, FY24_FLOWS, K, assumptions, balance_sheet, equity, flows, rate


def test_altman_z2_coreweave_2024(make_engine):
    r = make_engine(balance_sheet(), flows()).snapshot.indicators["altman_z2"]
    ta, tl = BS24["total_assets"], BS24["total_liabilities"]
    x1 = (BS24["current_assets"] - BS24["current_liabilities"]) / ta
    x2, x3 = BS24["retained_earnings"] / ta, FY24_FLOWS["operating_income"] / ta
    x4 = BS24["stockholders_equity"] / tl  # book equity excluding the $1.72 B mezzanine preferred
    assert (round(x1, 3), round(x2, 3), round(x3, 3), round(x4, 3)) == (-0.171, -0.083, 0.018, -0.025)
    assert r.get("X1") == pytest.approx(x1) and r.get("X4") == pytest.approx(x4)
    assert r.value == pytest.approx(6.56 * x1 + 3.26 * x2 + 6.72 * x3 + 1.05 * x4)
    assert round(r.value, 2) == -1.29
    assert r.get("zone") == "distress" and r.status == "alert"


def test_z2_zones_and_guards():
    assert z2_zone(3.0) == "safe" and z2_zone(2.0) == "grey" and z2_zone(1.0) == "distress"
    with pytest.raises(ValueError):
        altman_z2(1, 1, 1, 1, 0, 1)


def test_naive_dd_example():
    dd, pd = naive_dd(50e9, 14e9, 1.0, 0.04)
    sd = 0.05 + 0.25 * 1.0
    sv = 50 / 64 * 1.0 + 14 / 64 * sd
    assert dd == pytest.approx((math.log(64 / 14) + (0.04 - sv**2 / 2)) / sv)
    assert round(dd, 2) == 1.42 and round(pd, 3) == 0.078
    assert pd == pytest.approx(norm_cdf(-dd))
    with pytest.raises(ValueError):
        naive_dd(-1, 14e9, 1.0, 0.04)


def test_dd_indicator_with_assumed_volatility(make_engine):
    e = make_engine(balance_sheet(), assumptions({"equity_volatility": 0.9}), [equity(100.0, 480e6), rate("SOFR", 4.3)])
    r = e.snapshot.indicators["distance_to_default"]
    F = (BS24["debt_current"] + 0.5 * BS24["debt_noncurrent"]) * K
    dd, pd = naive_dd(100.0 * 480e6, F, 0.9, 0.043)
    assert r.value == pytest.approx(dd) and r.get("pd") == pytest.approx(pd)
    assert r.get("sigma_basis") == "assumption" and r.get("mu_basis") == "SOFR"


def test_dd_shares_from_assumption_and_missing_volatility(make_engine):
    e = make_engine(balance_sheet(), [equity(100.0, None), rate("SOFR", 4.3)])
    r = e.snapshot.indicators["distance_to_default"]
    assert r.status == "no_data" and "shares_outstanding" in r.reason
    e.ingest(assumptions({"shares_outstanding": 480e6}))
    r = e.snapshot.indicators["distance_to_default"]
    assert r.status == "no_data" and "equity_volatility" in r.reason


def test_dd_volatility_and_drift_from_history(make_engine):
    closes = [100.0 * (1.02 if i % 2 else 0.99) ** (i % 7) * (1 + i / 400) for i in range(400)]
    t0 = AT_BS - timedelta(days=399)  # the last close on the balance date
    later = [equity(500.0, 480e6, AT_BS + timedelta(days=i)) for i in range(1, 30)]  # after the period: unused
    quotes = [equity(c, 480e6, t0 + timedelta(days=i)) for i, c in enumerate(closes)]
    e = make_engine(balance_sheet(), quotes, later)
    r = e.snapshot.indicators["distance_to_default"]
    sigma, mu = equity_vol_and_return([(t0 + timedelta(days=i)).timestamp() for i in range(400)], closes)
    assert sigma and mu is not None
    assert r.get("sigma_basis") == "history" and r.get("sigma_e") == pytest.approx(sigma)
    base = closes[399 - 347]  # last close at least 0.95 year before the end
    assert mu == pytest.approx(closes[-1] / base - 1)
    assert r.value == pytest.approx(naive_dd(closes[-1] * 480e6, r.get("F"), sigma, mu)[0])


def test_dd_drift_falls_back_to_the_10y_yield(make_engine):
    e = make_engine(balance_sheet(), assumptions({"equity_volatility": 0.9}),
                    [equity(100.0, 480e6), rate("DGS10", 4.2)])
    r = e.snapshot.indicators["distance_to_default"]
    assert r.get("mu_basis") == "DGS10" and r.get("mu") == pytest.approx(0.042)
    e.ingest([rate("SOFR", 4.3)])
    assert e.snapshot.indicators["distance_to_default"].get("mu") == pytest.approx(0.043)


def test_dd_never_mixes_a_foreign_currency_balance_sheet_with_a_usd_price(make_engine):
    import dataclasses

    eur = [dataclasses.replace(f, unit="EUR") for f in balance_sheet()]
    e = make_engine(eur, assumptions({"equity_volatility": 0.9}), [equity(100.0, 480e6), rate("SOFR", 4.3)])
    r = e.snapshot.indicators["distance_to_default"]
    assert r.status == "no_data" and "EUR" in r.reason
    e.ingest(balance_sheet())  # back to USD: the EUR facts are replaced, never mixed
    assert e.snapshot.indicators["distance_to_default"].value is not None
