"""Keys: j/k move like ↓/↑ (panels, tables), `a` asks the same way on the alerts screen as on
the dashboard, and keys typed before the first data frame are kept and applied after it."""

from __future__ import annotations

import asyncio
import time

from textual.widgets import DataTable, Static

from tui.screens.alerts import AlertsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.explain import ExplainScreen


async def wait_for(pilot, cond, limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)


async def test_j_and_k_move_like_down_and_up(frozen_time, session, make_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session.setup_alerts(log_path=str(tmp_path / "alerts.jsonl"))
    session.alert_sink.bell = False
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("4", "j", "j", "j")
        await pilot.pause()
        risk = app.query_one("#risk")
        keys = [k for k, _ in risk.visible_rows()]
        assert risk.cursor == keys[2]
        await pilot.press("k")
        await pilot.pause()
        assert risk.cursor == keys[1]
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
        table = app.screen.query_one(DataTable)
        assert table.cursor_row == 0
        await pilot.press("j", "j")
        await pilot.pause()
        assert table.cursor_row == 2
        await pilot.press("k")
        await pilot.pause()
        assert table.cursor_row == 1


async def test_a_asks_the_same_way_on_the_alerts_screen(frozen_time, session, make_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session.setup_alerts(log_path=str(tmp_path / "alerts.jsonl"))
    session.alert_sink.bell = False
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("a")  # the dashboard: asks first
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        on_dashboard = app.screen.query_one("#confirm-question", Static).render()
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
        screen = app.screen
        first = screen.selected()
        assert session.alerts.state_of(first) == "firing"
        await pilot.press("a")  # the alerts screen: the same question, for the selected rule
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        here = app.screen.query_one("#confirm-question", Static).render()
        assert str(on_dashboard).startswith("Acknowledge ") and str(here) == "Acknowledge 1 firing alert?"
        assert not any(s.acknowledged for s in session.alerts.states())  # nothing before the answer
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
        assert [s.rule for s in session.alerts.states() if s.acknowledged] == [first]
        assert screen.query_one(DataTable).get_cell(first, "Ack").plain == "yes"


async def test_keys_typed_before_the_first_data_frame_are_applied(frozen_time, session, make_app) -> None:  # type: ignore[no-untyped-def]
    gate = asyncio.Event()
    poll = session.poll

    async def slow(name):  # type: ignore[no-untyped-def]
        await gate.wait()  # every feed answers only when the test says so
        return await poll(name)

    session.poll = session.scheduler.poll = slow  # the scheduler was handed the session's poll
    app = make_app(autopoll=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not session.snapshot.prices  # the first frame has no data yet
        await pilot.press("4", "down", "down", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExplainScreen) and app.query_one("#risk").cursor is None  # held
        gate.set()
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        risk = app.query_one("#risk")
        keys = [k for k, _ in risk.visible_rows()]
        assert risk.cursor == keys[1]  # down, down: the second row (the first down lands on the first)
        res = session.snapshot.indicators[keys[1]]
        assert app.screen.title_text == f"Explain: {res.title}"  # enter explained that row


async def test_help_fits_120x40_in_two_columns(make_app) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        box = app.screen.query_one("#help-box")
        left, right = app.screen.query_one("#help-text"), app.screen.query_one("#help-more")
        assert box.max_scroll_y == 0 and box.max_scroll_x == 0  # nothing to scroll
        assert left.region.y == right.region.y and right.region.x > left.region.right  # side by side
        text = str(left.render()) + str(right.render())
        for key in ("b ", "x ", "y ", "j ", "k ", "◷", "b cycles", "✗ worsened"):
            assert key in text, key
        assert box.region.bottom <= 40
