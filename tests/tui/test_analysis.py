"""Pilot tests of the analysis screens: explain, what-if scenarios, alerts, composite score."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList

from gpurisk.config import load_config
from tui.app import Dashboard
from tui.screens.alerts import AlertsScreen
from tui.screens.explain import ExplainScreen
from tui.screens.scenario import ScenarioScreen, parse_shocks
from tui.screens.score import ScoreScreen
from tui.widgets.bars import TopBar
from tui.widgets.line import Line


async def polled(app: Dashboard, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.poll_now()
    await pilot.pause()


def cursor_to(app: Dashboard, panel_id: str, key: str) -> None:
    panel = app.query_one(f"#{panel_id}")
    panel.focus()
    panel.set_cursor(key)


# --- explain -----------------------------------------------------------------------------
async def test_enter_on_a_risk_row_explains_it_and_escape_closes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        await pilot.press("4")  # zoom the risk panel, focus it
        risk = app.query_one("#risk")
        keys = [k for k, _ in risk.visible_rows()]
        steps = keys.index("current_ratio") + 1
        for _ in range(steps):
            await pilot.press("down")
        await pilot.pause()
        assert risk.cursor == "current_ratio"
        assert risk.rows["current_ratio"].has_class("-cursor")
        assert sum(ln.has_class("-cursor") for ln in risk.lines) == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        text = app.screen.plain
        assert "current assets ÷ current liabilities" in text  # the formula
        assert "Total current assets" in text and "0001769628-25-000062" in text  # input and its full source
        assert "as of 2025-09-30" in text and "period     2025-09-30" in text and "ALERT" in text
        assert "watch <1.000 alert <0.500" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExplainScreen)


async def test_explain_shows_extras_tables_and_no_data_reasons(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        risk = app.query_one("#risk")
        title, text = risk.explain_for("maturity_wall")
        assert "Year" in text.plain and "Cumulative" in text.plain and "2026" in text.plain and "$6.7B" in text.plain
        _, sens = risk.explain_for("depreciation_sensitivity")
        assert "Technology life" in sens.plain and "Op. income (TTM)" in sens.plain
        _, hhi = app.query_one("#customers").explain_for("hhi")
        assert "4,798" in hhi.plain or "4798" in hhi.plain  # the HHI upper bound (FY2025)
        from engine import Engine
        from gpurisk.text.explain import indicator_text

        nodata = indicator_text(Engine().snapshot.indicators["spread_sofr"])  # the same text, an engine with no data
        assert "NO DATA" in nodata.plain and "missing" in nodata.plain


async def test_click_selects_and_second_click_explains(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        await pilot.press("4")
        await pilot.pause()
        risk = app.query_one("#risk")
        line = risk.rows["current_ratio"]
        risk.body.scroll_row_visible(line)
        await pilot.pause()
        at = risk.body.where(line)
        assert at is not None
        spot = (4, at[0] - risk.body.scroll_offset.y)  # the row's first line, as drawn
        await pilot.click(risk.body, offset=spot)
        await pilot.pause()
        assert risk.cursor == "current_ratio" and not isinstance(app.screen, ExplainScreen)
        await pilot.click(risk.body, offset=spot)
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen) and "Current ratio" in app.screen.plain


async def test_price_row_explain_lists_each_provider_and_source(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        row = app.session.snapshot.prices["H100 SXM/neocloud_list"]
        assert row.n_sources > 1
        cursor_to(app, "prices", "H100 SXM/neocloud_list")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        text = app.screen.plain
        for q in row.sources:
            assert q.provider in text and q.source in text and f"${q.price:.4g}/h" in text
        assert "fetched" in text and "as of" in text and "feed replay" in text


async def test_debt_line_explain_gives_each_period_and_source(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        await pilot.press("2")
        cursor_to(app, "debt", "total_liabilities")
        await pilot.press("enter")
        await pilot.pause()
        text = app.screen.plain
        assert "2025-09-30" in text and "2025-03-31" in text and "$29.0B" in text and "$18.8B" in text
        assert "0001769628-25-000062" in text and "0001769628-25-000014" in text


async def test_palette_has_explain_scenario_alert_and_score_entries(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        cmds = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"ALRT", "SCORE", "SCENARIO seed", "SCENARIO stress", "EXPLAIN Current ratio"} <= set(cmds)
        cmds["EXPLAIN Current ratio"].callback()
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen) and "Total current assets" in app.screen.plain


# --- scenarios -----------------------------------------------------------------------------
def cell(table: DataTable, row: str, col: str) -> str:
    v = table.get_cell(row, col)
    return v.plain if hasattr(v, "plain") else str(v)


async def test_seed_scenario_shocks_h100_margin_and_highlights_a_status_change(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScenarioScreen)
        assert screen.result is not None and screen.result.scenario.name == "seed"
        table = screen.query_one(DataTable)
        r = screen.result.row("h100_margin_3y")
        assert r.shocked.value < r.base.value
        base = float(cell(table, "h100_margin_3y", "Base").rstrip("%"))
        shocked = float(cell(table, "h100_margin_3y", "Shocked").rstrip("%"))
        assert shocked < base
        changed = [row.name for row in screen.result.changes]
        assert changed
        status = table.get_cell(changed[0], "Status")
        assert "→" in status.plain and any(w in status.plain for w in ("ALERT", "WATCH"))
        assert any(s.style for s in status.spans)  # coloured as well as said
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == changed[0]  # changed ones first
        score = screen.query_one("#sc-score", Line).plain
        assert "→" in score and "status change" in score
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ScenarioScreen)


async def test_bad_shock_shows_a_message_and_keeps_the_last_result(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        before = screen.result
        inp = screen.query_one("#sc-rate_bp", Input)
        inp.focus()
        await pilot.press("ctrl+a", "x", "y", "z")
        await pilot.pause()
        assert "not a number" in screen.query_one("#sc-msg", Line).plain
        assert inp.has_class("-invalid") and screen.result is before
        inp.value = "200"
        await pilot.pause()
        assert screen.result is not before and screen.result.scenario.rate_bp == 200
        assert "custom" in screen.result.scenario.name
        inp.value = "99999"
        await pilot.pause()
        assert "between" in screen.query_one("#sc-msg", Line).plain and screen.result.scenario.rate_bp == 200


def test_parse_shocks_rejects_nonsense() -> None:
    ok, problems = parse_shocks({"h100_rent_pct": "-40", "life_years": "", "rate_bp": "+200"})
    assert not problems and ok["h100_rent_pct"] == -40 and ok["life_years"] is None and ok["rate_bp"] == 200
    _, problems = parse_shocks({"h100_rent_pct": "nan", "top_customer_cut_pct": "150", "life_years": "0"})
    assert len(problems) == 3


async def test_save_appends_a_valid_scenario_table(session, tmp_path: Path, make_app) -> None:
    cfg_path = tmp_path / "gpurisk.toml"
    cfg_path.write_text('[app]\nbell = false\n', encoding="utf-8")
    session.config.path = cfg_path
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#sc-top_customer_cut_pct", Input).value = "25"
        name = screen.query_one("#sc-name", Input)
        name.value = "bad name!"
        await pilot.pause()
        screen.save()
        assert "letters, digits" in screen.query_one("#sc-save-msg", Line).plain
        name.value = "my-seed_2"
        await pilot.pause()
        screen.save()
        await pilot.pause()
        assert "Saved" in screen.query_one("#sc-save-msg", Line).plain
        cfg = load_config(cfg_path)
        assert cfg.scenarios["my-seed_2"]["h100_rent_pct"] == -40
        assert cfg.scenarios["my-seed_2"]["top_customer_cut_pct"] == 25
        assert cfg.bell is False  # what was there is kept
        assert "my-seed_2" in [o.id for o in screen.query_one(OptionList).options]
        screen.save()  # the same name again is refused
        assert "already exists" in screen.query_one("#sc-save-msg", Line).plain


async def test_save_without_config_file_shows_the_snippet(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        assert app.session.config.path is None
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one("#sc-name", Input).value = "mine"
        app.screen.save()
        msg = app.screen.query_one("#sc-save-msg", Line).plain
        assert "--config FILE" in msg and "below" in msg  # the TOML itself: test_notices.py (raw, full width)
        assert "[scenarios.mine]" in app.screen.toml and "h100_rent_pct = -40.0" in app.screen.toml


async def test_palette_scenario_entry_opens_that_scenario(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        cmds = {c.title: c for c in app.get_system_commands(app.screen)}
        cmds["SCENARIO rates"].callback()
        await pilot.pause()
        assert isinstance(app.screen, ScenarioScreen) and app.screen.result.scenario.name == "rates"
        assert app.screen.query_one("#sc-rate_bp", Input).value == "200"


# --- alerts and score ------------------------------------------------------------------------
@pytest.fixture
def alerting(session, tmp_path: Path):  # type: ignore[no-untyped-def]
    rings: list[int] = []
    session.setup_alerts(bell_fn=lambda: rings.append(1), log_path=str(tmp_path / "alerts.jsonl"))
    return rings


async def test_polling_fires_notices_and_the_header_badge_and_a_acknowledges(session, alerting, make_app,
                                                                             tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert session.alert_sink.bell_fn == app.notices.ring
        await polled(app, pilot)
        firing = [s for s in session.alerts.states() if s.state == "firing"]
        assert firing
        notes = list(app.notices.log)  # the notice line's messages (no toasts: tests/tui/test_notices.py)
        assert notes and all(sev == "error" and text.startswith("FIRING") for sev, text in notes)
        assert any("Current ratio 0.487 < 0.500" in text for _, text in notes)
        top = app.query_one(TopBar).plain
        assert f"{len(firing)} FIRING" in top
        await app.poll_now()  # nothing new fires: no new notice
        await pilot.pause()
        assert app.notices.log == notes
        await pilot.press("a", "y")  # acknowledge all asks first
        await pilot.pause()
        assert "FIRING" not in app.query_one(TopBar).plain
        assert all(s.acknowledged for s in session.alerts.states() if s.state == "firing")
        saved = session._alert_store.get_state("alerts")["rules"]  # the demo keeps it for the session
        assert saved["current_ratio < 0.5"]["acked"] is True  # (live sessions persist it: test_session)


async def test_alerts_screen_lists_rules_and_acknowledges_the_selected_one(session, alerting, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        before = sum(1 for s in session.alerts.states() if s.state == "firing" and not s.acknowledged)
        await pilot.press("A")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == len(session.alerts.states())
        first = screen.selected()
        assert session.alerts.state_of(first) == "firing"  # firing rules are listed first
        assert "FIRING" in table.get_cell(first, "State").plain
        await pilot.press("a", "y")  # asks first, as on the dashboard
        await pilot.pause()
        assert table.get_cell(first, "Ack").plain == "yes"
        after = sum(1 for s in session.alerts.states() if s.state == "firing" and not s.acknowledged)
        assert after == before - 1
        assert f"{after} FIRING" in app.query_one(TopBar).plain
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ScoreScreen)


async def test_score_in_header_and_breakdown(session, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        score = session.snapshot.score
        assert f"risk {score.score:.0f}/100" in app.query_one(TopBar).plain
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ScoreScreen)
        text = str(app.screen.query_one("#score-text").render())
        assert f"{score.score:.0f}/100" in text and "Current ratio" in text
        assert "left out: information only (no threshold)" in text
        assert "Liquidity" in text  # by group


async def test_score_in_header_at_80_columns(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        assert f"risk {app.session.snapshot.score.score:.0f}" in app.query_one(TopBar).plain


async def test_typing_in_a_screen_never_triggers_dashboard_keys(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#sc-name", Input).focus()
        await pilot.press(*"sa4Aq")
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#sc-name", Input).value == "sa4Aq"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("4")
        await pilot.pause()
        assert [p.id for p in app.panels if p.display] == ["risk"]


async def test_polls_under_an_open_screen_still_update_the_dashboard(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ScoreScreen)
        await app.poll_now()
        app.tick()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        risk = app.query_one("#risk").rows["current_ratio"].plain
        assert "0.487" in risk and "ALERT" in risk


async def test_a_focused_text_area_counts_as_typing_too() -> None:
    """Letter keys never act while an Input or a TextArea has the focus; the TextArea is
    recognised without the dashboard importing it (no screen of it shows one)."""
    from textual.app import App, ComposeResult
    from textual.widgets import Button, TextArea

    from tui.widgets.filter import typing

    class Three(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(id="i")
            yield TextArea(id="t")
            yield Button("b", id="b")

    app = Three()
    async with app.run_test() as pilot:
        seen = []
        for wid in ("i", "t", "b"):
            app.query_one(f"#{wid}").focus()
            await pilot.pause()
            seen.append(typing(app))
        assert seen == [True, True, False]
