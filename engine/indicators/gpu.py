"""Per-SKU GPU economics and depreciation sensitivity (indicators.md §1).

The question behind the seed article: does the rent a GPU earns today cover the
debt-financed cost of owning it, over the life the company books (6 years) and
over a technology life (3 years) after which a newer generation makes it
uneconomic? Each SKU is compared with every price tier separately (marketplace
median, neocloud list median, CoreWeave's own list price): tiers are never mixed.
Depreciation sensitivity restates operating income as if technology equipment
were depreciated over 3–6 years.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..context import Context
from ..indicator import Computed, Indicator, NoData, Threshold
from .leverage import financing_rate
from .unit_economics import FORMULA_BE, _breakeven, _margin

#: SKU -> (indicator slug, capex assumption).
SKU_CAPEX: dict[str, tuple[str, str]] = {
    "H100 SXM": ("h100", "capex_per_gpu"),
    "H200": ("h200", "capex_per_gpu_h200"),
    "B200": ("b200", "capex_per_gpu_b200"),
    "GB200": ("gb200", "capex_per_gpu_gb200"),
    "A100 80GB": ("a100", "capex_per_gpu_a100"),
}
#: (label, tier, provider or None for the tier median); the first available is the headline.
TIERS: tuple[tuple[str, str, str | None], ...] = (
    ("marketplace", "marketplace", None),
    ("neocloud", "neocloud_list", None),
    ("coreweave", "neocloud_list", "coreweave"),
)
LIVES: tuple[int, ...] = (3, 4, 5, 6)
#: What the one financing rate reads (leverage.financing_rate).
FINANCING = ("debt/*", "fin/*/total_assets", "fin/*/debt_*", "fin/*/interest_expense", "assump/interest_rate_pct")
COMMON_ASSUMPTIONS = ("assump/utilisation", "assump/ltv", "assump/interest_rate_pct", "assump/opex_per_gpu_hour*",
                      "assump/life_reported_years", "assump/life_technology_years")


def _opex_name(ctx: Context, slug: str) -> str:
    """A per-SKU opex (``opex_per_gpu_hour_b200``) when given, else the common one."""
    name = f"opex_per_gpu_hour_{slug}"
    return name if ctx.has_assumption(name) else "opex_per_gpu_hour"


def _tier_price(ctx: Context, sku: str, tier: str, provider: str | None) -> float | None:
    if provider is None:
        return ctx.price(sku, tier) if ctx.has_price(sku, tier) else None
    if ctx.state.prices.quote(sku, tier, provider) is None:
        return None
    return ctx.quote(sku, tier, provider)


def _sku_margin(sku: str) -> Callable[[Context], Computed]:
    slug, capex = SKU_CAPEX[sku]

    def compute(ctx: Context) -> Computed:
        opex = _opex_name(ctx, slug)
        rate, basis = financing_rate(ctx)
        be_rep = _breakeven(ctx, "life_reported_years", capex, opex, rate)
        be_tech = _breakeven(ctx, "life_technology_years", capex, opex, rate)
        rows: list[dict[str, Any]] = []
        equiv = _market_equivalent(ctx, sku)
        if equiv is not None:
            rows.append({"tier": f"marketplace-equivalent (H100 × {equiv[1]:g})", "price": equiv[0],
                         "margin_reported": equiv[0] / be_rep - 1.0, "margin_technology": equiv[0] / be_tech - 1.0})
        for label, tier, provider in TIERS:
            p = _tier_price(ctx, sku, tier, provider)
            if p is None:
                continue
            rows.append({"tier": label, "price": p, "margin_reported": p / be_rep - 1.0,
                         "margin_technology": p / be_tech - 1.0})
        if not rows:
            raise NoData(f"no {sku} price in any tier")
        head = rows[0]
        return Computed(head["margin_reported"], {
            "tier": head["tier"], "breakeven_reported": be_rep, "breakeven_technology": be_tech,
            "margin_technology": head["margin_technology"], "rate_pct": rate, "rate_basis": basis, "table": rows,
        })

    return compute


#: SKUs no marketplace quotes, priced like for like from the H100 marketplace median × a sourced ratio.
EQUIVALENT: dict[str, str] = {"GB200": "gb200_h100_rent_ratio"}


def _market_equivalent(ctx: Context, sku: str) -> tuple[float, float] | None:
    """(rent, ratio) for a SKU without a marketplace quote: list prices are not where capacity
    re-contracts, so its margin is set against a market rent, never against its own list."""
    ratio_name = EQUIVALENT.get(sku)
    if ratio_name is None or ctx.has_price(sku, "marketplace") or not ctx.has_price("H100 SXM", "marketplace"):
        return None
    if not ctx.has_assumption(ratio_name):
        return None
    ratio = ctx.assumption(ratio_name)
    if not ratio > 0:
        raise NoData(f"{ratio_name} must be positive")
    h100 = ctx.price("H100 SXM", "marketplace") / ctx._mult("H100 SXM") * ctx._mult(sku)
    return h100 * ratio, ratio


#: Tiers searched for a provider quoting both SKUs, in order; the company's own rate card first.
PAIR_TIERS = ("neocloud_list", "hyperscaler_list", "marketplace", "index")
OWN_PROVIDER = "coreweave"


def _providers(ctx: Context, sku: str, tier: str) -> set[str]:
    row = ctx.state.prices.row(sku, tier)
    return {q.provider for q in row.sources} if row is not None else set()


def _fair_rent(next_sku: str, ratio_name: str) -> Callable[[Context], Computed]:
    """H100 rent against the H100 rent that ``next_sku`` justifies, like for like: each
    provider that quotes both SKUs is a pair (CoreWeave list vs CoreWeave list, Vast vs
    Vast); the headline is CoreWeave's own pair, else the first pair found. Only when no
    provider quotes both does a tier median stand in, and the result says so."""

    def compute(ctx: Context) -> Computed:
        ratio = ctx.assumption(ratio_name)
        if not ratio > 0:
            raise NoData(f"{ratio_name} must be positive")
        pairs: list[dict[str, Any]] = []
        for tier in PAIR_TIERS:
            for prov in sorted(_providers(ctx, "H100 SXM", tier) & _providers(ctx, next_sku, tier)):
                h100, nxt = ctx.quote("H100 SXM", tier, prov), ctx.quote(next_sku, tier, prov)
                pairs.append({"provider": prov, "tier": tier, "h100": h100, "next": nxt, "fair_rent": nxt / ratio,
                              "pressure": h100 / (nxt / ratio) - 1.0})
        if pairs:
            head = next((p for p in pairs if p["provider"] == OWN_PROVIDER), pairs[0])
            return Computed(head["pressure"], {
                "pair": f"{head['provider']} {next_sku} vs {head['provider']} H100 SXM ({head['tier']})",
                "basis": "same provider", "fair_rent": head["fair_rent"], "h100": head["h100"], "tier": head["tier"],
                "ratio": ratio, "pairs": pairs})
        for tier in PAIR_TIERS:
            if ctx.has_price(next_sku, tier) and ctx.has_price("H100 SXM", tier):
                fair = ctx.price(next_sku, tier) / ratio
                h100 = ctx.price("H100 SXM", tier)
                return Computed(h100 / fair - 1.0, {
                    "pair": f"{tier} median vs {tier} median", "fair_rent": fair, "h100": h100, "tier": tier,
                    "ratio": ratio, "basis": "tier median: no provider quotes both SKUs (providers differ)"})
        raise NoData(f"no tier quotes both {next_sku} and H100 SXM")

    return compute


def depreciation_table(cost: float, reported_life: float, operating_income: float,
                       lives: tuple[int, ...] = LIVES) -> list[dict[str, float]]:
    """Annual depreciation of ``cost`` over each life, the extra vs the reported life,
    and operating income restated with that extra."""
    if not cost > 0 or not reported_life > 0:
        raise ValueError("equipment cost and reported life must be positive")
    base = cost / reported_life
    return [{"life": float(L), "annual": cost / L, "extra": cost / L - base,
             "operating_income": operating_income - (cost / L - base)} for L in lives]


def _depreciation(ctx: Context) -> Computed:
    when = ctx.balance_date()
    cost = ctx.instant("tech_equipment_cost", at=when)
    reported = ctx.assumption("life_reported_years")
    tech = ctx.assumption("life_technology_years")
    opinc, revenue = ctx.aligned_ttm("operating_income", "revenue", prefer=when)
    if not revenue > 0:
        raise NoData("revenue TTM is not positive")
    lives = tuple(sorted({*LIVES, round(tech)} - {0})) if tech >= 1 else LIVES
    table = depreciation_table(cost, reported, opinc, lives)
    extra_tech = cost / tech - cost / reported
    restated = opinc - extra_tech
    return Computed(restated / revenue, {"restated_operating_income": restated, "operating_income": opinc,
                                         "extra_expense": extra_tech, "life": tech, "table": table})


def _inputs(sku: str, capex: str) -> tuple[str, ...]:
    extra = ("price/H100 SXM/marketplace/*", f"assump/{EQUIVALENT[sku]}") if sku in EQUIVALENT else ()
    return (f"price/{sku}/*", f"assump/{capex}", *COMMON_ASSUMPTIONS, *FINANCING, *extra)


MARGIN = Threshold(0.15, 0.0, higher_is_worse=False)
#: H100 first (the headline rows), then the other SKUs, the B200 pair and depreciation.
H100: list[Indicator] = [
    Indicator(
        "h100_margin_6y",
        "H100 margin @6y book",
        "gpu",
        "pct",
        f"rent ÷ breakeven − 1 at the reported life, first tier quoted (marketplace median, neocloud list, "
        f"CoreWeave list; table in extras); breakeven = {FORMULA_BE}",
        _inputs("H100 SXM", "capex_per_gpu"),
        _sku_margin("H100 SXM"),
        Threshold(0.15, 0.0, higher_is_worse=False),
    ),
    Indicator(
        "h100_margin_3y",
        "H100 margin @3y tech",
        "gpu",
        "pct",
        f"market median ÷ breakeven − 1; breakeven = {FORMULA_BE}, L = technology life",
        ("price/H100 SXM/marketplace/*", "assump/*", "debt/*", "fin/*/total_assets", "fin/*/debt_*",
         "fin/*/interest_expense"),
        _margin("life_technology_years"),
        Threshold(0.15, 0.0, higher_is_worse=False),
    ),
    Indicator(
        "h100_fair_pressure",
        "H100 vs GB200-fair rent",
        "gpu",
        "pct",
        "H100 rent ÷ (GB200 rent ÷ performance ratio) − 1, same provider "
        "(CoreWeave first; tier median only when none quotes both)",
        ("price/H100 SXM/*", "price/GB200/*", "assump/gb200_h100_perf_ratio"),
        _fair_rent("GB200", "gb200_h100_perf_ratio"),
        None,  # information: repricing still to come, never a credit input (it falls as rents fall)
    ),
]

INDICATORS = [
    *H100,
    *(Indicator(f"margin_{slug}", f"{sku} margin @book", "gpu", "pct",
                f"rent ÷ breakeven − 1 at reported life, per tier (marketplace, neocloud, CoreWeave list); "
                f"breakeven = {FORMULA_BE}", _inputs(sku, capex), _sku_margin(sku), MARGIN)
      for sku, (slug, capex) in SKU_CAPEX.items() if sku != "H100 SXM"),  # H100: h100_margin_6y
    Indicator("h100_fair_pressure_b200", "H100 vs B200-fair rent", "gpu", "pct",
              "H100 rent ÷ (B200 rent ÷ performance ratio) − 1, same provider "
              "(CoreWeave first; tier median only when none quotes both)",
              ("price/H100 SXM/*", "price/B200/*", "assump/b200_h100_perf_ratio"),
              _fair_rent("B200", "b200_h100_perf_ratio"), None),  # information, as h100_fair_pressure
    Indicator("depreciation_sensitivity", "Op. margin at tech life", "gpu", "pct",
              "(operating income TTM − (cost ÷ L_tech − cost ÷ L_reported)) ÷ revenue TTM; "
              "cost = technology equipment at cost; table for L = 3..6",
              ("fin/*/total_assets", "fin/*/tech_equipment_cost", "fin/*/operating_income", "fin/*/revenue",
               "assump/life_reported_years", "assump/life_technology_years"),
              _depreciation, Threshold(0.05, 0.0, higher_is_worse=False)),
]

__all__ = ["INDICATORS", "SKU_CAPEX", "depreciation_table"]
