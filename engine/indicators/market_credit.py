"""The market's view of the company's credit, from the prices of its notes.

Per note (each :class:`~engine.observations.BondQuote`, the latest price of its CUSIP):

* **yield**: the yield to worst where a call schedule is known (the lowest of the yield
  to maturity and the yields to each call date at its call price), else the yield to
  maturity; bond-equivalent, from the clean price (:mod:`engine.bonds`);
* **spread**: that yield minus the Treasury constant-maturity yield at the workout date's
  tenor, interpolated linearly between the FRED ``DGS*`` series observed on the note's
  price date (flat beyond the shortest or longest tenor, and said so);
* **market PD, 1 year**: 1 − exp(−s / (1 − R)) with R = 40% (senior unsecured), the
  constant-hazard reading of a spread. A spread also pays for illiquidity and
  risk aversion, so this is an *upper* reading of the market's default view.

The headline figure is the nearest-maturity note's; ``notes`` in the result holds every
note's row. The three figures are informational (no thresholds): they do not move the
composite score, they sit beside the model's own view (:func:`market_vs_model`).

Dated by their own inputs: a note's price and the Treasury yields of the same day, never
a year-old price against today's curve, so these figures are not tied to a balance sheet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..bonds import CMT_TENORS, RECOVERY_SENIOR_UNSECURED, curve_at, market_pd, years_between, yield_to_worst
from ..context import Context
from ..indicator import Computed, Indicator, IndicatorResult, NoData

RECOVERY = RECOVERY_SENIOR_UNSECURED
PD_FORMULA = f"market PD 1y = 1 − exp(−s ÷ (1 − R)), R = {RECOVERY:.0%} (senior unsecured), s = spread"


def _note_row(ctx: Context, q: Any) -> dict[str, Any]:
    label = f"{q.note} ({q.cusip})" if q.cusip else q.note
    ctx.use(f"{label} price, % of par", q.price, q.as_of, q.source)
    ctx.use(f"{label} coupon %, matures {q.maturity}", q.coupon, None, q.source)
    day = q.as_of.date()
    calls = list(zip(q.call_dates, q.call_prices, strict=False))
    y, workout, redemption = yield_to_worst(q.price, q.coupon, day, q.maturity, calls)
    points = {}
    for series in CMT_TENORS:
        got = ctx.rate_on(series, day)
        if got is not None:
            points[series] = got[0]
    if not points:
        raise NoData(f"no Treasury constant-maturity yield (FRED DGS*) within 5 business days before {day}")
    tenor = years_between(day, workout)
    treasury, how = curve_at(points, tenor)
    spread = y - treasury / 100.0
    return {"note": q.note, "cusip": q.cusip, "seniority": q.seniority, "price": q.price, "as_of": day.isoformat(),
            "source": q.source, "coupon": q.coupon, "maturity": q.maturity.isoformat(),
            "yield": y, "yield_kind": "YTW" if calls else "YTM", "workout": workout.isoformat(),
            "redemption": redemption, "treasury": treasury / 100.0, "curve": how, "tenor_years": tenor,
            "spread": spread, "pd_1y": market_pd(spread, RECOVERY)}


def note_rows(ctx: Context) -> list[dict[str, Any]]:
    """One row per note with a price, nearest maturity first (computed once per input change)."""
    def build() -> list[dict[str, Any]]:
        rows, problems = [], []
        for q in ctx.bond_quotes():
            try:
                rows.append(_note_row(ctx, q))
            except (NoData, ValueError) as exc:
                problems.append(f"{q.note}: {exc}")
        if not rows:
            raise NoData(problems[0] if problems else "no note prices")
        return rows
    return ctx.cached("market_credit_notes", ("bond", "rate"), build)


def _headline(rows: list[dict[str, Any]], key: str) -> Computed:
    top = rows[0]
    return Computed(top[key], {"note": top["note"], "cusip": top["cusip"], "price": top["price"],
                               "price_as_of": top["as_of"], "source": top["source"], "yield_kind": top["yield_kind"],
                               "workout": top["workout"], "curve": top["curve"], "notes": rows})


def _yield(ctx: Context) -> Computed:
    return _headline(note_rows(ctx), "yield")


def _spread(ctx: Context) -> Computed:
    return _headline(note_rows(ctx), "spread")


def _pd(ctx: Context) -> Computed:
    out = _headline(note_rows(ctx), "pd_1y")
    out.extra.update(recovery=RECOVERY, formula=PD_FORMULA, hazard=max(0.0, out.extra["notes"][0]["spread"]) /
                     (1 - RECOVERY))
    return out


def market_vs_model(indicators: Mapping[str, IndicatorResult]) -> list[dict[str, Any]]:
    """A row per note: the market's yield, spread and 1-year PD beside the model's own view
    (distance-to-default PD, the projection's 12-month funding gap, the H100 breach
    probability), so the two can be read side by side. Empty without note prices."""
    res = indicators.get("market_pd_1y")
    rows = res.get("notes") if res is not None and res.value is not None else None
    if not rows:
        return []
    dd = indicators.get("distance_to_default")
    gap = indicators.get("funding_gap_12m")
    breach = indicators.get("h100_breach_prob_24m")
    model = {"model_pd_1y": dd.get("pd") if dd is not None and dd.value is not None else None,
             "funding_gap_12m": gap.value if gap is not None else None,
             "breach_prob_24m": breach.value if breach is not None else None}
    return [{**r, **model} for r in rows]


_INPUTS = ("bond/*", *(f"rate/{s}" for s in CMT_TENORS))

INDICATORS = [
    Indicator("bond_yield", "Note yield (mkt)", "market", "pct",
              "yield to worst (lowest of YTM and yield to each call at its price; YTM when no call schedule is known), "
              "bond-equivalent, from the clean price; nearest-maturity note",
              _INPUTS, _yield, None, period_bound=False),
    Indicator("bond_spread", "Note spread (mkt)", "market", "bp",
              "note yield − Treasury CMT yield at the workout tenor (FRED DGS*, linear between tenors, "
              "same day as the price)", _INPUTS, _spread, None, period_bound=False),
    Indicator("market_pd_1y", "Market PD 1y", "market", "pct", PD_FORMULA, _INPUTS, _pd, None, period_bound=False),
]

__all__ = ["INDICATORS", "PD_FORMULA", "RECOVERY", "market_vs_model", "note_rows"]
