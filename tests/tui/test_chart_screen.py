"""The chart screen (g): ranges, cursor, the ways in (key, palette, explain), the empty
state, lazy imports, and SVG snapshots of H100 rent and one indicator at each range.

Regenerate only this file's snapshots after an intended change
(``pytest tests/tui/test_chart_screen.py --snapshot-update``) and look at them as PNG."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.chart_data import RANGE_KEYS
from tui.screens.chart import ChartScreen
from tui.screens.explain import ExplainScreen

POLLS = 3
ROOT = Path(__file__).resolve().parents[2]


async def polled(app, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(POLLS):
        await app.poll_now()
    await pilot.pause()


async def test_g_opens_h100_at_the_reference_tier_and_q_closes(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChartScreen) and screen.target == ("rent", "H100 SXM", "marketplace")
        text = screen.plain
        assert "DEMO" in text and "H100 SXM · marketplace rent" in text
        assert "breakeven @6y" in text and "breakeven @3y" in text and "H100 SXM index" in text  # the legend
        assert "last point 2026-03-05" in text and "vast.ai via replay" in text  # source and as-of
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, ChartScreen) and app.is_running
        await pilot.press("g", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChartScreen)


async def test_g_on_a_focused_row_charts_that_row(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        prices = app.query_one("#prices")
        prices.focus()
        prices.set_cursor("H200/neocloud_list")
        await pilot.press("g")
        await pilot.pause()
        assert app.screen.target == ("rent", "H200", "neocloud_list")
        await pilot.press("escape")
        risk = app.query_one("#risk")
        risk.focus()
        risk.set_cursor("liabilities_to_assets")
        await pilot.press("g")
        await pilot.pause()
        assert app.screen.target == ("indicator", "liabilities_to_assets")
        assert "watch > 0.800" in app.screen.plain and "alert > 0.900" in app.screen.plain


async def test_ranges_step_with_brackets_and_stop_at_the_ends(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        app.action_chart("rent", "H100 SXM", "marketplace")
        await pilot.pause()
        screen = app.screen
        assert screen.range_key == "1Y"
        seen = {}
        for key in ("left_square_bracket", "left_square_bracket", "left_square_bracket", "right_square_bracket",
                    "right_square_bracket", "right_square_bracket", "right_square_bracket"):
            await pilot.press(key)
            await pilot.pause()
            seen[screen.range_key] = (screen.chart.resolution, len(screen.chart.main.times))
            assert f"[{screen.range_key}]" in screen.plain  # the header marks the range shown
        assert screen.range_key == "ALL" and set(seen) == set(RANGE_KEYS)
        # the demo history is 123 daily points (2025-11-03 … 2026-03-05): 1M keeps 31 days, hourly buckets;
        # 3M the last 92 days
        assert seen["1M"] == ("hour", 31) and seen["3M"] == ("day", 92) and seen["ALL"] == ("day", 123)


async def test_cursor_reads_date_and_every_line(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        app.action_chart("rent", "H100 SXM", "marketplace")
        await pilot.pause()
        screen = app.screen
        main = screen.chart.main
        assert screen.cursor == len(main.times) - 1  # on the newest point
        assert "▶ 2026-03-05" in screen.cursor_text().plain
        await pilot.press("left", "left")
        await pilot.pause()
        reading = screen.cursor_text().plain
        assert screen.cursor == len(main.times) - 3
        assert reading.startswith("▶ 2026-03-03")
        assert f"rent ${main.values[-3]:.2f}/h" in reading
        assert "be @6y $" in reading and "be @3y $" in reading and "rate 9.69% (2025-09-30)" in reading
        await pilot.press("home")
        await pilot.pause()
        assert screen.cursor == 0 and screen.cursor_text().plain.startswith("▶ 2025-11-03")
        await pilot.press("left")  # stops at the first point
        assert screen.cursor == 0
        await pilot.press("end")
        assert screen.cursor == len(main.times) - 1
        await pilot.press("left", "left", "left_square_bracket")  # 3M: the cursor keeps its date
        await pilot.pause()
        assert screen.range_key == "3M" and screen.cursor_text().plain.startswith("▶ 2026-03-03")


async def test_palette_chart_entries(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        cmds = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "CHART H100 SXM marketplace" in cmds and "CHART Liabilities / assets" in cmds
        cmds["CHART B200 hyperscaler_list"].callback()
        await pilot.pause()
        assert isinstance(app.screen, ChartScreen) and app.screen.target == ("rent", "B200", "hyperscaler_list")
        cmds["CHART Current ratio"].callback()
        await pilot.pause()
        assert app.screen.target == ("indicator", "current_ratio") and len(app.screen_stack) == 2


async def test_explain_on_a_price_or_indicator_row_opens_its_chart(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        prices = app.query_one("#prices")
        prices.focus()
        prices.set_cursor("H100 SXM/neocloud_list")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, ChartScreen) and app.screen.target == ("rent", "H100 SXM", "neocloud_list")
        await pilot.press("escape")
        await pilot.pause()
        cmds = {c.title: c for c in app.get_system_commands(app.screen)}
        cmds["EXPLAIN Liabilities / assets"].callback()  # palette explain: that indicator, whatever the cursor
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        assert app.screen.target == ("indicator", "liabilities_to_assets") and len(app.screen_stack) == 2


async def test_too_little_history_is_an_honest_empty_state(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        app.open_screen(ChartScreen(("indicator", "h100_margin_6y"), "ALL"))
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-empty") and screen.cursor is None
        assert "2 points in ALL — the chart needs 3; history fills as the feed polls" in screen.plain
        await pilot.press("left", "right", "left_square_bracket", "home")  # keys on an empty chart: no crash
        await pilot.pause()
        app.action_chart("rent", "GB200", "marketplace")  # a row no feed quotes
        await pilot.pause()
        assert "no GB200 marketplace price yet" in app.screen.plain


async def test_live_update_keeps_the_cursor_on_the_newest_point(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        app.action_chart("rent", "H100 SXM", "marketplace")
        await pilot.pause()
        screen = app.screen
        n = len(screen.chart.main.times)
        await app.poll_now(["replay"])  # the replay advances a day
        await pilot.pause()
        assert len(screen.chart.main.times) == n + 1 and screen.cursor == n
        assert "▶ 2026-03-06" in screen.cursor_text().plain


@pytest.mark.parametrize("system", ["256", "standard"])
async def test_works_without_truecolor(make_app, monkeypatch, system) -> None:  # type: ignore[no-untyped-def]
    """Over SSH without truecolor the legend still tells lines apart by glyph."""
    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", system)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        legend = app.screen.query_one("#chart-legend").render().plain  # type: ignore[attr-defined]
        assert "⣿⣿ H100 SXM marketplace" in legend and "── breakeven @6y" in legend and "══ breakeven @3y" in legend
        svg = app.export_screenshot()
        assert "═" in svg and "─" in svg


@pytest.mark.subprocess
def test_dashboard_does_not_import_plotext_or_pandas_until_the_chart_opens() -> None:
    code = """
