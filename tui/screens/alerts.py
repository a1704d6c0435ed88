"""The alerts screen: every rule with its state as a word and a colour; acknowledge.

The rules and their state machine live in ``engine.alerts`` (driven by the
session on every poll); new transitions are one line on the notice line
(tui/toasts.py), which this screen has too, at its foot. Its table cells are
updated in place, only where the text changed. ``a`` acknowledges the selected
rule, ``A`` every firing rule (after a yes), ``u`` undoes the last acknowledge.
"""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable

from gpurisk.text import format as f, level as lv
from gpurisk.text.explain import ALERT_WORD
from gpurisk.view import session_of

from ..toasts import _title, _unit, ask_acknowledge, ask_acknowledge_all, undo_acknowledge
from ..widgets.filter import FilterActions, FilterSort, RowFilter, SortKey
from ..widgets.line import Line
from ..widgets.notice import NoticeLine

ORDER = {"firing": 0, "pending": 1, "error": 2, "no_data": 3, "resolved": 4, "normal": 5}
COLUMNS = ("State", "Indicator", "Value", "Condition", "Since", "Severity", "Ack")
#: A DataTable repaints whole on any cell change: values alone refresh at most this often
#: (states, acknowledgements and new rules show at once).
VALUE_REFRESH_S = 10.0
SEVERITY = {"critical": 0, "warning": 1, "info": 2}
#: ``o`` cycles these; a sort or filter change rebuilds the table, otherwise rows keep their place.
SORTS = (SortKey("state", lambda s: ORDER.get(s.state, 9), desc=False), SortKey("since", lambda s: s.since),
         SortKey("severity", lambda s: SEVERITY.get(s.severity, 9), desc=False))


def state_cell(state: str) -> Text:
    word, style = ALERT_WORD.get(state, (state.upper(), ""))
    return Text(f" {word} ", style=style)


def row_cells(session: Any, s: Any, wide: bool = True, now: Any = None) -> tuple[Text, ...]:
    """One rule's cells. Narrow terminals keep the indicator whole and shorten the rest: the
    condition without the indicator's name, the time without the year, severity in four letters.
    The value carries its figure's level and stale mark when wide (as on the risk panel), and
    the condition is in the figure's unit."""
    when = s.since.astimezone(UTC) if s.since else None
    since = when.strftime("%Y-%m-%d %H:%M UTC" if wide else "%m-%d %H:%MZ") if when else "—"
    cond = lv.rule_condition(session, s)
    value = Text(f.fmt_value(_unit(session, s.indicator), s.value))
    res = session.snapshot.indicators.get(s.indicator)
    if wide and res is not None:  # the values right-aligned, the levels in one column after them
        value = Text(f"{value.plain:>7}  ")
        value.append_text(lv.cell(res, session.stale_note(res, now), session.data_now(now), pad=False))
    if not wide and cond.startswith(s.indicator):  # "<12.0 mo", as the thresholds read
        cond = cond[len(s.indicator):].strip()
        if cond[:2] in ("< ", "> ") or cond[:3] in ("<= ", ">= "):
            cond = cond.replace(" ", "", 1)
    sev = s.severity if wide else s.severity[:4]
    title = _title(session, s.indicator)
    title = title if wide else f.title_in(s.indicator, title, 22)
    return (state_cell(s.state), f.text(title, limit=30 if wide else 24),
            value, f.text(cond, limit=40 if wide else 12),
            Text(since, style="dim"), Text(sev, style="bold red" if s.severity == "critical" else ""),
            Text("yes" if s.acknowledged else "", style="dim"))


