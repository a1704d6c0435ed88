"""Panel views built from the stores: debt & liquidity, customer concentration.

Each figure keeps its period end and source, so the screen can say where every
number came from. Views are immutable and rebuilt only when their inputs change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .context import Context
from .customers import display_names
from .financials import Fact
from .indicator import IndicatorResult, NoData
from .indicators import leverage
from .indicators.concentration import period_shares
from .observations import CustomerShare, is_aggregate_customer
from .state import State


@dataclass(frozen=True, slots=True)
class Figure:
    value: float | None
    period_end: date | None
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class FinLine:
    key: str
    label: str
    unit: str  # "usd", "ratio", "x", "pct_pts"
    figures: tuple[Figure, ...]  # one per period, newest first


@dataclass(frozen=True, slots=True)
class FinancialView:
    company: str
    periods: tuple[date, ...]  # newest first
    lines: tuple[FinLine, ...]
    maturities: tuple[tuple[str, float], ...]  # (year, principal)
    maturities_as_of: date | None
    maturities_source: str
    signed_leases: Figure | None
    #: The newest facility table as a credit analyst reads it, senior first:
    #: (class, facility, principal, rate text, maturity, source).
    capital_stack: tuple[tuple[str, str, float, str, str, str], ...] = ()
    capital_stack_as_of: date | None = None
    #: Periodic filings newer than the balance sheet shown, whose statements are not loaded.
    newer_filings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerPoint:
    customer: str
    period: str
    period_end: date
    share: float
    source: str


@dataclass(frozen=True, slots=True)
class ConcentrationView:
    company: str
    points: tuple[CustomerPoint, ...]  # every disclosed share, oldest period first
    top1: CustomerPoint | None
    top2_share: float | None
    top2_period: str
    hhi_low: float | None
    hhi_high: float | None
    hhi_period: str
    effective_n: tuple[float, float] | None  # (low, high)


def _fig(ctx: Context, fn: Callable[[Context], object]) -> Figure:
    ctx.begin()
    try:
        out = fn(ctx)
    except (NoData, ZeroDivisionError, ValueError) as exc:
        return Figure(None, ctx.at, "", str(exc))
    value: Any = getattr(out, "value", out)  # a Computed's value, or the number itself
    sources = sorted({u.source for u in ctx.used if u.source})
    return Figure(float(value), ctx.at, "; ".join(sources))


def _from_result(res: IndicatorResult) -> Figure:
    """A figure that *is* an indicator's result: the same value, its period and sources."""
    sources = "; ".join(sorted({i.source for i in res.inputs if i.source and i.source != "scenario"}))
    if res.value is None:
        return Figure(None, res.period, "", res.reason)
    note = res.reason if res.reason else ""
    return Figure(res.value, res.period, sources, note)


def _debt_principal(ctx: Context) -> float:
    """Sum of the facility table at the period, else the reported total principal."""
    fac = [f for (name, end), f in ctx.state.facilities.get(ctx.company, {}).items() if end == ctx.at]
    if not fac:
        return ctx.instant("debt_principal")
    for f in fac:
        ctx.use(f.facility, f.principal, f.period_end, f.source)
    return sum(f.principal for f in fac)


def _interest_ttm(ctx: Context) -> float:
    return abs(ctx.ttm("interest_expense"))


#: (key, label, unit, compute). A key that names an indicator is that indicator's result.
LINES: tuple[tuple[str, str, str, Callable[[Context], object] | None], ...] = (
    ("total_liabilities", "Total liabilities", "usd", lambda c: c.instant("total_liabilities")),
    ("total_assets", "Total assets", "usd", lambda c: c.instant("total_assets")),
    ("liabilities_to_assets", "Liabilities / assets", "ratio", None),
    ("debt_principal", "Debt principal", "usd", _debt_principal),
    ("debt_carrying", "Debt (carrying)", "usd", leverage.total_debt),
    ("leases", "Lease liabilities", "usd", leverage.lease_liabilities),
    ("cash", "Cash", "usd", lambda c: c.instant("cash")),
    ("current_ratio", "Current ratio", "ratio", None),
    ("quick_ratio", "Quick ratio", "ratio", None),
    ("interest_ttm", "Interest expense TTM", "usd", _interest_ttm),
    ("interest_coverage", "Interest cover (EBIT)", "x", None),
    ("effective_rate", "Effective rate", "pct_pts", None),
)

#: How a view reaches indicator results: the published one at the company's period, or
#: the same indicator worked out at an older period (``Engine.evaluate_at``).
EvaluateAt = Callable[[str, date], IndicatorResult]


