"""What an indicator may read, recorded as it is read.

The context reads from the engine's stores and applies scenario shocks on the way
out, so a what-if is the same indicator code run on a shocked view of the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from .financials import METRICS, Fact, FinancialStore
from .indicator import InputRef, NoData

if TYPE_CHECKING:
    from .state import State


@dataclass(frozen=True)
class Shocks:
    """Multipliers and overrides applied to inputs (see engine.scenarios)."""

    price_mult: dict[str, float] = field(default_factory=dict)  # sku -> multiplier, "*" for all
    assumptions: dict[str, float] = field(default_factory=dict)  # name -> replacement value
    top_customer_cut: float = 0.0  # fraction of the largest customer's revenue lost
    rate_bp: float = 0.0  # added to floating rates, basis points
    utilisation_pts: float = 0.0  # added to utilisation, percentage points

    def is_empty(self) -> bool:
        return not (self.price_mult or self.assumptions or self.top_customer_cut or self.rate_bp or self.utilisation_pts)


NO_SHOCKS = Shocks()


class Context:
    def __init__(self, state: "State", company: str, at: date | None = None, shocks: Shocks = NO_SHOCKS) -> None:
        self.state = state
        self.company = company
        self.at = at
        self.shocks = shocks
        self.used: list[InputRef] = []

    def begin(self) -> None:
        self.used = []

    def use(self, name: str, value: object, as_of: object, source: str) -> None:
        self.used.append(InputRef(name, value, as_of, source))  # type: ignore[arg-type]

    # --- financials -----------------------------------------------------------
    @property
    def fin(self) -> FinancialStore:
        return self.state.fin

    def balance_date(self) -> date:
        """The balance-sheet date to use: ``at`` or the latest with total assets."""
        if self.at is not None:
            return self.at
        periods = self.fin.balance_periods(self.company)
        if not periods:
            raise NoData(f"no balance sheet for {self.company}")
        return periods[0]

    def instant(self, metric: str, at: date | None = None, required: bool = True) -> float:
        when = at or self.balance_date()
        f = self.fin.instant(self.company, metric, when)
        if f is None:
            if not required:
                return 0.0
            raise NoData(f"{METRICS.get(metric, metric)} at {when} missing")
        self.use(METRICS.get(metric, metric), f.value, f.period_end, f.source)
        return f.value

    def latest_instant(self, metric: str) -> Fact:
        f = self.fin.instant(self.company, metric)
        if f is None:
            raise NoData(f"{METRICS.get(metric, metric)} missing")
        self.use(METRICS.get(metric, metric), f.value, f.period_end, f.source)
        return f

    def ttm(self, metric: str) -> float:
        """Trailing twelve months ending at the balance date if possible, else latest."""
        f = None
        if self.at is not None:
            f = self.fin.ttm(self.company, metric, self.at)
        else:
            f = self.fin.ttm(self.company, metric)
        if f is None:
            raise NoData(f"{METRICS.get(metric, metric)} (TTM) missing")
        label = f"{METRICS.get(metric, metric)} TTM" + (f" ({f.derived})" if f.derived else "")
        self.use(label, f.value, f.period_end, f.source)
        value = f.value
        if metric == "revenue" and self.shocks.top_customer_cut:
            value -= self._top_customer_loss(value)
        return value

    def _top_customer_loss(self, revenue: float) -> float:
        shares = self.state.customers.get(self.company, {})
        if not shares:
            return 0.0
        latest = max(s.period_end for s in shares.values())
        top = max((s.share for s in shares.values() if s.period_end == latest), default=0.0)
        return revenue * top * self.shocks.top_customer_cut

    # --- prices, assumptions, rates -----------------------------------------
    def price(self, sku: str, tier: str) -> float:
        row = self.state.prices.row(sku, tier)
        if row is None:
            raise NoData(f"no {sku} {tier} price")
        mult = self.shocks.price_mult.get(sku, self.shocks.price_mult.get("*", 1.0))
        self.use(f"{sku} {tier} $/GPU-h", row.price, row.as_of, ", ".join(sorted({q.source for q in row.sources})))
        return row.price * mult

    def has_price(self, sku: str, tier: str) -> bool:
        return self.state.prices.row(sku, tier) is not None

    def assumption(self, name: str) -> float:
        if name in self.shocks.assumptions:
            v = self.shocks.assumptions[name]
            self.use(name, v, None, "scenario")
            return v
        a = self.state.assumptions.get(name)
        if a is None:
            raise NoData(f"assumption {name} missing")
        v = a.value
        if name == "utilisation" and self.shocks.utilisation_pts:
            v = max(0.0, v + self.shocks.utilisation_pts / 100.0)
        self.use(name, v, a.as_of, a.source)
        return v

    def rate(self, series: str) -> float:
        r = self.state.rates.get(series)
        if r is None:
            raise NoData(f"rate {series} missing")
        self.use(series, r.value, r.as_of, r.source)
        return r.value
