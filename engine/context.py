"""What an indicator may read, recorded as it is read.

The context reads from the engine's stores and applies scenario shocks on the way
out, so a what-if is the same indicator code run on a shocked view of the state:

* ``price_mult`` scales rents (per SKU, ``"*"`` for all);
* ``assumptions`` replaces assumption values; ``utilisation_pts`` moves utilisation;
* ``top_customer_cut`` removes that fraction of the largest customer's revenue from
  revenue, and (costs being mostly fixed: depreciation, leases, power contracts)
  from operating income, adjusted EBITDA and cash from operations;
* ``rate_bp`` adds interest on *floating* facilities (``DebtFacility.floating``) to
  interest expense and to facility rates;
* ``life_years`` restates depreciation of technology equipment at cost to that life
  (operating income falls, D&A rises, EBITDA and cash unchanged).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar, cast

from .financials import METRICS, Fact, FinancialStore, metric_label
from .indicator import InputRef, NoData
from .observations import BondQuote, DebtFacility, EquityQuote, Maturity, is_aggregate_customer
from .series import RingSeries, add_business_days

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
    life_years: float | None = None  # depreciable life of technology equipment

    def is_empty(self) -> bool:
        return not (self.price_mult or self.assumptions or self.top_customer_cut or self.rate_bp
                    or self.utilisation_pts or self.life_years)


_T = TypeVar("_T")
NO_SHOCKS = Shocks()
#: Metrics from which a lost customer's revenue is removed (costs treated as fixed).
_REVENUE_LINKED = ("revenue", "operating_income", "adjusted_ebitda", "cfo")


def _day_end(d: date) -> float:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=UTC).timestamp()


#: A daily series is fresh at a date when its last value is at most 5 business days
#: older (a Friday value through the next Friday); older but within a year it is used and marked
#: STALE; older still, NO DATA.
FRESH_BUSINESS_DAYS, USABLE_DAYS = 5, 366


def _on_or_before(series: RingSeries | None, day: date) -> tuple[float | None, float]:
    """The last (time, value) of a RingSeries on or before ``day`` if it is at most a year
    earlier, else (None, nan): a daily series that stopped long ago is not "the rate at" a
    later date. A binary search (the series is ordered)."""
    end = _day_end(day)
    pt = series.point_at(end) if series is not None and len(series) else None
    if pt is None or end - pt[0] > USABLE_DAYS * 86400:
        return None, math.nan
    return pt


def _finite(label: str, value: float) -> float:
    """Reject NaN and infinities at the door: they are unusable data, not numbers."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise NoData(f"{label} is not a finite number ({value!r})")
    return float(value)


