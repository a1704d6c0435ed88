"""Everything in view at 120×40: every line of every panel is on screen, or the panel's
bottom border says how many are below ("▼ N more · 4 zoom"); every risk group's worst
status is on screen at once; no notice covers a panel."""

from __future__ import annotations

from tui.widgets.line import Line


async def test_every_row_or_its_more_marker_is_in_view(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        app.tick()  # the once-a-second tick: the marker follows the settled layout
        await pilot.pause()
        for panel in app.panels:
            region = panel.scrollable_content_region
            hidden = [ln for ln in panel.query(Line)
                      if ln.display and ln.shown is not None and ln.shown.plain.strip()
                      and not (region.y <= ln.region.y < region.bottom)]
            subtitle = str(panel.border_subtitle or "")
            if hidden:
                assert f"▼ {len(hidden)} more" in subtitle and f"{panel.number} zoom" in subtitle, (panel.id, subtitle)
            else:
                assert "more" not in subtitle, (panel.id, subtitle)
        risk = app.query_one("#risk")
        assert "▼" in str(risk.border_subtitle)  # 33 indicators do not fit 40 rows: the marker says so
        summary = risk.query_one("#risk-summary", Line)
        assert risk.scrollable_content_region.y <= summary.region.y < risk.scrollable_content_region.bottom
        for word in ("GPU", "Lev", "Liq", "Conc", "Mkt"):
            assert word in summary.plain
        await pilot.press("4")  # zoomed, then scrolled to the end: the marker follows
        await pilot.pause()
        risk.scroll_end(animate=False)
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
        signed = debt.query_one("#signed", Line)
        region = debt.scrollable_content_region
        assert "$19.9B" in signed.plain and region.y <= signed.region.y < region.bottom
