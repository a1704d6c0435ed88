"""The command palette's entries: panels by mnemonic, actions, one EXPLAIN per indicator,
one SCENARIO per scenario, ALRT and SCORE. Built when the palette opens, so scenarios
saved during the session and indicators declared later are listed too."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual.app import SystemCommand
from textual.markup import escape

from gpurisk.scenario_cli import scenarios
from gpurisk.text.explain import indicator_text

from .widgets.bars import PANEL_NAMES

PANEL_WHAT = ("GPU rental prices", "Debt & liquidity", "Customer concentration", "Risk indicators and alerts")


def commands(app: Any) -> Iterable[SystemCommand]:
    from .screens.explain import ExplainScreen

    for i, (name, what) in enumerate(zip(PANEL_NAMES, PANEL_WHAT, strict=False)):
        yield SystemCommand(name, f"Show {what} (key {i + 1})", partial(app.action_panel, i))
    yield SystemCommand("Pause / resume", "Stop or restart polling the feeds (key p)", app.action_pause)
    yield SystemCommand("Refresh now", "Poll every feed now (key r)", app.action_refresh)
    yield SystemCommand("Help: keys", "List every key (key ?)", app.action_help)
    yield SystemCommand("ALRT", "Alert rules: state, since, value, condition; acknowledge (key A)", app.action_alerts)
    yield SystemCommand("ACK", "Acknowledge every firing alert (key a)", app.action_ack)
    yield SystemCommand("FEEDS", "Every feed in full: state, age, as-of, the whole last error (key f)",
                        app.action_feeds)
    yield SystemCommand("EVENTS", "Event log: alert, filing, feed and status changes; since last hour / 24 h / "
                        "my last ack / start (key e)", app.action_events)
    yield SystemCommand("PEERS", "Peers side by side: same indicators, periods aligned by end date (key P)",
                        app.action_peers)
    yield SystemCommand("SCORE", "Composite risk score: points and weight per indicator (key c)", app.action_score)
    yield SystemCommand("PROJ", "Projection: eight quarters from rents to liquidity, under each what-if (key w)",
                        app.action_projection)
    session = app.session
    for name, sc in scenarios(session.config).items():
        # names and titles come from the config or plugins: text, never markup
        yield SystemCommand(escape(f"SCENARIO {name}"), escape(f"What-if: {sc.describe()} (key s)"),
                            partial(app.action_scenario, name))

    def explain(name: str) -> None:
        res = session.snapshot.indicators.get(name)
        if res is None:
            app.notify(f"{name}: not computed yet", severity="warning", markup=False)
        else:
            def rebuild():
                now = session.snapshot.indicators.get(name)
                return indicator_text(now, session) if now is not None else None

            app.open_screen(ExplainScreen(f"Explain: {res.title}", indicator_text(res, session), rebuild=rebuild,
                                          chart=("indicator", name)))

    for name, ind in session.engine.indicators.items():
        yield SystemCommand(escape(f"EXPLAIN {ind.title}"), escape(f"Formula, inputs, sources ({name})"),
                            partial(explain, name))
    # names come from feeds and plugins: text, never markup
    for row in session.snapshot.prices.values():
        yield SystemCommand(escape(f"CHART {row.sku} {row.tier}"),
                            escape("Rent over time, breakevens at each point, the index (key g)"),
                            partial(app.action_chart, "rent", row.sku, row.tier))
    for name, ind in session.engine.indicators.items():
        yield SystemCommand(escape(f"CHART {ind.title}"), escape(f"History with watch and alert levels ({name})"),
                            partial(app.action_chart, "indicator", name))
