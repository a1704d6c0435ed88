"""`w`: the credit chain walked forward, quarter by quarter (engine/projection.py).

One table, readable at 80×24: per projected quarter the revenue (contracted + market), EBITDA,
the uses (interest, principal, committed capex, finance leases), cash + undrawn facilities left,
interest cover and debt service cover, each ratio marked where it breaches its level. Below it
the indicators read from the walk with the first quarter each breaches, then the model's inputs
with their source. `tab` runs the same walk under each what-if preset; live while open.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from engine.context import Context
from engine.indicator import NoData
from engine.indicators.projected import COVER, DSCR, RUNWAY
from engine.projection import Projection, projection
from engine.scenarios import PRESETS
from gpurisk.text import format as f
from gpurisk.view import session_of

NAMES = ("proj_ebitda_4q", "ebitda_coverage", "dscr", "runway_months", "funding_gap_12m")


def _b(v: float) -> str:
    """Billions with one decimal, a minus for negatives: the table's one unit ($B)."""
    return f"{v / 1e9:,.1f}"


def _ratio(v: float | None, th: Any) -> Text:
    if v is None:
        return Text("—", style="dim")
    st = th.status(v)
    return Text(f"{v:.2f}", style=f.STATUS_STYLE.get(st, "") if st != "ok" else "")


def walk(session: Any, preset: str | None) -> Projection:
    eng = session.engine
    shocks = PRESETS[preset].shocks() if preset else None
    ctx = Context(eng.state, eng.company, at=eng.period(), **({"shocks": shocks} if shocks else {}))
    return projection(ctx)


def projection_text(session: Any, preset: str | None = None) -> Text:
    t = Text()
    try:
        p = walk(session, preset)
    except NoData as exc:
        t.append("No projection: ", style="bold")
        t.append(f.clean(str(exc)), style="dim")
        return t
    shock = PRESETS[preset].describe() if preset else "no shock"
    t.append(f"From {p.period} · {shock} · $B · cash {_b(p.opening_cash)} + undrawn {_b(p.opening_undrawn)}\n",
             style="bold")
    t.append("Rev = contracted backlog + capacity at market rents; Uses = interest + principal + capex + "
             "finance leases; Liquid = cash + undrawn left\n", style="dim")
    cols = [("Qtr", 6, "<"), ("Rev", 6, ">"), ("EBITDA", 7, ">"), ("Int", 6, ">"), ("Princ", 6, ">"),
            ("Capex", 6, ">"), ("Uses", 6, ">"), ("Liquid", 8, ">"), ("Cover", 7, ">"), ("DSCR", 6, ">")]
    t.append_text(f.cells(cols))
    t.stylize("bold", len(t.plain) - sum(w for _, w, _ in cols) - len(cols) + 1)
    t.append("\n")
    for q in p.quarters:
        liq = Text(_b(q.liquidity), style="red" if q.liquidity < 0 else "")
        t.append_text(f.cells([(q.label, 6, "<"), (_b(q.revenue), 6, ">"), (_b(q.ebitda), 7, ">"),
                               (_b(q.interest), 6, ">"), (_b(q.principal), 6, ">"), (_b(q.capex), 6, ">"),
                               (_b(q.uses), 6, ">"), (liq, 8, ">"), (_ratio(q.coverage, COVER), 7, ">"),
                               (_ratio(q.dscr, DSCR), 6, ">")]))
        t.append("\n")
    months, how = p.runway_months()
    t.append(f"\nRunway {months:.1f} months ({how}); ", style="bold" if RUNWAY.status(months) != "ok" else "")
    t.append(f"funding gap over 4 quarters {_b(p.funding_gap(4))} B (negative: a surplus)\n")
    snap = session.snapshot.indicators
    if preset is None:
        t.append("\nIndicators (next 4 quarters)\n", style="bold")
        for name in NAMES:
            r = snap.get(name)
            if r is None:
                continue
            if r.threshold is None and r.status != "no_data":  # a figure to read, not a test
                status = Text(" info ", style="dim")
            else:
                word = f.STATUS_WORD.get(r.status, r.status.upper())
                status = Text(f" {word} ", style=f.STATUS_STYLE.get(r.status, ""))
            t.append_text(f.cells([(f.text(r.title), 28, "<"), (f.fmt_value(r.unit, r.value), 12, ">"),
                                   (status, 9, "<"), (f.text(str(r.get("breach") or "")), 0, "<")]))
            t.append("\n")
    t.append("\nHow each quarter is built\n", style="bold")
    for what, how_ in p.notes:
        t.append(f"  {what}: ", style="bold")
        t.append(f.clean(how_) + "\n", style="dim")
    t.append("Assumptions and their sources: explain (enter) on a projected row of the risk panel.\n", style="dim")
    return t


class ProjectionScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "Close"), ("q", "dismiss", "Close"), ("tab", "next_preset", "Next what-if"),
                ("shift+tab", "prev_preset", "Previous what-if")]

    def __init__(self) -> None:
        super().__init__()
        self.presets: list[str | None] = [None, *PRESETS]
        self.at = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="projection-box") as box:
            box.border_title = "Projection: rents → revenue → EBITDA → debt service → liquidity"
            box.border_subtitle = "tab what-if · escape closes"
            yield Static(self._text(), id="projection-text", markup=False)

    def _text(self) -> Text:
        return projection_text(session_of(self.app), self.presets[self.at])

    def on_mount(self) -> None:
        self.query_one("#projection-box").focus()

    def refresh_rows(self) -> None:
        """Live while open: the dashboard calls this on every new snapshot."""
        self.query_one("#projection-text", Static).update(self._text())

    def _move(self, step: int) -> None:
        self.at = (self.at + step) % len(self.presets)
        self.refresh_rows()

    def action_next_preset(self) -> None:
        self._move(1)

    def action_prev_preset(self) -> None:
        self._move(-1)
