"""The debt panel's market-vs-model block: a row per note naming the note, its price date,
yield kind, spread and what it is over, beside the model's own view; a reason when no note
is priced."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine import BondQuote, Engine, RateObs
from tui.widgets.market_rows import curve_word, market_explain, market_text

T0 = datetime(2026, 3, 1, tzinfo=UTC)
D = datetime(2025, 9, 30, tzinfo=UTC)


def engine() -> Engine:
    e = Engine()
    e.ingest([BondQuote(as_of=D, fetched_at=T0, source="sample_data/note_fair_values.csv: Q3-25 10-Q", company="CRWV",
                        note="2030 senior notes", cusip="", price=105.0, coupon=9.25, maturity=date(2030, 6, 1)),
              RateObs(as_of=D, fetched_at=T0, source="FRED DGS10", series="DGS10", value=4.16)], now=T0)
    return e


def test_a_row_per_note_beside_the_model() -> None:
    t = market_text(engine().snapshot.indicators, 120).plain
    assert "2030 senior notes" in t and "105.00" in t and "2025-09-30" in t and "YTM 7.94%" in t
    assert "+378 bp" in t and "PD1y 6.1%" in t and "vs DGS10 (flat)" in t
    assert "Model: DD PD1y —" in t  # no equity here: the model's view says it has none
    ex = market_explain(engine().snapshot.indicators).plain
    assert "R = 40%" in ex and "sample_data/note_fair_values.csv: Q3-25 10-Q" in ex


def test_no_note_prices_says_why() -> None:
    t = market_text(Engine().snapshot.indicators, 80).plain
    assert "no note prices for CRWV" in t


def test_curve_word() -> None:
    assert curve_word("DGS5 3.74% → DGS7 3.93% at 5.20y") == "vs DGS5–DGS7"
    assert curve_word("DGS10 4.16%, flat (one tenor)") == "vs DGS10 (flat)"


async def test_the_market_block_follows_its_indicators_on_every_update(make_app) -> None:  # type: ignore[no-untyped-def]
    """Laid out first, then fed poll by poll (each update names what changed): the notes'
    rows appear when their indicators do, not only on the next full redraw."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()  # the panels are drawn (empty) before any data
        for _ in range(3):
            await app.poll_now()
        await pilot.pause()
        assert app.session.snapshot.indicators["bond_yield"].status != "no_data"
        market = app.query_one("#debt").row("market").plain
        assert "YTM 7.94%" in market and "no note prices" not in market, market
