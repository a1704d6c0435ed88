"""Credit indicators: EBITDA multiples, coverage, spreads, DSCR, runway, maturity wall."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crwv_testdata import (
    BS24,
    FACILITIES_24,
    FY24,
    FY24_FLOWS,
    MATURITIES_25,
    K,
    assumptions,
    balance_sheet,
    facilities,
    fact,
    flows,
    maturities,
    rate,
)

DEBT = (BS24["debt_current"] + BS24["debt_noncurrent"]) * K
CASH = BS24["cash"] * K
LEASES = sum(BS24[k] for k in ("operating_lease_current", "operating_lease_noncurrent", "finance_lease_current",
                               "finance_lease_noncurrent")) * K
EBITDA = (FY24_FLOWS["operating_income"] + FY24_FLOWS["d_and_a"]) * K
INTEREST = abs(FY24_FLOWS["interest_expense"]) * K


def test_net_debt_to_ebitda_fy2024(make_engine):
    ind = make_engine(balance_sheet(), flows()).snapshot.indicators
    nd = ind["net_debt_to_ebitda"]
    assert nd.value == pytest.approx((DEBT - CASH) / EBITDA)
    assert round(nd.value, 1) == 5.5 and nd.status == "watch"
    assert round(nd.get("with_leases"), 1) == 7.8
    ndl = ind["net_debt_leases_to_ebitda"]
    assert ndl.value == pytest.approx((DEBT - CASH + LEASES) / EBITDA) and ndl.status == "alert"
    d = ind["debt_to_ebitda"]
    assert d.value == pytest.approx(DEBT / EBITDA) and d.get("with_leases") == pytest.approx((DEBT + LEASES) / EBITDA)


def test_non_positive_ebitda_reads_the_cap_with_the_reason(make_engine):
    """Not meaningful, but the worst case: never NO DATA (which would drop out of the score)."""
    e = make_engine(balance_sheet(), flows({**FY24_FLOWS, "operating_income": -2_000_000}))
    r = e.snapshot.indicators["net_debt_to_ebitda"]
    assert r.value == 99.0 and r.status == "alert" and "not meaningful" in r.get("note")


AT_PERIOD = datetime(2024, 12, 31, tzinfo=UTC)  # the reference rate on the balance date


def test_spreads_use_facility_weighted_rate(make_engine):
    e = make_engine(balance_sheet(), flows(), facilities(),
                    [rate("SOFR", 4.3, AT_PERIOD), rate("BAMLH0A0HYM2EY", 7.1, AT_PERIOD)])
    weighted = sum(p * r for _, p, r, _ in FACILITIES_24) / sum(p for _, p, _, _ in FACILITIES_24)
    s = e.snapshot.indicators["spread_sofr"]
    # one balance sheet: no average debt, so the facility table's principal-weighted rate
    assert s.value == pytest.approx(weighted - 4.3) and s.get("basis").startswith("principal-weighted facility rate")
    assert e.snapshot.indicators["spread_hy"].value == pytest.approx(weighted - 7.1)
    assert s.get("rate") == pytest.approx(e.snapshot.indicators["effective_rate"].value)  # one rate


def test_spread_reads_the_reference_rate_on_the_balance_date(make_engine):
    e = make_engine(balance_sheet(), flows(), facilities(),
                    [rate("SOFR", 5.3, datetime(2024, 12, 20, tzinfo=UTC)), rate("SOFR", 4.3, AT_PERIOD),
                     rate("SOFR", 3.0, datetime(2026, 3, 1, tzinfo=UTC))])
    s = e.snapshot.indicators["spread_sofr"]
    assert s.get("reference") == 4.3
    assert [i.as_of for i in s.inputs if i.name.startswith("SOFR")] == [date(2024, 12, 31)]
    late = make_engine(balance_sheet(), flows(), facilities(), [rate("SOFR", 3.0, datetime(2026, 3, 1, tzinfo=UTC))])
    r = late.snapshot.indicators["spread_sofr"]
    assert r.status == "no_data" and "SOFR" in r.reason and "2024-12-31" in r.reason


def test_spread_falls_back_to_the_assumed_rate(make_engine):
    e = make_engine(balance_sheet(), flows(), assumptions(), [rate("SOFR", 4.3, AT_PERIOD)])
    s = e.snapshot.indicators["spread_sofr"]
    assert s.value == pytest.approx(11.0 - 4.3) and "assumption" in s.get("basis")
    assert e.snapshot.indicators["spread_hy"].status == "no_data"  # no HY yield yet


def test_maturity_wall(make_engine):
    e = make_engine(balance_sheet(), flows(), maturities(end=FY24[1]))
    r = e.snapshot.indicators["maturity_wall"]
    assert r.get("worst_year") == "2026"
    assert r.value == pytest.approx(dict(MATURITIES_25)["2026"] * K / (CASH + EBITDA))
    table = r.get("table")
    assert [row["year"] for row in table] == [y for y, _ in MATURITIES_25]
    assert table[-1]["cumulative"] == pytest.approx(sum(p for _, p in MATURITIES_25) * K)


def test_maturity_wall_uses_latest_quarter_run_rate(make_engine):
    q = [fact(m, v, end, start) for (start, end) in [(date(2024, 1, 1), date(2024, 3, 31)),
                                                     (date(2024, 4, 1), date(2024, 6, 30)),
                                                     (date(2024, 7, 1), date(2024, 9, 30))]
         for m, v in (("operating_income", 50e6), ("d_and_a", 150e6))]
    e = make_engine(balance_sheet(), flows(), maturities(end=FY24[1]), q)
    r = e.snapshot.indicators["maturity_wall"]
    q4 = (FY24_FLOWS["operating_income"] + FY24_FLOWS["d_and_a"]) * K - 3 * 200e6  # derived FY − 9M
    assert r.get("ebitda_basis") == "latest quarter × 4" and r.get("run_rate_ebitda") == pytest.approx(4 * q4)


def test_an_old_reference_rate_is_used_but_marked_stale(make_engine):
    e = make_engine(balance_sheet(), flows(), facilities(), [rate("SOFR", 4.3, datetime(2024, 12, 2, tzinfo=UTC))])
    s = e.snapshot.indicators["spread_sofr"]
    assert s.value is not None and s.get("reference") == 4.3
    assert "SOFR of 2024-12-02 is 29 days before 2024-12-31" in s.stale
    fresh = make_engine(balance_sheet(), flows(), facilities(), [rate("SOFR", 4.3, datetime(2024, 12, 27, tzinfo=UTC))])
    assert fresh.snapshot.indicators["spread_sofr"].stale == ""  # a Friday value, 4 days before: fresh
    dead = make_engine(balance_sheet(), flows(), facilities(), [rate("SOFR", 4.3, datetime(2023, 11, 1, tzinfo=UTC))])
    assert dead.snapshot.indicators["spread_sofr"].status == "no_data"
