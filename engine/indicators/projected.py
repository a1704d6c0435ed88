"""Credit indicators on the forward projection (:mod:`engine.projection`).

Each reads the next four projected quarters from the newest reported period (the
period is stated as such: "next 4 quarters from 2025-09-30"), says the first projected
quarter that breaches its watch or alert level ("ALERT from Q3-26"), and keeps the
trailing figure it replaced in explain, so a reader sees where the walk-forward and
the reported year differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..context import Context
from ..indicator import Computed, Indicator, NoData, Threshold
from ..projection import Projection, projection

INPUTS = ("fin/*", "debt/*", "maturity/*", "rate/SOFR", "cust/*", "price/*", "assump/*")
COVER = Threshold(2.0, 1.0, higher_is_worse=False)
DSCR = Threshold(1.25, 1.0, higher_is_worse=False)
RUNWAY = Threshold(18.0, 12.0, higher_is_worse=False)
GAP = Threshold(-1.0e9, 0.0)
RUNWAY_CAP_MONTHS = 120.0


def first_breach(values: Sequence[tuple[str, float | None]], th: Threshold) -> str:
    """"ALERT from Q3-26" / "WATCH from Q1-26 (ALERT from Q2-27)" / "none in 8 quarters"."""
    found: dict[str, str] = {}
    for lab, v in values:
        if v is None:
            continue
        st = th.status(v)
        if st in ("watch", "alert") and "watch" not in found:
            found["watch"] = lab
        if st == "alert" and "alert" not in found:
            found["alert"] = lab
    if not found:
        return f"none in {len(values)} quarters"
    if found.get("watch") == found.get("alert") or "watch" not in found:
        return f"ALERT from {found['alert']}"
    return f"WATCH from {found['watch']}" + (f" (ALERT from {found['alert']})" if "alert" in found else "")


def _common(p: Projection) -> dict[str, Any]:
    q = p.quarters
    return {"base_period": p.period, "period": f"next 4 quarters from {p.period} ({q[0].label} … {q[3].label})",
            "model": "; ".join(f"{k}: {v}" for k, v in p.notes), "table": p.table()}


def _trailing(ctx: Context, fn: Callable[[Context], float]) -> str:
    mark = len(ctx.used)
    try:
        return f"{fn(ctx):.2f}"
    except (NoData, ZeroDivisionError, ValueError) as exc:
        return f"n/a ({exc})"
    finally:
        del ctx.used[mark:]  # context only: the projected figure's inputs are the model's


def proj_ebitda(ctx: Context) -> Computed:
    p = projection(ctx)
    return Computed(p.sum("ebitda"), {**_common(p), "revenue_4q": p.sum("revenue"),
                                      "contracted_4q": p.sum("contracted"), "market_4q": p.sum("market")})


def _ttm_cover(ctx: Context) -> float:
    ebit, dna, interest = ctx.aligned_ttm("operating_income", "d_and_a", "interest_expense")
    return (ebit + abs(dna)) / abs(interest)


def ebitda_coverage(ctx: Context) -> Computed:
    p = projection(ctx)
    interest = p.sum("interest")
    if not interest > 0:
        raise NoData("no projected interest")
    path = [(q.label, q.coverage) for q in p.quarters]
    return Computed(p.sum("ebitda") / interest, {
        **_common(p), "ebitda_4q": p.sum("ebitda"), "interest_4q": interest,
        "breach": first_breach(path, COVER), "trailing_ttm": _trailing(ctx, _ttm_cover)})


def dscr(ctx: Context) -> Computed:
    p = projection(ctx)
    service = p.sum("interest") + p.sum("principal")
    if not service > 0:
        raise NoData("no projected debt service")
    path = [(q.label, q.dscr) for q in p.quarters]
    return Computed(p.sum("ebitda") / service, {
        **_common(p), "ebitda_4q": p.sum("ebitda"), "interest_4q": p.sum("interest"),
        "principal_4q": p.sum("principal"), "breach": first_breach(path, DSCR),
        "cash_taxes": "omitted (loss-making)"})


def _cash_only(ctx: Context) -> float:
    cfo, capex, cash = ctx.ttm("cfo"), abs(ctx.ttm("capex")), ctx.instant("cash")
    burn = (capex - cfo) / 12.0
    if not burn > 0:
        raise NoData("not burning cash on the trailing year")
    return cash / burn


def runway(ctx: Context) -> Computed:
    p = projection(ctx)
    months, how = p.runway_months(RUNWAY_CAP_MONTHS)
    path: list[tuple[str, float | None]] = []
    for q in p.quarters:  # months of liquidity left at each quarter end at that quarter's net outflow
        net = q.ebitda - q.uses
        path.append((q.label,
                     RUNWAY_CAP_MONTHS if net >= 0 else min(RUNWAY_CAP_MONTHS, 3.0 * max(q.liquidity, 0) / -net)))
    return Computed(months, {
        **_common(p), "how": how, "cash": p.opening_cash, "undrawn": p.opening_undrawn,
        "breach": first_breach(path, RUNWAY),
        "cash_only_lower_bound": f"{_trailing(ctx, _cash_only)} months: cash ÷ trailing burn (capex − CFO) ÷ 12, "
                                 "no facilities, no EBITDA growth"})


def funding_gap(ctx: Context) -> Computed:
    p = projection(ctx)
    path = [(q.label, p.funding_gap(i + 1)) for i, q in enumerate(p.quarters)]
    return Computed(p.funding_gap(4), {
        **_common(p), "sources_4q": p.opening_cash + p.opening_undrawn + p.sum("ebitda"), "uses_4q": p.sum("uses"),
        "breach": first_breach(path, GAP)})


F4 = "over the next 4 projected quarters"
INDICATORS = [
    Indicator("proj_ebitda_4q", "EBITDA next 4Q (proj.)", "liquidity", "usd",
              f"Σ projected EBITDA {F4}: contracted backlog + market-rent capacity − cash costs", INPUTS,
              proj_ebitda),
    Indicator("ebitda_coverage", "Interest cover (proj.)", "leverage", "x",
              f"Σ EBITDA ÷ Σ interest {F4} (fixed and SOFR-floating facilities)", INPUTS, ebitda_coverage, COVER),
    Indicator("dscr", "Debt service cover (proj.)", "liquidity", "x",
              f"Σ EBITDA ÷ Σ (interest + scheduled principal) {F4}; cash taxes omitted", INPUTS, dscr, DSCR),
    Indicator("runway_months", "Liquidity runway (proj.)", "liquidity", "months",
              "months until cash + undrawn committed facilities run out, walking EBITDA, interest, principal, "
              "committed capex and finance leases forward quarter by quarter", INPUTS, runway, RUNWAY),
    Indicator("funding_gap_12m", "Funding gap 12m (proj.)", "liquidity", "usd",
              f"Σ uses − (cash + undrawn facilities + Σ EBITDA) {F4}; negative is a surplus", INPUTS,
              funding_gap, GAP),
]
