"""Scoring and market-implied models: Altman Z'' and a naive distance to default
(indicators.md §4).

Z'' (the non-manufacturer variant) reads only the balance sheet and EBIT; its X4
uses book equity as reported in stockholders' equity, *excluding* mezzanine
(redeemable preferred / redeemable common), which sits outside both liabilities
and equity. It is weak for hyper-growth firms whose liabilities are swollen by
customer prepayments, so the composite weights it lightly.

The naive distance to default (Bharath & Shumway 2008) needs no solver: debt
volatility is a rule of thumb (0.05 + 0.25 σE), asset volatility the value-weighted
mix, and the default point F is the KMV one (short-term debt + ½ long-term debt).
Equity volatility comes from the close history (at least 20 returns in the last
year), else the ``equity_volatility`` assumption; the drift is the prior-year
equity return when a year of history exists, else SOFR (a one-year risk-free proxy),
else the 10-year Treasury yield.
"""

from __future__ import annotations

import math
from itertools import pairwise

from ..context import Context
from ..indicator import Computed, Indicator, NoData, Threshold

YEAR_S = 365.25 * 86400.0
MIN_RETURNS = 20


def altman_z2(wc: float, re: float, ebit: float, bve: float, ta: float, tl: float) -> tuple[float, tuple[float, ...]]:
    """Z'' = 6.56·X1 + 3.26·X2 + 6.72·X3 + 1.05·X4 and (X1, X2, X3, X4)."""
    if not ta > 0 or not tl > 0:
        raise ValueError("total assets and total liabilities must be positive")
    x = (wc / ta, re / ta, ebit / ta, bve / tl)
    return 6.56 * x[0] + 3.26 * x[1] + 6.72 * x[2] + 1.05 * x[3], x


def z2_zone(z: float) -> str:
    return "safe" if z > 2.60 else "grey" if z >= 1.10 else "distress"


def _z2(ctx: Context) -> Computed:
    when = ctx.balance_date()
    ta, tl = ctx.instant("total_assets"), ctx.instant("total_liabilities")
    wc = ctx.instant("current_assets") - ctx.instant("current_liabilities")
    re = ctx.instant("retained_earnings")
    bve = ctx.instant("stockholders_equity")
    ebit = ctx.ttm("operating_income", at=when)
    z, x = altman_z2(wc, re, ebit, bve, ta, tl)
    return Computed(z, {"zone": z2_zone(z), "X1": x[0], "X2": x[1], "X3": x[2], "X4": x[3],
                        "note": "book equity excludes mezzanine (redeemable) equity"})


def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def naive_dd(E: float, F: float, sigma_e: float, mu: float, T: float = 1.0) -> tuple[float, float]:
    """Bharath–Shumway naive distance to default and PD = N(−DD).

    ``E`` equity market value, ``F`` default point (same units), ``sigma_e`` annual
    equity volatility (1.0 = 100%), ``mu`` expected return (0.04 = 4%), ``T`` years."""
    if not (E > 0 and F > 0 and sigma_e > 0 and T > 0) or not math.isfinite(mu):
        raise ValueError("E, F, σE and T must be positive, μ finite")
    sigma_d = 0.05 + 0.25 * sigma_e
    v = E + F
    sigma_v = E / v * sigma_e + F / v * sigma_d
    dd = (math.log(v / F) + (mu - 0.5 * sigma_v ** 2) * T) / (sigma_v * math.sqrt(T))
    return dd, norm_cdf(-dd)


def equity_vol_and_return(times: list[float], closes: list[float]) -> tuple[float | None, float | None]:
    """Annualised log-return volatility over the last year, and the prior-year return."""
    pts = [(t, c) for t, c in zip(times, closes, strict=False) if c > 0 and math.isfinite(c)]
    if len(pts) < 2:
        return None, None
    t_end = pts[-1][0]
    window = [p for p in pts if p[0] >= t_end - YEAR_S]
    sigma = None
    if len(window) > MIN_RETURNS:
        rets = [math.log(b[1] / a[1]) for a, b in pairwise(window)]
        span = (window[-1][0] - window[0][0]) / YEAR_S
        if span > 0:
            n = len(rets)
            mean = sum(rets) / n
            var = sum((r - mean) ** 2 for r in rets) / (n - 1)
            sigma = math.sqrt(var * n / span)
    mu = None
    if pts[0][0] <= t_end - 0.95 * YEAR_S:
        base = max((p for p in pts if p[0] <= t_end - 0.95 * YEAR_S), key=lambda p: p[0])
        mu = pts[-1][1] / base[1] - 1.0
    return sigma, mu


def _dd(ctx: Context) -> Computed:
    q = ctx.equity()
    shares = q.shares_outstanding
    if shares is None or not shares > 0:
        shares = ctx.assumption("shares_outstanding")
    E = q.close * shares
    units = {f.unit for m in ("debt_current", "debt_noncurrent")
             if (f := ctx.fin.instant(ctx.company, m, ctx.balance_date())) is not None}
    if units - {"USD"}:
        raise NoData(f"debt reported in {', '.join(sorted(units))}; the share price is in USD: not mixed")
    F = ctx.instant("debt_current") + 0.5 * ctx.instant("debt_noncurrent")
    times, closes = ctx.equity_history()
    sigma, mu = equity_vol_and_return(times, closes)
    sigma_basis, mu_basis = "history", "prior-year return"
    if sigma is None:
        sigma, sigma_basis = ctx.assumption("equity_volatility"), "assumption"
    else:
        ctx.use("equity volatility (history)", sigma, q.as_of, q.source)
    if mu is None:
        series = "SOFR" if ctx.has_rate("SOFR") or not ctx.has_rate("DGS10") else "DGS10"
        mu, mu_basis = ctx.rate(series) / 100.0, series
    dd, pd = naive_dd(E, F, sigma, mu)
    return Computed(dd, {"pd": pd, "E": E, "F": F, "sigma_e": sigma, "mu": mu,
                         "sigma_basis": sigma_basis, "mu_basis": mu_basis})


INDICATORS = [
    Indicator("altman_z2", "Altman Z''", "market", "score",
              "6.56·WC/TA + 3.26·RE/TA + 6.72·EBIT/TA + 1.05·BVE/TL (BVE excl. mezzanine); "
              "safe > 2.60, distress < 1.10",
              ("fin/*/total_assets", "fin/*/total_liabilities", "fin/*/current_assets", "fin/*/current_liabilities",
               "fin/*/retained_earnings", "fin/*/stockholders_equity", "fin/*/operating_income"),
              _z2, Threshold(2.60, 1.10, higher_is_worse=False)),
    Indicator("distance_to_default", "Distance to default", "market", "x",
              "[ln((E+F)/F) + (μ − ½σV²)T] ÷ σV√T; σV = E/(E+F)σE + F/(E+F)(0.05 + 0.25σE); "
              "F = debt current + ½ debt non-current; PD = N(−DD)",
              ("equity/*", "fin/*/total_assets", "fin/*/debt_current", "fin/*/debt_noncurrent",
               "assump/shares_outstanding", "assump/equity_volatility", "rate/SOFR", "rate/DGS10"),
              _dd, Threshold(4.0, 2.0, higher_is_worse=False)),
]
