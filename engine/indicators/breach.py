"""The chance the H100 rent averages below breakeven over the next two years (issue 11).

``h100_breach_prob_24m`` = P(average monthly H100 rent over the next 24 months < the
breakeven at the reported life), from :mod:`engine.breach`'s GBM simulation. The
breakevens are the margin indicators' own (:func:`unit_economics._breakeven` with the one
financing rate), so the probability and the margin never disagree about the line.
:func:`report` gives the full table (12/24/36 months × reported/technology life, with
and without the Blackwell step) for any SKU with enough history; :func:`reports` for
every SKU the engine prices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..breach import (
    HORIZONS,
    MIN_DAYS,
    MONTHS,
    N_PATHS,
    S0_DAYS,
    SEED,
    WINDOW_DAYS,
    Params,
    Regime,
    history_params,
    regime_for,
    run,
)
from ..context import Context
from ..indicator import Computed, Indicator, Threshold
from .gpu import SKU_CAPEX, _inputs, _opex_name
from .leverage import financing_rate
from .unit_economics import _breakeven

METHOD = (f"P(average monthly rent over the next 24 months < breakeven at the reported life); GBM with zero drift "
          f"and an EWMA volatility of the SKU's reference rent's daily history (last year, ≥{MIN_DAYS} days), "
          f"{N_PATHS:,} paths, monthly steps, seed {SEED}")


@dataclass(frozen=True, slots=True)
class Report:
    sku: str
    tier: str
    params: Params
    breakevens: dict[str, float]  # "reported", "technology" -> $/GPU-h
    lives: dict[str, float]  # the same keys -> years
    regime: Regime
    base: dict[tuple[str, int], float]  # (life key, months) -> probability
    stepped: dict[tuple[str, int], float]  # with the regime's step
    rate_pct: float
    rate_basis: str
    ms: float  # time this update took (with the draw of the paths when it drew them)
    reused: bool  # True: the paths were already drawn (σ within a point)
    sigma_now: float  # today's σ estimate (params.sigma is the paths')

    def table(self) -> list[dict[str, Any]]:
        return [{"months": h,
                 "below_reported_share": self.base[("reported", h)],
                 "below_technology_share": self.base[("technology", h)],
                 "step_below_reported_share": self.stepped[("reported", h)],
                 "step_below_technology_share": self.stepped[("technology", h)]} for h in HORIZONS]

    def method(self) -> str:
        p = self.params
        return (f"GBM on the {self.sku} {self.tier} median: zero drift, EWMA volatility {p.sigma:.1%}/yr "
                f"from {p.n_days} days of history ({p.first} … {p.last}); {N_PATHS:,} paths, monthly steps "
                f"to {MONTHS} months, seed {SEED}; regime: none (with {self.regime.describe()}: "
                f"{self.stepped[('reported', 24)]:.1%}); breakevens ${self.breakevens['reported']:.2f} "
                f"({self.lives['reported']:g} y) and ${self.breakevens['technology']:.2f} "
                f"({self.lives['technology']:g} y) at {self.rate_pct:.2f}% financing")


def report(ctx: Context, sku: str = "H100 SXM") -> Report:
    """The breach table for ``sku``; NoData (with the reason) when the history is short."""
    slug, capex = SKU_CAPEX[sku]
    tier, p = history_params(ctx, sku)
    opex = _opex_name(ctx, slug)
    rate, basis = financing_rate(ctx)
    bes = {"reported": _breakeven(ctx, "life_reported_years", capex, opex, rate),
           "technology": _breakeven(ctx, "life_technology_years", capex, opex, rate)}
    lives = {"reported": ctx.assumption("life_reported_years"), "technology": ctx.assumption("life_technology_years")}
    regime = regime_for(ctx)
    out = run(ctx, sku, p, bes, regime)
    # σ of the paths the figures come from (within a point of today's estimate).
    return Report(sku, tier, replace(p, sigma=out.sigma), bes, lives, regime, out.base, out.stepped, rate, basis,
                  out.ms, out.reused, p.sigma)


def reports(engine: Any) -> dict[str, Report | str]:
    """Every priced SKU: its report, or why there is none (the NO DATA reason)."""
    from ..indicator import NoData

    out: dict[str, Report | str] = {}
    for sku in SKU_CAPEX:
        try:
            out[sku] = report(Context(engine.state, engine.company), sku)
        except (NoData, ValueError, ZeroDivisionError) as exc:
            out[sku] = str(exc)
    return out


def _compute(ctx: Context) -> Computed:
    r = report(ctx, "H100 SXM")
    p = r.params
    # Each text under 120 characters: the explain screen shows scalar extras on one line each.
    return Computed(r.base[("reported", 24)], {
        "start": f"${p.s0:.2f}: the median of the last {S0_DAYS} daily rents (a noisy day does not move it)",
        "method": f"GBM on the {r.sku} {r.tier} median, monthly steps to {MONTHS} months, {N_PATHS:,} paths "
                  f"(antithetic), seed {SEED}",
        "tier": r.tier, "breakeven_reported": r.breakevens["reported"],
        "breakeven_technology": r.breakevens["technology"], "rate_pct": r.rate_pct, "rate_basis": r.rate_basis,
        "drift": "zero: a year of rents pins a drift only to ±σ (the Blackwell step is the repricing path)",
        "volatility": p.sigma,
        "history_days": f"{p.n_days} daily points ({p.first} … {p.last}); the last {WINDOW_DAYS} days at most",
        "paths": f"drawn at σ {p.sigma:.2%} (today's estimate {r.sigma_now:.2%}; new paths past ±1 point)",
        "regime": f"none in the value; {r.regime.describe()} gives the step probability",
        "step_probability": r.stepped[("reported", 24)],
        "limits": "no mean reversion, no jumps, constant σ over the horizon (EWMA, half-life about 46 days)",
        "table": r.table()})


INDICATORS = [
    Indicator("h100_breach_prob_24m", "H100 P(avg < BE) 24m", "gpu", "pct", METHOD,
              (*_inputs("H100 SXM", "capex_per_gpu"), "assump/breach_step_month"), _compute,
              Threshold(0.25, 0.5, higher_is_worse=True), heavy=True),
]

__all__ = ["INDICATORS", "Report", "report", "reports"]
