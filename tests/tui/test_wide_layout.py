"""At 200×60 the panels' sizes follow their content: the risk panel takes the right half and
shows every row; the panels keep their numbers and keys; smaller again, the 2×2 grid."""

from __future__ import annotations

import time

from tui.widgets.risk import threshold_cell


async def test_risk_panel_gets_the_room_at_200x60(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.pause()
        risk = app.query_one("#risk")
        assert app.screen.has_class("-xwide")
        assert "more" not in str(risk.border_subtitle or "")  # every row in view
        assert risk.body.max_scroll_y == 0
        assert all(risk.body.where(line) is not None and risk.body.where(line)[1] == 1 for line in risk.rows.values())
        for name, line in risk.rows.items():  # every threshold whole, beside its figure
            res = app.session.snapshot.indicators[name]
            if res.threshold is not None:
                assert threshold_cell(res) in line.plain and "…" not in line.plain, line.plain
        assert "watch >+5.0 alert >+15.0 pts" in risk.rows["top1_trend"].plain  # the unit once
        prices = app.query_one("#prices")
        assert "more" not in str(prices.border_subtitle or "")  # as tall as its rows
        assert risk.region.height > prices.region.height and risk.region.x > prices.region.x
        assert [p.id for p in app.panels] == ["prices", "debt", "customers", "risk"]  # numbers kept
        await pilot.press("3")
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#customers")
        await pilot.press("3")
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        deadline = time.monotonic() + 5
        while app.screen.has_class("-xwide") and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert not app.screen.has_class("-xwide")
        assert [c.id for c in app.query_one("#panels").children][-1] == "risk"  # the 2×2 grid again
        deadline = time.monotonic() + 5
        while "more" not in str(risk.border_subtitle or "") and time.monotonic() < deadline:
            await pilot.pause(0.05)  # the marker follows the next layout
        assert "more" in str(risk.border_subtitle or "")
