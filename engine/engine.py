"""Engine: ingest observations, recompute what depends on them, publish a snapshot.

One path for data: feed → observation → :meth:`Engine.ingest` → recompute the
indicators whose declared inputs match a changed key → a new immutable
:class:`Snapshot` that shares every unchanged part with the one before, plus the
set of ids that changed so a screen can repaint only those lines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from .context import NO_SHOCKS, Context, Shocks
from .deps import shared_dependents
from .indicator import STATUS_ORDER, Indicator, IndicatorResult, Threshold
from .indicators import default_indicators
from .observations import EquityQuote, Observation, PriceQuote, RateObs
from .prices import PriceRow
from .scoring import CompositeScore, composite
from .series import RingSeries
from .state import State
from .views import LINES, ConcentrationView, FinancialView, concentration_view, financial_view

HIST_POINTS = 512
HYSTERESIS = 0.05
SCORE_SERIES = "__score__"  # the composite's history on the data's clock (the header's move)
DWELL_S = 12 * 3600.0
DAY_S = 86400.0
FIN_INDICATORS = tuple(key for key, _, _, fn in LINES if fn is None)
CUST_INDICATORS = ("hhi", "effective_customers", "top1_share")


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An indicator moved between ok / watch / alert / no_data."""

    at: datetime
    indicator: str
    title: str
    old: str
    new: str
    value: float | None
    threshold: str


@dataclass(frozen=True)
class Snapshot:
    seq: int
    created: datetime
    company: str
    prices: Mapping[str, PriceRow]
    indicators: Mapping[str, IndicatorResult]
    financials: FinancialView | None
    customers: ConcentrationView | None
    status_log: tuple[StatusChange, ...]
    changed: frozenset[str] = field(default_factory=frozenset)
    score: CompositeScore | None = None  # composite risk score 0–100 (0 = every indicator ok)

    def price(self, sku: str, tier: str) -> PriceRow | None:
        return self.prices.get(f"{sku}/{tier}")


