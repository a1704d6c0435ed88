"""Leverage and liquidity from the latest balance sheet (indicators.md §2)."""

from __future__ import annotations

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
    ebit = ctx.ttm("operating_income")
    interest = abs(ctx.ttm("interest_expense"))
    if interest == 0:
        raise NoData("no interest expense")
    return Computed(ebit / interest, {"ebit": ebit, "interest": interest})


def effective_rate(ctx: Context) -> float:
    interest = abs(ctx.ttm("interest_expense"))
    debt = total_debt(ctx)
    if debt <= 0:
        raise NoData("no debt")
    return interest / debt * 100.0


BS = "fin/*"
INDICATORS = [
    Indicator("liabilities_to_assets", "Liabilities / assets", "leverage", "ratio", "total liabilities ÷ total assets",
              (BS,), liabilities_to_assets, Threshold(0.80, 0.90)),
    Indicator("debt_to_assets", "Debt / assets", "leverage", "ratio", "(debt current + non-current) ÷ total assets",
              (BS,), debt_to_assets, Threshold(0.50, 0.65)),
    Indicator("debt_leases_to_assets", "(Debt + leases) / assets", "leverage", "ratio",
              "(debt + operating and finance lease liabilities) ÷ total assets", (BS,), debt_leases_to_assets,
              Threshold(0.60, 0.75)),
    Indicator("current_ratio", "Current ratio", "liquidity", "x", "current assets ÷ current liabilities",
              (BS,), current_ratio, Threshold(1.0, 0.5, higher_is_worse=False)),
    Indicator("quick_ratio", "Quick ratio", "liquidity", "x", "(cash + receivables) ÷ current liabilities",
              (BS,), quick_ratio, Threshold(0.8, 0.5, higher_is_worse=False)),
    Indicator("cash_ratio", "Cash ratio", "liquidity", "x", "cash ÷ current liabilities",
              (BS,), cash_ratio, Threshold(0.5, 0.2, higher_is_worse=False)),
    Indicator("interest_coverage", "Interest coverage (EBIT)", "leverage", "x", "EBIT TTM ÷ interest expense TTM",
              (BS,), interest_coverage, Threshold(1.5, 1.0, higher_is_worse=False)),
    Indicator("effective_rate", "Effective interest rate", "leverage", "pct_pts",
              "interest expense TTM ÷ debt at the balance date", (BS,), effective_rate, Threshold(10.0, 14.0)),
]
