"""Typed observations: the only thing feeds hand to the engine.

Every observation says *when the value was true* (``as_of``), *when we learnt it*
(``fetched_at``) and *where it came from* (``source``: a URL, a filing accession or
a sample file), so every number on screen can be traced back. ``key`` names the
input series the observation updates; indicators declare the keys they read and
the engine recomputes only those whose inputs changed.

All money is in US dollars (not thousands), all shares are fractions (0.62, not
62), all prices are dollars per GPU-hour, all rates are percent per year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

#: Price tiers, never averaged together (data-sources.md, normalisation rule 4).
TIERS: tuple[str, ...] = ("marketplace", "neocloud_list", "hyperscaler_list", "index")
TIER_LABELS: dict[str, str] = {
    "marketplace": "market",
    "neocloud_list": "neocloud",
    "hyperscaler_list": "hyperscale",
    "index": "index",
}
#: GPU models shown on the dashboard, in display order.
SKUS: tuple[str, ...] = ("H100 SXM", "H200", "B200", "GB200", "A100 80GB", "A100 PCIe 80GB")
#: Sanity band for a per-GPU-hour price; outside it the value is a unit or divisor error.
PRICE_BAND: tuple[float, float] = (0.05, 100.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class Observation:
    """Base of every observation. Subclasses define ``key``."""

    as_of: datetime
    fetched_at: datetime
    source: str
    feed: str = ""

    @property
    def key(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True, slots=True)
class PriceQuote(Observation):
    """One provider's price for one GPU model in one tier, per GPU-hour."""

    sku: str
    tier: str
    provider: str
    price: float
    n_offers: int | None = None
    p25: float | None = None
    p75: float | None = None
    raw_price: float | None = None
    divisor: int | None = None

    @property
    def key(self) -> str:
        return f"price/{self.sku}/{self.tier}/{self.provider}"


@dataclass(frozen=True, kw_only=True, slots=True)
class FinancialFact(Observation):
    """A reported figure. Instants have no ``period_start``; durations do.

    ``metric`` is one of :data:`engine.financials.METRICS`.
    """

    company: str
    metric: str
    value: float
    period_end: date
    period_start: date | None = None
    unit: str = "USD"

    @property
    def key(self) -> str:
        return f"fin/{self.company}/{self.metric}"


@dataclass(frozen=True, kw_only=True, slots=True)
class DebtFacility(Observation):
    """Principal outstanding on one facility at a period end."""

    company: str
    facility: str
    principal: float
    period_end: date
    rate: float | None = None  # effective rate, percent
    maturity: str = ""
    floating: bool = False

    @property
    def key(self) -> str:
        return f"debt/{self.company}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Maturity(Observation):
    """Scheduled principal due in a calendar year, as disclosed at ``period_end``."""

    company: str
    year: str  # "2026", or "thereafter"
    principal: float
    period_end: date

    @property
    def key(self) -> str:
        return f"maturity/{self.company}"


_AGGREGATE = re.compile(r"^\s*top[\s-]*(\d+|two|three|four|five)\b", re.IGNORECASE)


def is_aggregate_customer(name: str) -> bool:
    """True for a stated aggregate ("Top 2 customers", "top-three"), not for a customer
    whose name merely starts with "Top" ("Toptal Inc")."""
    return bool(_AGGREGATE.match(name))


@dataclass(frozen=True, kw_only=True, slots=True)
class CustomerShare(Observation):
    """A disclosed customer's share of revenue for a period (fraction 0..1)."""

    company: str
    customer: str
    share: float
    period: str  # e.g. "FY2024"
    period_end: date
    rank: int = 0  # 1 = largest customer
    #: read from the filing's own XBRL instance: wins over a quoted figure for the same customer
    #: and period (engine.customers)
    from_filing: bool = False

    @property
    def key(self) -> str:
        return f"cust/{self.company}"


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceivablesShare(Observation):
    """A customer's share of accounts receivable at a balance date (fraction 0..1).

    A concentration of credit exposure, not of revenue: kept apart from
    :class:`CustomerShare` so no revenue figure (top-1, top-2, HHI) ever counts it."""

    company: str
    customer: str
    share: float
    period_end: date

    @property
    def key(self) -> str:
        return f"recv/{self.company}"


@dataclass(frozen=True, kw_only=True, slots=True)
class RateObs(Observation):
    """A market rate or yield in percent (SOFR, DGS10, HY effective yield)."""

    series: str
    value: float

    @property
    def key(self) -> str:
        return f"rate/{self.series}"


@dataclass(frozen=True, kw_only=True, slots=True)
class EquityQuote(Observation):
    """A share price close, with the shares count when known."""

    ticker: str
    close: float
    shares_outstanding: float | None = None

    @property
    def key(self) -> str:
        return f"equity/{self.ticker}"


@dataclass(frozen=True, kw_only=True, slots=True)
class BondQuote(Observation):
    """A price of one of the company's notes, in percent of par (clean), with the note's
    terms as configured or disclosed: coupon in percent, maturity, seniority, and the call
    schedule where known (``call_dates[i]`` callable at ``call_prices[i]`` percent of par).
    A note is known by its name: TRACE (by CUSIP) and the filings' fair-value note (by name)
    price the same note, and the newest price wins.
    ``yield_pct`` is the yield the source itself reported, if any (the engine computes its own)."""

    company: str
    note: str  # "2030 senior notes"
    cusip: str  # "" when the source does not give it (a filing names the note, not its CUSIP)
    price: float
    coupon: float
    maturity: date
    seniority: str = "senior unsecured"
    principal: float | None = None  # USD outstanding
    yield_pct: float | None = None
    call_dates: tuple[date, ...] = ()
    call_prices: tuple[float, ...] = ()

    @property
    def key(self) -> str:
        return f"bond/{self.company}/{self.note}"  # one note, whichever source prices it


@dataclass(frozen=True, kw_only=True, slots=True)
class Assumption(Observation):
    """A modelling assumption (capex per GPU, utilisation...) with its reasoning."""

    name: str
    value: float
    unit: str = ""
    note: str = ""

    @property
    def key(self) -> str:
        return f"assump/{self.name}"


@dataclass(frozen=True, kw_only=True, slots=True)
class FilingEvent(Observation):
    """A new filing (10-Q, 10-K, 8-K) seen on EDGAR."""

    company: str
    form: str
    accession: str
    filed: date
    items: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        return f"filing/{self.company}"
