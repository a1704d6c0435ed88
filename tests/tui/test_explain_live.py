"""Explain for people: the popup follows the live number, labels read as words, amounts
carry units and scale, and each input is listed once."""

from __future__ import annotations

from datetime import timedelta

from engine.observations import PriceQuote
from tui.screens.explain import ExplainScreen


async def test_the_popup_follows_the_panel(make_app, session) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        risk = app.query_one("#risk")
        risk.focus()
        risk.set_cursor("h100_margin_6y")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        before = app.screen.plain
        row = session.snapshot.price("H100 SXM", "marketplace")
        q = PriceQuote(as_of=row.as_of + timedelta(hours=1), fetched_at=row.fetched_at, source="test", sku="H100 SXM",
                       tier="marketplace", provider="vast.ai", price=round(row.price * 1.25, 4))
        app.apply(session.engine.ingest([q]))
        await pilot.pause()
        after = app.screen.plain
        assert after != before and f"${q.price:.4g}/h" in after  # the popup shows the new rent
        assert f"{session.snapshot.indicators['h100_margin_6y'].value * 100:.1f}%" in after


def test_labels_units_and_inputs_once(session) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from gpurisk.text.explain import indicator_text

    snap = asyncio.run(session.poll_all())
    text = indicator_text(snap.indicators["h100_margin_6y"], session).plain
    assert "Breakeven @ reported life" in text and "breakeven_reported" not in text
    assert "$990.4M  ($990,383,000)" in text  # scale and the exact figure
    lines = [ln for ln in text.splitlines() if ln.startswith("  ") and ": " in ln]
    assert len(lines) == len(set(lines))  # each input once
    dd = indicator_text(snap.indicators["distance_to_default"], session).plain
    assert "Default probability (1 y)" in dd and "shares" in dd and "%" in dd.split("Equity volatility σE")[1][:20]
