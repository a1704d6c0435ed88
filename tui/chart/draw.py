"""Drawing an :class:`engine.chart_data.Chart` with plotext (textual-plotext's ``Plot``).

Every line has its own *marker* as well as its own colour — braille for the rent or the
indicator, ``─`` and ``═`` for the two breakevens, ``+`` for the index, ``-``/``=`` for
the watch and alert levels, ``·`` for the simulated band — so the chart reads on a
terminal without colour (SSH, ``TEXTUAL_COLOR_SYSTEM=standard``), and the legend under it
shows each marker with its name. Colours are the 8 standard ANSI names: they survive
any colour system. Axes are drawn by us, not plotext: dates on x (``YYYY-MM-DD`` at the
ends, ``MM-DD`` between) and the figure's own unit on y ($ for rents).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text

from engine.chart_data import Chart
from gpurisk.text import format as f

DAY = 86400.0
#: kind -> (plotext marker, ANSI colour number, legend glyph, short name for the cursor line).
#: Numbers, not names: plotext calls ANSI 3 "orange" where Rich calls it "yellow".
STYLE: dict[str, tuple[str, int, str, str]] = {
    "rent": ("braille", 6, "⣿", "rent"),
    "value": ("braille", 6, "⣿", "value"),
    "be_reported": ("─", 3, "─", "be"),
    "be_technology": ("═", 1, "═", "be"),
    "index": ("+", 5, "+", "index"),
    "fan_median": ("•", 7, "•", "median"),
    "fan_low": ("·", 7, "·", "p5"),
    "fan_high": ("·", 7, "·", "p95"),
    "watch": ("-", 3, "-", "watch"),
    "alert": ("=", 1, "=", "alert"),
    "cursor": ("│", 7, "│", ""),
}
OTHER = ("dot", 7, "·", "")
#: Drawing order (higher on top): the band under the breakevens, the median over them (where
#: it crosses a breakeven is the point), the history over everything.
Z = {"fan_low": 0, "fan_high": 0, "be_reported": 1, "be_technology": 1, "index": 2, "fan_median": 3, "rent": 4,
     "value": 4}
PLOTEXT_COLOR = {1: "red", 3: "orange", 5: "magenta", 6: "cyan", 7: "gray+"}


def rich_color(kind: str) -> str:
    return f"color({STYLE.get(kind, OTHER)[1]})"


def short(kind: str, label: str) -> str:
    """A line's name on the cursor line: "rent", "be @6y", "index"."""
    name = STYLE.get(kind, OTHER)[3] or label
    if kind.startswith("be_") and "@" in label:
        return f"{name} {label[label.index('@'):]}"
    return name


def day(t: float, fmt: str = "%Y-%m-%d") -> str:
    return datetime.fromtimestamp(t, UTC).strftime(fmt)


def stamp(t: float, resolution: str) -> str:
    """A point's time as the cursor reads it: the date, with the hour below a daily resolution."""
    return day(t, "%Y-%m-%d %H:%M UTC") if resolution in ("minute", "hour") else day(t)


def y_label(unit: str, v: float, step: float) -> str:
    if unit == "usd_h":
        return f"${v:.2f}"
    if unit == "pct":
        return f"{v * 100:.0f}%" if step >= 0.01 else f"{v * 100:.1f}%"
    if unit == "x":
        return f"{v:.1f}×"
    return f"{v:.2f}" if step >= 0.01 else f"{v:.3f}"


def bounds(chart: Chart) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) in days and the figure's unit, padded so no line sits on the frame."""
    xs = [t / DAY for line in chart.lines for t in line.times]
    ys = [v for line in chart.lines for v in line.values] + [lv.value for lv in chart.levels]
    x0, x1 = min(xs), max(xs)
    if x1 - x0 < 1e-9:
        x0, x1 = x0 - 1, x1 + 1
    xpad = (x1 - x0) * 0.015  # the first and last points inside the frame, not on it
    x0, x1 = x0 - xpad, x1 + xpad
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.08 or abs(y1) * 0.05 or 1.0
    return x0, x1, y0 - pad, y1 + pad


def ticks(lo: float, hi: float, n: int) -> list[float]:
    if n < 2:
        return [lo]
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def draw(plt: Any, chart: Chart, cursor: int | None, width: int) -> None:
    """Draw ``chart`` on a textual-plotext ``Plot`` (cleared first); ``cursor`` is an index
    into the main line's points."""
    plt.clear_data()
    plt.clear_figure()
    main = chart.main
    if main is None or chart.empty:
        return
    x0, x1, y0, y1 = bounds(chart)
    for lv in chart.levels:
        marker, style_color = STYLE[lv.kind][:2]
        plt.plot([x0, x1], [lv.value, lv.value], marker=marker, color=PLOTEXT_COLOR[style_color])
    for line in sorted(chart.lines, key=lambda ln: Z.get(ln.kind, 1)):  # the main series last: drawn on top
        marker, style_color = STYLE.get(line.kind, OTHER)[:2]
        color = PLOTEXT_COLOR[style_color]
        xs = [t / DAY for t in line.times]
        if len(xs) == 1:
            plt.scatter(xs, list(line.values), marker=marker, color=color)
        else:
            plt.plot(xs, list(line.values), marker=marker, color=color)
    if len(main.times) <= 40:  # few points (quarterly figures): mark each observation
        plt.scatter([t / DAY for t in main.times], list(main.values), marker="●",
                    color=PLOTEXT_COLOR[STYLE[main.kind][1]])
    if cursor is not None and 0 <= cursor < len(main.times):
        cx = main.times[cursor] / DAY
        plt.plot([cx, cx], [y0, y1], marker="│", color="gray+")
        plt.scatter([cx], [main.values[cursor]], marker="◆", color="gray+")
    plt.xlim(x0, x1)
    plt.ylim(y0, y1)
    n_x = 3 if width < 60 else 4 if width < 100 else 6
    first, last = min(t for line in chart.lines for t in line.times), max(t for line in chart.lines for t in line.times)
    xt = ticks(first / DAY, last / DAY, n_x) if last > first else [first / DAY]  # labels at real dates
    plt.xticks(xt, [day(x * DAY, "%Y-%m-%d" if i in (0, len(xt) - 1) else "%m-%d") for i, x in enumerate(xt)])
    yt = ticks(y0, y1, 5)
    plt.yticks(yt, [y_label(chart.unit, y, (y1 - y0) / 4) for y in yt])


def legend(chart: Chart) -> Text:
    """Each line's glyph and name (the glyph alone tells them apart without colour)."""
    t = Text()
    items = [(line.kind, line.label) for line in chart.lines] + [(lv.kind, f"{lv.label} {_level(chart, lv.value)}")
                                                                 for lv in chart.levels]
    for i, (kind, label) in enumerate(items):
        glyph = STYLE.get(kind, OTHER)[2]
        if i:
            t.append("  ")
        t.append(glyph * 2, style=rich_color(kind))
        t.append(" ")
        t.append(f.clean(label, 60))  # a SKU or tier name comes from a feed: made inert, never markup
    return t


def _level(chart: Chart, v: float) -> str:
    return f.fmt_value(chart.unit, v)
