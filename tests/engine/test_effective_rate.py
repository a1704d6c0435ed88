"""Effective interest rate: the basis follows the data (indicators.md §2, coreweave.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.context import Context
from engine.engine import Engine
from engine.indicators.leverage import effective_rate
from engine.observations import DebtFacility, FinancialFact

NOW = datetime(2026, 1, 1, tzinfo=UTC)
END, PRIOR = date(2024, 12, 31), date(2023, 12, 31)


def fact(metric: str, v: float, end: date, start: date | None = None) -> FinancialFact:
    return FinancialFact(as_of=NOW, fetched_at=NOW, source="t", company="CRWV", metric=metric, value=v,
                         period_end=end, period_start=start)


def base() -> list:
    return [fact("total_assets", 17.8e9, END), fact("debt_current", 2.468425e9, END),
            fact("debt_noncurrent", 5.457915e9, END), fact("interest_expense", 360.824e6, END, date(2024, 1, 1))]


def rate(engine: Engine) -> tuple[float, str]:
    r = effective_rate(Context(engine.state, "CRWV", at=END))
    return r.value, r.extra["basis"]


def test_interest_over_average_debt_when_a_year_earlier_is_known() -> None:
    e = Engine()
    e.ingest(base() + [fact("debt_current", 1.0e9, PRIOR), fact("debt_noncurrent", 1.0e9, PRIOR)])
    value, basis = rate(e)
    assert value == pytest.approx(360.824e6 / ((7.92634e9 + 2.0e9) / 2) * 100)
    assert basis.startswith("interest TTM ÷ average debt (2023-12-31, 2024-12-31)")


def test_average_debt_uses_every_balance_within_the_year_without_an_opening_one() -> None:
    e = Engine()
    mid = date(2024, 6, 30)
    e.ingest(base() + [fact("debt_current", 1.0e9, mid), fact("debt_noncurrent", 3.0e9, mid)])
    value, basis = rate(e)
    assert value == pytest.approx(360.824e6 / ((7.92634e9 + 4.0e9) / 2) * 100)
    assert "(2024-06-30, 2024-12-31)" in basis


def test_facility_weighted_rate_matches_coreweave_at_2024_12_31() -> None:
    e = Engine()
    table = [("DDTL 1.0", 2_012_500, 15), ("DDTL 2.0", 3_843_819, 11), ("2024 term loan", 1_000_000, 12),
             ("OEM financing", 1_177_158, 9.5)]
    e.ingest(base() + [DebtFacility(as_of=NOW, fetched_at=NOW, source="10-Q", company="CRWV", facility=n,
                                    principal=p * 1000, period_end=END, rate=r) for n, p, r in table])
    value, basis = rate(e)
    # one balance sheet, so no average debt: the facility table's rate, and the basis says why
    assert round(value, 1) == 11.9 and basis.startswith("principal-weighted facility rate (no average debt")


def test_one_method_across_periods_when_both_are_reported() -> None:
    """With a facility table *and* two balances, interest ÷ average debt still applies: a change
    across periods is then a change of rate, never of method."""
    e = Engine()
    mid = date(2024, 6, 30)
    e.ingest(base() + [fact("debt_current", 1.0e9, mid), fact("debt_noncurrent", 3.0e9, mid)]
             + [DebtFacility(as_of=NOW, fetched_at=NOW, source="10-Q", company="CRWV", facility="DDTL 1.0",
                             principal=2.0e9, period_end=END, rate=15.0)])
    value, basis = rate(e)
    assert value == pytest.approx(360.824e6 / ((7.92634e9 + 4.0e9) / 2) * 100)
    assert basis.startswith("interest TTM ÷ average debt")


def test_falls_back_to_the_assumption_and_says_so() -> None:
    from engine.observations import Assumption

    e = Engine()
    e.ingest(base())
    with pytest.raises(Exception, match="interest_rate_pct"):
        rate(e)  # no table, one debt date, no assumption: no rate at all, never a guess
    e.ingest([Assumption(as_of=NOW, fetched_at=NOW, source="a", name="interest_rate_pct", value=11.0)])
    value, basis = rate(e)
    assert value == 11.0 and "assumption" in basis
