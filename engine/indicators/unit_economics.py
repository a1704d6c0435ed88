"""GPU unit economics: is a financed GPU earning its keep? (indicators.md §1)

Breakeven rent per GPU-hour = depreciation + interest + opex, where
``depreciation = C / (L · 8760 · u)``, ``interest = C · LTV · i / (8760 · u)``.
The interest rate ``i`` is the company's one financing rate at the period
(:func:`engine.indicators.leverage.financing_rate`): facility-weighted, else interest
÷ average debt, else the ``interest_rate_pct`` assumption.
"""

from __future__ import annotations

from collections.abc import Callable

from ..context import Context
from ..indicator import Computed
from .leverage import financing_rate

HOURS_PER_YEAR = 8760.0


def breakeven_rent(capex: float, life_years: float, utilisation: float, ltv: float, rate_pct: float,
                   opex: float) -> float:
    """Rent per GPU-hour at which a debt-financed GPU just pays for itself."""
    if capex <= 0 or life_years <= 0 or not 0 < utilisation <= 1:
        raise ValueError("capex and life must be positive, utilisation in (0, 1]")
    hours = HOURS_PER_YEAR * utilisation
    return capex / (life_years * hours) + capex * ltv * (rate_pct / 100.0) / hours + opex


def _breakeven(ctx: Context, life_name: str, capex_name: str = "capex_per_gpu", opex_name: str = "opex_per_gpu_hour",
               rate: float | None = None) -> float:
    r = financing_rate(ctx)[0] if rate is None else rate
    return ctx.cached(
        f"breakeven/{life_name}/{capex_name}/{opex_name}/{r!r}",
        ("debt", "assump"),
        lambda: breakeven_rent(
            ctx.assumption(capex_name),
            ctx.assumption(life_name),
            ctx.assumption("utilisation"),
            ctx.assumption("ltv"),
            r,
            ctx.assumption(opex_name),
        ),
    )


def _h100_market(ctx: Context) -> float:
    return ctx.price("H100 SXM", "marketplace")


def _margin(life_name: str) -> Callable[[Context], Computed]:
    def compute(ctx: Context) -> Computed:
        be = _breakeven(ctx, life_name)
        market = _h100_market(ctx)
        return Computed(market / be - 1.0, {"breakeven": be, "market": market})

    return compute


FORMULA_BE = "C/(L·8760·u) + C·LTV·i/(8760·u) + opex"
