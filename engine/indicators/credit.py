"""Credit capacity: leverage multiples, coverage, spreads, DSCR, runway, maturity wall
(indicators.md §2).

These say whether earnings and cash can carry the debt: multiples of EBITDA (the
measure lenders price on), what the company pays over risk-free and over the
average junk borrower, whether a year's cash flow covers a year's debt service,
how many months cash and undrawn facilities last at the current burn, and how the
principal falls due against cash and run-rate EBITDA. EBITDA = operating income +
D&A (TTM), reported GAAP figures, not the company's adjusted EBITDA. A multiple of a
non-positive EBITDA means nothing, so it is *no data* with that reason.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..context import Context
from ..indicator import Computed, Indicator, NoData, Threshold
from .leverage import financing_rate, lease_liabilities, total_debt

RUNWAY_CAP_MONTHS = 120.0


def ebitda_ttm(ctx: Context) -> float:
    """EBIT + D&A over the twelve months ending at the balance date when both have them
    (a multiple of debt then compares one date with one year), else their latest common end."""
    ebit, dna = ctx.aligned_ttm("operating_income", "d_and_a", prefer=ctx.balance_date())
    return ebit + abs(dna)


def _positive_ebitda(ctx: Context) -> float:
    e = ebitda_ttm(ctx)
    if not e > 0:
        raise NoData(f"EBITDA TTM is {e:,.0f}: a multiple of non-positive EBITDA is not meaningful")
    return e


def debt_to_ebitda(ctx: Context) -> Computed:
    e = _positive_ebitda(ctx)
    debt, leases = total_debt(ctx), lease_liabilities(ctx)
    return Computed(debt / e, {"ebitda": e, "with_leases": (debt + leases) / e})


def net_debt_to_ebitda(ctx: Context) -> Computed:
    e = _positive_ebitda(ctx)
    net = total_debt(ctx) - ctx.instant("cash")
    leases = lease_liabilities(ctx)
    return Computed(net / e, {"ebitda": e, "net_debt": net, "with_leases": (net + leases) / e})


def net_debt_leases_to_ebitda(ctx: Context) -> Computed:
    e = _positive_ebitda(ctx)
    net = total_debt(ctx) - ctx.instant("cash") + lease_liabilities(ctx)
    return Computed(net / e, {"ebitda": e})


def ebitda_coverage(ctx: Context) -> Computed:
    ebit, dna, interest = ctx.aligned_ttm("operating_income", "d_and_a", "interest_expense")
    e, interest = ebit + abs(dna), abs(interest)
    if not interest > 0:
        raise NoData("no interest expense")
    return Computed(e / interest, {"ebitda": e, "interest": interest})


def _spread(series: str):  # type: ignore[no-untyped-def]
    def compute(ctx: Context) -> Computed:
        rate, basis = financing_rate(ctx)
        ref = ctx.rate(series)
        return Computed(rate - ref, {"rate": rate, "reference": ref, "basis": basis})

    return compute


def principal_next_12m(ctx: Context, start: date) -> tuple[float, str]:
    """Principal due in the year after ``start`` from the maturity schedule (a year's
    amount spread evenly over what is left of it), else current debt."""
    try:
        as_of, rows = ctx.maturities()
    except NoData:
        return ctx.instant("debt_current"), "current debt (no maturity schedule)"
    start = max(start, as_of)
    end = start + timedelta(days=365)
    due = 0.0
    for m in rows:
        if not m.year.isdigit():
            continue
        y0, y1 = date(int(m.year), 1, 1), date(int(m.year), 12, 31)
        lo = max(y0, as_of + timedelta(days=1))  # what remained of the year when disclosed
        if y1 < lo:
            continue
        overlap = (min(y1, end) - max(lo, start + timedelta(days=1))).days + 1
        if overlap > 0:
            due += m.principal * overlap / ((y1 - lo).days + 1)
    return due, f"maturity schedule as of {as_of}"


def dscr(ctx: Context) -> Computed:
    ebit, dna, interest = ctx.aligned_ttm("operating_income", "d_and_a", "interest_expense",
                                          prefer=ctx.balance_date())
    e, interest = ebit + abs(dna), abs(interest)
    principal, basis = principal_next_12m(ctx, ctx.balance_date())
    service = interest + principal
    if not service > 0:
        raise NoData("no debt service")
    return Computed(e / service, {"ebitda": e, "interest": interest, "principal_12m": principal,
                                  "principal_basis": basis, "cash_taxes": "omitted (not reported as a metric)"})


def runway(ctx: Context) -> Computed:
    cfo = ctx.ttm("cfo")
    capex = abs(ctx.ttm("capex"))
    burn = (capex - cfo) / 12.0
    cash = ctx.instant("cash")
    has_undrawn = ctx.has_instant("undrawn_facilities", ctx.balance_date())
    undrawn = ctx.instant("undrawn_facilities") if has_undrawn else 0.0
    extra: dict[str, Any] = {"monthly_burn": burn, "cash": cash, "undrawn": undrawn if has_undrawn else None}
    if not burn > 0:
        extra["note"] = f"not burning cash: CFO covers capex (shown as {RUNWAY_CAP_MONTHS:g} months)"
        return Computed(RUNWAY_CAP_MONTHS, extra)
    if not has_undrawn:
        extra["note"] = "undrawn facilities not reported: cash only"
    return Computed(min(RUNWAY_CAP_MONTHS, (cash + undrawn) / burn), extra)


def run_rate_ebitda(ctx: Context) -> tuple[float, str]:
    """Latest quarter × 4 when EBIT and D&A share that quarter, else aligned TTM."""
    ebit_q = ctx.fin.quarters(ctx.company, "operating_income")
    dna_q = ctx.fin.quarters(ctx.company, "d_and_a")
    both = set(ebit_q) & set(dna_q)
    if both and max(both) == max(ebit_q):
        return 4.0 * (ctx.quarter("operating_income") + abs(ctx.quarter("d_and_a"))), "latest quarter × 4"
    return ebitda_ttm(ctx), "TTM"


def maturity_wall(ctx: Context) -> Computed:
    as_of, rows = ctx.maturities()
    cash = ctx.instant("cash")
    ebitda, basis = run_rate_ebitda(ctx)
    cover = cash + max(ebitda, 0.0)
    if not cover > 0:
        raise NoData("no cash and no positive EBITDA to set against maturities")
    table, cum = [], 0.0
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
    Indicator("ebitda_coverage", "Interest cover (EBITDA)", "leverage", "x", "(EBIT + D&A) TTM ÷ interest expense TTM",
              EBITDA + INT + ("debt/*",), ebitda_coverage, Threshold(2.0, 1.0, higher_is_worse=False)),
    Indicator("spread_sofr", "Borrowing rate − SOFR", "leverage", "pct_pts",
              "financing rate at the period (as the effective rate) − SOFR on that date",
              BS + INT + ("debt/*", "rate/SOFR", "assump/interest_rate_pct"), _spread("SOFR"), Threshold(5.0, 8.0)),
    Indicator("spread_hy", "Borrowing rate − HY", "leverage", "pct_pts",
              "financing rate at the period (as the effective rate) − ICE BofA US HY effective yield on that date",
              BS + INT + ("debt/*", "rate/BAMLH0A0HYM2EY", "assump/interest_rate_pct"), _spread("BAMLH0A0HYM2EY"), Threshold(1.0, 3.0)),
    Indicator("dscr", "Debt service coverage", "liquidity", "x",
              "(EBIT + D&A) TTM ÷ (interest TTM + principal due next 12 months); cash taxes omitted",
              ("fin/*/total_assets", "fin/*/debt_current") + EBITDA + INT + ("maturity/*", "debt/*"), dscr,
              Threshold(1.25, 1.0, higher_is_worse=False)),
    Indicator("runway_months", "Liquidity runway", "liquidity", "months",
              "(cash + undrawn facilities) ÷ monthly burn, burn = (capex − CFO) TTM ÷ 12",
              ("fin/*/total_assets", "fin/*/cash", "fin/*/undrawn_facilities", "fin/*/cfo", "fin/*/capex"), runway,
              Threshold(18.0, 12.0, higher_is_worse=False)),
    Indicator("maturity_wall", "Maturity wall", "liquidity", "ratio",
              "largest year's principal ÷ (cash + run-rate EBITDA); table by year",
              ("fin/*/total_assets", "fin/*/cash", "maturity/*") + EBITDA, maturity_wall, Threshold(0.75, 1.0)),
]
