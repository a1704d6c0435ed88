"""Calm notifications (issue 9 §1) and small fixes (§7): the notice line never covers a panel,
alerts firing at start are quiet, a new transition is one line that clears after 5 s or on
esc, the bell rings once per new firing, acknowledge-all asks and `u` undoes; the footer says
Resume while paused; screenshots go to a known folder and say where; scenario TOML is raw."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input, Static
from textual.widgets._toast import Toast

from tui.screens.confirm import ConfirmScreen
from tui.widgets.bars import TopBar
from tui.widgets.keybar import KeyBar
from tui.widgets.notice import NOTICE_S, NoticeLine


@pytest.fixture
def alerting(session, tmp_path: Path):  # type: ignore[no-untyped-def]
    rings: list[int] = []
    session.setup_alerts(bell_fn=lambda: rings.append(1), log_path=str(tmp_path / "alerts.jsonl"))
    return rings


def firing(session) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.rule for s in session.alerts.states() if s.state == "firing"]


def acked(session) -> set[str]:  # type: ignore[no-untyped-def]
    return {s.rule for s in session.alerts.states() if s.acknowledged}


def saved_acks(session) -> set[str]:  # type: ignore[no-untyped-def]
    rules = session._alert_store.get_state("alerts")["rules"]
    return {n for n, r in rules.items() if r["acked"]}


def assert_nothing_covers_a_panel(app) -> None:  # type: ignore[no-untyped-def]
    """No toast anywhere, and the notice line sits outside every panel, inside the screen."""
    assert not list(app.screen.query(Toast)) and not list(app._notifications)
    notice = app.screen_stack[0].query_one("#notice", NoticeLine)
    assert notice.region.height == 1 and notice.region.width == app.size.width
    for panel in app.panels:
        if panel.display:
            assert panel.region.height > 0
            assert not panel.region.overlaps(notice.region), (panel.id, panel.region, notice.region)


async def wait_for(pilot, cond, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "timed out"
        await pilot.pause(0.05)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_alerts_firing_at_start_raise_no_toast_no_notice_and_no_bell(session, alerting, make_app,
                                                                           size) -> None:
    app = make_app(autopoll=True)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.notices.started)
        await pilot.pause()
        assert firing(session)  # the demo fires several rules in the first round
        assert f"{len(firing(session))} FIRING" in app.query_one(TopBar).plain  # the badge shows them
        notice = app.query_one("#notice", NoticeLine)
        assert not notice.active and notice.plain == ""
        assert app.notices.bells == 0 and app.notices.quiet >= len(firing(session)) and alerting == []
        assert_nothing_covers_a_panel(app)


async def test_a_new_transition_is_one_line_that_clears_after_5s(session, alerting, make_app,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()  # no first round (autopoll off): the first poll's firings are news
    async with app.run_test(size=(80, 24)) as pilot:
        await app.poll_now()
        await pilot.pause()
        n = len(firing(session))
        assert n >= 2
        notice = app.query_one("#notice", NoticeLine)
        text = notice.plain
        assert text.startswith(" FIRING · ") and "…" not in text  # "Customer HHI (low bound) 4,489 > 2,500"
        assert f"+{n - 1} more (A: alerts)" in text and notice.region.width == 80  # kept whole at 80 columns
        assert notice._timer is not None and notice._timer._interval == NOTICE_S == 5.0
        assert app.notices.bells == n  # once per new firing
        assert_nothing_covers_a_panel(app)
        posted = notice.posted  # one per feed poll that raised transitions (newest shown)
        for _ in range(2):  # nothing new: no bell, no notice (not per poll, not per repaint)
            await app.poll_now()
            app.tick()
        await pilot.pause()
        assert app.notices.bells == n and notice.posted == posted

        monkeypatch.setattr("tui.widgets.notice.NOTICE_S", 0.3)  # the same timer, shorter
        notice.post("a short one", label="TEST")
        await pilot.pause(0.1)
        assert notice.active and "a short one" in notice.plain
        await wait_for(pilot, lambda: not notice.active, timeout=2.0)
        assert notice.plain == ""


async def test_escape_clears_the_notice_and_transitions_add_up(session, alerting, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        notice = app.query_one("#notice", NoticeLine)
        notice.post("first", label="FIRING", transition=True)
        notice.post("second", label="FIRING", transition=True)
        await pilot.pause()
        assert "second" in notice.plain and "+1 more" in notice.plain and "first" not in notice.plain
        await pilot.press("escape")
        await pilot.pause()
        assert not notice.active and notice.plain == ""
        notice.post("third", label="FIRING", transition=True)  # a new burst starts from zero
        assert "more" not in notice.plain


async def test_ack_all_asks_first_n_keeps_y_acknowledges_u_undoes(session, alerting, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        fired = set(firing(session))
        assert fired and not acked(session)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("l", "t", "r")  # letters typed by habit do nothing behind the question
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and not acked(session)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen) and not acked(session)
        assert "Nothing acknowledged" in app.query_one("#notice", NoticeLine).plain

        session.acknowledge(sorted(fired)[0])  # one acknowledged before: undo must leave it alone
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert acked(session) == fired == saved_acks(session)
        assert "FIRING" not in app.query_one(TopBar).plain
        assert "Acknowledged" in app.query_one("#notice", NoticeLine).plain

        await pilot.press("u")
        await pilot.pause()
        assert acked(session) == {sorted(fired)[0]} == saved_acks(session)  # exactly the last acknowledge undone
        assert f"{len(fired) - 1} FIRING" in app.query_one(TopBar).plain
        assert "Unacknowledged" in app.query_one("#notice", NoticeLine).plain
        await pilot.press("u")
        await pilot.pause()
        assert acked(session) == set() == saved_acks(session)  # and the one before it
        await pilot.press("u")
        await pilot.pause()
        assert "Nothing to undo" in app.query_one("#notice", NoticeLine).plain


async def test_alerts_screen_ack_all_asks_and_undo(session, alerting, make_app) -> None:
    from tui.screens.alerts import AlertsScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        alerts = app.screen
        assert isinstance(alerts, AlertsScreen)
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is alerts and not acked(session)
        await pilot.press("A", "y")
        await pilot.pause()
        assert app.screen is alerts and acked(session) == set(firing(session))
        assert "Acknowledged" in alerts.query_one(NoticeLine).plain  # said inside the screen, in view
        await pilot.press("u")
        await pilot.pause()
        assert not acked(session)


def test_engine_unacknowledge_restores_exactly_the_set(session, alerting) -> None:  # type: ignore[no-untyped-def]
    import asyncio as aio

    for name in session.feed_names():
        aio.run(session.poll(name))
    engine = session.alerts
    rules = sorted(firing(session))
    assert engine.acknowledge(rules[0]) == [rules[0]]
    rest = engine.acknowledge(None)
    assert set(rest) == set(rules[1:])
    assert engine.unacknowledge(rest + ["no such rule"]) == rest
    assert {s.rule for s in engine.states() if s.acknowledged} == {rules[0]}
    assert engine.unacknowledge(rest) == []  # nothing left to undo there


async def test_other_messages_use_the_notice_line(session, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.poll_now()
        await pilot.press("r")
        await pilot.pause()
        notice = app.query_one("#notice", NoticeLine)
        assert "Refreshing" in notice.plain
        app.notify("Saved [b]it[/b] to\n[$text-success]'/x/y.svg'", title="Screenshot")
        await pilot.pause()
        assert notice.plain.startswith(" SCREENSHOT  Saved it to · '/x/y.svg'")
        assert_nothing_covers_a_panel(app)


async def test_footer_reads_resume_while_paused(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        def words() -> set[str]:
            line = app.screen.query_one(KeyBar).render().plain  # the key line as drawn
            return {w for w in ("Pause", "Resume") if w in line}

        await pilot.pause()
        assert "Pause" in words() and "Resume" not in words()
        await pilot.press("p")
        await pilot.pause()
        assert app.paused and "Resume" in words() and "Pause" not in words()
        assert "PAUSED" in app.query_one(TopBar).plain
        await pilot.press("p")
        await pilot.pause()
        assert not app.paused and "Pause" in words()


async def test_screenshot_goes_to_the_screenshot_dir_and_says_where(make_app, tmp_path: Path) -> None:
    shots = tmp_path / "shots" / "deep"
    app = make_app(screenshot_dir=str(shots))
    async with app.run_test(size=(80, 24)) as pilot:
        # the palette's entry ("Screenshot" in Textual 8, "Save screenshot" in 6)
        shot = next(c for c in app.get_system_commands(app.screen) if "screenshot" in c.title.lower())
        shot.callback()
        await wait_for(pilot, lambda: list(shots.glob("*.svg")) and "Saved screenshot" in
                       app.query_one("#notice", NoticeLine).plain)
        saved = list(shots.glob("*.svg"))
        assert len(saved) == 1 and saved[0].read_text(encoding="utf-8").startswith("<svg")
        assert str(saved[0]) in " ".join(t for _, t in app.notices.log)


async def test_screenshot_default_folder_is_the_user_data_dir(make_app, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    from gpurisk.cli import build_parser
    from tui.toasts import screenshot_folder

    monkeypatch.setattr(platformdirs, "user_data_path", lambda app: tmp_path / "data" / app)
    app = make_app()
    assert screenshot_folder(app) == str(tmp_path / "data" / "gpurisk" / "screenshots")
    assert (tmp_path / "data" / "gpurisk" / "screenshots").is_dir()
    blocked = tmp_path / "file"
    blocked.write_text("x")
    app.screenshot_dir = str(blocked / "sub")
    async with app.run_test(size=(80, 24)) as pilot:
        assert screenshot_folder(app) is None  # cannot be made: said, not raised
        await pilot.pause()
        assert "Screenshot not saved" in app.query_one("#notice", NoticeLine).plain
    assert build_parser().parse_args(["--screenshot-dir", "/x"]).screenshot_dir == "/x"


async def test_scenario_toml_is_shown_raw_full_width(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.poll_now()
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#sc-name", Input).value = "mine"
        screen.save()
        await pilot.pause()
        block = screen.query_one("#sc-toml-text", Static)
        assert block.region.x == 0 and block.region.width == 80  # not inside the 25-column box
        lines = [block.render_line(y).text.rstrip() for y in range(block.region.height)]
        assert lines == screen.toml.rstrip("\n").splitlines()  # every line whole, as it is
        assert lines[0] == "[scenarios.mine]" and "h100_rent_pct = -40.0" in lines