class Context:
    def __init__(self, state: State, company: str, at: date | None = None, shocks: Shocks = NO_SHOCKS) -> None:
        self.state = state
        self.company = company
        self.at = at
        self.shocks = shocks
        self.used: list[InputRef] = []
        #: Inputs older than their series allows at the period (e.g. a daily rate weeks old).
        self.stale: list[str] = []

    def begin(self) -> None:
        self.used = []
        self.stale = []

    def use(self, name: str, value: object, as_of: date | datetime | None, source: str) -> None:
        self.used.append(InputRef(name, value, as_of, source))

    def cached(self, name: str, kinds: tuple[str, ...], fn: Callable[[], _T]) -> _T:
        """``fn()`` computed once per version of the input kinds it reads ("debt", "assump",
        "fin", ...), with the inputs it recorded replayed on a hit. Intermediate results
        shared by many indicators (financing rate, breakevens) are then computed once per
        change, not once per indicator. Scenarios (shocked contexts) are never cached."""
        if not self.shocks.is_empty():
            return fn()
        # One entry per (name, company, period), holding the input versions it was computed at:
        # a newer version replaces the entry, so the memo never grows with uptime.
        key = (name, self.company, self.at)
        versions = tuple(self.state.versions.get(k, 0) for k in kinds)
        entry = self.state.memo.get(key)
        if entry is not None and entry[0] == versions:
            hit = entry[1:]
            self.used.extend(hit[1])
        else:
            start = len(self.used)
            try:
                value: object = fn()
            except NoData as exc:
                value = exc
            hit = (value, tuple(self.used[start:]))
            if len(self.state.memo) > 4096:  # many periods and names at once: start again
                self.state.memo.clear()
            self.state.memo[key] = (versions, *hit)
        if isinstance(hit[0], NoData):
            raise hit[0]
        return cast(_T, hit[0])  # the memo holds what fn returned

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

    def instant(self, metric: str, at: date | None = None) -> float:
        """A balance-sheet figure at ``at`` (default: the context's period). Missing is
        NoData with the reason, never zero: zero only when the filing says zero."""
        when = at or self.balance_date()
        f = self.fin.instant(self.company, metric, when)
        if f is None:
            raise NoData(f"{METRICS.get(metric, metric)} at {when} not reported")
        name = metric_label(metric, f.value)
        self.use(name, f.value, f.period_end, f.source)
        return _finite(name, f.value)

    def has_instant(self, metric: str, at: date | None = None) -> bool:
        return self.fin.instant(self.company, metric, at) is not None

    def ttm(self, metric: str, at: date | None = None) -> float:
        """Trailing twelve months ending at ``at``, else the context's date, else latest."""
        end = at or self.at
        f = self.fin.ttm(self.company, metric, end) if end is not None else self.fin.ttm(self.company, metric)
        if f is None:
            raise NoData(f"{METRICS.get(metric, metric)} (TTM{f' to {end}' if end else ''}) missing")
        label = f"{METRICS.get(metric, metric)} TTM" + (f" ({f.derived})" if f.derived else "")
        self.use(label, f.value, f.period_end, f.source)
        return self._shock_flow(metric, _finite(label, f.value), f.period_end, 4)

    def aligned_ttm(self, *metrics: str, prefer: date | None = None) -> list[float]:
        """TTM of several metrics over the *same* twelve months, so a ratio never mixes
        periods: ``prefer`` (e.g. the balance date) when every metric has it, else the
        latest end they share (or the context's date when it is set)."""
        if self.at is not None:
            return [self.ttm(m, at=self.at) for m in metrics]
        common = set.intersection(*(self.fin.ttm_ends(self.company, m) for m in metrics))
        if not common:
            names = ", ".join(METRICS.get(m, m) for m in metrics)
            raise NoData(f"no twelve-month period common to {names}")
        end = prefer if prefer in common else max(common)
        return [self.ttm(m, at=end) for m in metrics]

    def latest_quarter(self, metric: str) -> Fact:
        """The latest quarterly value (Q4 may be derived), unshocked."""
        q = self.fin.quarters(self.company, metric)
        if not q:
            raise NoData(f"{METRICS.get(metric, metric)} (quarterly) missing")
        f = q[max(q)]
        label = f"{METRICS.get(metric, metric)} quarter" + (f" ({f.derived})" if f.derived else "")
        self.use(label, f.value, f.period_end, f.source)
        _finite(label, f.value)
        return f

    def quarter(self, metric: str) -> float:
        """Latest quarter's value with the scenario shocks applied (a quarter of a year's)."""
        f = self.latest_quarter(metric)
        return self._shock_flow(metric, f.value, f.period_end, 1)

    def _shock_flow(self, metric: str, value: float, end: date, quarters: int) -> float:
        """Apply scenario shocks to a flow covering ``quarters`` quarters ending at ``end``."""
        if self.shocks.is_empty():
            return value
        frac = quarters / 4.0
        if self.shocks.top_customer_cut and metric in _REVENUE_LINKED:
            rev = value if metric == "revenue" else self._unshocked_revenue(end, quarters)
            loss = self._top_customer_loss(rev)
            if loss:
                value -= loss
                self.use(f"scenario: largest customer cut {self.shocks.top_customer_cut:.0%}", -loss, None, "scenario")
        if self.shocks.rate_bp and metric == "interest_expense":
            extra = self.floating_principal() * self.shocks.rate_bp / 10_000.0 * frac
            if extra:
                value = value - extra if value < 0 else value + extra  # reported as negative or positive
                self.use(f"scenario: +{self.shocks.rate_bp:g} bp on floating debt", extra, None, "scenario")
        if self.shocks.life_years and metric in ("operating_income", "d_and_a"):
            extra = self.extra_depreciation() * frac
            if extra:
                if metric == "operating_income" or value < 0:
                    value = value - extra
                else:
                    value = value + extra
        return value

    def _unshocked_revenue(self, end: date, quarters: int) -> float:
        if quarters == 4:
            f = self.fin.ttm(self.company, "revenue", end)
        else:
            f = self.fin.quarters(self.company, "revenue").get(end)
        return f.value if f is not None else 0.0

    def _top_customer_loss(self, revenue: float) -> float:
        shares = [s for s in self.state.customers.get(self.company, {}).values()
                  if not is_aggregate_customer(s.customer)]
        if not shares:
            return 0.0
        latest = max(s.period_end for s in shares)
        top = max((s.share for s in shares if s.period_end == latest), default=0.0)
        return revenue * top * self.shocks.top_customer_cut

    def extra_depreciation(self) -> float:
        """Annual depreciation added by the ``life_years`` shock vs the reported life."""
        life = self.shocks.life_years
        base = self.state.assumptions.get("life_reported_years")
        cost = self.fin.instant(self.company, "tech_equipment_cost")
        if not life or base is None or cost is None or base.value <= 0 or life <= 0:
            return 0.0
        extra = cost.value / life - cost.value / base.value
        self.use(f"scenario: depreciation at {life:g} y (vs {base.value:g} y)", extra, cost.period_end, cost.source)
        return extra

    # --- debt -------------------------------------------------------------------
    def facilities(self, record: bool = True) -> list[DebtFacility]:
        """The latest facility table (at or before ``at``), rates shocked for floating debt."""
        table = self.state.facilities.get(self.company, {})
        ends = [end for (_, end) in table if self.at is None or end <= self.at]
        if not ends:
            raise NoData(f"no debt facility table for {self.company}")
        latest = max(ends)
        rows = sorted((f for (_, end), f in table.items() if end == latest), key=lambda f: -f.principal)
        for f in rows:
            if record:
                self.use(f"{f.facility} principal", f.principal, f.period_end, f.source)
            _finite(f"{f.facility} principal", f.principal)
            if f.rate is not None:
                _finite(f"{f.facility} rate", f.rate)
        return rows

    def facility_rate(self, f: DebtFacility) -> float | None:
        if f.rate is None:
            return None
        return f.rate + (self.shocks.rate_bp / 100.0 if f.floating else 0.0)

    def floating_principal(self) -> float:
        try:
            rows = self.facilities(record=False)
        except NoData:
            return 0.0
        return sum(f.principal for f in rows if f.floating)

    def maturities(self, newest: bool = False) -> tuple[date, list[Maturity]]:
        """The latest maturity schedule (at or before ``at``): years ascending, "thereafter" last.
        ``newest``: the newest schedule known before the next balance sheet after ``at`` (at the
        newest period: the newest of all), since what falls due is read forward from today."""
        table = self.state.maturities.get(self.company, {})
        limit = self.at
        if newest and self.at is not None:
            later = [p for p in self.fin.balance_periods(self.company) if p > self.at]
            limit = min(later) if later else None
        ends = [end for (end, _) in table if limit is None or end <= limit]
        if not ends:
            raise NoData(f"no maturity schedule for {self.company}")
        latest = max(ends)
        rows = sorted((m for (end, _), m in table.items() if end == latest),
                      key=lambda m: (not m.year.isdigit(), m.year))
        for m in rows:
            self.use(f"principal due {m.year}", m.principal, m.period_end, m.source)
            _finite(f"principal due {m.year}", m.principal)
        return latest, rows

    # --- market -----------------------------------------------------------------
    def equity(self, ticker: str | None = None) -> EquityQuote:
        """The close at the context's period (last trading day on or before it, at most 5
        business days earlier), else the latest; ``shares_outstanding`` is the latest count
        reported on or before that day."""
        name = ticker or self.company
        q = self.state.equity.get(name)
        if q is None:
            raise NoData(f"no share price for {name}")
        if self.at is not None:
            hist = self.state.equity_hist[name]
            ts, close = _on_or_before(hist, self.at)
            if ts is None:
                raise NoData(f"no {name} close in the year to {self.at}")
            day = datetime.fromtimestamp(ts, UTC)
            self._check_age(f"{name} close", day.date())
            counts = [c for c in self.state.equity_shares.get(name, ()) if c.as_of <= day + timedelta(days=1)]
            count = max(counts, key=lambda c: c.as_of) if counts else None
            q = replace(q, as_of=day, close=float(close),
                        shares_outstanding=count.shares_outstanding if count else None)
        else:
            count = q if q.shares_outstanding else None
        self.use(f"{q.ticker} close", q.close, q.as_of, q.source)
        _finite(f"{q.ticker} close", q.close)
        if count is not None:  # the count as the filing that states it dates and sources it
            self.use("shares outstanding", count.shares_outstanding, count.as_of, count.source)
        return q

    def equity_history(self, ticker: str | None = None) -> tuple[list[float], list[float]]:
        """(timestamps, closes) up to the context's period, oldest first; empty lists when none."""
        s = self.state.equity_hist.get(ticker or self.company)
        if s is None or len(s) == 0:
            return [], []
        times, values = [float(t) for t in s.times()], [float(v) for v in s.values()]
        if self.at is not None:
            end = _day_end(self.at)
            keep = [i for i, t in enumerate(times) if t <= end]
            times, values = [times[i] for i in keep], [values[i] for i in keep]
        return times, values

    # --- prices, assumptions, rates -----------------------------------------
    def _mult(self, sku: str) -> float:
        return self.shocks.price_mult.get(sku, self.shocks.price_mult.get("*", 1.0))

    def price(self, sku: str, tier: str) -> float:
        row = self.state.prices.row(sku, tier)
        if row is None:
            raise NoData(f"no {sku} {tier} price")
        self.use(f"{sku} {tier} $/GPU-h", row.price, row.as_of, ", ".join(sorted({q.source for q in row.sources})))
        return _finite(f"{sku} {tier} price", row.price) * self._mult(sku)

    def has_price(self, sku: str, tier: str) -> bool:
        return self.state.prices.row(sku, tier) is not None

    def quote(self, sku: str, tier: str, provider: str) -> float:
        """One provider's latest price (e.g. CoreWeave's own list price)."""
        q = self.state.prices.quote(sku, tier, provider)
        if q is None:
            raise NoData(f"no {provider} {sku} price")
        self.use(f"{sku} {provider} $/GPU-h", q.price, q.as_of, q.source)
        return _finite(f"{provider} {sku} price", q.price) * self._mult(sku)

    def has_assumption(self, name: str) -> bool:
        return name in self.shocks.assumptions or name in self.state.assumptions

    def assumption(self, name: str) -> float:
        if name in self.shocks.assumptions:
            v = self.shocks.assumptions[name]
            self.use(name, v, None, "scenario")
            return _finite(name, v)
        a = self.state.assumptions.get(name)
        if a is None:
            raise NoData(f"assumption {name} missing")
        v = _finite(name, a.value)
        if name == "utilisation" and self.shocks.utilisation_pts:
            v = max(0.0, v + self.shocks.utilisation_pts / 100.0)
        # An assumption has no market date: its as-of stays out of the indicator's data date.
        self.use(name, v, None, a.source)
        return v

    def rate(self, series: str) -> float:
        """A reference rate: at the context's period, the last observation on or before
        that day (at most 5 business days earlier, else NoData); else the latest."""
        if self.at is None:
            r = self.state.rates.get(series)
            if r is None:
                raise NoData(f"rate {series} missing")
            self.use(series, r.value, r.as_of, r.source)
            return _finite(series, r.value)
        hist = self.state.rate_hist.get(series)
        if hist is None or len(hist) == 0:
            raise NoData(f"rate {series} missing")
        ts, value = _on_or_before(hist, self.at)
        if ts is None:
            raise NoData(f"no {series} observation in the year to {self.at}")
        day = datetime.fromtimestamp(ts, UTC).date()
        self._check_age(series, day)
        src = self.state.rates[series].source if series in self.state.rates else series
        self.use(f"{series} on {day}", value, day, src)
        return _finite(series, value)

    def rate_on(self, series: str, day: date) -> tuple[float, date] | None:
        """A daily rate on ``day``: its last value on or before it, at most 5 business days
        earlier (recorded as an input), else None. For figures dated by their own inputs
        (a note's price and the Treasury yield of the same day)."""
        hist = self.state.rate_hist.get(series)
        if hist is None or len(hist) == 0:
            return None
        ts, value = _on_or_before(hist, day)
        if ts is None or not math.isfinite(value):
            return None
        seen = datetime.fromtimestamp(ts, UTC).date()
        if day > add_business_days(seen, FRESH_BUSINESS_DAYS):
            return None
        src = self.state.rates[series].source if series in self.state.rates else series
        self.use(f"{series} on {seen}", value, seen, src)
        return float(value), seen

    # --- notes ------------------------------------------------------------------
    def bond_quotes(self, max_age_days: int = 100) -> list[BondQuote]:
        """The latest price of each of the company's notes, nearest maturity first; at the
        context's period, the last on or before it and at most ``max_age_days`` earlier
        (a quarter: the filings' fair-value note is quarterly)."""
        out: list[BondQuote] = []
        for quotes in self.state.bonds.get(self.company, {}).values():
            qs = quotes if self.at is None else [q for q in quotes if q.as_of.date() <= self.at]
            if not qs:
                continue
            q = qs[-1]
            if self.at is not None and (self.at - q.as_of.date()).days > max_age_days:
                continue
            out.append(q)
        if not out:
            raise NoData(f"no note prices for {self.company}" + (f" in the quarter to {self.at}" if self.at else ""))
        return sorted(out, key=lambda q: (q.maturity, q.note))

    def _check_age(self, what: str, day: date) -> None:
        assert self.at is not None
        if self.at > add_business_days(day, FRESH_BUSINESS_DAYS):  # the rule the feeds use too
            self.stale.append(f"{what} of {day} is {(self.at - day).days} days before {self.at} "
                              f"(limit {FRESH_BUSINESS_DAYS} business days)")

    def has_rate(self, series: str) -> bool:
        if self.at is None:
            return series in self.state.rates
        hist = self.state.rate_hist.get(series)
        return hist is not None and len(hist) > 0 and _on_or_before(hist, self.at)[0] is not None
