"""Everything in view at 120×40: every line of every panel is on screen, or the panel's
bottom border says how many are below ("▼ N more · 4 zoom"); every risk group's worst
status is on screen at once; no notice covers a panel."""

from __future__ import annotations

from tui.widgets.line import Panel
from tui.widgets.rows import Row


def on_screen(panel: Panel) -> list[str]:
    """The text of the panel's lines as drawn now (what the terminal shows inside its border)."""
    body = panel.body
    return [body.render_line(y).text.rstrip() for y in range(body.scrollable_content_region.height)]


def in_view(panel: Panel, row: Row) -> bool:
    """Is the row's first line with text drawn now?"""
    lines = [s.text.rstrip() for s in row.lines(panel.body.text_width, panel.app.console)]
    return next(t for t in lines if t.strip()) in on_screen(panel)


async def test_every_row_or_its_more_marker_is_in_view(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        app.tick()  # the once-a-second tick: the marker follows the settled layout
        await pilot.pause()
        for panel in app.panels:
            hidden = [ln for ln in panel.lines
                      if ln.display and ln.shown is not None and ln.shown.plain.strip() and not in_view(panel, ln)]
            subtitle = str(panel.border_subtitle or "")
            if hidden:
                assert f"▼ {len(hidden)} more" in subtitle and f"{panel.number} zoom" in subtitle, (panel.id, subtitle)
            else:
                assert "more" not in subtitle, (panel.id, subtitle)
        risk = app.query_one("#risk")
        assert "▼" in str(risk.border_subtitle)  # 33 indicators do not fit 40 rows: the marker says so
        summary = risk.row("risk-summary")
        assert in_view(risk, summary)
        for word in ("GPU", "Lev", "Liq", "Conc", "Mkt"):
            assert word in summary.plain
        await pilot.press("4")  # zoomed, then scrolled to the end: the marker follows
        await pilot.pause()
        risk.body.scroll_end(animate=False)
        await pilot.pause()
        app.tick()
        await pilot.pause()
        assert "▲" in str(risk.border_subtitle) and "▼" not in str(risk.border_subtitle)


async def test_debt_panel_keeps_both_periods_statuses_and_the_signed_leases(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        debt = app.query_one("#debt")
        cr = debt.rows["current_ratio"].plain
        assert "0.487" in cr and "ALERT" in cr and "0.435" in cr and "…" not in cr
        signed = debt.row("signed")
        assert "$19.9B" in signed.plain and in_view(debt, signed)
