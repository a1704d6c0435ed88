"""The forward projection (engine/projection.py), checked by hand from coreweave.md's figures.

The engine is fed the bundled sample files without any GPU price (rents then stay where they
were: a factor of 1), so the first two projected quarters can be worked out on paper.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine import Engine
from engine.context import Context
from engine.projection import base_date, label, principal_between, projection, quarter_ends
from feeds.sample import (
    parse_assumptions,
    parse_customers,
    parse_facilities,
    parse_financials,
    parse_maturities,
    parse_rates,
)

K = 1000.0
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
NOW = datetime(2026, 3, 3, tzinfo=UTC)

# coreweave.md, USD thousands. Q4-2025 = FY2025 [S] − the three reported quarters.
R0 = 5_131_000 - 981_632 - 1_212_788 - 1_364_676
EBIT0 = -46_000 - (-27_470 + 19_209 + 51_850)
DNA0 = 2_454_000 - 443_500 - (1_633_457 - 443_500 - 630_479) - 630_479
M0 = (EBIT0 + DNA0) / R0
RPO = 60_700_000  # 2025-12-31 [S]
C0, ROLL = 0.98, 0.05  # take-or-pay share [S]; five-year average book rolls 1/20 a quarter [D]
CASH0, UNDRAWN0, DEBT0 = 4_200_000, 3_700_000, 21_615_000  # 2025-12-31 [S]
DUE_2026 = 6_708_000  # principal due in 2026, schedule of 2025-12-31 [S]
CAPEX_Q = 30_000_000 / 4  # 2026 guidance, low end, over four quarters [S]
FIN_LEASE_Q = 48_990 / 4  # current finance lease liability at 2025-09-30 [P] over four quarters
FIXED = [(2_000_000, 9.25), (1_750_000, 9.0), (2_588_000, 1.75)]  # 2030/2031 notes, 2031 converts
FLOATING = [(3_000_000, 8.12), (2_600_000, 7.87), (9_677_000, 11.3)]  # DDTL 2.1, DDTL 3.0, the rest
SOFR_TABLE = 3.87  # SOFR on 2025-12-31 (FRED)


def _feed_all() -> Engine:
    e = Engine()
    for parse, name in ((parse_financials, "financials.csv"), (parse_facilities, "debt_facilities.csv"),
                        (parse_maturities, "maturities.csv"), (parse_customers, "customers.csv"),
                        (parse_rates, "rates.csv"), (parse_assumptions, "assumptions.toml")):
        e.ingest(parse(SAMPLE / name, NOW), now=NOW)
    return e


@pytest.fixture(scope="module")
def engine() -> Engine:
    return _feed_all()


def test_quarter_calendar() -> None:
    ends = quarter_ends(date(2025, 12, 31), 3)
    assert ends == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)]
    assert [label(d) for d in ends] == ["Q1-26", "Q2-26", "Q3-26"]
    assert quarter_ends(date(2025, 9, 30), 1) == [date(2025, 12, 31)]


def test_the_walk_starts_where_the_liquidity_is_dated(engine: Engine) -> None:
    ctx = Context(engine.state, "CRWV", at=engine.period())
    assert engine.period() == date(2025, 9, 30)  # the newest full balance sheet
    assert base_date(ctx) == date(2025, 12, 31)  # undrawn facilities and Q4 revenue are dated here


def test_two_quarters_by_hand(engine: Engine) -> None:
    sofr_now = engine.state.rates["SOFR"].value
    p = projection(Context(engine.state, "CRWV", at=engine.period()))
    assert p.period == date(2025, 12, 31) and p.opening_cash == CASH0 * K and p.opening_undrawn == UNDRAWN0 * K

    fixed_p = sum(a for a, _ in FIXED)
    float_p = sum(a for a, _ in FLOATING)
    fixed_rate = sum(a * r for a, r in FIXED) / fixed_p
    margin = sum(a * (r - SOFR_TABLE) for a, r in FLOATING) / float_p
    float_rate = sofr_now + margin
    fixed_debt, float_debt = DEBT0 * fixed_p / (fixed_p + float_p), DEBT0 * float_p / (fixed_p + float_p)
    cash, undrawn = float(CASH0), float(UNDRAWN0)
    days = {1: 90, 2: 91}  # Jan–Mar, Apr–Jun 2026
    for i in (1, 2):
        book = C0 * (1 - ROLL) ** i
        contracted = RPO * 0.20 / 4  # 20% of the RPO within four quarters, evenly
        market = R0 * (1 - book)  # rolled-off and never-contracted capacity at unchanged rents
        revenue = contracted + market
        ebitda = revenue - (1 - M0) * revenue
        principal = DUE_2026 * days[i] / 365
        interest = (fixed_debt * fixed_rate + float_debt * float_rate) / 100 / 4
        cash += ebitda - interest - principal - CAPEX_Q - FIN_LEASE_Q
        draws = min(undrawn, -cash) if cash < 0 else 0.0
        undrawn -= draws
        cash += draws
        keep = 1 - principal / (fixed_debt + float_debt)
        fixed_debt, float_debt = fixed_debt * keep, float_debt * keep + draws
        q = p.quarters[i - 1]
        assert q.label == ("Q1-26" if i == 1 else "Q2-26")
        assert q.contracted == pytest.approx(contracted * K)
        assert q.market == pytest.approx(market * K)
        assert q.ebitda == pytest.approx(ebitda * K)
        assert q.principal == pytest.approx(principal * K)
        assert q.interest == pytest.approx(interest * K)
        assert q.capex == pytest.approx(CAPEX_Q * K)
        assert q.cash == pytest.approx(cash * K) and q.undrawn == pytest.approx(undrawn * K)
        assert q.debt == pytest.approx((fixed_debt + float_debt) * K)
    # Q1-26 alone uses more than cash and the facilities hold: the runway ends inside it
    assert p.quarters[0].liquidity < 0
    months, how = p.runway_months()
    assert 0 < months < 3 and "Q1-26" in how


def test_principal_comes_from_the_newest_schedule_covering_each_year(engine: Engine) -> None:
    from engine.projection import _schedule

    sched = _schedule(Context(engine.state, "CRWV", at=engine.period()))
    # Q4-2025 is before the 2025-12-31 schedule starts: the 2025-06-30 schedule's rest of 2025
    due, used = principal_between(sched, date(2025, 9, 30), date(2025, 12, 31))
    assert due == pytest.approx(986_052 * K * 92 / 184) and used == {date(2025, 6, 30)}
    due, used = principal_between(sched, date(2025, 12, 31), date(2026, 12, 31))
    assert due == pytest.approx(DUE_2026 * K) and used == {date(2025, 12, 31)}


def test_indicators_read_the_next_four_quarters(engine: Engine) -> None:
    ind = engine.snapshot.indicators
    p = projection(Context(engine.state, "CRWV", at=engine.period()))
    assert ind["proj_ebitda_4q"].value == pytest.approx(p.sum("ebitda"))
    assert ind["ebitda_coverage"].value == pytest.approx(p.sum("ebitda") / p.sum("interest"))
    assert ind["dscr"].value == pytest.approx(p.sum("ebitda") / (p.sum("interest") + p.sum("principal")))
    assert ind["funding_gap_12m"].value == pytest.approx(p.sum("uses") - (CASH0 + UNDRAWN0) * K - p.sum("ebitda"))
    for name in ("proj_ebitda_4q", "ebitda_coverage", "dscr", "runway_months", "funding_gap_12m"):
        r = ind[name]
        assert r.period == date(2025, 12, 31), name  # the walk's start, said as the period
        assert "next 4 quarters from 2025-12-31" in r.get("period"), name
    runway = ind["runway_months"]
    assert runway.get("undrawn") == UNDRAWN0 * K  # the undrawn facilities are an input with a value
    assert "cash ÷ trailing burn" in runway.get("cash_only_lower_bound")
    assert ind["dscr"].get("breach") == "ALERT from Q1-26"
    assert ind["funding_gap_12m"].status == "alert" and ind["funding_gap_12m"].value > 0


def test_missing_undrawn_facilities_is_no_data_never_zero() -> None:
    e = Engine()
    batch = [o for o in parse_financials(SAMPLE / "financials.csv", NOW) if o.metric != "undrawn_facilities"]
    e.ingest(batch, now=NOW)
    for parse, name in ((parse_facilities, "debt_facilities.csv"), (parse_maturities, "maturities.csv"),
                        (parse_assumptions, "assumptions.toml"), (parse_rates, "rates.csv")):
        e.ingest(parse(SAMPLE / name, NOW), now=NOW)
    r = e.snapshot.indicators["runway_months"]
    assert r.value is None and r.status == "no_data" and "undrawn committed facilities" in r.reason
