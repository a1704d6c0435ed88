"""What stands behind a number on screen: the texts of the explain view.

"Every number on screen is traceable": an indicator shows its formula, value,
status, threshold, every input (value, as-of, the FULL source text), its extras
(tables such as the depreciation sensitivity or the maturity wall) and the reason
when there is no data; a price row shows each provider's quote; a debt line each
period's figure. The indicator text is also what ``gpurisk explain NAME`` prints
(this module needs rich, not Textual); outside text is made inert first. Everything is :class:`rich.text.Text`,
never markup.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from engine.indicator import IndicatorResult
from engine.observations import TIER_LABELS
from engine.prices import PriceRow
from engine.views import FinancialView, FinLine
from feeds.runner import next_try_text

from . import format as f, level

if TYPE_CHECKING:
    from gpurisk.view import SessionView

#: How extras keys read as numbers: money, fractions, plain.
MONEY_KEYS = ("income", "expense", "cash", "ebitda", "ebit", "interest", "revenue", "principal", "annual", "extra",
              "debt", "cumulative", "assets", "liabilities", "contracted", "market_q", "capex", "liquidity", "uses",
              "sources", "undrawn")
PCT_KEYS = ("share", "margin", "cut", "vs_cover", "previous")
#: Extras that are fractions (0.118 = 11.8%) or dollar amounts, by exact key.
PCT_EXACT = ("pd", "sigma_e", "mu", "pressure")
MONEY_EXACT = ("E", "F", "next")
#: Extras keys as a person reads them (else: the key with spaces, capitalised).
LABELS = {
    "tier": "Price tier", "breakeven_reported": "Breakeven @ reported life",
    "breakeven_technology": "Breakeven @ technology life", "margin_technology": "Margin @ technology life",
    "rate_pct": "Financing rate", "rate_basis": "Rate rule", "rate": "Borrowing rate", "reference": "Reference rate",
    "basis": "Basis", "ebitda": "EBITDA (TTM)", "with_leases": "With leases", "net_debt": "Net debt",
    "principal_12m": "Principal due in 12 months", "principal_basis": "Principal basis", "cash_taxes": "Cash taxes",
    "monthly_burn": "Monthly burn", "undrawn": "Undrawn facilities", "worst_year": "Largest year",
    "run_rate_ebitda": "Run-rate EBITDA", "ebitda_basis": "EBITDA basis", "upper": "Upper bound",
    "lower": "Lower bound", "effective_n": "Effective customers", "previous_period": "Previous period",
    "previous": "Previous share", "pd": "Default probability (1 y)", "E": "Equity value E", "F": "Default point F",
    "sigma_e": "Equity volatility σE", "mu": "Drift μ", "sigma_basis": "σE from", "mu_basis": "μ from",
    "pair": "Pair", "fair_rent": "Fair H100 rent", "h100": "H100 rent", "next": "Next-gen rent",
    "ratio": "Performance ratio", "restated_operating_income": "Op. income restated",
    "operating_income": "Op. income (TTM)", "extra_expense": "Extra depreciation", "life": "Technology life",
    "zone": "Zone", "interest": "Interest (TTM)", "ebit": "EBIT (TTM)", "revenue": "Revenue (TTM)",
    "as_of": "As of", "with_marketable_securities": "With marketable securities",
    # the projection's quarters (engine/projection.py): one quarter each, never TTM
    "contracted_q": "Contracted", "market_q": "Market", "ebitda_q": "EBITDA", "interest_q": "Interest",
    "principal_q": "Principal", "capex_q": "Capex", "liquidity_q": "Cash+undrawn", "coverage": "Cover",
    "dscr": "DSCR", "ebitda_4q": "EBITDA (4 quarters)", "interest_4q": "Interest (4 quarters)",
    "principal_4q": "Principal (4 quarters)", "revenue_4q": "Revenue (4 quarters)",
    "contracted_4q": "Contracted (4 quarters)", "market_4q": "Market (4 quarters)",
    "sources_4q": "Sources (4 quarters)",
    "uses_4q": "Uses (4 quarters)", "breach": "First breach", "trailing_ttm": "Trailing (TTM)",
    "cash_only_lower_bound": "Cash only (lower bound)", "base_period": "Projection from", "how": "How",
}
_RATE_SERIES = re.compile(r"^(SOFR|DGS\d+|DBAA|DAAA|BAML\w+)\b")


def label(key: str) -> str:
    """A human label for an extras key or table column."""
    return LABELS.get(key) or f.clean(key).replace("_", " ").capitalize()


def _cell(key: str, v: Any, unit: str = "") -> str:
    """One value of an extras table, formatted by what its key suggests (else by ``unit``,
    the indicator's own, for extras such as "with_leases" that are the same measure)."""
    if v is None:
        return "—"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return f.clean(f.day(v) if isinstance(v, (date, datetime)) else v, 40)
    x = float(v)
    if not math.isfinite(x):
        return "—"
    if key in MONEY_EXACT:
        return f.money(x)
    if key in PCT_EXACT:
        return f"{x * 100:.1f}%"
    k = key.lower()
    if k.endswith("_pct") or k in ("rate", "reference"):  # already in percent (11.07 = 11.07%)
        return f"{x:.2f}%"
    if k in ("life", "years") or k.endswith("_years"):
        return f"{x:g} y"
    if any(m in k for m in MONEY_KEYS):
        return f.money(x)
    if any(m in k for m in PCT_KEYS):
        return f"{x * 100:.1f}%"
    if k in ("price", "fair_rent", "h100", "market") or k.startswith("breakeven"):
        return f"${x:.2f}"
    if k.startswith("effective_n") or k in ("upper_n", "ratio"):
        return f"{x:.2f}"
    if unit in ("x", "ratio", "pct", "pct_pts", "usd_h", "months", "hhi"):
        return f.fmt_value(unit, x)
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def table_text(rows: list[dict[str, Any]], limit: int = 40) -> Text:
    """A list of dicts as aligned columns (keys as the header)."""
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    body = [[_cell(k, r.get(k)) for k in cols] for r in rows[:limit]]
    heads = [label(c)[:24] for c in cols]
    widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(heads)]
    t = Text()
    t.append("    " + "  ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True)) + "\n", style="bold")
    for b in body:
        t.append("    " + "  ".join(v.rjust(w) for v, w in zip(b, widths, strict=False)) + "\n")
    if len(rows) > limit:
        t.append(f"    … {len(rows) - limit} more rows\n", style="dim")
    return t


def _inert(res: IndicatorResult) -> IndicatorResult:
    """A copy whose outside text (sources, reason) cannot carry terminal escapes."""
    inputs = tuple(replace(i, source=f.clean(i.source or ""), name=f.clean(i.name),
                           value=f.clean(i.value) if isinstance(i.value, str) else i.value) for i in res.inputs)
    extra = tuple((k, f.clean(v) if isinstance(v, str) else v) for k, v in res.extra)
    return replace(res, inputs=inputs, reason=f.clean(res.reason), extra=extra)


def _input_value(v: Any, name: str = "") -> str:
    """An input with its unit and scale, read from what it is: a rent in $/GPU-h, a rate
    series in percent, a share count, a dollar amount as $4.95B with the exact figure."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return f.clean(v, 80)
    if not math.isfinite(v):
        return "—"
    if name.endswith("$/GPU-h"):
        return f"${v:.4g}/h"
    if _RATE_SERIES.match(name):
        return f"{v:.2f}%"
    if "volatility" in name:
        return f"{v * 100:.1f}%"
    if "shares outstanding" in name:
        return f"{v:,.0f} shares"
    if abs(v) >= 1e5:
        return f"{f.money(v)}  (${v:,.0f})"
    return f"{v:,.0f}" if abs(v) >= 1000 and float(v).is_integer() else f"{v:,.6g}"


def explain_text(r: IndicatorResult) -> Text:
    """Title, value and status, reason, formula, threshold, scalar extras, inputs (value, as-of, source)."""
    t = f.text(r.title, "bold")
    t.append(f"  ({r.name}, {r.group})\n")
    t.append("value      ")
    t.append(f.fmt_value(r.unit, r.value), style="bold")
    t.append("  ")
    t.append_text(level.cell(r, r.stale))  # the level, its stale mark beside it
    t.append("\n")
    if r.period is not None and r.get("base_period") is not None:
        t.append(f"period     {f.day(r.period)} (the projection starts here: {f.clean(r.get('period', ''), 80)})\n")
        t.append("           w: every quarter of the walk, under each what-if\n", style="dim")
    elif r.period is not None:
        t.append(f"period     {f.day(r.period)} (balance sheet at that date; flows TTM to it)\n")
    if r.as_of is not None:
        t.append(f"as of      {f.day(r.as_of)} (the oldest input)\n")
    if r.stale:
        t.append("STALE      ", style="bold yellow")
        t.append_text(f.text(r.stale, limit=300))
        t.append("\n")
    if r.reason:
        t.append("reason     ")
        t.append_text(f.text(r.reason, limit=300))
        t.append("\n")
    t.append("formula    ")
    t.append(r.formula + "\n")
    t.append("threshold  ")
    t.append((level.threshold(r) or "none") + "\n")
    for k, v in r.extra:
        if v is None or isinstance(v, (int, float, str)):
            t.append(f"{label(k):<27} ")
            t.append(f.clean(v, 120) if isinstance(v, str) else _cell(k, v, r.unit))
            t.append("\n")
    t.append("inputs\n", style="bold")
    for i in r.inputs:
        t.append_text(f.text(f"  {i.name}: "))
        t.append(_input_value(i.value, i.name), style="bold")
        t.append(f"  as of {f.day(i.as_of) if i.as_of is not None else '—'}  ")
        t.append_text(f.text(i.source or "—", "dim"))
        t.append("\n")
    return t


def indicator_text(res: IndicatorResult, session: SessionView | None = None) -> Text:
    """Formula, value + status, threshold, inputs with full sources, extras, alert rules, score share."""
    t = explain_text(_inert(res))
    engine = session.engine if session is not None else None
    if engine is not None and res.value is not None:
        delta, basis = engine.change(res.name)
        t.append("change     ")
        t.append(f"{f.fmt_change(res.unit, delta)} ({basis})\n" if delta is not None else f"— ({basis})\n")
    if res.status == "no_data":
        t.append("\nNO DATA: ", style="bold")
        t.append_text(f.text(res.reason or "an input is missing", "italic"))
        t.append("\n")
    if not res.inputs:
        t.append("  (no input was read)\n", style="dim")
    others = [(k, v) for k, v in res.extra if not isinstance(v, (int, float, str, list, tuple)) and v is not None]
    tables = [(k, v) for k, v in res.extra
              if isinstance(v, (list, tuple)) and v and all(isinstance(r, dict) for r in v)]
    for k, v in others:
        t.append(f"{label(k):<27} ")
        t.append_text(f.text(f.day(v) if isinstance(v, (date, datetime)) else v, limit=200))
        t.append("\n")
    for k, rows in tables:
        t.append(f"\n{label(k)}\n", style="bold")
        t.append_text(table_text(list(rows)))
    if session is not None:
        t.append_text(_rules_and_score(res, session))
    return t


def _rules_and_score(res: IndicatorResult, session: SessionView) -> Text:
    t = Text()
    alerts = session.alerts
    states = [s for s in alerts.states() if s.indicator == res.name] if alerts is not None else []
    if states:
        t.append("\nalert rules\n", style="bold")
        for s in states:
            word, style = ALERT_WORD.get(s.state, (s.state.upper(), ""))
            t.append("  ")
            t.append(f" {word} ", style=style)
            t.append_text(f.text(f"  {level.rule_condition(session, s)}  ({s.severity})", limit=120))
            if s.acknowledged:
                t.append("  acknowledged", style="dim")
            t.append("\n")
    score = session.snapshot.score
    line = next((x for x in score.lines if x.name == res.name), None) if score is not None else None
    if line is not None and score is not None:
        t.append("\ncomposite score  ", style="bold")
        if line.penalty is None:
            t.append(f"excluded ({line.excluded})\n", style="dim")
        else:
            t.append(f"{line.points:.1f} of {score.score:.0f} points "
                     f"(weight {line.weight:g}, penalty {line.penalty:g})\n")
    return t


#: Alert rule states: word and style (colour and the word, so it reads without colour).
ALERT_WORD = {
    "firing": ("FIRING", "bold reverse red"), "pending": ("PENDING", "bold yellow"), "no_data": ("NO DATA", "dim"),
    "error": ("ERROR", "bold magenta"), "normal": ("normal", "green"), "resolved": ("resolved", "cyan"),
}


def price_text(row: PriceRow) -> Text:
    """Each provider's quote behind a price row: price, as-of, fetched, feed, full source."""
    t = f.text(f"{row.sku} · {TIER_LABELS.get(row.tier, row.tier)}", "bold")
    t.append(f"\nmedian     ${row.price:.2f}/GPU-h of {row.n_sources} "
             f"provider quote{'s' if row.n_sources != 1 else ''}")
    t.append(f"   low–high ${row.low:.2f}–${row.high:.2f}\n")
    t.append("change     ")
    t.append_text(f.change(row.change))
    t.append("   24h ")
    t.append_text(f.signed_pct(row.change_24h))
    t.append(f"   as of {f.day(row.as_of)}\n")
    if row.history:
        t.append(f"history    {f.sparkline(row.history, 40)}  ({len(row.history)} points, ${min(row.history):.2f}"
                 f"–${max(row.history):.2f})\n", style="cyan")
    t.append("\nproviders\n", style="bold")
    for q in row.sources:
        t.append("  ")
        t.append_text(f.text(q.provider, "bold", limit=30))
        t.append(f"  ${q.price:.4g}/h")
        if q.n_offers:
            t.append(f"  ({q.n_offers} offers)", style="dim")
        t.append(f"\n    as of {q.as_of.isoformat(timespec='minutes')}   "
                 f"fetched {q.fetched_at.isoformat(timespec='seconds')}"
                 f"   feed ")
        t.append_text(f.text(q.feed or "—"))
        t.append("\n    source ")
        t.append_text(f.text(q.source or "—", "dim"))
        t.append("\n")
    return t


def debt_text(line: FinLine, unit: str | None = None, session: SessionView | None = None) -> Text:
    """Each period's figure of a debt line: exact value, period end, source and note; for a
    ratio, the indicator worked out at that period end (formula and every input)."""
    t = f.text(line.label, "bold")
    t.append_text(f.text(f"  ({line.key})", "dim"))
    t.append("\n\n")
    engine = session.engine if session is not None else None
    ind = engine.indicators.get(line.key) if engine is not None else None
    for g in line.figures:
        t.append(f"{f.day(g.period_end)}  ", style="bold")
        t.append(f"{f.fmt_value(unit or line.unit, g.value):>10}")
        if g.value is not None and (unit or line.unit) == "usd":
            t.append(f"   = ${g.value:,.0f}", style="dim")
        t.append("\n")
        if ind is None:  # a ratio's sources are listed with its inputs below
            t.append("    source ")
            t.append_text(f.text(g.source or "—", "dim"))
            t.append("\n")
        if g.note:
            t.append("    note   ")
            t.append_text(f.text(g.note, "italic"))
            t.append("\n")
        if ind is not None and engine is not None and g.period_end is not None:
            # The published result when it is this period's (one figure, one value), else
            # the same indicator worked out at that period.
            pub = engine.snapshot.indicators.get(line.key)
            res = pub if pub is not None and pub.period == g.period_end else engine.evaluate_at(line.key, g.period_end)
            t.append_text(_indent(explain_text(_inert(res))))
            t.append("\n")
    if not line.figures:
        t.append("no figure reported\n", style="dim")
    return t


def _indent(text: Text, pad: str = "    ") -> Text:
    out = Text()
    for line in text.split("\n", allow_blank=True):
        out.append(pad)
        out.append_text(line)
        out.append("\n")
    return out


def maturities_text(view: FinancialView) -> Text:
    t = f.styled(f"Principal due by year (as of {f.day(view.maturities_as_of)})\n\n", "bold")
    for year, principal in view.maturities:
        t.append_text(f.text(f"  {year:<8}{f.money(principal):>9}"))
        t.append("\n")
    t.append("\nsource ")
    t.append_text(f.text(view.maturities_source or "—", "dim"))
    return t


def points_text(title: str, points: Iterable[Any]) -> Text:
    """Customer shares (or any period figures with a source): one block each."""
    t = f.styled(title + "\n\n", "bold")
    for p in points:
        t.append_text(f.text(f"{p.customer}  {p.period} ({f.day(p.period_end)})", "bold", limit=80))
        t.append(f"  {p.share * 100:.0f}% of revenue\n    source ")
        t.append_text(f.text(p.source or "—", "dim"))
        t.append("\n")
    return t


def _feed_block(t: Text, name: str, st: Any, feed: Any, now: datetime, where: str = "") -> None:
    """One feed's state, data age, limit, last error and next try."""
    state = st.display_state(now)
    t.append("\n")
    t.append_text(f.text(name, "bold"))
    t.append("  ")
    t.append(f" {state} ", style=f.FEED_STYLE.get(state, ""))
    t.append(("  demo (sample data)" if st.demo else "") + where + "\n", style="yellow" if st.demo else "")
    t.append_text(f.text(f"  {feed.describe()}", "dim", limit=300))
    t.append("\n")
    age = st.age(now)
    received = "never" if age is None else "just now" if f.age(age) == "now" else f"{f.age(age)} ago"
    t.append(f"  data received {received}"
             f" · newest as-of {f.day(st.last_as_of) if st.last_as_of else '—'}"
             f" · {st.n_obs} observations, {st.dropped} dropped · every {st.interval:g} s\n")
    t.append(f"  freshness limit: {st.limit or 'none'}")
    reason = st.stale_reason(now)
    if reason:
        t.append(" · ")
        t.append(f"STALE {reason}", style=f.FEED_STYLE.get("STALE", ""))
    t.append("\n")
    if st.last_error:
        t.append("  last error: ")
        t.append_text(f.text(st.last_error, "italic", limit=1000))
        t.append("\n")
    nxt = st.next_try(now)
    if st.failures or nxt is not None:
        fails = f"{st.failures} failure(s) in a row · " if st.failures else ""
        when = nxt or (st.retry_at if st.failures else None)
        t.append(f"  {fails}{next_try_text(when, now) if when is not None else 'next try on schedule'}\n")


def feeds_text(session: Any, now: datetime) -> Text:
    """Every feed in full: state, age of its data, newest as-of, what it got, the whole
    last error and when it retries — what the one-line status bar has to cut."""
    t = f.styled("Feeds\n", "bold")
    t.append_text(internal_notes(session))
    for name in session.feed_names():
        _feed_block(t, name, session.status[name], session.feed(name), now)
    peers = session.peers_built  # built when the peers screen (P) first opens it
    if peers is not None:
        _feed_block(t, peers.feed.instance, peers.status, peers.feed, now, " · peers screen (P)")
    elif not session.demo:
        t.append("\n")
        t.append("sec_peers", style="bold")
        t.append("  polled when the peers screen (P) first opens\n", style="dim")
    sink = session.alert_sink
    fail = sink.last_failure if sink is not None else None
    if fail is not None:  # a failed or timed-out alert hook (also a line in the alert log)
        t.append("\n")
        t.append("alert hook", style="bold")
        t.append("  ")
        t.append(" ERROR ", style=f.FEED_STYLE.get("ERROR", ""))
        t.append(f"  {f.day(fail.at)} {fail.at.strftime('%H:%M:%S')} UTC")
        if fail.rule:
            t.append(" · rule ")
            t.append_text(f.text(fail.rule, limit=80))
        t.append("\n  last error: ")
        t.append_text(f.text(fail.message, "italic", limit=1000))
        t.append("\n")
    return t


def internal_notes(session: Any) -> Text:
    """Lines for the top of the feeds screen (``f``): history disabled, and the last
    error inside the dashboard with where the debug log is. Empty when all is well."""
    t = Text()
    for label, value in (("history", session.history_error), ("last dashboard error", session.last_internal_error)):
        if value:
            t.append(f"{label}: ", style="bold red")
            t.append_text(f.text(value, limit=600))
            t.append("\n")
    if t.plain:
        from gpurisk.logs import current_log

        where = current_log()
        t.append_text(f.text(f"details in the debug log: {where}" if where else "no debug log is being written",
                             "dim"))
        t.append("\n")
    return t
