"""Leverage and liquidity from the latest balance sheet (indicators.md §2)."""

from __future__ import annotations

from datetime import date

from ..context import Context
from ..financials import year_back
from ..indicator import Computed, Indicator, NoData, Threshold


def liabilities_to_assets(ctx: Context) -> float:
    return ctx.instant("total_liabilities") / ctx.instant("total_assets")


def current_ratio(ctx: Context) -> float:
    return ctx.instant("current_assets") / ctx.instant("current_liabilities")


def quick_ratio(ctx: Context) -> float:
    return (ctx.instant("cash") + ctx.instant("receivables")) / ctx.instant("current_liabilities")


def cash_ratio(ctx: Context) -> float:
    return ctx.instant("cash") / ctx.instant("current_liabilities")


def total_debt(ctx: Context) -> float:
    return ctx.instant("debt_current") + ctx.instant("debt_noncurrent")


def lease_liabilities(ctx: Context) -> float:
    """Operating + finance lease liabilities. Every line must be reported (a filer with no
    finance leases reports zero); a missing line is NoData, never a silent zero."""
    return sum(
        ctx.instant(m)
        for m in ("operating_lease_current", "operating_lease_noncurrent", "finance_lease_current",
                  "finance_lease_noncurrent")
    )


def debt_to_assets(ctx: Context) -> float:
    return total_debt(ctx) / ctx.instant("total_assets")


def debt_leases_to_assets(ctx: Context) -> float:
    return (total_debt(ctx) + lease_liabilities(ctx)) / ctx.instant("total_assets")


def interest_coverage(ctx: Context) -> Computed:
    ebit, interest = ctx.aligned_ttm("operating_income", "interest_expense")
    interest = abs(interest)
    if interest == 0:
        raise NoData("no interest expense")
    return Computed(ebit / interest, {"ebit": ebit, "interest": interest})


def weighted_facility_rate(ctx: Context, end: date | None = None) -> float | None:
    """Principal-weighted rate (percent, floating rates shocked) of the facility table
    dated ``end`` exactly (default: the latest table at or before the context's date);
    None if there is none."""
    if end is None:
        try:
            rows = ctx.facilities(record=False)
        except NoData:
            return None
    else:
        rows = [f for f in ctx.state.facilities.get(ctx.company, {}).values() if f.period_end == end]
    rows = [f for f in rows if f.rate is not None and f.principal > 0]
    total = sum(f.principal for f in rows)
    if not rows or total <= 0:
        return None
    for f in rows:
        ctx.use(f"{f.facility} ({ctx.facility_rate(f):g}%)", f.principal, f.period_end, f.source)
    return sum(f.principal * (ctx.facility_rate(f) or 0.0) for f in rows) / total


def average_debt(ctx: Context, end: date) -> tuple[float, str]:
    """Debt averaged over the twelve months to ``end``: (opening + closing) ÷ 2 when the
    balance a year earlier is reported, else the mean of every balance reported within
    the twelve months (at least two). Recorded as one input dated ``end``."""
    start = year_back(end)
    dates = sorted(d for d in ctx.fin.instant_periods(ctx.company, "debt_current")
                   if start <= d <= end and ctx.fin.instant(ctx.company, "debt_noncurrent", d) is not None)
    if end not in dates or len(dates) < 2:
        raise NoData(f"debt reported at fewer than two dates in the twelve months to {end}")
    if start in dates:
        dates = [start, end]
    facts = [(ctx.fin.instant(ctx.company, "debt_current", d), ctx.fin.instant(ctx.company, "debt_noncurrent", d))
             for d in dates]
    balances = [c.value + n.value for c, n in facts if c and n]
    if balances and min(balances) < 0.25 * max(balances):
        # Debt raised (or repaid) within the year: interest ÷ a mean of a few balances then
        # misstates the rate (IREN FY25: 0 → $963 M of notes reads 2.3% against 3.25–3.5% coupons).
        raise NoData(f"debt moved from {min(balances):,.0f} to {max(balances):,.0f} within the twelve months "
                     f"to {end}: an average of {len(balances)} balances would misstate the rate")
    avg = sum(balances) / len(dates)
    label = "average debt (" + ", ".join(str(d) for d in dates) + ")"
    ctx.use(label, avg, end, "; ".join(sorted({c.source for c, _ in facts if c})))
    return _finite_pos(avg, "average debt"), label


