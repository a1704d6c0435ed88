"""The market's view of credit from note prices, against hand computations: a note priced at
par yields its coupon; yield to worst picks a call; the spread over an interpolated Treasury
curve; the 1-year PD from a spread; the figures name their note and source and stay out of
the composite score."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from engine import BondQuote, Engine, RateObs
from engine.bonds import accrued, curve_at, dirty_price, market_pd, yield_to, yield_to_worst
from engine.indicators.market_credit import market_vs_model

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY = date(2025, 9, 30)
SRC = "sample_data/bonds.csv: Q3-25 10-Q fair-value note [P]"


def note(price: float, coupon: float = 9.25, maturity: date = date(2030, 6, 1), cusip: str = "21873SAA6",
         day: date = DAY, calls: tuple[tuple[date, float], ...] = (), name: str = "2030 senior notes") -> BondQuote:
    return BondQuote(as_of=datetime.combine(day, datetime.min.time(), UTC), fetched_at=T0, source=SRC,
                     company="CRWV", note=name, cusip=cusip, price=price, coupon=coupon,
                     maturity=maturity, call_dates=tuple(d for d, _ in calls), call_prices=tuple(p for _, p in calls))


def rate(series: str, value: float, day: date = DAY) -> RateObs:
    return RateObs(as_of=datetime.combine(day, datetime.min.time(), UTC), fetched_at=T0, source=f"FRED {series}",
                   series=series, value=value)


def test_par_on_a_coupon_date_yields_the_coupon() -> None:
    assert yield_to(100.0, 9.25, date(2025, 12, 1), date(2030, 6, 1)) == pytest.approx(0.0925, abs=1e-10)
    # between coupon dates the clean par price yields the coupon within a basis point (street convention)
    assert yield_to(100.0, 9.25, DAY, date(2030, 6, 1)) == pytest.approx(0.0925, abs=1e-4)


def test_price_and_accrued_by_hand() -> None:
    # 2 years to maturity, on a coupon date, 8% yield, 10% coupon: 5·Σv^i + 100·v^4 with v = 1/1.04
    v = 1 / 1.04
    by_hand = sum(5 * v ** i for i in range(1, 5)) + 100 * v ** 4
    assert dirty_price(0.08, 10.0, date(2026, 6, 1), date(2028, 6, 1)) == pytest.approx(by_hand)
    assert yield_to(by_hand, 10.0, date(2026, 6, 1), date(2028, 6, 1)) == pytest.approx(0.08, abs=1e-9)
    # 2025-06-01 → 2025-09-30 is 119 days in 30/360: 9.25/2 × 119/180
    assert accrued(9.25, DAY, date(2030, 6, 1)) == pytest.approx(4.625 * 119 / 180)


def test_yield_to_worst_takes_the_call_when_the_price_is_above_it() -> None:
    # priced at 105, callable at par on 2027-06-01: the call yields less than maturity
    ytm = yield_to(105.0, 9.25, DAY, date(2030, 6, 1))
    y, workout, redemption = yield_to_worst(105.0, 9.25, DAY, date(2030, 6, 1), [(date(2027, 6, 1), 100.0)])
    assert workout == date(2027, 6, 1) and redemption == 100.0
    assert y == pytest.approx(yield_to(105.0, 9.25, DAY, date(2027, 6, 1), 100.0)) and y < ytm
    # at a discount the call is never the worst: YTM
    assert yield_to_worst(90.0, 9.25, DAY, date(2030, 6, 1), [(date(2027, 6, 1), 100.0)])[1] == date(2030, 6, 1)


def test_curve_interpolates_between_tenors_and_is_flat_beyond() -> None:
    pts = {"DGS5": 3.74, "DGS7": 3.93, "DGS10": 4.16}
    v, how = curve_at(pts, 6.0)
    assert v == pytest.approx(3.74 + (3.93 - 3.74) * 0.5) and "DGS5" in how and "DGS7" in how
    assert curve_at(pts, 12.0)[0] == 4.16 and "flat beyond 10y" in curve_at(pts, 12.0)[1]
    assert curve_at({"DGS10": 4.16}, 4.7) == (4.16, "DGS10 4.16%, flat (one tenor)")


def test_market_pd_formula() -> None:
    assert market_pd(0.05) == pytest.approx(1 - math.exp(-0.05 / 0.6))
    assert market_pd(0.03, recovery=0.0) == pytest.approx(1 - math.exp(-0.03))
    assert market_pd(-0.001) == 0.0


def test_indicators_name_their_note_and_source_and_are_unscored() -> None:
    e = Engine()
    e.ingest([note(105.0), rate("DGS5", 3.74), rate("DGS7", 3.93), rate("DGS10", 4.16)], now=T0)
    ind = e.snapshot.indicators
    y = yield_to(105.0, 9.25, DAY, date(2030, 6, 1))
    tenor = (date(2030, 6, 1) - DAY).days / 365.25
    tsy = 3.74 + (3.93 - 3.74) * (tenor - 5) / 2 if tenor > 5 else 3.74  # 4.67y: flat below DGS5
    assert ind["bond_yield"].value == pytest.approx(y)
    assert ind["bond_spread"].value == pytest.approx(y - tsy / 100)
    assert ind["market_pd_1y"].value == pytest.approx(1 - math.exp(-(y - tsy / 100) / 0.6))
    for name in ("bond_yield", "bond_spread", "market_pd_1y"):
        r = ind[name]
        assert r.get("note") == "2030 senior notes" and r.get("cusip") == "21873SAA6" and r.get("source") == SRC
        assert any("2030 senior notes" in i.name and i.source == SRC for i in r.inputs)
        assert any(i.name.startswith("DGS5 on 2025-09-30") for i in r.inputs)
        assert r.threshold is None  # informational: out of the composite score
    assert "R = 40%" in ind["market_pd_1y"].formula and ind["market_pd_1y"].get("recovery") == 0.40
    assert {s.name: s.excluded for s in e.snapshot.score.lines}["market_pd_1y"] == "information only (no threshold)"


def test_rates_are_read_on_the_price_date_not_today() -> None:
    e = Engine()
    e.ingest([note(100.0), rate("DGS10", 4.16), rate("DGS10", 3.0, date(2026, 3, 2))], now=T0)
    r = e.snapshot.indicators["bond_spread"]
    assert r.value == pytest.approx(yield_to(100.0, 9.25, DAY, date(2030, 6, 1)) - 0.0416)
    # no Treasury yield near the price's day: no data, saying why
    e2 = Engine()
    e2.ingest([note(100.0), rate("DGS10", 3.0, date(2026, 3, 2))], now=T0)
    r2 = e2.snapshot.indicators["bond_spread"]
    assert r2.value is None and "DGS" in r2.reason


def test_a_row_per_note_beside_the_model() -> None:
    e = Engine()
    e.ingest([note(105.0), note(102.857, coupon=9.0, maturity=date(2031, 2, 1), cusip="21873SAB4",
                                     name="2031 senior notes"),
              rate("DGS10", 4.16)], now=T0)
    rows = market_vs_model(e.snapshot.indicators)
    assert [r["cusip"] for r in rows] == ["21873SAA6", "21873SAB4"]  # nearest maturity first
    assert all({"yield", "spread", "pd_1y", "model_pd_1y", "funding_gap_12m", "breach_prob_24m"} <= r.keys()
               for r in rows)
    assert rows[1]["yield"] == pytest.approx(yield_to(102.857, 9.0, DAY, date(2031, 2, 1)))
    assert market_vs_model(Engine().snapshot.indicators) == []


def test_a_newer_price_of_the_same_note_wins_whatever_its_source() -> None:
    e = Engine()
    trace = BondQuote(as_of=datetime(2025, 10, 15, tzinfo=UTC), fetched_at=T0, company="CRWV",
                      source="https://api.finra.org/data/group/fixedIncomeMarket/name/x (FINRA TRACE, CUSIP 99999XAA0)",
                      note="2030 senior notes", cusip="99999XAA0", price=101.0, coupon=9.25, maturity=date(2030, 6, 1))
    e.ingest([note(105.0, cusip=""), trace, rate("DGS10", 4.16), rate("DGS10", 4.03, date(2025, 10, 15))], now=T0)
    r = e.snapshot.indicators["bond_yield"]
    assert r.get("price") == 101.0 and "FINRA TRACE" in r.get("source") and r.get("price_as_of") == "2025-10-15"
    assert len(r.get("notes")) == 1
    assert e.snapshot.indicators["bond_spread"].value == pytest.approx(
        yield_to(101.0, 9.25, date(2025, 10, 15), date(2030, 6, 1)) - 0.0403)
