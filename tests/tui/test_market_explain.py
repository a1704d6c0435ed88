"""Enter on the debt panel's market-vs-model block explains it: every note with its full
source and curve reading, and the PD formula with R stated."""

from __future__ import annotations

from tui.screens.explain import ExplainScreen


async def test_enter_on_the_market_block_explains_it(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        debt = app.query_one("#debt")
        debt.focus()
        debt.set_cursor("market")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        text = app.screen.plain
        assert "2030 senior notes: 105.000 on 2025-09-30" in text and "2031 senior notes" in text
        assert "R = 40% (senior unsecured)" in text and "0001769628-25-000062" in text
        assert "Treasury DGS10 4.16%, flat (one tenor)" in text
