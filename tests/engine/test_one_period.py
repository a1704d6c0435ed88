"""One period per figure: every company figure is evaluated at the newest balance sheet
(2025-09-30 on the sample data), with every flow as TTM ending that same day; the
expectations below are worked out by hand from coreweave.md."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from engine.observations import FinancialFact
from gpurisk.session import demo_session

K = 1000.0
P = date(2025, 9, 30)
EBIT_TTM = (324_358 - 16_847 - 77_721 - 117_116) - 27_470 + 19_209 + 51_850  # Q4-24 (FY − 9M) .. Q3-25
INTEREST_TTM = (360_824 - 40_656 - 66_766 - 104_375) + 263_835 + 266_966 + 310_555
DNA_TTM = 863_000 + 1_633_457 - 497_994  # FY2024 + 9M-25 − 9M-24
DEBT = 3_712_177 + 10_322_757
CASH = 1_894_399
LEASES = 345_472 + 4_378_869 + 48_990 + 12


@pytest.fixture(scope="module")
def snap():  # type: ignore[no-untyped-def]
    s = demo_session()
    return asyncio.run(s.poll_all()), s


def test_hand_computed_ttm() -> None:
    assert EBIT_TTM == 156_263 and INTEREST_TTM == 990_383  # coreweave.md: TTM operating income 156,263


def test_balance_sheet_ratios_at_2025_09_30(snap) -> None:  # type: ignore[no-untyped-def]
    sn, _ = snap
    ind = sn.indicators
    assert round(ind["liabilities_to_assets"].value, 3) == 0.882
    assert round(ind["current_ratio"].value, 3) == 0.487
    assert round(ind["quick_ratio"].value, 3) == 0.366
    assert round(ind["cash_ratio"].value, 3) == 0.195
    assert round(ind["debt_to_assets"].value, 3) == 0.426
    for name in ("liabilities_to_assets", "current_ratio", "quick_ratio", "cash_ratio", "interest_coverage",
                 "net_debt_to_ebitda", "effective_rate", "altman_z2"):
        assert ind[name].period == P, name


def test_flows_are_ttm_to_the_balance_date(snap) -> None:  # type: ignore[no-untyped-def]
    sn, s = snap
    f = s.engine.state.fin.ttm("CRWV", "d_and_a", P)
    assert f is not None and f.value == pytest.approx(DNA_TTM * K)
    assert f.derived.startswith("last FY + year-to-date")
    ind = sn.indicators
    assert ind["interest_coverage"].value == pytest.approx(EBIT_TTM / INTEREST_TTM)
    assert ind["net_debt_to_ebitda"].value == pytest.approx((DEBT - CASH) / (EBIT_TTM + DNA_TTM))
    assert ind["net_debt_leases_to_ebitda"].value == pytest.approx((DEBT - CASH + LEASES) / (EBIT_TTM + DNA_TTM))
    ttm_dates = {i.as_of for name in ("interest_coverage", "net_debt_to_ebitda", "debt_to_ebitda")
                 for i in ind[name].inputs if "TTM" in i.name}
    assert ttm_dates == {P}


def test_one_financing_rate_for_effective_rate_breakevens_and_spreads(snap) -> None:  # type: ignore[no-untyped-def]
    sn, _ = snap
    ind = sn.indicators
    # No facility table at 2025-09-30: interest TTM ÷ the debt reported within the twelve months.
    avg = (7_926_340 + 8_711_666 + DEBT) / 3
    rate = INTEREST_TTM / avg * 100.0
    assert ind["effective_rate"].value == pytest.approx(rate)
    assert "average debt" in ind["effective_rate"].get("basis")
    for name in ("h100_margin_6y", "margin_b200"):
        assert ind[name].get("rate_pct") == pytest.approx(rate), name
    for name in ("spread_sofr", "spread_hy"):
        if ind[name].value is not None:
            assert ind[name].get("rate") == pytest.approx(rate), name


def test_an_indicator_as_of_is_its_oldest_input(snap) -> None:  # type: ignore[no-untyped-def]
    sn, _ = snap
    wall = sn.indicators["maturity_wall"]
    dates = [i.as_of for i in wall.inputs if i.as_of is not None]
    # the newest schedule (2025-12-31) beside cash at the period: as of the oldest, 2025-09-30
    assert wall.as_of == min(dates) == date(2025, 9, 30) and date(2025, 12, 31) in dates


def test_missing_lease_lines_are_no_data_never_zero() -> None:
    from engine import Engine

    from crwv_testdata import T0, full_batch

    batch = [o for o in full_batch() if not (isinstance(o, FinancialFact) and "lease" in o.metric)]
    e = Engine()
    sn = e.ingest(batch, now=T0)
    with_leases = Engine().ingest(full_batch(), now=T0)
    assert with_leases.indicators["debt_leases_to_assets"].value is not None
    for name in ("debt_leases_to_assets", "net_debt_leases_to_ebitda"):
        r = sn.indicators[name]
        assert r.value is None and r.status == "no_data", name
        assert "lease" in r.reason.lower() and "not reported" in r.reason, r.reason
    assert sn.indicators["debt_to_assets"].value is not None


def test_an_older_input_moves_the_indicator_to_the_newest_complete_period(snap) -> None:  # type: ignore[no-untyped-def]
    sn, _ = snap
    dep = sn.indicators["depreciation_sensitivity"]  # equipment at cost last reported at 2025-03-31
    assert dep.value is not None and dep.period == date(2025, 3, 31)
    assert "2025-09-30" in dep.reason and "not reported" in dep.reason


def test_aggregate_lines_are_not_customers() -> None:
    from engine.observations import is_aggregate_customer

    assert is_aggregate_customer("Top 2 customers") and is_aggregate_customer("top-three customers")
    assert not is_aggregate_customer("Toptal Inc") and not is_aggregate_customer("Microsoft")
