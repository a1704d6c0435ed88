"""Like for like, newest first: each SKU's margin on its own sourced capex against a market rent,
one effective-rate method across periods, the newest schedule and facility table, the capital stack
senior first, and newer filings named when their statements are not loaded."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from engine.observations import FilingEvent
from gpurisk.session import demo_session

SKUS = ("h100_margin_6y", "margin_h200", "margin_b200", "margin_gb200", "margin_a100")


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    s = demo_session()
    asyncio.run(s.poll_all())
    return s


def test_every_sku_margin_is_on_a_market_rent_and_in_a_sane_range(demo) -> None:  # type: ignore[no-untyped-def]
    ind = demo.engine.snapshot.indicators
    for name in SKUS:
        r = ind[name]
        assert r.value is not None and -0.5 <= r.value <= 1.5, (name, r.value)  # GB200 read 372.6% on its list
        assert "marketplace" in r.get("tier"), (name, r.get("tier"))
    gb = ind["margin_gb200"]
    assert gb.get("tier").startswith("marketplace-equivalent (H100 × 1.95)")
    h100 = demo.engine.state.prices.row("H100 SXM", "marketplace").price
    assert gb.get("table")[0]["price"] == pytest.approx(h100 * 1.95)


def test_no_capex_is_derived_from_a_rent(demo) -> None:  # type: ignore[no-untyped-def]
    for name, a in demo.engine.state.assumptions.items():
        if name.startswith("capex_per_gpu"):
            assert "rate-card ratio" not in a.source and "rate card" not in a.source, (name, a.source)


def test_one_effective_rate_method_at_both_periods(demo) -> None:  # type: ignore[no-untyped-def]
    e = demo.engine
    periods = e.state.fin.balance_periods("CRWV")[:2]
    bases = [e.evaluate_at("effective_rate", p).get("basis") for p in periods]
    assert all(b.startswith("interest TTM ÷ average debt") for b in bases), bases


def test_the_debt_view_reads_the_newest_schedule_and_stack(demo) -> None:  # type: ignore[no-untyped-def]
    view = demo.engine.snapshot.financials
    assert view.maturities_as_of == date(2025, 12, 31)
    assert dict(view.maturities)["2026"] == pytest.approx(6_708_000_000)
    assert "2025" not in dict(view.maturities)  # the 2025-06-30 schedule's "rest of 2025" is gone
    classes = [row[0] for row in view.capital_stack]
    assert classes == sorted(classes, key=("secured", "unsecured notes", "convertible notes").index)
    assert classes[0] == "secured" and classes[-1] == "convertible notes"
    assert sum(row[2] for row in view.capital_stack) == pytest.approx(21_615_000_000)
    wall = demo.engine.snapshot.indicators["maturity_wall"]
    assert wall.get("as_of") == date(2025, 12, 31) and wall.status == "alert"  # the 2026 wall is 1.4×, not 0.91


def test_newer_filings_are_named_when_not_loaded(demo) -> None:  # type: ignore[no-untyped-def]
    e = demo.engine
    at = datetime(2026, 3, 2, tzinfo=UTC)
    e.ingest([FilingEvent(as_of=at, fetched_at=at, source="test", company="CRWV", form="10-K",
                          accession="0001769628-26-000104", filed=date(2026, 3, 2))], now=at)
    newer = e.snapshot.financials.newer_filings
    assert any("10-K 0001769628-26-000104" in n for n in newer)
    assert not any("0001769628-25-000062" in n for n in newer)  # the Q3 10-Q is the balance sheet shown
