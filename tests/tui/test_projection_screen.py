"""`w`: the projection screen, quarter by quarter, live, under each what-if."""

from __future__ import annotations

from engine.context import Context
from engine.projection import projection
from engine.scenarios import PRESETS


async def polled(app, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.poll_now()
    await pilot.pause()


def text(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#projection-text").render())


async def test_w_opens_the_walk_and_tab_runs_it_under_each_preset(make_app) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.projection import ProjectionScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, ProjectionScreen)
        base = text(app)
        eng = app.session.engine
        p = projection(Context(eng.state, eng.company, at=eng.period()))
        assert f"From {p.period}" in base and "no shock" in base
        for q in p.quarters:  # every quarter, its EBITDA in $B as the table shows it
            assert q.label in base and f"{q.ebitda / 1e9:,.1f}" in base
        assert "ALERT from Q1-26" in base  # the first breach, beside its indicator
        await pilot.press("tab")
        await pilot.pause()
        seed = text(app)
        assert PRESETS["seed"].describe() in seed and seed != base
        for _ in range(len(PRESETS)):
            await pilot.press("tab")
        await pilot.pause()
        assert "no shock" in text(app)  # round the presets and back to the base
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ProjectionScreen)


async def test_the_screen_follows_new_data(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        before = text(app)
        screen = app.screen
        screen.at = 1  # the seed preset, as if tab were pressed, then a refresh from new data
        screen.refresh_rows()
        assert text(app) != before and "H100 rent -40%" in text(app)


def test_projection_80x24(snap_compare, frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    async def open_it(pilot) -> None:  # type: ignore[no-untyped-def]
        await polled(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_it, press=["w"])