_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Engine:
    def __init__(
        self,
        company: str = "CRWV",
        indicators: Iterable[Indicator] | None = None,
        thresholds: Mapping[str, Threshold] | None = None,
        capacity: int = 2048,
        log_size: int = 200,
        weights: Mapping[str, float] | None = None,
        hysteresis: float = HYSTERESIS,
        dwell_s: float = DWELL_S,
    ) -> None:
        self.company = company
        #: A status improves only when the value is past the level by this share of the
        #: threshold's scale (Threshold.band): noise around a level does not flicker.
        self.hysteresis = hysteresis
        #: Seconds (data clock) a better status of a rent-driven figure must hold before it shows.
        self.dwell_s = dwell_s
        self._better: dict[str, tuple[str, float]] = {}
        self._valued: set[str] = set()  # indicators that had a value once: their first is a baseline
        self.state = State(capacity=capacity)
        self.indicators: dict[str, Indicator] = {i.name: i for i in (indicators or default_indicators())}
        self.thresholds: dict[str, Threshold] = dict(thresholds or {})
        self.weights: dict[str, float] = dict(weights or {})
        self._deps = shared_dependents(self.indicators)  # key -> indicator names (engine/deps.py)
        self._log: deque[StatusChange] = deque(maxlen=log_size)
        #: Market indicators' values on the data's clock, for "change over 24 h" (bounded).
        self._hist: dict[str, RingSeries] = {}
        self._prev: dict[tuple[Any, ...], tuple[Any, float | None]] = {}  # (name, period) -> (versions, value)
        self._market = {n for n, i in self.indicators.items() if any(p.startswith("price/") for p in i.inputs)}
        # Every indicator is in the first snapshot, as NO DATA with its reason until its
        # inputs arrive: a dead feed must read "no data", never a blank or a calm line.
        first = MappingProxyType({n: self.evaluate(n) for n in self.indicators})
        self._snap = Snapshot(0, datetime.now(UTC), company, _EMPTY, first, None, None, ())
        self.ingested = 0
        self.deferred: frozenset[str] = frozenset()  # held back until release() (see hold())
        self._held: set[str] = set()  # deferred indicators whose inputs moved meanwhile

    def hold(self, names: Iterable[str] | None = None) -> None:
        """Evaluate ``names`` (default: the heavy indicators) only at :meth:`release`: the
        dashboard's first frame then never waits for a simulation (nor imports numpy);
        until then they keep their previous result (NO DATA at start)."""
        pick = [n for n, i in self.indicators.items() if i.heavy] if names is None else names
        self.deferred = frozenset(n for n in pick if n in self.indicators)

    def release(self, now: datetime | None = None) -> Snapshot:
        """Stop holding; evaluate what was held whose inputs moved (a new snapshot if any)."""
        held, self._held, self.deferred = self._held, set(), frozenset()
        if not held:
            return self._snap
        return self._publish(set(), {}, now or datetime.now(UTC), extra=held)

    @property
    def snapshot(self) -> Snapshot:
        return self._snap

    def dependents(self, key: str) -> tuple[str, ...]:
        return self._deps(key)

    def ingest(self, batch: Iterable[Observation], now: datetime | None = None) -> Snapshot:
        """Apply a batch and return the new snapshot (the same one if nothing changed)."""
        keys: set[str] = set()
        rows: dict[tuple[str, str], datetime] = {}  # row -> newest as_of seen in this batch
        market_t: datetime | None = None  # the data's clock: the newest market observation
        for obs in batch:
            if isinstance(obs, (PriceQuote, EquityQuote, RateObs)) and (market_t is None or obs.as_of > market_t):
                market_t = obs.as_of
            if isinstance(obs, PriceQuote):
                rk = (obs.sku, obs.tier)
                seen = rows.get(rk)
                if seen is not None and obs.as_of > seen:
                    # A batch spanning several days (warm-up, history load): close the
                    # earlier day so the row's history keeps one point per day.
                    self.state.prices.close_point(rk)
                if seen is None or obs.as_of > seen:
                    rows[rk] = obs.as_of
            keys.update(self.state.ingest(obs))
            self.ingested += 1
        if not keys:
            return self._snap
        return self._publish(keys, rows, now or datetime.now(UTC), market_t)

    def _publish(self, keys: set[str], rows: dict[tuple[str, str], datetime], now: datetime,
                 market_t: datetime | None = None, extra: AbstractSet[str] = frozenset()) -> Snapshot:
        old = self._snap
        changed: set[str] = set()
        prices = old.prices
        if rows:
            p = dict(prices)
            for rk in rows:
                row = self.state.prices.rebuild_row(rk)
                p[row.row_id] = row
                changed.add(f"price/{row.row_id}")
            prices = MappingProxyType(p)
        dirty = {name for k in keys for name in self.dependents(k)} | extra
        if self.deferred and dirty & self.deferred:
            self._held |= dirty & self.deferred
            dirty -= self.deferred
        indicators = old.indicators
        score, status_moved = old.score, False
        if dirty:
            ind = dict(indicators)
            data_t = market_t.timestamp() if market_t is not None else None
            for name in (n for n in self.indicators if n in dirty):  # catalogue order: stable output
                prev = ind.get(name)
                res = self.hold_status(self.evaluate(name), prev.status if prev is not None else None)
                if name in self._market:
                    res = self._dwell(name, res, prev, market_t or now)
                # a point per batch that carries rents (a rates or filing batch has its own clock)
                if data_t is not None and rows and res.value is not None and name in self._market:
                    self._series(name).append(data_t, res.value)
                if prev != res:
                    ind[name] = res
                    changed.add(f"ind/{name}")
                    if prev is None or prev.status != res.status:
                        status_moved = True
                        self._log_change(now, prev, res)
            indicators = MappingProxyType(ind)
            if score is None or status_moved:  # the score depends on statuses only
                score = composite(indicators, self.weights)
                changed.add("score")
        if rows and market_t is not None and score is not None and score.score is not None:
            self._series(SCORE_SERIES).append(market_t.timestamp(), score.score)  # for its 24 h move
        fin, cust = old.financials, old.customers
        # Views read the indicators' results: rebuilt when their inputs or those results move.
        # a filing moves the view's "newer filings" line, once there is a view to move
        if any(k.startswith(("fin/", "debt/", "maturity/")) or (k.startswith("filing/") and fin is not None)
               for k in keys) or any(
                f"ind/{k}" in changed for k in FIN_INDICATORS):
            fin = financial_view(self.state, self.company, indicators, self.evaluate_at)
            changed.add("financials")
        if any(k.startswith("cust/") for k in keys) or any(f"ind/{k}" in changed for k in CUST_INDICATORS):
            cust = concentration_view(self.state, self.company, indicators)
            changed.add("customers")
        log = old.status_log
        if len(self._log) and (not log or log[-1] is not self._log[-1]):
            log = tuple(self._log)
            changed.add("status_log")
        self._snap = Snapshot(old.seq + 1, now, self.company, prices, indicators, fin, cust, log,
                              frozenset(changed), score)
        return self._snap

    def hold_status(self, res: IndicatorResult, prev: str | None) -> IndicatorResult:
        """``res`` with its status held against ``prev`` (see :meth:`Threshold.held`)."""
        th = res.threshold
        if prev is None or th is None or res.value is None or res.status == "no_data":
            return res
        held = th.held(res.value, prev, self.hysteresis)
        if held == res.status:
            return res
        b = th.band(self.hysteresis)
        note = (f"held at {held.upper()} (hysteresis): {res.status.upper()} once "
                f"{'below' if th.higher_is_worse else 'above'} the level by {b:.4g}")
        return replace(res, status=held, extra=res.extra + (("hysteresis", note),))

    def _dwell(self, name: str, res: IndicatorResult, prev: IndicatorResult | None, t: datetime) -> IndicatorResult:
        """A figure that reads GPU rents moves to a *better* status only after the better one
        has held for ``dwell_s`` on the data's clock (Prometheus' ``keep_firing_for``); a worse
        status applies at once. Rents wobble hourly; a filing does not, so company figures skip this."""
        if (prev is None or prev.status not in ("watch", "alert") or res.status == "no_data"
                or STATUS_ORDER[res.status] >= STATUS_ORDER[prev.status] or self.dwell_s <= 0):
            self._better.pop(name, None)
            return res
        ts = t.timestamp()
        cand = self._better.get(name)
        if cand is None or cand[0] != res.status:
            self._better[name] = cand = (res.status, ts)
        if ts - cand[1] >= self.dwell_s:
            self._better.pop(name, None)
            return res
        note = (f"held at {prev.status.upper()}: {res.status.upper()} since "
                f"{datetime.fromtimestamp(cand[1], UTC):%Y-%m-%d %H:%M} UTC, applies after "
                f"{self.dwell_s / 3600:g} h on the data's clock")
        return replace(res, status=prev.status, extra=res.extra + (("hysteresis", note),))

    def _log_change(self, now: datetime, prev: IndicatorResult | None, res: IndicatorResult) -> None:
        if res.status != "no_data" and res.name not in self._valued:
            self._valued.add(res.name)
            return  # the first evaluation is a baseline (at start, or on connecting), not an event
        if (prev is None or prev.status == "no_data") and res.status in ("ok", "no_data"):
            return  # a returning calm value: nothing to report
        th = res.threshold.describe() if res.threshold else ""
        self._log.append(StatusChange(now, res.name, res.title, prev.status if prev else "—",
                                      res.status, res.value, th))

    def _series(self, name: str) -> RingSeries:
        s = self._hist.get(name)
        if s is None:
            s = self._hist[name] = RingSeries(HIST_POINTS)
        return s

    def change(self, name: str) -> tuple[float | None, str]:
        """What moved: a figure that reads GPU rents against its value 24 h earlier on the
        data's clock (replay time in the demo); a company figure against the same indicator
        at the previous balance-sheet period. (None, why) when there is nothing to compare."""
        res = self._snap.indicators.get(name)
        if res is None or res.value is None:
            return None, "no value"
        if name in self._market:
            s = self._hist.get(name)
            last = s.last() if s is not None else None
            old = s.value_at(last[0] - DAY_S) if s is not None and last is not None else None
            return (res.value - old, "24 h") if old is not None else (None, "less than 24 h of history")
        if res.period is None:
            return None, "one disclosure period" if res.group == "concentration" else "no period"
        periods = self.state.fin.balance_periods(self.company)
        older = [p for p in periods if p < res.period]
        if not older:
            return None, f"no balance sheet before {res.period}"
        # prices cannot move a company figure: a price poll must not empty this cache
        # one entry per (name, period): newer input versions replace it (bounded with uptime)
        key = (name, older[0])
        versions = tuple(sorted((k, v) for k, v in self.state.versions.items() if k != "price"))
        cached = self._prev.get(key)
        if cached is None or cached[0] != versions:
            cached = self._prev[key] = (versions, self.evaluate_at(name, older[0]).value)
        before = cached[1]
        return (res.value - before, f"vs {older[0]}") if before is not None else (None, f"no value at {older[0]}")

    def score_change(self) -> tuple[float | None, str]:
        """The composite score against its value 24 h earlier on the data's clock: (delta, "24h"),
        else (None, why)."""
        s = self._hist.get(SCORE_SERIES)
        last = s.last() if s is not None else None
        if s is None or last is None:
            return None, "no score history"
        old = s.value_at(last[0] - DAY_S)
        return (last[1] - old, "24h") if old is not None else (None, "less than 24 h of history")

    def price_history(self, sku: str, tier: str) -> tuple[list[float], list[float]]:
        """(POSIX times, row aggregates) of one price row, oldest first (the chart screen)."""
        return self.state.prices.history(sku, tier)

    def indicator_history(self, name: str) -> tuple[list[float], list[float], str]:
        """(POSIX times, values, what a point is) of one indicator, oldest first. A figure
        that reads GPU rents: the values the engine kept on the data's clock. A company
        figure: the indicator worked out at each balance-sheet period (dated at period end)."""
        if name in self._market:
            s = self._hist.get(name)
            return (s.times(), s.values(), "value on the data's clock") if s is not None else ([], [], "")
        ind = self.indicators.get(name)
        if ind is None or not ind.periodic:
            return [], [], "no history: not a period figure"
        pts = []
        for p in sorted(self.state.fin.balance_periods(self.company)):
            v = self.evaluate_at(name, p).value
            if v is not None:
                pts.append((datetime(p.year, p.month, p.day, tzinfo=UTC).timestamp(), float(v)))
        return [t for t, _ in pts], [v for _, v in pts], "value at each balance-sheet period"

    def period(self) -> date | None:
        """The company view's period: the newest balance-sheet date (total assets reported)."""
        periods = self.state.fin.balance_periods(self.company)
        return periods[0] if periods else None

    def evaluate(self, name: str, shocks: Shocks = NO_SHOCKS) -> IndicatorResult:
        """One indicator at the company's period; where an input exists only for an older
        period, at the newest period where every input exists (the note says so)."""
        ind = self.indicators[name]
        if not ind.periodic:
            return ind.evaluate(Context(self.state, self.company, shocks=shocks), self.thresholds.get(name))
        # The newest eight balance sheets (two years of quarters) are enough to find a complete one.
        periods: list[date | None] = list(self.state.fin.balance_periods(self.company)[:8]) or [None]
        first: IndicatorResult | None = None
        for p in periods:
            res = self.evaluate_at(name, p, shocks)
            if res.status != "no_data":
                if first is not None:
                    note = f"at {p}: newest period with every input ({first.period}: {first.reason})"
                    res = replace(res, reason=note)
                return res
            if first is None:
                first = res
            elif res.reason == first.reason:
                break  # the same gap at an older period (no SOFR, no share price): not period-bound
        assert first is not None
        return first

    def evaluate_at(self, name: str, period: date | None, shocks: Shocks = NO_SHOCKS) -> IndicatorResult:
        """One indicator worked out at ``period`` (a debt line's older column, explain)."""
        ind = self.indicators[name]
        res = ind.evaluate(Context(self.state, self.company, at=period, shocks=shocks), self.thresholds.get(name))
        # A walk-forward figure starts where its liquidity inputs are dated (engine.projection.base_date).
        start = res.get("base_period")
        return replace(res, period=start if isinstance(start, date) else period) if ind.periodic else res

    def recompute_all(self, shocks: Shocks = NO_SHOCKS) -> dict[str, IndicatorResult]:
        """Every indicator from scratch, cached intermediates dropped (tests of incremental recompute)."""
        self.state.memo.clear()
        return {name: self.evaluate(name, shocks) for name in self.indicators}
