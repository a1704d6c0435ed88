"""The peers screen (P): opens from the key and the palette, sorts, explains a cell; an SVG
snapshot at 120×40; at 80×24 the table scrolls sideways with the indicator column fixed."""

from __future__ import annotations

from textual.widgets import DataTable

POLLS = 3


async def open_peers(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(POLLS):
        await pilot.app.poll_now()
    await pilot.pause()
    await pilot.press("P")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_peers_snapshot(snap_compare, frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=open_peers)


def cells(screen) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    dt = screen.query_one("#peers-table", DataTable)
    out = {}
    for r, row in enumerate(screen.rows):
        for c, company in enumerate(screen.columns, start=1):
            out[(row, company)] = dt.get_cell_at((r, c)).plain
    return out


async def test_p_opens_the_table_with_periods_and_worst(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.peers import PeersScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_peers(pilot)
        screen = app.screen
        assert isinstance(screen, PeersScreen)
        assert screen.columns == ["CRWV", "NBIS", "IREN", "APLD", "ORCL"]
        got = cells(screen)
        snap = app.session.snapshot.indicators
        # CRWV's cells read the dashboard's own values at its period
        assert got[("current_ratio", "CRWV")].startswith(f"{snap['current_ratio'].value:.3f} ALERT\nQ3-25")
        assert "◆worst" in got[("current_ratio", "CRWV")]  # marked by a symbol and a word, not colour alone
        assert got[("liabilities_to_assets", "ORCL")] == "0.875 WATCH\nFY25 (May)"  # its column period
        assert got[("liabilities_to_assets", "CRWV")] == "0.882 WATCH\nQ3-25 ◆worst"
        assert got[("liabilities_to_assets", "APLD")] == "0.538 OK\nQ1 FY26 (Aug)"
        assert got[("liabilities_to_assets", "NBIS")].startswith("NO DATA")
        # IREN at its fiscal year end (30 Jun 2025, the newest sheet on or before CRWV's 30 Sep 2025)
        assert got[("liabilities_to_assets", "IREN")] == "0.382 OK\nFY25 (Jun)"
        assert got[("depreciation_life", "IREN")] == "5 y\n2025-06-30"
        # CRWV's 6-year life (the dashboard's assumption) against Nebius's 4: the longer is marked
        assert got[("depreciation_life", "CRWV")] == "6 y\nassumption ◆worst"
        assert got[("depreciation_life", "NBIS")] == "4 y\n2024-12-31"
        periods = screen.query_one("#peers-periods").render().plain  # type: ignore[union-attr]
        assert "2025-09-30" in periods and "ORCL 2025-05-31" in periods and "APLD 2025-08-31" in periods
        assert "IREN 2025-06-30" in periods


async def test_sort_cycles_columns_then_rows(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_peers(pilot)
        screen = app.screen
        await pilot.press("o")  # columns by the row under the cursor (liabilities/assets), worst first
        assert screen.columns == ["CRWV", "ORCL", "APLD", "IREN", "NBIS"]  # NO DATA (NBIS) last
        assert "columns by row" in str(screen.query_one("#peers-box").border_title)
        await pilot.press("right", "right", "o")  # rows by the status in the column under the cursor (ORCL)
        assert screen.rows[:3] == ["altman_z2", "liabilities_to_assets", "current_ratio"]  # ALERT, then WATCH
        assert screen.rows[-1] in ("top1_share", "depreciation_life")  # NO DATA last
        await pilot.press("o")  # back to as listed
        assert screen.columns == ["CRWV", "NBIS", "IREN", "APLD", "ORCL"]
        assert screen.rows[0] == "liabilities_to_assets"


async def test_enter_explains_the_cell(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.explain import ExplainScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_peers(pilot)
        await pilot.press("down", "down", "down", "down")  # interest cover
        for _ in range(5):
            await pilot.press("right")  # the ORCL column
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        text = app.screen.plain
        assert text.startswith("ORCL · Interest cover (EBIT)")
        assert "2025-05-31  FY25 (May)" in text and "EBIT TTM ÷ interest expense TTM" in text
        assert "value      4.94×   OK" in text
        # each input with its value, period and source
        assert "($17,678,000,000)  as of 2025-05-31  peers/financials.csv: FY2025 10-K" in text
        assert "($3,578,000,000)  as of 2025-05-31" in text
        await pilot.press("escape")
        await pilot.press("left", "enter")  # APLD: NO DATA, with the reason
        await pilot.pause()
        assert "NO DATA" in app.screen.plain and "missing" in app.screen.plain


async def test_palette_and_narrow_terminal(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    """80×24: every column is reachable by scrolling, the indicator names stay in view."""
    from tui.screens.peers import PeersScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(POLLS):
            await app.poll_now()
        app.action_peers()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PeersScreen)
        dt = app.screen.query_one("#peers-table", DataTable)
        assert dt.fixed_columns == 1
        for _ in range(5):
            await pilot.press("right")
        await pilot.pause()
        assert dt.cursor_coordinate.column == 5 and dt.scroll_x > 0  # ORCL scrolled into view
        region = dt.region
        assert region.width <= 80 and region.height >= 8
        assert "Liabilities / assets" in app.screen.query_one("#peers-table").render_line(1).text


def test_palette_lists_peers() -> None:
    import inspect

    from tui import palette

    assert '"PEERS"' in inspect.getsource(palette.commands)