def financial_view(state: State, company: str, indicators: Mapping[str, IndicatorResult] | None = None,
                   evaluate_at: EvaluateAt | None = None) -> FinancialView:
    """The latest balance-sheet period and the one before. A line that is an indicator
    shows the indicator's own result (one figure, one value, one period); the older
    column is the same indicator worked out at that period."""
    periods = tuple(state.fin.balance_periods(company)[:2])
    indicators = indicators or {}
    lines = []
    for key, label, unit, fn in LINES:
        figs = []
        for i, p in enumerate(periods):
            res = indicators.get(key)
            if fn is None and i == 0 and res is not None:
                figs.append(_from_result(res))
            elif fn is None and evaluate_at is not None:
                figs.append(_from_result(evaluate_at(key, p)))
            elif fn is not None:
                figs.append(_fig(Context(state, company, at=p), fn))
            else:
                figs.append(Figure(None, p, "", "not evaluated"))
        lines.append(FinLine(key, label, unit, tuple(figs)))
    mats = state.maturities.get(company, {})
    newest = periods[0] if periods else None
    # The schedule the indicators use (maturity wall, projection): the newest disclosed, since
    # what falls due is read forward from today.
    mat_as_of = max((end for end, _ in mats), default=None)
    rows = sorted(((m.year, m.principal) for (end, _), m in mats.items() if end == mat_as_of),
                  key=lambda r: (r[0] == "thereafter", r[0]))
    mat_src = next((m.source for (end, _), m in mats.items() if end == mat_as_of), "")
    signed = _latest_at(state, company, "signed_leases_not_commenced", newest)
    stack, stack_as_of = capital_stack(state, company)
    return FinancialView(
        company=company,
        periods=periods,
        lines=tuple(lines),
        maturities=tuple(rows),
        maturities_as_of=mat_as_of,
        maturities_source=mat_src,
        signed_leases=Figure(signed.value, signed.period_end, signed.source) if signed else None,
        capital_stack=stack, capital_stack_as_of=stack_as_of,
        newer_filings=newer_filings(state, company, newest),
    )


#: Seniority classes, senior first, recognised in a facility's name.
STACK_ORDER = ("secured", "unsecured notes", "convertible notes")


def stack_class(name: str) -> str:
    n = name.lower()
    if "convertible" in n:
        return "convertible notes"
    if "notes" in n:
        return "unsecured notes"
    return "secured"  # delayed-draw term loans, the revolver, OEM and asset-backed loans


def capital_stack(state: State, company: str) -> tuple[tuple[tuple[str, str, float, str, str, str], ...], date | None]:
    table = state.facilities.get(company, {})
    if not table:
        return (), None
    newest = max(end for (_, end) in table)
    rows = []
    for (_, end), fac in table.items():
        if end != newest:
            continue
        rate = "" if fac.rate is None else f"{fac.rate:g}% {'floating' if fac.floating else 'fixed'}"
        rows.append((stack_class(fac.facility), fac.facility, fac.principal, rate, fac.maturity, fac.source))
    rows.sort(key=lambda r: (STACK_ORDER.index(r[0]), -r[2]))
    return tuple(rows), newest


#: A periodic filing this long after a balance-sheet date is for a later period (10-Q: 40–45 days).
FILING_LAG_DAYS = 50


def newer_filings(state: State, company: str, period: date | None) -> tuple[str, ...]:
    """10-Q/10-K filings seen that cover a period after ``period`` (filed more than
    FILING_LAG_DAYS after it): their statements are not in the view."""
    if period is None:
        return ()
    out = []
    for ev in state.filings.get(company, []):
        if ev.form.upper().startswith(("10-Q", "10-K", "20-F")) and (ev.filed - period).days > FILING_LAG_DAYS:
            out.append(f"{ev.form} {ev.accession} (filed {ev.filed})")
    return tuple(dict.fromkeys(out))


def _latest_at(state: State, company: str, metric: str, at: date | None) -> Fact | None:
    ends = [e for e in state.fin.instant_periods(company, metric) if at is None or e <= at]
    return state.fin.instant(company, metric, max(ends)) if ends else None


def concentration_view(state: State, company: str,
                       indicators: Mapping[str, IndicatorResult] | None = None) -> ConcentrationView:
    """Every disclosed share (history), and the concentration figures of the latest
    disclosure period read from the indicators (HHI, effective N, top-1): one value each."""
    shares = state.customers.get(company, {})
    oldest_first = sorted(shares.values(), key=lambda s: (s.period_end, -s.share))
    shown = display_names(s.customer for s in oldest_first)  # one customer, one name across sources
    points = tuple(CustomerPoint(shown[s.customer], s.period, s.period_end, s.share, s.source) for s in oldest_first)
    named = [p for p in points if not is_aggregate_customer(p.customer)]
    top1 = max(named, key=lambda p: (p.period_end, p.share), default=None)
    by_period: dict[str, list[CustomerShare]] = {}
    for s in shares.values():
        by_period.setdefault(s.period, []).append(s)
    # The top-two share is a disclosure of its own (77% of FY2024), shown with its period.
    full = {k: period_shares(v) for k, v in by_period.items() if len(period_shares(v)) >= 2}
    top2_share, top2_period = None, ""
    if full:
        p2 = max(full, key=lambda k: by_period[k][0].period_end)
        top2_share, top2_period = full[p2][0] + full[p2][1], p2
    ind = indicators or {}
    hhi, eff = ind.get("hhi"), ind.get("effective_customers")
    lo = hhi.value if hhi is not None else None
    hi = hhi.get("upper") if hhi is not None and lo is not None else None
    hp = hhi.get("period", "") if hhi is not None and lo is not None else ""
    effn = (eff.value, eff.get("upper")) if eff is not None and eff.value is not None else None
    return ConcentrationView(company, points, top1, top2_share, top2_period, lo, hi, hp, effn)
