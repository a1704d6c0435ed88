"""The peers screen (``P``): CoreWeave beside its peers, one indicator per row.

Each cell is the indicator's value, its status word (OK / WATCH / ALERT / NO DATA, with
the dashboard's thresholds) and, on a second line, the period it is at ("Q3-25",
"FY24 (May)"): periods are aligned by end date (engine/peers.py), and the line above
the table gives every column's balance-sheet date. The worst value of a row is
marked with ◆ and the word "worst" — never by colour alone. ``o`` cycles the sort
(as listed → columns by the row under the cursor, worst first → rows by the status in
the column under the cursor); ``enter`` explains the cell: formula, every input with
value, period and source, or why it is NO DATA. The main company's column is the
dashboard's own results, so it moves with the dashboard (``refresh_rows``).
The table scrolls sideways on a narrow terminal; the indicator column stays put.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from engine.peers import LIFE, Cell, PeerTable
from gpurisk.peers import PeerSession
from gpurisk.text import format as f
from gpurisk.text.explain import explain_text
from gpurisk.view import session_of

SORTS = ("as listed", "columns by row", "rows by column")
WORST = "◆"


def value_text(cell: Cell, unit: str) -> str:
    if cell.value is None:
        return "—"
    if cell.row == LIFE:
        return f"{cell.value:g} y"
    return f.fmt_value(unit, cell.value)


def cell_text(cell: Cell, unit: str) -> Text:
    """Two lines: value + status word; period (+ ◆ worst)."""
    t = Text()
    if cell.value is None:
        t.append("NO DATA", style=f.STATUS_STYLE["no_data"])
    else:
        t.append(value_text(cell, unit), style="bold")
        if cell.status in f.STATUS_WORD:
            t.append(" ")
            t.append(f.STATUS_WORD[cell.status], style=f.STATUS_STYLE[cell.status])
    t.append("\n")
    t.append(cell.label if cell.value is not None or cell.period else "", style="dim")
    if cell.worst:
        t.append(f" {WORST}worst", style="bold")
    return t


def unit_of(table: PeerTable, row: str) -> str:
    for c in table.companies:
        res = table.cell(row, c).result
        if res is not None:
            return res.unit
    return ""


def explain_cell(table: PeerTable, cell: Cell, label: str) -> Text:
    """What stands behind one cell: company, period (date and label), then the indicator's
    own explain text (formula, inputs with value, as-of and source), or the reason."""
    t = f.text(f"{cell.company} · {label}", "bold")
    t.append("\n")
    t.append(f"period     {f.day(cell.period) if cell.period else '—'}  {cell.label}\n")
    ref = table.reference
    t.append(f"aligned    newest balance sheet on or before {f.day(ref) if ref else '—'} (the main company's period), "
             "by end date\n")
    if cell.worst:
        t.append(f"{WORST} worst in this row\n", style="bold")
    t.append("\n")
    if cell.row == LIFE:
        if cell.value is None:
            t.append("NO DATA    ")
            t.append_text(f.text(cell.reason))
        else:
            t.append(f"value      {cell.value:g} years (no threshold: a longer life flatters earnings, so the "
                     "longest is marked worst)\nsource     ")
            t.append_text(f.text(cell.source, "dim"))
        t.append("\n")
        return t
    if cell.result is not None:
        t.append_text(explain_text(cell.result))
    else:
        t.append("NO DATA    ")
        t.append_text(f.text(cell.reason))
        t.append("\n")
    return t


class PeersScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    PeersScreen { align: center middle; }
    #peers-box { width: 124; max-width: 100%; height: 100%; border: round $accent; background: $surface; }
    #peers-periods, #peers-foot { height: auto; padding: 0 1; }
    #peers-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("enter", "explain", "Explain"),
        Binding("o", "sort", "Sort"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort = 0
        self.table: PeerTable | None = None
        self._shown: tuple[Any, ...] | None = None
        self.columns: list[str] = []
        self.rows: list[str] = []

    @property
    def peers(self) -> PeerSession:
        return session_of(self.app).peers

    def compose(self) -> ComposeResult:
        with Vertical(id="peers-box") as box:
            box.border_subtitle = "enter explains · o sorts · escape closes"
            yield Static("", id="peers-periods", markup=False)
            table: DataTable[Text] = DataTable(id="peers-table", cursor_type="cell", zebra_stripes=False)
            table.fixed_columns = 1
            yield table
            yield Static("", id="peers-foot", markup=False)

    def on_mount(self) -> None:
        self.rebuild()
        self.query_one("#peers-table").focus()
        self.run_worker(self._fetch(), group="peers", exclusive=True)
        self.set_interval(60.0, self._tick)

    async def _fetch(self, force: bool = False) -> None:
        try:
            await self.peers.refresh(force=force)
        finally:
            self.rebuild()

    def _tick(self) -> None:
        if self.peers.due():
            self.run_worker(self._fetch(), group="peers", exclusive=True)

    def refresh_rows(self) -> None:
        """A new dashboard snapshot: the main column is its results (rebuilt only if a cell moved)."""
        self.rebuild()

    # --- the table --------------------------------------------------------------------
    def _order(self, table: PeerTable) -> tuple[list[str], list[str]]:
        cols, rows = list(table.companies), [k for k, _ in table.rows]
        dt = self.query_one("#peers-table", DataTable)
        r, c = dt.cursor_coordinate.row, dt.cursor_coordinate.column
        row = self.rows[r] if 0 <= r < len(self.rows) else rows[0]
        col = self.columns[c - 1] if 1 <= c <= len(self.columns) else cols[0]
        if self.sort == 1:
            cols = table.order_by_row(row)
        elif self.sort == 2:
            rows = table.order_rows_by(col)
        return cols, rows

    def rebuild(self) -> None:
        try:
            table = self.peers.table()
        except Exception as exc:
            self.app.display_error(exc)  # type: ignore[attr-defined]
            return
        cols, rows = self._order(table)
        labels = dict(table.rows)
        body = [(k, tuple(cell_text(table.cell(k, c), unit_of(table, k)).plain for c in cols)) for k in rows]
        key = (tuple(cols), tuple(body), self.sort)
        self.table = table
        self._foot(table)
        if key == self._shown:
            return
        self._shown = key
        dt = self.query_one("#peers-table", DataTable)
        cursor = dt.cursor_coordinate
        dt.clear(columns=True)
        self.columns, self.rows = cols, rows
        dt.add_column("Indicator", key="indicator")
        for c in cols:
            dt.add_column(c, key=c)
        for k in rows:
            unit = unit_of(table, k)
            dt.add_row(Text(labels[k], style="bold"), *(cell_text(table.cell(k, c), unit) for c in cols),
                       key=k, height=2)
        if cursor.row < len(rows) and cursor.column <= len(cols):
            dt.cursor_coordinate = cursor
        box = self.query_one("#peers-box")
        demo = " · DEMO" if session_of(self.app).demo else ""
        box.border_title = f"Peers side by side · sort: {SORTS[self.sort]}{demo}"

    def _foot(self, table: PeerTable) -> None:
        per = Text("Period ends, aligned on or before ")
        per.append(f.day(table.reference) if table.reference else "—", style="bold")
        per.append(": ")
        for i, c in enumerate(table.companies):
            p = table.periods.get(c)
            if i:
                per.append(" · ", style="dim")
            per.append(f"{c} ")
            per.append(f.day(p) if p else "—", style="bold" if p else "dim")
        self.query_one("#peers-periods", Static).update(per)
        st = self.peers.status
        foot = Text(f"{WORST}worst = the worst value in its row (2+ values) · ")
        foot.append(f"feed {self.peers.feed.instance}: ")
        state = st.display_state()
        foot.append(state, style=f.FEED_STYLE.get(state, ""))
        problem = st.problem()
        if problem:
            foot.append(" · ")
            foot.append_text(f.text(problem, limit=160))
        self.query_one("#peers-foot", Static).update(foot)

    # --- actions ----------------------------------------------------------------------
    def action_sort(self) -> None:
        self.sort = (self.sort + 1) % len(SORTS)
        self._shown = None
        self.rebuild()

    def current(self) -> Cell | None:
        if self.table is None:
            return None
        dt = self.query_one("#peers-table", DataTable)
        r, c = dt.cursor_coordinate.row, dt.cursor_coordinate.column
        if not (0 <= r < len(self.rows)):
            return None
        col = self.columns[c - 1] if 1 <= c <= len(self.columns) else self.columns[0]
        return self.table.cell(self.rows[r], col)

    def action_explain(self) -> None:
        from .explain import ExplainScreen

        cell = self.current()
        if cell is None or self.table is None:
            return
        label = dict(self.table.rows)[cell.row]
        self.app.push_screen(ExplainScreen(f"{cell.company}: {label}", explain_cell(self.table, cell, label)))

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self.action_explain()
