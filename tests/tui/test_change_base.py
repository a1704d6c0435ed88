"""The change base: ``b`` cycles 24 h · previous close · since my last ack · since start; every
change column names it in its heading, the choice is kept in the user state file, worsened
rows carry a red ✗ and the header counts them."""

from __future__ import annotations

import json

from gpurisk.alerting import JsonStateFile
from tui.change_base import BASES, WORSE


def worse_rows(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n for n, line in app.query_one("#risk").rows.items() if WORSE in line.plain]


async def test_b_cycles_the_base_names_it_and_keeps_it(frozen_time, make_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "state.json"
    app = make_app(prefs=JsonStateFile(state))
    async with app.run_test(size=(200, 60)) as pilot:
        await app.poll_now()
        for _ in range(3):
            await app.poll_now(["replay"])
        await pilot.pause()
        risk, prices = app.query_one("#risk"), app.query_one("#prices")
        assert "Δ 24h" in str(risk.border_title) and "Δ24h" in prices.row("prices-head").plain
        seen = []
        for want in BASES[1:] + BASES[:1]:
            await pilot.press("b")
            await pilot.pause()
            seen.append(app.change_base.base)
            label = {"24h": "Δ 24h", "close": "Δ close", "ack": "Δ ack", "start": "Δ start"}[want]
            assert app.change_base.base == want
            assert str(risk.border_title).endswith(label)  # the heading names the one base
            assert prices.row("prices-head").plain.split()[3] == label.replace(" ", "")
            assert json.loads(state.read_text())["view"]["change_base"] == want  # kept
            header = app.query_one("#topbar").shown.plain
            n = len(worse_rows(app))
            assert f"{n} worse {label}" in header, (header, n)
        assert seen == ["close", "ack", "start", "24h"]
        await pilot.press("b")  # close: the replay moved rents since the day began
        await pilot.pause()
        assert worse_rows(app), "a falling rent worsens the GPU margins"
        for name in worse_rows(app):
            res = app.session.snapshot.indicators[name]
            delta = app.change_base.delta(app.session, res, app.clock())
            assert delta is not None and res.threshold is not None
            assert (delta > 0) == res.threshold.higher_is_worse or res.status != app.change_base.indicator(
                app.session, res, app.clock())[1]

    again = make_app(prefs=JsonStateFile(state))  # the next start: the base comes back
    assert again.change_base.base == "close"
