"""Panel views built from the stores: debt & liquidity, customer concentration.

Each figure keeps its period end and source, so the screen can say where every
number came from. Views are immutable and rebuilt only when their inputs change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from .context import Context
from .indicator import NoData
from .indicators import leverage
from .indicators.concentration import hhi_bounds, is_aggregate, period_shares
from .observations import CustomerShare
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
    value = getattr(out, "value", out)
    sources = sorted({u.source for u in ctx.used if u.source})
    return Figure(float(value), ctx.at, "; ".join(sources))  # type: ignore[arg-type]


def _debt_principal(ctx: Context) -> float:
    fac = [f for (name, end), f in ctx.state.facilities.get(ctx.company, {}).items() if end == ctx.at]
    if not fac:
        raise NoData("no facility table at this date")
    for f in fac:
        ctx.use(f.facility, f.principal, f.period_end, f.source)
    return sum(f.principal for f in fac)


LINES: tuple[tuple[str, str, str, Callable[[Context], object]], ...] = (
    ("total_liabilities", "Total liabilities", "usd", lambda c: c.instant("total_liabilities")),
    ("total_assets", "Total assets", "usd", lambda c: c.instant("total_assets")),
    ("liabilities_to_assets", "Liabilities / assets", "ratio", leverage.liabilities_to_assets),
    ("debt_principal", "Debt principal", "usd", _debt_principal),
    ("debt_carrying", "Debt (carrying)", "usd", leverage.total_debt),
    ("leases", "Lease liabilities", "usd", leverage.lease_liabilities),
    ("cash", "Cash", "usd", lambda c: c.instant("cash")),
    ("current_ratio", "Current ratio", "ratio", leverage.current_ratio),
    ("quick_ratio", "Quick ratio", "ratio", leverage.quick_ratio),
    ("interest_ttm", "Interest expense TTM", "usd", lambda c: abs(c.ttm("interest_expense"))),
    ("interest_coverage", "Interest cover (EBIT)", "x", leverage.interest_coverage),
    ("effective_rate", "Effective rate", "pct_pts", leverage.effective_rate),
)


def financial_view(state: State, company: str) -> FinancialView:
    periods = tuple(state.fin.balance_periods(company)[:2])
    lines = []
    for key, label, unit, fn in LINES:
        figs = tuple(_fig(Context(state, company, at=p), fn) for p in periods)
        lines.append(FinLine(key, label, unit, figs))
    mats = state.maturities.get(company, {})
    mat_as_of = max((end for end, _ in mats), default=None)
    rows = sorted(((m.year, m.principal) for (end, _), m in mats.items() if end == mat_as_of),
                  key=lambda r: (r[0] == "thereafter", r[0]))
    mat_src = next((m.source for (end, _), m in mats.items() if end == mat_as_of), "")
    signed = state.fin.instant(company, "signed_leases_not_commenced")
    return FinancialView(
        company=company,
        periods=periods,
        lines=tuple(lines),
        maturities=tuple(rows),
        maturities_as_of=mat_as_of,
        maturities_source=mat_src,
        signed_leases=Figure(signed.value, signed.period_end, signed.source) if signed else None,
    )


def concentration_view(state: State, company: str) -> ConcentrationView:
    shares = state.customers.get(company, {})
    points = tuple(sorted(
        (CustomerPoint(s.customer, s.period, s.period_end, s.share, s.source) for s in shares.values()),
        key=lambda p: (p.period_end, -p.share),
    ))
    named = [p for p in points if not is_aggregate(p)]
    top1 = max(named, key=lambda p: (p.period_end, p.share), default=None)
    by_period: dict[str, list[CustomerShare]] = {}
    for s in shares.values():
        by_period.setdefault(s.period, []).append(s)
    # Bounds need the top customers of one period; a "Top 2" line supplies an unnamed second share.
    full = {k: period_shares(v) for k, v in by_period.items() if len(period_shares(v)) >= 2}
    top2_share, top2_period, lo, hi, hp, eff = None, "", None, None, "", None
    if full:
        hp = max(full, key=lambda k: by_period[k][0].period_end)
        ranked = full[hp]
        top2_share, top2_period = ranked[0] + ranked[1], hp
        lo, hi = hhi_bounds(ranked)
        eff = (10_000.0 / hi, 10_000.0 / lo) if lo else None
    return ConcentrationView(company, points, top1, top2_share, top2_period, lo, hi, hp, eff)
