"""Credit capacity: leverage multiples, coverage, spreads, DSCR, runway, maturity wall
(indicators.md §2).

These say whether earnings and cash can carry the debt: multiples of EBITDA (the
measure lenders price on), what the company pays over risk-free and over the
average junk borrower, whether a year's cash flow covers a year's debt service,
and how the principal falls due against cash and run-rate EBITDA (the newest maturity
schedule). Coverage, debt service cover and the runway walk the projection forward:
:mod:`engine.indicators.projected`. EBITDA = operating income +
D&A (TTM), reported GAAP figures, not the company's adjusted EBITDA. A multiple of a
non-positive EBITDA means nothing, so it is *no data* with that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..context import Context
from ..indicator import Computed, Indicator, NoData, Threshold
from .leverage import financing_rate, lease_liabilities, total_debt


def ebitda_ttm(ctx: Context) -> float:
    """EBIT + D&A over the twelve months ending at the balance date when both have them
    (a multiple of debt then compares one date with one year), else their latest common end."""
    ebit, dna = ctx.aligned_ttm("operating_income", "d_and_a", prefer=ctx.balance_date())
    return ebit + abs(dna)


#: A debt multiple of EBITDA at or below zero is not a number a lender can use, but it is the
#: worst case, never a gap: it reads at this cap (ALERT) with the reason, so a shock that wipes
#: out EBITDA never drops the figure out of the score.
MULTIPLE_CAP = 99.0


def _multiple(debt: float, e: float) -> float:
    if e <= 0:
        return MULTIPLE_CAP if debt > 0 else 0.0
    return min(MULTIPLE_CAP, debt / e)


def _nm(e: float) -> dict[str, Any]:
    if e > 0:
        return {}
    return {"note": f"EBITDA TTM is {e / 1e6:,.0f} M: the multiple is not meaningful; shown at the "
                    f"{MULTIPLE_CAP:g}× cap (the worst case)"}


def _with_leases(ctx: Context, amount: float, e: float) -> dict[str, Any]:
    """The "with leases" variant of a multiple; a missing lease line blocks only this variant
    (its reason is kept), never the multiple itself."""
    mark = len(ctx.used)
    try:
        return {"with_leases": _multiple(amount + lease_liabilities(ctx), e)}
    except NoData as exc:
        del ctx.used[mark:]
        return {"with_leases": None, "with_leases_missing": str(exc)}


def debt_to_ebitda(ctx: Context) -> Computed:
    e = ebitda_ttm(ctx)
    debt = total_debt(ctx)
    return Computed(_multiple(debt, e), {"ebitda": e, **_with_leases(ctx, debt, e), **_nm(e)})


def net_debt_to_ebitda(ctx: Context) -> Computed:
    e = ebitda_ttm(ctx)
    net = total_debt(ctx) - ctx.instant("cash")
    return Computed(_multiple(net, e), {"ebitda": e, "net_debt": net, **_with_leases(ctx, net, e), **_nm(e)})


def net_debt_leases_to_ebitda(ctx: Context) -> Computed:
    e = ebitda_ttm(ctx)
    net = total_debt(ctx) - ctx.instant("cash") + lease_liabilities(ctx)
    return Computed(_multiple(net, e), {"ebitda": e, **_nm(e)})


def _spread(series: str) -> Callable[[Context], Computed]:
    def compute(ctx: Context) -> Computed:
        rate, basis = financing_rate(ctx)
        ref = ctx.rate(series)
        return Computed(rate - ref, {"rate": rate, "reference": ref, "basis": basis})

    return compute


def run_rate_ebitda(ctx: Context) -> tuple[float, str]:
    """Latest quarter × 4 when EBIT and D&A share that quarter, else aligned TTM."""
    ebit_q = ctx.fin.quarters(ctx.company, "operating_income")
    dna_q = ctx.fin.quarters(ctx.company, "d_and_a")
    both = set(ebit_q) & set(dna_q)
    if both and max(both) == max(ebit_q):
        return 4.0 * (ctx.quarter("operating_income") + abs(ctx.quarter("d_and_a"))), "latest quarter × 4"
    return ebitda_ttm(ctx), "TTM"


def maturity_wall(ctx: Context) -> Computed:
    as_of, rows = ctx.maturities(newest=True)
    cash = ctx.instant("cash")
    ebitda, basis = run_rate_ebitda(ctx)
    cover = cash + max(ebitda, 0.0)
    if not cover > 0:
        raise NoData("no cash and no positive EBITDA to set against maturities")
    table: list[dict[str, Any]] = []
    cum = 0.0
    for m in rows:
        cum += m.principal
        table.append({"year": m.year, "principal": m.principal, "cumulative": cum, "vs_cover": m.principal / cover})
    years = [r for r in table if str(r["year"]).isdigit()]
    if not years:
        raise NoData("maturity schedule has no dated years")
    worst = max(years, key=lambda r: r["principal"])
    return Computed(worst["vs_cover"], {"worst_year": worst["year"], "cash": cash, "run_rate_ebitda": ebitda,
                                        "ebitda_basis": basis, "as_of": as_of, "table": table})


BS = ("fin/*/total_assets", "fin/*/debt_current", "fin/*/debt_noncurrent", "fin/*/operating_lease_*",
      "fin/*/finance_lease_*")
EBITDA = ("fin/*/operating_income", "fin/*/d_and_a")
INT = ("fin/*/interest_expense",)
INDICATORS = [
    Indicator("debt_to_ebitda", "Debt / EBITDA", "leverage", "x", "(debt current + non-current) ÷ (EBIT + D&A) TTM",
              BS + EBITDA, debt_to_ebitda, Threshold(4.0, 6.0)),
    Indicator("net_debt_to_ebitda", "Net debt / EBITDA", "leverage", "x", "(debt − cash) ÷ (EBIT + D&A) TTM",
              BS + EBITDA + ("fin/*/cash",), net_debt_to_ebitda, Threshold(4.0, 6.0)),
    Indicator("net_debt_leases_to_ebitda", "Net debt+leases/EBITDA", "leverage", "x",
              "(debt − cash + lease liabilities) ÷ (EBIT + D&A) TTM", BS + EBITDA + ("fin/*/cash",),
              net_debt_leases_to_ebitda, Threshold(4.0, 6.0)),
    Indicator("spread_sofr", "Borrowing rate − SOFR", "leverage", "pct_pts",
              "financing rate at the period (as the effective rate) − SOFR on that date",
              BS + INT + ("debt/*", "rate/SOFR", "assump/interest_rate_pct"), _spread("SOFR"), Threshold(5.0, 8.0)),
    Indicator("spread_hy", "Borrowing rate − HY", "leverage", "pct_pts",
              "financing rate at the period (as the effective rate) − ICE BofA US HY effective yield on that date",
              BS + INT + ("debt/*", "rate/BAMLH0A0HYM2EY", "assump/interest_rate_pct"), _spread("BAMLH0A0HYM2EY"),
              Threshold(1.0, 3.0)),
    Indicator("maturity_wall", "Maturity wall", "liquidity", "ratio",
              "largest year's principal ÷ (cash + run-rate EBITDA); table by year",
              ("fin/*/total_assets", "fin/*/cash", "maturity/*") + EBITDA, maturity_wall, Threshold(0.75, 1.0)),
]
