"""The market's view beside the model's, in the debt panel: a row per note (price and its
date, yield to worst or maturity, spread over Treasuries, the 1-year PD the spread implies)
and one line of the model's own view (distance-to-default PD, the projection's 12-month
funding gap, the H100 breach probability), so a disagreement reads at a glance. The full
sources are in the block's tooltip and explain view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text

from engine.indicator import IndicatorResult
from engine.indicators.market_credit import PD_FORMULA, market_vs_model
from gpurisk.text import format as f

#: Indicators the block reads: repaint it when one of them changed.
WATCHED = frozenset({"bond_yield", "bond_spread", "market_pd_1y", "distance_to_default", "funding_gap_12m",
                     "h100_breach_prob_24m"})
#: The same as the ids of a snapshot's ``changed`` set (``ind/<name>``).
WATCHED_IDS = frozenset(f"ind/{name}" for name in WATCHED)


def curve_word(how: str) -> str:
    """What the spread is over, short: "vs DGS5–DGS7", "vs DGS10 (flat)"."""
    names = [w for w in how.replace("→", " ").split() if w.startswith("DGS")]
    return "vs " + "–".join(names) + (" (flat)" if "flat" in how else "")


def market_text(indicators: Mapping[str, IndicatorResult], cols: int) -> Text:
    rows = market_vs_model(indicators)
    t = f.styled("\nMarket vs model (notes' prices; informational, not scored)", "bold")
    if not rows:
        res = indicators.get("market_pd_1y")
        why = res.reason if res is not None and res.reason else "no note prices"
        return t.append_text(Text("\n  " + f.clean(why)[:max(20, cols - 4)], style="dim"))
    name_w = max(10, min(20, cols - 56))
    for r in rows:
        t.append("\n")
        t.append_text(f.cells([
            (f.text(r["note"]), name_w, "<"), (f"{r['price']:.2f}", 6, ">"), (Text(r["as_of"], style="dim"), 10, "<"),
            (f"{r['yield_kind']} {r['yield'] * 100:.2f}%", 11, "<"), (f"{r['spread'] * 1e4:+,.0f} bp", 8, ">"),
            (f"PD1y {r['pd_1y'] * 100:.1f}%", 10, "<"), (Text(f.grade(r["source"]), style="dim"), 3, "<"),
            (Text(curve_word(r["curve"]), style="dim"), 0, "<")]))
    m = rows[0]
    model = Text("\nModel: ", style="bold")
    model.append_text(f.cells([
        (f"DD PD1y {f.fmt_value('pct', m['model_pd_1y'])}", 0, "<"),
        (f"· funding gap 12m {f.fmt_value('usd', m['funding_gap_12m'])}", 0, "<"),
        (f"· H100 P<BE 24m {f.fmt_value('pct', m['breach_prob_24m'])}", 0, "<")]))
    return t.append_text(model)


def market_explain(indicators: Mapping[str, IndicatorResult]) -> Text:
    """Every note's row with its full source and curve reading, and the formula."""
    t = market_text(indicators, 100)
    t.append("\n\n" + PD_FORMULA + "\n", style="bold")
    for r in market_vs_model(indicators):
        t.append_text(f.text(f"\n{r['note']}{' (' + r['cusip'] + ')' if r['cusip'] else ''}: "
                             f"{r['price']:.3f} on {r['as_of']}, {r['coupon']:g}% to {r['maturity']}, "
                             f"{r['yield_kind']} to {r['workout']}; Treasury {r['curve']}\n  {r['source']}", limit=600))
    return t


def tooltip(indicators: Mapping[str, IndicatorResult]) -> Text | None:
    rows: list[dict[str, Any]] = market_vs_model(indicators)
    if not rows:
        return None
    return f.text("\n".join(f"{r['note']}: {r['source']}" for r in rows), limit=800)
