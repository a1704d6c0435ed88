"""Bond arithmetic for the market's view of a company's credit: yield to maturity and to
worst, the Treasury curve at a date, and the default probability a spread implies.

Conventions (US corporate notes): semiannual coupons on the maturity's day of month,
30/360 day count for accrued interest and for the fraction of the first period, prices
in percent of par, *clean* (without accrued interest) as TRACE and the filings quote
them. Yields are bond-equivalent (semiannual compounding), as the Treasury constant-
maturity series are, so a spread is the plain difference of two like-quoted yields.

Pure Python: no solver library, the price–yield function is monotone and a bisection
to 1e-10 takes about 60 evaluations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from .breach import add_months

#: Tenor in years of each FRED constant-maturity Treasury series.
CMT_TENORS: dict[str, float] = {
    "DGS1MO": 1 / 12, "DGS3MO": 0.25, "DGS6MO": 0.5, "DGS1": 1.0, "DGS2": 2.0, "DGS3": 3.0,
    "DGS5": 5.0, "DGS7": 7.0, "DGS10": 10.0, "DGS20": 20.0, "DGS30": 30.0,
}
#: Recovery rate of senior unsecured debt assumed by the market-implied PD (the market
#: convention for CDS on senior unsecured obligations; Moody's long-run average is near it).
RECOVERY_SENIOR_UNSECURED = 0.40
YEAR_DAYS = 365.25


def _days_30_360(d1: date, d2: date) -> int:
    """30/360 (US bond basis) days from d1 to d2."""
    day1 = min(d1.day, 30)
    day2 = min(d2.day, 30) if day1 == 30 else d2.day
    return 360 * (d2.year - d1.year) + 30 * (d2.month - d1.month) + (day2 - day1)


def coupon_dates(settle: date, end: date) -> list[date]:
    """Coupon dates after ``settle`` up to ``end``, every six months back from ``end``."""
    out: list[date] = []
    k = 0
    while True:
        d = add_months(end, -6 * k)
        if d <= settle:
            break
        out.append(d)
        k += 1
    return out[::-1]


def _previous_coupon(settle: date, end: date) -> date:
    k = 0
    while True:
        d = add_months(end, -6 * k)
        if d <= settle:
            return d
        k += 1


def accrued(coupon_pct: float, settle: date, end: date) -> float:
    """Accrued interest in percent of par at ``settle`` (30/360)."""
    prev = _previous_coupon(settle, end)
    return coupon_pct / 2 * _days_30_360(prev, settle) / 180.0


def dirty_price(y: float, coupon_pct: float, settle: date, end: date, redemption: float = 100.0) -> float:
    """Price with accrued interest, percent of par, at bond-equivalent yield ``y`` (0.09 = 9%),
    redeemed at ``redemption`` on ``end`` (street convention: fractional first period)."""
    dates = coupon_dates(settle, end)
    if not dates:
        raise ValueError(f"{end} is not after {settle}")
    prev = _previous_coupon(settle, end)
    w = _days_30_360(settle, dates[0]) / max(1, _days_30_360(prev, dates[0]))
    c = coupon_pct / 2
    v = 1.0 / (1.0 + y / 2)
    pv = sum(c * v ** (w + i) for i in range(len(dates)))
    return float(pv + redemption * v ** (w + len(dates) - 1))


def yield_to(clean: float, coupon_pct: float, settle: date, end: date, redemption: float = 100.0) -> float:
    """The bond-equivalent yield at which the clean price is ``clean`` (bisection)."""
    if not (clean > 0 and math.isfinite(clean)):
        raise ValueError(f"price {clean!r} is not a positive number")
    target = clean + accrued(coupon_pct, settle, end)
    lo, hi = -0.99, 10.0  # −99% … 1000%: beyond either the price is not a bond's
    if not dirty_price(hi, coupon_pct, settle, end, redemption) <= target <= dirty_price(lo, coupon_pct, settle, end,
                                                                                           redemption):
        raise ValueError(f"no yield between -99% and 1000% prices {clean:g}")
    for _ in range(200):
        mid = (lo + hi) / 2
        if dirty_price(mid, coupon_pct, settle, end, redemption) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2


def yield_to_worst(clean: float, coupon_pct: float, settle: date, maturity: date,
                   calls: Sequence[tuple[date, float]] = ()) -> tuple[float, date, float]:
    """(yield, workout date, redemption price): the lowest of the yield to maturity and the
    yields to each call date still ahead (at its call price). Without calls, the YTM."""
    best = (yield_to(clean, coupon_pct, settle, maturity), maturity, 100.0)
    for when, at in calls:
        if settle < when < maturity:
            y = yield_to(clean, coupon_pct, settle, when, at)
            if y < best[0]:
                best = (y, when, at)
    return best


def years_between(d1: date, d2: date) -> float:
    return (d2 - d1).days / YEAR_DAYS


def curve_at(points: dict[str, float], tenor: float) -> tuple[float, str]:
    """The Treasury yield (percent) at ``tenor`` years from CMT points {series: percent}:
    linear between the two neighbouring tenors, flat beyond the shortest or longest.
    Returns the yield and how it was read ("DGS5 3.74% → DGS7 3.93% at 4.67y")."""
    pts = sorted((CMT_TENORS[s], s, v) for s, v in points.items() if s in CMT_TENORS and math.isfinite(v))
    if not pts:
        raise ValueError("no Treasury constant-maturity yield")
    for t, s, v in (pts[0], pts[-1]):
        below = tenor <= t and t == pts[0][0]
        if below or (tenor >= t and t == pts[-1][0]):
            side = f", flat below {t:g}y" if below else f", flat beyond {t:g}y"
            return v, f"{s} {v:.2f}%" + ("" if tenor == t else side if len(pts) > 1 else ", flat (one tenor)")
    for (t0, s0, v0), (t1, s1, v1) in zip(pts, pts[1:], strict=False):
        if t0 <= tenor <= t1:
            v = v0 + (v1 - v0) * (tenor - t0) / (t1 - t0)
            return v, f"{s0} {v0:.2f}% → {s1} {v1:.2f}% at {tenor:.2f}y"
    raise AssertionError("unreachable")  # pragma: no cover


def market_pd(spread: float, recovery: float = RECOVERY_SENIOR_UNSECURED, years: float = 1.0) -> float:
    """PD over ``years`` implied by a credit spread (0.05 = 500 bp) with constant hazard
    λ = s / (1 − R): 1 − exp(−λ·years). A negative spread implies no default risk: 0."""
    if not 0 <= recovery < 1:
        raise ValueError("recovery must be in [0, 1)")
    return 1.0 - math.exp(-max(0.0, spread) / (1.0 - recovery) * years)


__all__ = ["CMT_TENORS", "RECOVERY_SENIOR_UNSECURED", "accrued", "coupon_dates", "curve_at", "dirty_price",
           "market_pd", "yield_to", "yield_to_worst", "years_between"]
