"""Ratios never mix periods: numerator and denominator cover the same twelve months.

On the sample data the latest balance sheet is 2025-03-31, operating income runs to
2025-09-30 and D&A is reported only for FY2023, FY2024, Q1-24 and Q1-25."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from gpurisk.session import demo_session

K = 1000.0


@pytest.fixture(scope="module")
def snap():  # type: ignore[no-untyped-def]
    s = demo_session()
    return asyncio.run(s.poll_all()), s


def test_ltm_roll_forward_for_d_and_a(snap) -> None:  # type: ignore[no-untyped-def]
    _, s = snap
    f = s.engine.state.fin.ttm("CRWV", "d_and_a", date(2025, 3, 31))
    assert f is not None and f.value == pytest.approx((863_000 + 443_500 - 79_500) * K)
    assert f.derived.startswith("last FY + year-to-date")


def test_ebitda_multiples_use_ttm_to_the_balance_date(snap) -> None:  # type: ignore[no-untyped-def]
    sn, _ = snap
    ebit = (77_721 + 117_116 + (324_358 - 16_847 - 77_721 - 117_116) - 27_470) * K  # Q2-24..Q1-25
    ebitda = ebit + (863_000 + 443_500 - 79_500) * K
    debt = (3_776_595 + 4_935_071) * K
    cash = 1_276_456 * K
    nd = sn.indicators["net_debt_to_ebitda"]
    assert nd.value == pytest.approx((debt - cash) / ebitda)
    dates = {i.as_of for i in nd.inputs if "TTM" in i.name}
    assert dates == {date(2025, 3, 31)}


def test_interest_coverage_uses_latest_common_twelve_months(snap) -> None:  # type: ignore[no-untyped-def]
    sn, _ = snap
    ebit = (324_358 - 16_847 - 77_721 - 117_116 - 27_470 + 19_209 + 51_850) * K  # Q4-24..Q3-25
    interest = (360_824 - 40_656 - 66_766 - 104_375 + 263_835 + 266_966 + 310_555) * K
    assert sn.indicators["interest_coverage"].value == pytest.approx(ebit / interest)


def test_aggregate_lines_are_not_customers() -> None:
    from engine.observations import is_aggregate_customer

    assert is_aggregate_customer("Top 2 customers") and is_aggregate_customer("top-three customers")
    assert not is_aggregate_customer("Toptal Inc") and not is_aggregate_customer("Microsoft")