import asyncio, sys
from gpurisk.session import demo_session
from tui.app import Dashboard
HEAVY = ("plotext", "textual_plotext", "pandas")
async def main():
    app = Dashboard(demo_session(), autopoll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("down", "enter")   # explain a row: still light
        await pilot.pause()
        await pilot.press("escape")
        before = [m for m in HEAVY if m in sys.modules]
        await pilot.press("g")
        await pilot.pause()
        after = [m for m in HEAVY if m in sys.modules]
        print(before, after)
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[] ['plotext', 'textual_plotext', 'pandas']"


# --- snapshots ---------------------------------------------------------------------------
def opener(target: tuple[str, ...], range_key: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await polled(pilot.app, pilot)
        pilot.app.action_chart(*target)
        await pilot.pause()
        while pilot.app.screen.range_key != range_key:
            await pilot.press("right_square_bracket" if RANGE_KEYS.index(range_key) > 2 else "left_square_bracket")
        await pilot.pause()

    return run_before


SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
RANGES = pytest.mark.parametrize("range_key", RANGE_KEYS)


@SIZES
@RANGES
def test_snapshot_h100_rent(snap_compare, frozen_time, make_app, size, range_key) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size,
                        run_before=opener(("rent", "H100 SXM", "marketplace"), range_key))


@SIZES
@RANGES
def test_snapshot_indicator(snap_compare, frozen_time, make_app, size, range_key) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size,
                        run_before=opener(("indicator", "liabilities_to_assets"), range_key))


async def test_outside_text_in_a_sku_name_is_inert(make_app, session) -> None:  # type: ignore[no-untyped-def]
    """A feed that names a SKU with an escape sequence or markup: shown as text, nothing breaks."""
    from datetime import timedelta

    from engine.observations import PriceQuote

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        row = session.snapshot.price("H100 SXM", "marketplace")
        evil = "X\x1b[31m[bold]Y"
        quotes = [PriceQuote(as_of=row.as_of + timedelta(days=i), fetched_at=row.fetched_at, source="s\x1b]0;t\x07",
                             sku=evil, tier="marketplace", provider="p[/]", price=1.0 + i) for i in range(3)]
        for q in quotes:
            app.apply(session.engine.ingest([q]))
        app.open_screen(ChartScreen(("rent", evil, "marketplace")))
        await pilot.pause()
        text = app.screen.plain
        assert "\x1b" not in text and "\x07" not in text and "[bold]Y" in text
        assert "⣿⣿ X" in text and app.screen.cursor == 2
