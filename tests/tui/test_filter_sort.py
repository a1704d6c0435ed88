"""Habits of the ecosystem (issue 9 §4): `/` filters rows, `o` cycles the sort, `q` closes a
screen, `ctrl+c` quits like `q`, and letters typed into a filter never act."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from tui.app import Dashboard
from tui.screens.alerts import AlertsScreen
from tui.screens.help import HelpScreen, help_text
from tui.screens.scenario import ScenarioScreen
from tui.widgets.filter import FilterSort, RowFilter, SortKey, letter_actions
from tui.widgets.line import Line


@pytest.fixture
def alerting(session, tmp_path: Path):  # type: ignore[no-untyped-def]
    session.setup_alerts(bell_fn=lambda: None, log_path=str(tmp_path / "alerts.jsonl"))


async def polled(app: Dashboard, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.poll_now()
    await pilot.pause()


def unacked(session) -> set[str]:  # type: ignore[no-untyped-def]
    return {s.rule for s in session.alerts.states() if s.state == "firing" and not s.acknowledged}


def shown(panel) -> list[tuple[str, Line]]:  # type: ignore[no-untyped-def]
    """(key, line) of the panel's rows a person sees, top to bottom."""
    return [(k, ln) for k, ln in panel.visible_rows()]


def table_rows(table: DataTable) -> list[str]:
    return [str(table.coordinate_to_cell_key((i, 0))[0].value) for i in range(table.row_count)]


