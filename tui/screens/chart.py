"""The chart screen (``g``, palette "CHART …", ``c`` in explain): how we got here.

A rent (one SKU × tier) with the SKU's breakevens at each point and its published
index, or an indicator with its watch and alert levels — the data comes from the
engine (:mod:`engine.chart_data`), drawn with textual-plotext (:mod:`tui.chart.draw`).
``[`` / ``]`` choose the range (1M / 3M / 1Y / ALL, ending at the last point);
``←`` / ``→`` move a cursor whose reading (date, every line's value there, the financing
rate in force) is the line under the chart; ``q`` / ``esc`` close. The status line says
where the last point comes from and when (DEMO on sample data). Live: each new snapshot
redraws it, the cursor staying on its point (or on the newest, if it was there).

This module, plotext and pandas are imported when the screen first opens, never before
the dashboard's first frame.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from engine.chart_data import RANGE_KEYS, Chart, indicator_chart, rent_chart
from gpurisk.text import format as f
from gpurisk.view import SessionView, session_of

from ..chart.draw import STYLE, day, draw, legend, rich_color, short, stamp
from ..chart.target import REFERENCE, row_target, target_for  # noqa: F401  (re-exported for the app)


class ChartScreen(Screen[None]):
    """``target`` is ("rent", sku, tier) or ("indicator", name)."""

    DEFAULT_CSS = """
    ChartScreen { layout: vertical; }
    #chart-head, #chart-cursor, #chart-legend, #chart-source { height: auto; padding: 0 1; }
    #chart-head, #chart-source { text-wrap: nowrap; text-overflow: ellipsis; }
    #chart-head { background: $panel; }
    #chart-plot { height: 1fr; min-height: 8; }
    #chart-empty { height: 1fr; content-align: center middle; text-style: bold; padding: 0 2; }
    ChartScreen.-empty #chart-plot { display: none; }
    ChartScreen #chart-empty { display: none; }
    ChartScreen.-empty #chart-empty { display: block; }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("left_square_bracket", "range(-1)", "Range", key_display="[ ]"),
        Binding("right_square_bracket", "range(1)", "Range +", show=False),
        Binding("left", "cursor(-1)", "Cursor", key_display="← →"),
        Binding("right", "cursor(1)", "Cursor →", show=False),
        Binding("home", "cursor_end(0)", "First", show=False),
        Binding("end", "cursor_end(1)", "Last", show=False),
    ]

    def __init__(self, target: tuple[str, ...], range_key: str = "1Y") -> None:
        super().__init__()
        self.target = target
        self.range_key = range_key if range_key in RANGE_KEYS else "1Y"
        self.chart: Chart | None = None
        self.cursor: int | None = None
        self._seq: int | None = None

    # --- building -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="chart-head", markup=False)
        yield PlotextPlot(id="chart-plot")
        yield Static(id="chart-empty", markup=False)
        yield Static(id="chart-cursor", markup=False)
        yield Static(id="chart-legend", markup=False)
        yield Static(id="chart-source", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.rebuild()

    @property
    def session(self) -> SessionView:
        return session_of(self.app)

    def build(self) -> Chart:
        engine = self.session.engine
        if self.target[0] == "rent":
            return rent_chart(engine, self.target[1], self.target[2], self.range_key)
        return indicator_chart(engine, self.target[1], self.range_key)

    def rebuild(self, keep_cursor: bool = False) -> None:
        old_t = self.cursor_time() if keep_cursor else None
        was_last = keep_cursor and self.chart is not None and self.chart.main is not None and \
            self.cursor == len(self.chart.main.times) - 1
        self.chart = self.build()
        self._seq = self.session.snapshot.seq
        main = self.chart.main
        n = len(main.times) if main is not None and not self.chart.empty else 0
        if n == 0:
            self.cursor = None
        elif old_t is not None and not was_last and main is not None:
            self.cursor = max(0, sum(1 for t in main.times if t <= old_t) - 1)
        else:
            self.cursor = n - 1
        self.redraw()

    def cursor_time(self) -> float | None:
        main = self.chart.main if self.chart is not None else None
        return main.times[self.cursor] if main is not None and self.cursor is not None else None

    # --- painting -------------------------------------------------------------------
    def redraw(self) -> None:
        chart = self.chart
        assert chart is not None
        self.set_class(bool(chart.empty), "-empty")
        self.query_one("#chart-head", Static).update(self.head_text())
        plot = self.query_one("#chart-plot", PlotextPlot)
        draw(plot.plt, chart, self.cursor, self.size.width)
        plot.refresh()
        self.query_one("#chart-empty", Static).update(f.text(chart.empty))
        self.query_one("#chart-cursor", Static).update(self.cursor_text())
        self.query_one("#chart-legend", Static).update(legend(chart) if not chart.empty else Text(""))
        self.query_one("#chart-source", Static).update(self.source_text())

    def head_text(self) -> Text:
        chart = self.chart
        assert chart is not None
        t = Text()
        if self.session.demo:
            t.append(" DEMO ", style="bold reverse")
            t.append(" ")
        t.append(f.clean(chart.title, 80), style="bold")  # a SKU or tier name from a feed: inert
        t.append("  ")
        for k in RANGE_KEYS:
            t.append(" ")
            t.append(f"[{k}]" if k == chart.range_key else f" {k} ",
                     style="bold reverse" if k == chart.range_key else "dim")
        if chart.resolution:
            t.append(f"  per {chart.resolution}", style="dim")
        return t

    def cursor_text(self) -> Text:
        """The reading under the cursor: date, every line's value there, the rate in force."""
        chart = self.chart
        t_cur = self.cursor_time()
        if chart is None or t_cur is None:
            return Text("")
        out = Text("▶ ", style="bold")
        out.append(stamp(t_cur, chart.resolution), style="bold")
        for line in chart.lines:
            pt = line.point_at(t_cur)
            if pt is None or line.kind.startswith("fan_"):  # the band starts at the last point: today's rent
                continue
            out.append("  ")
            out.append(STYLE[line.kind][2] if line.kind in STYLE else "·", style=rich_color(line.kind))
            out.append(f" {f.clean(short(line.kind, line.label), 40)} {f.fmt_value(chart.unit, pt[1])}")
            if pt[0] != t_cur:
                out.append(f" ({day(pt[0])})", style="dim")
        rate = chart.rate_at(t_cur)
        if rate:
            out.append(f"  · {rate}", style="dim")
        return out

    def source_text(self) -> Text:
        chart = self.chart
        assert chart is not None
        t = Text(no_wrap=True, overflow="ellipsis")
        if chart.as_of is not None:
            t.append(f"last point {stamp(chart.as_of, chart.resolution)}", style="bold")
            t.append(" · ")
        t.append_text(f.text(f"source: {chart.source}" if chart.source else "source: —", "dim"))
        for note in chart.notes:
            t.append_text(f.text(f" · {note}", "dim"))
        return t

    # --- live -----------------------------------------------------------------------
    def refresh_rows(self) -> None:
        """A new snapshot: redraw with the new points (the app calls this after each poll)."""
        if self.session.snapshot.seq != self._seq:
            self.rebuild(keep_cursor=True)

    def on_resize(self) -> None:
        if self.chart is not None:
            self.redraw()

    # --- keys -----------------------------------------------------------------------
    def action_range(self, step: int) -> None:
        i = RANGE_KEYS.index(self.range_key)
        self.range_key = RANGE_KEYS[max(0, min(len(RANGE_KEYS) - 1, i + step))]
        self.rebuild(keep_cursor=True)  # the cursor stays on its date when the range still holds it

    def action_cursor(self, step: int) -> None:
        main = self.chart.main if self.chart is not None else None
        if main is None or self.cursor is None:
            return
        self.cursor = max(0, min(len(main.times) - 1, self.cursor + step))
        self.redraw()

    def action_cursor_end(self, last: int) -> None:
        main = self.chart.main if self.chart is not None else None
        if main is None or self.cursor is None:
            return
        self.cursor = len(main.times) - 1 if last else 0
        self.redraw()

    @property
    def plain(self) -> str:
        """What the screen says in words (tests)."""
        parts = [self.head_text().plain, self.chart.empty if self.chart else "", self.cursor_text().plain,
                 legend(self.chart).plain if self.chart else "", self.source_text().plain]
        return "\n".join(p for p in parts if p)
