"""Pilot tests of the dashboard on the demo session: values, layout, keys, pause, failures, escaping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from textual.widgets import Static

from engine.observations import CustomerShare, PriceQuote
from feeds.base import FeedError
from tui.app import Dashboard, run_dashboard
from tui.screens.help import HelpScreen
from tui.widgets.bars import FeedLine, TopBar
from tui.widgets.line import Line, panel_row
from tui.widgets.market_rows import WATCHED_IDS

FROZEN = datetime(2026, 3, 16, 14, 30, tzinfo=UTC)


def row(app: Dashboard, panel: str, startswith: str) -> str:
    for line in app.query_one(f"#{panel}").lines:
        if line.plain.strip().startswith(startswith):
            return line.plain
    shown = [ln.plain for ln in app.query_one(f"#{panel}").lines]
    raise AssertionError(f"no line starting {startswith!r} in {panel}: {shown}")


def debt_row(app: Dashboard, key: str) -> str:
    """A debt line by its key (its label is shortened when the panel is narrow)."""
    return app.query_one("#debt").rows[key].plain


def all_updates(app: Dashboard) -> int:
    """Repaints of every panel row and every one-line bar."""
    return sum(ln.updates for p in app.panels for ln in p.lines) + sum(ln.updates for ln in app.query(Line))


def block(app: Dashboard, id_: str) -> str:
    return panel_row(app, id_).plain


async def test_panels_show_demo_values_at_120x40(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        assert not app.narrow
        top = app.query_one(TopBar).plain
        assert "DEMO" in top and "financials 2025-09-30" in top
        assert f"replay {app.session.replay_date().isoformat()}" in top
        head = block(app, "debt-head")  # the 2×2 grid's debt panel is narrow: periods as quarters
        assert head.index("Q3-25") < head.index("Q1-25")
        la = debt_row(app, "liabilities_to_assets")
        assert "0.882" in la and "0.860" in la and la.index("0.882") < la.index("0.860")
        cr = debt_row(app, "current_ratio")
        assert "0.487" in cr and "0.435" in cr
        assert "$18.8B" in debt_row(app, "total_liabilities")
        assert "0001769628-25-000014" in block(app, "debt-sources")
        assert "$19.9B" in block(app, "signed")
        assert "2026" in block(app, "maturities") and "$6.7B" in block(app, "maturities")  # the 2025-12-31 schedule
        assert "4,489–4,798 (FY2025" in block(app, "cust-hhi")
        gauges = block(app, "gauges")
        assert "Microsoft" in gauges and "62%" in gauges and "35%" in gauges and "NVIDIA" in gauges
        assert "67%" in block(app, "cust-top1")
        h100 = row(app, "prices", "H100 SXM  market")
        assert "$" in h100 and "market" in h100
        assert "premium" in row(app, "prices", "H100 SXM  CW")
        risk = row(app, "risk", "Liabilities / assets")
        assert "0.882" in risk and "WATCH" in risk
        assert any(w in row(app, "risk", "HHI (low)") for w in ("ALERT",))  # its short title at this width
        feeds = app.query_one(FeedLine).plain
        assert {st.state for st in app.session.status.values()} == {"OK"}
        assert feeds.count(" OK ") == len(app.session.feed_names()) and "ERROR" not in feeds


async def test_small_terminal_shows_one_panel_and_keys_switch(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.poll_now()
        await pilot.pause()
        assert app.narrow
        assert app.query_one("#tabs").display
        shown = [p.id for p in app.panels if p.display]
        assert shown == ["prices"]
        await pilot.press("2")
        await pilot.pause()
        assert [p.id for p in app.panels if p.display] == ["debt"]
        assert "0.882" in debt_row(app, "liabilities_to_assets")
        await pilot.press("right")
        await pilot.pause()
        assert [p.id for p in app.panels if p.display] == ["customers"]
        assert "DEMO" in app.query_one(TopBar).plain


async def test_wide_number_keys_zoom_and_restore(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#risk")
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.maximized is None


async def test_pause_stops_changes_and_resume_restarts(session, make_app) -> None:
    app = make_app(autopoll=True)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await asyncio.sleep(0.05)
            if session.replay_date() is not None and app.polls >= 5:
                break
        await pilot.press("p")
        for _ in range(100):  # let a poll already in flight land
            await asyncio.sleep(0.05)
            if not app.scheduler.inflight:
                break
        await pilot.pause()
        assert "PAUSED" in app.query_one(TopBar).plain
        seq, day = session.snapshot.seq, session.replay_date()
        await asyncio.sleep(2.5)  # the replay feed ticks every second when running
        assert session.snapshot.seq == seq and session.replay_date() == day
        await pilot.press("p")
        for _ in range(100):
            await asyncio.sleep(0.05)
            if session.replay_date() != day:
                break
        assert session.replay_date() != day
        assert "PAUSED" not in app.query_one(TopBar).plain


async def test_refresh_key_polls_every_feed(session, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert session.snapshot.seq == 0
        await pilot.press("r")
        for _ in range(200):
            await asyncio.sleep(0.05)
            if app.polls >= len(session.feed_names()) and not app.scheduler.inflight:
                break
        await pilot.pause()
        assert app.polls == len(session.feed_names())
        assert all(st.state == "OK" for st in session.status.values())
        assert "0.860" in debt_row(app, "liabilities_to_assets")


async def test_help_lists_every_key(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        for word in ("q ", "Quit", "p ", "Pause", "r ", "Refresh", "?", "1", "2", "3", "4", "ctrl+p", "escape"):
            assert word in text, word
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_has_mnemonics(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"PRICES", "DEBT", "CUST", "RISK", "Pause / resume", "Refresh now", "Help: keys"} <= titles


async def test_only_changed_lines_repaint(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        debt = {id(ln): ln.updates for ln in app.query_one("#debt").lines}
        cust = {id(ln): ln.updates for ln in app.query_one("#customers").lines}
        prices_before = sum(ln.updates for ln in app.query_one("#prices").lines)
        snap = await app.session.poll("replay")
        app.apply(snap)
        await pilot.pause()
        assert snap.changed and "financials" not in snap.changed
        market = app.query_one("#debt").row("market")
        moved = {id(ln) for ln in app.query_one("#debt").lines if ln.updates != debt[id(ln)]}
        assert moved <= {id(market)}  # the balance-sheet lines stay; the market block...
        if moved:  # ...follows the market indicators it shows, and only them
            assert snap.changed & WATCHED_IDS
        assert {id(ln): ln.updates for ln in app.query_one("#customers").lines} == cust
        assert sum(ln.updates for ln in app.query_one("#prices").lines) > prices_before
        app.tick()  # the clock did not move: nothing repaints
        after = all_updates(app)
        app.tick()
        assert all_updates(app) == after


async def test_failed_feed_keeps_values_and_says_error(session, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        before = row(app, "prices", "H100 SXM  market")

        async def broken() -> list:
            raise FeedError("upstream 503 [bold]boom\x1b[2J")

        session.runner.feeds["replay"].poll = broken  # type: ignore[method-assign]
        await app.poll_now(["replay"])
        await pilot.pause()
        line = app.query_one(FeedLine).plain
        assert "replay ERROR" in line and "[bold]boom\\x1b[2J" in line
        assert row(app, "prices", "H100 SXM  market") == before
        assert "\x1b" not in line


async def test_text_from_feeds_is_shown_literally(session, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        evil = "[red]Evil\x1b[31m"
        batch = [
            CustomerShare(as_of=FROZEN, fetched_at=FROZEN, source="[b]src", company="CRWV", customer=evil,
                          share=0.2, period="FY2025", period_end=FROZEN.date()),
            PriceQuote(as_of=FROZEN, fetched_at=FROZEN, source="x", sku="[red]X", tier="marketplace",
                       provider="[red]x\x1b[31m", price=2.0),
        ]
        app.apply(session.engine.ingest(batch))
        await pilot.pause()
        gauges = panel_row(app, "gauges")
        assert "[red]Evil\\x" in gauges.plain and "\x1b" not in gauges.plain  # the name column truncates
        assert "[red]Evil\\x1b[31m" in gauges.tooltip.plain
        assert not any("red" in str(s.style) for s in gauges.shown.spans if "Evil" in gauges.plain[s.start:s.end])
        assert "[red]X" in row(app, "prices", "[red]X")
        x_line = next(ln for ln in app.query_one("#prices").lines if ln.plain.startswith("[red]X"))
        assert "[red]x\\x1b[31m" in x_line.tooltip.plain
        svg = app.export_screenshot()
        assert "[red]Evil\\x" in svg and "[red]X" in svg


def test_run_dashboard_returns_nonzero_when_the_app_crashes(session) -> None:
    from gpurisk.session import Session

    class Broken(Session):
        @property
        def snapshot(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("kaboom")

    assert run_dashboard(Broken(session.config, []), headless=True, autopoll=False) != 0