def _finite_pos(v: float, what: str) -> float:
    if not v > 0:
        raise NoData(f"{what} is not positive")
    return v


def financing_rate(ctx: Context) -> tuple[float, str]:
    """The one borrowing rate (percent) of the company at the context's period, used by
    the effective rate, every breakeven and both spreads:

    1. interest expense TTM ÷ average debt over the same twelve months, at every period (one
       method, so a change across periods is a change of rate, never of method); a rate
       shock adds its basis points on the floating share of the facility table;
    2. else the principal-weighted rate of the newest facility table at or before the period;
    3. else the ``interest_rate_pct`` assumption (+ a scenario's rate shock).
    Returns (rate, the rule that applied)."""

    def compute() -> tuple[float, str]:
        end = ctx.at
        why = "no period"
        if end is not None:
            mark = len(ctx.used)
            try:
                avg, label = average_debt(ctx, end)
                interest = abs(ctx.ttm("interest_expense", at=end))
                rate = interest / avg * 100.0 + ctx.shocks.rate_bp / 100.0 * _floating_share(ctx)
                return rate, f"interest TTM ÷ {label}"
            except NoData as exc:
                del ctx.used[mark:]
                why = str(exc)
        weighted = weighted_facility_rate(ctx)
        if weighted is not None:
            return weighted, "principal-weighted facility rate (no average debt at the period)"
        try:
            rate = ctx.assumption("interest_rate_pct") + ctx.shocks.rate_bp / 100.0
        except NoData as exc:
            raise NoData(f"{why}; no facility table; {exc}") from None
        return rate, "interest_rate_pct assumption (no average debt and no facility table at the period)"

    return ctx.cached("financing_rate", ("debt", "assump", "fin"), compute)


def _floating_share(ctx: Context) -> float:
    """Share of principal on floating rates in the facility table at the period (a rate
    shock reaches only that share of the measured rate)."""
    try:
        rows = ctx.facilities(record=False)
    except NoData:
        return 0.0
    total = sum(f.principal for f in rows)
    return sum(f.principal for f in rows if f.floating) / total if total > 0 else 0.0


def effective_rate(ctx: Context) -> Computed:
    rate, basis = financing_rate(ctx)
    return Computed(rate, {"basis": basis})


BS = "fin/*"
INDICATORS = [
    Indicator("liabilities_to_assets", "Liabilities / assets", "leverage", "ratio", "total liabilities ÷ total assets",
              (BS,), liabilities_to_assets, Threshold(0.80, 0.90)),
    Indicator("debt_to_assets", "Debt / assets", "leverage", "ratio", "(debt current + non-current) ÷ total assets",
              (BS,), debt_to_assets, Threshold(0.50, 0.65)),
    Indicator("debt_leases_to_assets", "Debt+leases / assets", "leverage", "ratio",
              "(debt + operating and finance lease liabilities) ÷ total assets", (BS,), debt_leases_to_assets,
              Threshold(0.60, 0.75)),
    Indicator("current_ratio", "Current ratio", "liquidity", "ratio", "current assets ÷ current liabilities",
              (BS,), current_ratio, Threshold(1.0, 0.5, higher_is_worse=False)),
    Indicator("quick_ratio", "Quick ratio", "liquidity", "ratio", "(cash + receivables) ÷ current liabilities",
              (BS,), quick_ratio, Threshold(0.8, 0.5, higher_is_worse=False)),
    Indicator("cash_ratio", "Cash ratio", "liquidity", "ratio", "cash ÷ current liabilities",
              (BS,), cash_ratio, Threshold(0.5, 0.2, higher_is_worse=False)),
    Indicator("interest_coverage", "Interest cover (EBIT)", "leverage", "x", "EBIT TTM ÷ interest expense TTM",
              (BS,), interest_coverage, Threshold(1.5, 1.0, higher_is_worse=False)),
    Indicator("effective_rate", "Effective interest rate", "leverage", "pct_pts",
              "interest expense TTM ÷ average debt over the same twelve months, at every period; else the "
              "principal-weighted facility rate; else the interest_rate_pct assumption (one rate for "
              "breakevens and spreads too)",
              (BS, "debt/*", "assump/interest_rate_pct"), effective_rate, Threshold(10.0, 14.0)),
]
