"""Customer concentration under partial disclosure (indicators.md §3).

Only customers above a disclosure threshold (10% of revenue) are named. The HHI
lower bound sums the known squares; the upper bound adds the largest remainder
that fits the threshold: the rest split into pieces just under 10% each. An
aggregate line ("Top 2 customers 77%") is not a customer: it is used only to infer
the share of an unnamed one (77% − 62% = 15%). Effective number of customers =
10,000 ÷ HHI; the trend is how much the largest customer's share grew since the
previous disclosure; revenue at risk is what the largest customer pays.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from ..context import Context
from ..customers import same_customer
from ..indicator import Computed, Indicator, NoData, Threshold
from ..observations import CustomerShare, is_aggregate_customer

DISCLOSURE_THRESHOLD = 0.10
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5}


def hhi_bounds(shares: list[float], threshold: float = DISCLOSURE_THRESHOLD) -> tuple[float, float]:
    """(lower, upper) HHI in %² for known shares (fractions) when no other customer reaches ``threshold``."""
    known = [s * 100.0 for s in shares if s > 0]
    lower = sum(s * s for s in known)
    rest = max(0.0, 100.0 - sum(known))
    t = threshold * 100.0
    full, part = divmod(rest, t)
    upper = lower + full * t * t + part * part
    return lower, upper


def is_aggregate(s: CustomerShare) -> bool:
    return is_aggregate_customer(s.customer)


def _periods(ctx: Context) -> dict[str, list[CustomerShare]]:
    by_company = ctx.state.customers.get(ctx.company, {})
    if not by_company:
        raise NoData(f"no customer disclosures for {ctx.company}")
    periods: dict[str, list[CustomerShare]] = {}
    for s in by_company.values():
        if not math.isfinite(s.share) or not 0.0 <= s.share <= 1.0:
            raise NoData(f"{s.customer} share {s.share!r} is not a fraction of revenue")
        periods.setdefault(s.period, []).append(s)
    # A customer cut is a what-if about the future: it reaches contracted revenue in the
    # projection (engine.projection), never the disclosed shares (rescaled, they would make
    # the company look less concentrated, i.e. safer, under an adverse shock).
    return periods


def _cut_largest(rows: list[CustomerShare], cut: float) -> list[CustomerShare]:
    """Shares after the largest customer cuts its spend by ``cut`` (others unchanged):
    its share s becomes s(1−c)/(1−sc), every other share is divided by (1−sc), and a
    stated "Top N" aggregate loses s·c before the same rescaling."""
    named = [r for r in rows if not is_aggregate(r)]
    if not named:
        return rows
    top = max(named, key=lambda r: r.share)
    lost = top.share * cut
    scale = 1.0 - lost
    if scale <= 0:
        return rows
    out = []
    for r in rows:
        share = r.share - lost if (r is top or is_aggregate(r)) else r.share
        out.append(replace(r, share=max(0.0, share) / scale))
    return out


def period_shares(rows: list[CustomerShare]) -> list[float]:
    """Named shares, largest first, plus an unnamed one inferred from a "top N" aggregate."""
    named = sorted((s.share for s in rows if not is_aggregate(s)), reverse=True)
    for agg in (s for s in rows if is_aggregate(s)):
        words = agg.customer.lower().replace("-", " ").split()
        n = next((int(w) if w.isdigit() else _NUMBERS[w] for w in words if w.isdigit() or w in _NUMBERS), 0)
        if n == len(named) + 1 and agg.share > sum(named):
            named.append(agg.share - sum(named))
    return sorted(named, reverse=True)


def _named_periods(ctx: Context) -> dict[str, list[CustomerShare]]:
    periods = {p: [s for s in v if not is_aggregate(s)] for p, v in _periods(ctx).items()}
    periods = {p: sorted(v, key=lambda s: -s.share) for p, v in periods.items() if v}
    if not periods:
        raise NoData("no named customer disclosed")
    return periods


def _newest(periods: dict[str, list[CustomerShare]]) -> list[str]:
    """Period labels newest first (the one naming most customers first when tied)."""
    return sorted(periods, key=lambda p: (periods[p][0].period_end, len(periods[p])), reverse=True)


def latest_shares(ctx: Context) -> tuple[str, list[CustomerShare]]:
    """The latest disclosure period naming a customer, largest first. HHI, top-1, the
    trend and revenue at risk all read this one period."""
    periods = _named_periods(ctx)
    period = _newest(periods)[0]
    rows = periods[period]
    for s in rows:
        ctx.use(f"{s.customer} share {s.period}", s.share, s.period_end, s.source)
    return period, rows


def _hhi_period(ctx: Context) -> tuple[str, list[float]]:
    """The latest disclosure period's shares (an unnamed one inferred from a "Top N" line).
    Every customer at or above the 10% disclosure threshold is named, so the bounds hold
    with one named customer too."""
    period, _ = latest_shares(ctx)
    rows = _periods(ctx)[period]
    for s in (r for r in rows if is_aggregate(r)):
        ctx.use(f"{s.customer} share {s.period}", s.share, s.period_end, s.source)
    return period, period_shares(rows)


def _hhi(ctx: Context) -> Computed:
    period, shares = _hhi_period(ctx)
    lo, hi = hhi_bounds(shares)
    return Computed(lo, {"upper": hi, "period": period, "effective_n": 10_000.0 / hi if hi else None})


def _effective_n(ctx: Context) -> Computed:
    """10,000 ÷ HHI. The HHI's upper bound gives the *fewest* effective customers (the
    value, the conservative end); its lower bound the most."""
    period, shares = _hhi_period(ctx)
    lo, hi = hhi_bounds(shares)
    if not lo > 0:
        raise NoData("HHI is zero")
    return Computed(10_000.0 / hi, {"lower": 10_000.0 / hi, "upper": 10_000.0 / lo, "period": period})


def _top1(ctx: Context) -> Computed:
    period, rows = latest_shares(ctx)
    return Computed(rows[0].share, {"customer": rows[0].customer, "period": period})


def _span(period: str) -> str:
    """What a period label covers: 'FY' (FY2025), 'Q' (Q1-2025), 'M' (9M-2025)."""
    return re.sub(r"[\d\s-]", "", period).upper()


def _trend(ctx: Context) -> Computed:
    period, rows = latest_shares(ctx)
    top = rows[0]
    earlier = [s for v in _periods(ctx).values() for s in v
               if same_customer(s.customer, top.customer) and s.period_end < top.period_end]
    if not earlier:
        raise NoData(f"no earlier disclosure of {top.customer}")
    alike = [s for s in earlier if _span(s.period) == _span(top.period)]  # a year against a year
    prev = max(alike or earlier, key=lambda s: s.period_end)
    ctx.use(f"{prev.customer} share {prev.period}", prev.share, prev.period_end, prev.source)
    return Computed(top.share - prev.share, {"customer": top.customer, "period": period, "previous_period": prev.period,
                                             "share": top.share, "previous": prev.share})


def _revenue_at_risk(ctx: Context) -> Computed:
    """Revenue from the largest customer: its share × revenue over the twelve months of
    the same disclosure (never a share of one year times revenue of another). When that
    year's revenue is not reported yet, the newest disclosure that has both, said so."""
    periods = _named_periods(ctx)
    order = _newest(periods)
    ends = ctx.fin.ttm_ends(ctx.company, "revenue")
    usable = [p for p in order if periods[p][0].period_end in ends]
    if not usable:
        raise NoData(f"no revenue TTM to the end of any customer disclosure ({', '.join(order)})")
    period = usable[0]
    top = periods[period][0]
    ctx.use(f"{top.customer} share {top.period}", top.share, top.period_end, top.source)
    revenue = ctx.ttm("revenue", at=top.period_end)  # shocked: less the lost spend
    extra = {"customer": top.customer, "share": top.share, "period": period, "revenue": revenue,
             "basis": f"revenue TTM to {top.period_end}"}
    if period != order[0]:
        extra["note"] = f"{order[0]} revenue not reported yet: {period} share and revenue"
    return Computed(revenue * top.share, extra)


INDICATORS = [
    Indicator("hhi", "Customer HHI (low bound)", "concentration", "hhi",
              "Σ share² (%²); upper bound adds undisclosed customers just under 10%",
              ("cust/*",), _hhi, Threshold(1500.0, 2500.0)),
    Indicator("top1_share", "Largest customer share", "concentration", "pct", "largest disclosed customer ÷ revenue",
              ("cust/*",), _top1, Threshold(0.25, 0.50)),
    Indicator("effective_customers", "Effective no. customers", "concentration", "count",
              "10,000 ÷ HHI upper bound: the fewest customers consistent with the disclosure "
              "(up to 10,000 ÷ HHI lower bound)",
              ("cust/*",), _effective_n, Threshold(10_000 / 1500.0, 4.0, higher_is_worse=False)),
    Indicator("top1_trend", "Top customer trend", "concentration", "pp",
              "latest share − the same customer's share in the previous disclosure",
              ("cust/*",), _trend, Threshold(0.05, 0.15)),
    Indicator("revenue_at_risk", "Rev. from top customer", "concentration", "usd",
              "revenue TTM × largest customer's latest share", ("cust/*", "fin/*/revenue"), _revenue_at_risk),
]
