"""`gpurisk explain NAME`: an indicator's formula, inputs and thresholds, as Rich Text.

Built from ``Text`` pieces, never markup: sources come from outside.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.text import Text

from engine.indicator import IndicatorResult

STATUS_STYLE = {"ok": "green", "watch": "yellow", "alert": "bold red", "no_data": "magenta"}
STATUS_WORD = {"ok": "OK", "watch": "WATCH", "alert": "ALERT", "no_data": "NO DATA"}


def fmt_value(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if not isinstance(value, (int, float)):
        return str(value)
    v = float(value)
    if unit == "pct":
        return f"{v * 100:+.1f}%" if abs(v) < 10 else f"{v * 100:+,.0f}%"
    if unit == "pct_pts":
        return f"{v:.2f}%"
    if unit == "x":
        return f"{v:.2f}×"
    if unit == "usd_h":
        return f"${v:.2f}/h"
    if unit == "hhi":
        return f"{v:,.0f}"
    if unit == "usd" or abs(v) >= 1e5:
        for div, suf in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= div:
                return f"${v / div:,.2f}{suf}"
        return f"${v:,.0f}"
    if unit == "ratio":
        return f"{v:.3f}"
    return f"{v:,.4g}"


def _when(d: date | datetime | None) -> str:
    if d is None:
        return "—"
    return d.date().isoformat() if isinstance(d, datetime) else d.isoformat()


def explain_text(r: IndicatorResult) -> Text:
    t = Text()
    t.append(f"{r.title}", style="bold")
    t.append(f"  ({r.name}, {r.group})\n")
    t.append("value      ")
    t.append(fmt_value(r.value, r.unit), style="bold")
    t.append("  ")
    t.append(STATUS_WORD[r.status], style=STATUS_STYLE[r.status])
    t.append("\n")
    if r.reason:
        t.append("reason     ")
        t.append(r.reason + "\n")
    t.append("formula    ")
    t.append(r.formula + "\n")
    t.append("threshold  ")
    t.append((r.threshold.describe(lambda v: fmt_value(v, r.unit)) if r.threshold else "none") + "\n")
    for k, v in r.extra:
        if isinstance(v, (int, float, str)) or v is None:
            t.append(f"{k:<10} ")
            t.append(fmt_value(v, r.unit if isinstance(v, float) and k in ("upper",) else "") + "\n")
    t.append("inputs\n", style="bold")
    for i in r.inputs:
        t.append(f"  {i.name}: ")
        t.append(fmt_value(i.value), style="bold")
        t.append(f"  as of {_when(i.as_of)}  ")
        t.append(i.source or "—", style="dim")
        t.append("\n")
    return t
