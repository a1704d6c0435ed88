"""What must never take the dashboard down: a screen opened twice (key, palette, click),
a display bug in one panel, markup in names that reach the command palette."""

from __future__ import annotations

from textual.content import Content

from tui.palette import commands


async def poll_all(app) -> None:  # type: ignore[no-untyped-def]
    await app.poll_now()


async def test_opening_a_screen_twice_keeps_one(make_app) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.explain import ExplainScreen
    from tui.screens.score import ScoreScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await poll_all(app)
        await pilot.press("c")
        await pilot.pause()
        app.action_score()  # what the palette's SCORE does while the score screen is open
        await pilot.pause()
        assert sum(isinstance(s, ScoreScreen) for s in app.screen_stack) == 1
        app.action_alerts()
        app.action_scenario("rates")
        await pilot.pause()
        assert len(app.screen_stack) == 2  # the dashboard and the last screen opened
        app.open_screen(ExplainScreen("Explain: a", app.session.snapshot.indicators["hhi"].title))
        app.open_screen(ExplainScreen("Explain: b", "text"))
        await pilot.pause()
        assert len(app.screen_stack) == 2 and isinstance(app.screen, ExplainScreen)
        app.action_panel(1)  # palette DEBT over a modal: back to the dashboard, not inside the modal
        await pilot.pause()
        assert len(app.screen_stack) == 1
    assert app.return_code in (None, 0)


async def test_a_display_bug_is_reported_not_fatal(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await poll_all(app)

        def broken(*_a, **_k):  # type: ignore[no-untyped-def]
            raise ValueError("bad cell")

        app.panels[0].apply = broken  # type: ignore[method-assign]
        await app.poll_now(["replay"])
        app.tick()
        await pilot.pause()
        assert app.is_running
        assert any("display error" in text for _, text in app.notices.log)  # on the notice line
    assert app.return_code in (None, 0)


async def test_palette_titles_are_text_not_markup(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)):
        await poll_all(app)
        ind = app.session.engine.indicators["hhi"]
        from dataclasses import replace

        app.session.engine.indicators["hhi"] = replace(ind, title="[bold]HHI[/] x[/]y")
        cmds = list(commands(app))
        title = next(c.title for c in cmds if "HHI" in c.title)
        assert Content.from_markup(title).plain == "EXPLAIN [bold]HHI[/] x[/]y"
        for c in cmds:
            Content.from_markup(c.title)  # must not raise
            Content.from_markup(c.help)


def test_maturities_explain_has_real_line_breaks(session) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from gpurisk.text.explain import maturities_text

    snap = asyncio.run(session.poll_all())
    text = maturities_text(snap.financials).plain
    assert "\\x0a" not in text and "\n  2026" in text


def test_debt_ratio_explain_works_the_ratio_out_at_each_period(session) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from gpurisk.text.explain import debt_text

    snap = asyncio.run(session.poll_all())
    cover = next(ln for ln in snap.financials.lines if ln.key == "interest_coverage")
    text = debt_text(cover, None, session).plain
    assert "EBIT TTM ÷ interest expense TTM" in text
    assert "156,263,000" in text and "as of 2025-09-30" in text  # TTM to the 2025-09-30 balance date
    assert "280,041,000" in text and "as of 2025-03-31" in text  # TTM to 2025-03-31 for the earlier column
    liab = next(ln for ln in snap.financials.lines if ln.key == "total_liabilities")
    assert "$29,032,484,000" in debt_text(liab, None, session).plain
