"""Customer concentration under partial disclosure (indicators.md §3).

Only customers above a disclosure threshold (10% of revenue) are named. The HHI
lower bound sums the known squares; the upper bound adds the largest remainder
that fits the threshold: the rest split into pieces just under 10% each.
"""

from __future__ import annotations

from ..context import Context
from ..indicator import Computed, Indicator, NoData, Threshold
from ..observations import CustomerShare

DISCLOSURE_THRESHOLD = 0.10


def hhi_bounds(shares: list[float], threshold: float = DISCLOSURE_THRESHOLD) -> tuple[float, float]:
    """(lower, upper) HHI in %² for known shares (fractions) when no other customer reaches ``threshold``."""
    known = [s * 100.0 for s in shares if s > 0]
    lower = sum(s * s for s in known)
    rest = max(0.0, 100.0 - sum(known))
    t = threshold * 100.0
    full, part = divmod(rest, t)
    upper = lower + full * t * t + part * part
    return lower, upper


def latest_shares(ctx: Context) -> tuple[str, list[CustomerShare]]:
    by_company = ctx.state.customers.get(ctx.company, {})
    if not by_company:
        raise NoData(f"no customer disclosures for {ctx.company}")
    # Use the latest period where more than one customer is disclosed if the very
    # latest only names the largest: an HHI needs the whole disclosure.
    periods: dict[str, list[CustomerShare]] = {}
    for s in by_company.values():
        periods.setdefault(s.period, []).append(s)
    period = max(periods, key=lambda p: (periods[p][0].period_end, len(periods[p])))
    rows = sorted(periods[period], key=lambda s: -s.share)
    for s in rows:
        ctx.use(f"{s.customer} share {s.period}", s.share, s.period_end, s.source)
    return period, rows


def _hhi(ctx: Context) -> Computed:
    by_company = ctx.state.customers.get(ctx.company, {})
    periods: dict[str, list[CustomerShare]] = {}
    for s in by_company.values():
        periods.setdefault(s.period, []).append(s)
    complete = {p: v for p, v in periods.items() if len(v) >= 2 or any(x.customer.lower().startswith("top") for x in v)}
    if not complete:
        raise NoData("no period with the top customers disclosed")
    period = max(complete, key=lambda p: complete[p][0].period_end)
    named = [s for s in complete[period] if not s.customer.lower().startswith("top")]
    for s in named:
        ctx.use(f"{s.customer} share {s.period}", s.share, s.period_end, s.source)
    lo, hi = hhi_bounds([s.share for s in named])
    return Computed(lo, {"upper": hi, "period": period, "effective_n": 10_000.0 / hi if hi else None})


def _top1(ctx: Context) -> Computed:
    period, rows = latest_shares(ctx)
    return Computed(rows[0].share, {"customer": rows[0].customer, "period": period})


INDICATORS = [
    Indicator("hhi", "Customer HHI (lower bound)", "concentration", "hhi",
              "Σ share² (%²); upper bound adds undisclosed customers just under 10%",
              ("cust/*",), _hhi, Threshold(1500.0, 2500.0)),
    Indicator("top1_share", "Largest customer share", "concentration", "pct", "largest disclosed customer ÷ revenue",
              ("cust/*",), _top1, Threshold(0.25, 0.50)),
]
