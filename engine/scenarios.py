"""What-if scenarios: the same indicators on a shocked view of the live state
(indicators.md §6).

A scenario is a handful of shocks: H100 rent (percent), the largest customer's
revenue cut (percent), a rate move on floating debt (basis points), a depreciable
life for technology equipment, a utilisation move (points). They become
:class:`engine.context.Shocks`, which the context applies on the way out of the
stores, so nothing is copied and the base state is never touched. The result
holds base and shocked results side by side and which statuses changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .context import Shocks
from .indicator import IndicatorResult
from .scoring import CompositeScore, composite

if TYPE_CHECKING:
    from .engine import Engine


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    h100_rent_pct: float = 0.0  # −40 = H100 rents fall 40%
    top_customer_cut_pct: float = 0.0  # 50 = half the largest customer's revenue lost
    rate_bp: float = 0.0  # +200 = floating rates up 2 points
    life_years: float | None = None  # depreciable life of technology equipment
    utilisation_pts: float = 0.0  # −15 = utilisation down 15 points
    description: str = ""

    def shocks(self) -> Shocks:
        price = {"H100 SXM": 1.0 + self.h100_rent_pct / 100.0} if self.h100_rent_pct else {}
        assumptions = {"life_reported_years": float(self.life_years)} if self.life_years else {}
        return Shocks(
            price_mult=price,
            assumptions=assumptions,
            top_customer_cut=self.top_customer_cut_pct / 100.0,
            rate_bp=self.rate_bp,
            utilisation_pts=self.utilisation_pts,
            life_years=float(self.life_years) if self.life_years else None,
        )

    def describe(self) -> str:
        parts = []
        if self.h100_rent_pct:
            parts.append(f"H100 rent {self.h100_rent_pct:+g}%")
        if self.top_customer_cut_pct:
            parts.append(f"largest customer −{self.top_customer_cut_pct:g}%")
        if self.rate_bp:
            parts.append(f"floating rates {self.rate_bp:+g} bp")
        if self.life_years:
            parts.append(f"GPU life {self.life_years:g} y")
        if self.utilisation_pts:
            parts.append(f"utilisation {self.utilisation_pts:+g} pts")
        return ", ".join(parts) or "no shock"


PRESETS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("seed", h100_rent_pct=-40, description="the seed article: H100 rent falls 40%"),
    Scenario("blackwell", h100_rent_pct=-30, life_years=4,
             description="Blackwell volume: H100 rents −30% and GPUs worn out in 4 years"),
    Scenario("customer", top_customer_cut_pct=50, description="the largest customer halves its spend"),
    Scenario("rates", rate_bp=200, description="floating rates +200 bp"),
    Scenario("life3", life_years=3, description="technology life: depreciate GPUs over 3 years, not 6"),
    Scenario("utilisation", utilisation_pts=-15, description="utilisation −15 points"),
    Scenario("stress", h100_rent_pct=-40, top_customer_cut_pct=50, rate_bp=200, life_years=3, utilisation_pts=-15,
             description="all of the above at once"),
)}


@dataclass(frozen=True, slots=True)
class ScenarioRow:
    name: str
    title: str
    base: IndicatorResult
    shocked: IndicatorResult

    @property
    def status_changed(self) -> bool:
        return self.base.status != self.shocked.status

    @property
    def delta(self) -> float | None:
        if self.base.value is None or self.shocked.value is None:
            return None
        return self.shocked.value - self.base.value


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    rows: tuple[ScenarioRow, ...]  # catalogue order
    base_score: CompositeScore
    shocked_score: CompositeScore

    @property
    def changes(self) -> tuple[ScenarioRow, ...]:
        """Rows whose status moved (ok → watch, watch → alert, ...)."""
        return tuple(r for r in self.rows if r.status_changed)

    def row(self, name: str) -> ScenarioRow | None:
        return next((r for r in self.rows if r.name == name), None)


def run_scenario(engine: Engine, scenario: Scenario | str,
                 weights: Mapping[str, float] | None = None) -> ScenarioResult:
    """Base (the engine's current results) beside the same indicators under the shocks."""
    sc = PRESETS[scenario] if isinstance(scenario, str) else scenario
    shocks = sc.shocks()
    published = engine.snapshot.indicators
    rows = []
    for name, ind in engine.indicators.items():
        base = published.get(name) or engine.evaluate(name)
        # the shocked status is held against the base status as the live one is (hysteresis),
        # so a worse value never reads a better status than the screen shows now
        shocked = engine.hold_status(engine.evaluate(name, shocks), base.status) if not shocks.is_empty() else base
        rows.append(ScenarioRow(name, ind.title, base, shocked))
    return ScenarioResult(sc, tuple(rows), composite([r.base for r in rows], weights),
                          composite([r.shocked for r in rows], weights))
