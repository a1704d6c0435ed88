"""Leverage and liquidity from the latest balance sheet (indicators.md §2)."""

from __future__ import annotations

from datetime import date

from ..context import Context
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
    return sum(
        ctx.instant(m, required=False)
        for m in ("operating_lease_current", "operating_lease_noncurrent", "finance_lease_current", "finance_lease_noncurrent")
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


def _year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def weighted_facility_rate(ctx: Context, end: date | None = None) -> float | None:
    """Principal-weighted rate (percent, floating rates shocked) of the facility table at
    ``end`` (default: the latest table at or before the context's date); None if none."""
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


def effective_rate(ctx: Context) -> Computed:
    """Cost of debt at the balance date, by the best basis the data allows.

    1. interest TTM ÷ average debt (start and end of the twelve months), per indicators.md;
    2. else the principal-weighted rate of the facility table at that date (coreweave.md: 11.9%
       at 2024-12-31) — interest ÷ *ending* debt would understate it while debt grows fast;
    3. else interest TTM ÷ ending debt, labelled as such."""
    end = ctx.balance_date()
    debt = total_debt(ctx)
    if debt <= 0:
        raise NoData("no debt")
    start = _year_before(end)
    if ctx.fin.ttm(ctx.company, "interest_expense", end) and all(
        ctx.has_instant(m, start) for m in ("debt_current", "debt_noncurrent")
    ):
        interest = abs(ctx.ttm("interest_expense", at=end))
        avg = (debt + ctx.instant("debt_current", at=start) + ctx.instant("debt_noncurrent", at=start)) / 2
        return Computed(interest / avg * 100.0, {"basis": "interest TTM ÷ average debt"})
    weighted = weighted_facility_rate(ctx, end)
    if weighted is not None:
        return Computed(weighted, {"basis": "principal-weighted facility rate"})
    interest = abs(ctx.ttm("interest_expense"))
    return Computed(interest / debt * 100.0, {"basis": "interest TTM ÷ period-end debt (understates while debt grows)"})


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
              "interest TTM ÷ average debt; else principal-weighted facility rate; else interest TTM ÷ ending debt",
              (BS, "debt/*"), effective_rate, Threshold(10.0, 14.0)),
]