class AlertsScreen(FilterActions, ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", show=False),  # a filter first, then close
        Binding("escape", "dismiss", "Close"),
        Binding("a", "ack", "Ack selected"),
        Binding("A", "ack_all", "Ack all"),
        Binding("u", "undo", "Undo ack"),
        Binding("c", "score", "Score"),
        Binding("slash", "filter", "Filter", show=False),
        Binding("o", "sort", "Sort", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.shown: dict[str, tuple[Text, ...]] = {}
        self.fs = FilterSort(SORTS, on_change=self.rebuild)
        self._values_at = 0.0

    def compose(self) -> ComposeResult:
        with Vertical(id="alerts-box") as box:
            box.border_title = "Alert rules"
            box.border_subtitle = "a ack selected · A ack all · u undo · c score · escape"
            yield Line(id="alerts-summary", classes="row")
            yield DataTable(id="alerts-table", cursor_type="row", zebra_stripes=False)
            yield RowFilter(self.fs)
            yield NoticeLine(id="alerts-notice")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        narrow = self.app.size.width < 110
        for c in COLUMNS:
            table.add_column({"Severity": "Sev", "Condition": "If"}.get(c, c) if narrow else c, key=c)
        self.refresh_rows()
        table.focus()

    def refresh_rows(self) -> None:
        session = session_of(self.app)
        summary = self.query_one("#alerts-summary", Line)
        if session.alerts is None:
            summary.show(Text("Alerts are off in this session (the gpurisk command turns them on).", style="dim"))
            return
        states = session.alerts.states()
        view = self.in_view(session, states)  # the rules listed (filter), in order when (re)built
        table = self.query_one(DataTable)
        counts: dict[str, int] = {}
        now = time.monotonic()
        values_due = now - self._values_at >= VALUE_REFRESH_S
        for s in states:
            counts[s.state] = counts.get(s.state, 0) + 1
        wide = self.app.size.width >= 110
        clock = self.app.clock()  # type: ignore[attr-defined]
        for s in view:
            cells = row_cells(session, s, wide, clock)
            old = self.shown.get(s.rule)
            if old is None:
                table.add_row(*cells, key=s.rule)
                self.shown[s.rule] = cells
                continue
            moved = [i for i, (new, was) in enumerate(zip(cells, old, strict=False)) if not f.same(was, new)]
            if not moved or (moved == [COLUMNS.index("Value")] and not values_due):
                continue
            for i in moved:
                table.update_cell(s.rule, COLUMNS[i], cells[i])
            self.shown[s.rule] = cells
        if values_due:
            self._values_at = now
        unacked = sum(1 for s in states if s.state == "firing" and not s.acknowledged)
        t = Text()
        for st in sorted(counts, key=lambda k: ORDER.get(k, 9)):
            t.append_text(state_cell(st))
            t.append(f" {counts[st]}  ")
        t.append(f"· {unacked} not acknowledged", style="bold" if unacked else "dim")
        if self.fs.query.strip():
            t.append(f" · showing {len(view)} of {len(states)}", style="bold")
        summary.show(t)

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(key.value) if key.value is not None else None

    def action_ack(self) -> None:
        """``a``: asks first, as on the dashboard (the same question, for the selected rule)."""
        rule = self.selected()
        if rule is not None:
            ask_acknowledge(self.app, rule, then=self.refresh_rows)

    def action_ack_all(self) -> None:
        ask_acknowledge_all(self.app, then=self.refresh_rows)

    def action_undo(self) -> None:
        undo_acknowledge(self.app)
        self.refresh_rows()

    def action_score(self) -> None:
        from .score import ScoreScreen

        self.app.open_screen(ScoreScreen())  # type: ignore[attr-defined]

    # --- / filter and o sort ------------------------------------------------------------
    def in_view(self, session: Any, states: list[Any]) -> list[Any]:
        """The rules the filter keeps; when they are not the rows listed, the table is cleared
        and they come back in the chosen order."""
        keep = [s for s in states if self.fs.match(s.rule, *(c.plain for c in row_cells(session, s)))] \
            if self.fs.query.strip() else list(states)  # no filter: no cells built just to match
        if {s.rule for s in keep} != set(self.shown):
            self.query_one(DataTable).clear()
            self.shown = {}
            return self.fs.order(keep)
        return keep

    def rebuild(self) -> None:
        self.query_one(DataTable).clear()
        self.shown = {}
        self.query_one("#alerts-box").border_title = "Alert rules" + self.fs.suffix()
        self.refresh_rows()

    def filter_target(self):
        return self.query_one(DataTable)
