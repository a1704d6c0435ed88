"""At 80×24 every screen keeps the identifying column whole and cuts numbers last."""

from __future__ import annotations

from textual.widgets import DataTable


async def test_what_if_titles_are_whole_and_tell_6y_from_3y(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        titles = [str(table.get_row(k)[0]) for k in table.rows]
        assert titles and not any("…" in t for t in titles), titles
        names = [t.lstrip("▶· ").strip() for t in titles]
        assert "H100 mgn @6y" in names and "H100 mgn @3y" in names and len(set(names)) == len(names)


async def test_alert_rules_show_every_column_at_80(make_app, session) -> None:  # type: ignore[no-untyped-def]
    session.setup_alerts()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        assert headers == ["State", "Indicator", "Value", "If", "Since", "Sev", "Ack"]
        width = sum(c.get_render_width(table) for c in table.columns.values())
        assert width <= table.size.width, (width, table.size.width)  # nothing cut at the right edge
        first = table.get_row_at(0)
        assert str(first[3]).startswith(("<", ">")) and str(first[4]).endswith("Z")