async def test_slash_alt_filters_the_risk_panel_and_acknowledges_nothing(session, alerting, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        firing = unacked(session)
        assert firing, "the demo fires alerts at start"
        risk = app.query_one("#risk")
        risk.focus()
        await pilot.pause()
        before = [k for k, _ in shown(risk)]
        await pilot.press("slash", "a", "l", "t")
        await pilot.pause()
        assert unacked(session) == firing  # `a` was text, not "acknowledge every firing alert"
        assert app.is_running and len(app.screen_stack) == 1
        assert isinstance(app.focused, Input) and app.focused.value == "alt"
        rows = shown(risk)
        assert [k for k, _ in rows] == ["altman_z2"], [ln.plain for _, ln in rows]
        assert "Altman" in rows[0][1].plain
        hidden = [k for k in before if k not in {k for k, _ in rows}]
        assert len(hidden) == len(before) - 1 and all(risk.rows[k].has_class("-filtered") for k in hidden)
        assert "/alt" in str(risk.border_title)
        heads = {g: h.has_class("-filtered") for g, h in risk.groups.items()}
        assert heads["market"] is False and heads["gpu"] is True  # a group with no match loses its head
        # enter keeps the filter and gives the focus back to the rows
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is risk and [k for k, _ in shown(risk)] == ["altman_z2"]
        # esc clears it: every row back, in the same order
        await pilot.press("escape")
        await pilot.pause()
        assert [k for k, _ in shown(risk)] == before
        assert str(risk.border_title) == "4 Risk indicators"
        assert unacked(session) == firing


async def test_letters_in_a_filter_never_act_and_esc_in_a_zoomed_panel_clears_first(session, alerting,
                                                                                      make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        firing = unacked(session)
        await pilot.press("4")  # zoom the risk panel
        await pilot.pause()
        risk = app.query_one("#risk")
        assert app.screen.maximized is risk
        await pilot.press("slash", *"qAa1sp?r")
        await pilot.pause()
        assert app.is_running and len(app.screen_stack) == 1  # no quit, no alerts/what-if/help screen
        assert unacked(session) == firing and not app.paused and app.active == 3
        assert app.screen.maximized is risk
        assert app.focused.value == "qAa1sp?r" and shown(risk) == []
        await pilot.press("escape")  # clears the filter, the panel stays zoomed
        await pilot.pause()
        assert app.screen.maximized is risk and shown(risk) and "/" not in str(risk.border_title)
        await pilot.press("escape")  # now esc restores the grid
        await pilot.pause()
        assert app.screen.maximized is None


@pytest.mark.parametrize("where", ["dashboard", "alerts"])
async def test_keys_typed_in_one_burst_after_slash_are_text(session, alerting, make_app, where: str) -> None:
    """A fast typist (or a paste): every key is queued before the first is handled."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        firing = unacked(session)
        if where == "alerts":
            await pilot.press("A")
            await pilot.pause()
        for key, char in (("slash", "/"), ("a", "a"), ("l", "l"), ("t", "t"), ("A", "A"), ("q", "q")):
            app.post_message(events.Key(key, char))
        await pilot.pause()
        await pilot.pause()
        assert unacked(session) == firing and app.is_running
        assert isinstance(app.focused, Input) and app.focused.value == "altAq"
        assert len(app.screen_stack) == (1 if where == "dashboard" else 2)


async def test_filter_matches_keys_and_text_in_prices_debt_and_customers(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        prices = app.query_one("#prices")
        prices.focus()
        await pilot.press("slash", *"HYPERSCALER", "enter")  # the key (hyperscaler_list), not the shown "hyper"
        await pilot.pause()
        keys = [k for k, _ in shown(prices)]
        assert keys and all(k.endswith("/hyperscaler_list") for k in keys)
        assert all(ln.has_class("-filtered") for ln in prices.prem.values())  # no premium row says hyperscaler
        assert prices.row("prem-head").has_class("-filtered")
        assert not prices.row("prices-head").has_class("-filtered")  # the column header stays
        debt = app.query_one("#debt")
        debt.focus()
        await pilot.press("slash", *"ratio", "enter")
        await pilot.pause()
        assert {k for k, _ in shown(debt)} == {"current_ratio", "quick_ratio"}
        assert "/ratio" in str(debt.border_title) and "/HYPERSCALER" in str(prices.border_title)


async def test_o_cycles_the_sort_of_prices_and_risk(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        prices = app.query_one("#prices")
        prices.focus()
        catalogue = [k for k, _ in shown(prices)]
        await pilot.press("o")
        await pilot.pause()
        by_price = [k for k, _ in shown(prices)]
        vals = [app.session.snapshot.prices[k].price for k in by_price]
        assert vals == sorted(vals, reverse=True) and by_price != catalogue
        assert "sort: $/h ▼" in str(prices.border_title)
        children = list(prices.lines)  # the lines themselves moved, under the column header
        assert children.index(prices.rows[by_price[0]]) == children.index(prices.row("prices-head")) + 1
        await pilot.press("o")
        await pilot.pause()
        moves = [abs(app.session.snapshot.prices[k].change or 0) for k, _ in shown(prices)]
        assert moves == sorted(moves, reverse=True) and "sort: |chg| ▼" in str(prices.border_title)
        await pilot.press("o")
        await pilot.pause()
        assert [k for k, _ in shown(prices)] == catalogue and "sort" not in str(prices.border_title)

        risk = app.query_one("#risk")
        risk.focus()
        await pilot.press("o")
        await pilot.pause()
        assert "sort: status ▼" in str(risk.border_title)
        rank = {"alert": 3, "watch": 2, "ok": 1}
        snap = app.session.snapshot
        for group, names in risk.order:
            kids = [c for c in risk.lines if c in {risk.rows[n] for n in names}]
            keys = [next(n for n in names if risk.rows[n] is c) for c in kids]
            ranks = [rank.get(snap.indicators[k].status, 0) if snap.indicators[k].threshold is not None else 0.5
                     for k in keys if snap.indicators[k].status != "no_data"]
            assert ranks == sorted(ranks, reverse=True), (group, keys)
            assert risk.lines.index(kids[0]) == risk.lines.index(risk.groups[group]) + 1
        gpu = [k for k, _ in shown(risk) if k in dict(risk.order)["gpu"]]
        assert snap.indicators[gpu[0]].status == "alert"


async def test_alert_rules_screen_filters_sorts_and_esc_clears_before_closing(session, alerting, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        firing = unacked(session)
        await pilot.press("A")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        table = screen.query_one(DataTable)
        everything = table_rows(table)
        await pilot.press("slash", "a", "l", "t")  # on this screen `a` acknowledges the selected rule
        await pilot.pause()
        assert unacked(session) == firing
        rows = table_rows(table)
        assert rows and len(rows) < len(everything) and all("altman" in r.lower() for r in rows)
        assert "/alt" in str(screen.query_one("#alerts-box").border_title)
        assert f"showing {len(rows)} of {len(everything)}" in screen.query_one("#alerts-summary", Line).plain
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is table and table_rows(table) == rows
        await pilot.press("escape")  # clears the filter, the screen stays
        await pilot.pause()
        assert app.screen is screen and sorted(table_rows(table)) == sorted(everything)
        await pilot.press("o", "o")  # state → since → severity
        await pilot.pause()
        sev = {"critical": 0, "warning": 1, "info": 2}
        order = [sev.get(session.alerts.states()[[s.rule for s in session.alerts.states()].index(r)].severity, 9)
                 for r in table_rows(table)]
        assert order == sorted(order) and "sort: severity ▲" in str(screen.query_one("#alerts-box").border_title)
        await pilot.press("o")
        await pilot.pause()
        assert table_rows(table) == everything  # back to state order
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.screen_stack) == 1


async def test_what_if_table_filters_and_sorts(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScenarioScreen)
        table = screen.query_one("#sc-table", DataTable)
        everything = table_rows(table)
        await pilot.press("slash", *"margin")
        await pilot.pause()
        rows = table_rows(table)
        assert rows and len(rows) < len(everything)
        assert all("margin" in table.get_row(r)[0].plain.lower() or "margin" in r for r in rows)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and table_rows(table) == everything
        await pilot.press("o")
        await pilot.pause()
        assert "sort: status ▼" in str(screen.query_one("#sc-right").border_title)
        rank = {"no_data": 0, "ok": 1, "watch": 2, "alert": 3}
        res = {r.name: r for r in screen.result.rows}
        ranks = [rank[res[k].shocked.status] for k in table_rows(table)]
        assert ranks == sorted(ranks, reverse=True)


@pytest.mark.slow
async def test_q_closes_a_screen_and_the_app_keeps_running(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        for key, kind in (("question_mark", HelpScreen), ("A", AlertsScreen), ("s", ScenarioScreen)):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, kind)
            await pilot.press("q")
            await pilot.pause()
            assert len(app.screen_stack) == 1 and app.is_running, kind
        await pilot.press("s", "tab")  # into the first shock input: q is text there
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ScenarioScreen) and app.is_running
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape", "q")  # q on the dashboard quits
        await pilot.pause()
    assert app.return_code == 0


@pytest.mark.parametrize("where", ["dashboard", "filter", "screen"])
async def test_ctrl_c_quits_like_q_and_flushes_history(session, make_app, monkeypatch, where: str) -> None:
    flushed: list[int] = []
    real = session.flush
    monkeypatch.setattr(session, "flush", lambda: (flushed.append(1), real())[1])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(app, pilot)
        if where == "filter":
            await pilot.press("slash", "x")
        elif where == "screen":
            await pilot.press("A")
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0 and flushed


def test_help_lists_the_habit_keys(make_app) -> None:
    text = help_text([b for b in Dashboard.BINDINGS if not isinstance(b, tuple)]).plain
    for key in ("/ ", "o ", "esc", "tab", "pgup / pgdn", "ctrl+c", "q ", "enter keeps the filter"):
        assert key in text, key
    assert {"close_or_quit", "ack", "alerts", "pause", "panel", "filter", "sort"} <= letter_actions(Dashboard.BINDINGS)
    assert "quit" not in letter_actions(Dashboard.BINDINGS)  # ctrl+c is never text


def test_filter_sort_state() -> None:
    changes: list[int] = []
    fs = FilterSort([SortKey("catalogue"), SortKey("n", lambda x: x.get("n")), SortKey("name", lambda x: x["k"],
                                                                                     desc=False)],
                    on_change=lambda: changes.append(1))
    items = [{"k": "b", "n": 2}, {"k": "a", "n": None}, {"k": "c", "n": 5}]
    assert fs.order(items) == items
    fs.cycle()
    assert [i["k"] for i in fs.order(items)] == ["c", "b", "a"]  # missing values last
    fs.cycle()
    assert [i["k"] for i in fs.order(items)] == ["a", "b", "c"] and fs.suffix() == "  sort: name ▲"
    fs.set_query("[b]")
    assert fs.match("x", "A [B] c") and not fs.match("b") and "\\[b]" in fs.suffix()  # markup-safe title
    fs.cycle()
    assert fs.sort.label == "catalogue" and len(changes) == 4
    assert RowFilter(fs).state is fs
