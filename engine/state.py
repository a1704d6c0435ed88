"""The engine's mutable stores, one per kind of observation.

Only :class:`engine.engine.Engine` writes here; everything leaves the engine as
an immutable snapshot.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .customers import resolve
from .financials import FinancialStore
from .observations import (
    Assumption,
    BondQuote,
    CustomerShare,
    DebtFacility,
    EquityQuote,
    FilingEvent,
    FinancialFact,
    Maturity,
    Observation,
    PriceQuote,
    RateObs,
    ReceivablesShare,
)
from .prices import PriceBoard
from .series import RingSeries


class State:
    def __init__(self, capacity: int = 2048) -> None:
        self.capacity = capacity
        self.fin = FinancialStore()
        self.prices = PriceBoard(capacity=capacity)
        self.assumptions: dict[str, Assumption] = {}
        self.rates: dict[str, RateObs] = {}
        self.rate_hist: dict[str, RingSeries] = {}
        #: the shares counted, per company: each customer once per period (engine.customers)
        self.customers: dict[str, dict[tuple[str, str], CustomerShare]] = {}
        #: every share received, per company, in arrival order; ``customers`` is resolved from it
        self.customer_rows: dict[str, dict[tuple[str, str, bool], CustomerShare]] = {}
        #: customers' shares of receivables (credit exposure; never a revenue share)
        self.receivables: dict[str, dict[tuple[str, date], ReceivablesShare]] = {}
        self.facilities: dict[str, dict[tuple[str, date], DebtFacility]] = {}
        self.maturities: dict[str, dict[tuple[date, str], Maturity]] = {}
        self.equity: dict[str, EquityQuote] = {}
        self.equity_hist: dict[str, RingSeries] = {}
        #: Quotes that carry a share count, per ticker (a count is reported quarterly).
        self.equity_shares: dict[str, list[EquityQuote]] = {}
        self.filings: dict[str, list[FilingEvent]] = {}
        #: Note prices per company and note, oldest first (bounded: a quote a day for years).
        self.bonds: dict[str, dict[str, list[BondQuote]]] = {}  # company -> note name -> quotes
        #: Bumped per kind of input ("price", "fin", "debt", "assump", ...) on every change;
        #: keys Context.cached, so a cached intermediate is recomputed only when its inputs move.
        self.versions: dict[str, int] = {}
        self.memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def ingest(self, obs: Observation) -> list[str]:
        """Store one observation; returns the keys it changed (price rows too)."""
        keys = self._ingest(obs)
        for k in keys:
            kind = k.split("/", 1)[0]
            self.versions[kind] = self.versions.get(kind, 0) + 1
        return keys

    def _ingest(self, obs: Observation) -> list[str]:
        if isinstance(obs, PriceQuote):
            self.prices.ingest(obs)
            return [obs.key]
        if isinstance(obs, FinancialFact):
            self.fin.ingest(obs)
        elif isinstance(obs, Assumption):
            self.assumptions[obs.name] = obs
        elif isinstance(obs, RateObs):
            cur = self.rates.get(obs.series)
            if cur is None or obs.as_of >= cur.as_of:
                self.rates[obs.series] = obs
            self._hist(self.rate_hist, obs.series).append(obs.as_of.timestamp(), obs.value)
        elif isinstance(obs, CustomerShare):
            rows = self.customer_rows.setdefault(obs.company, {})
            key = (obs.customer, obs.period, obs.from_filing)
            rows.pop(key, None)  # a re-read row counts as the latest arrival
            rows[key] = obs
            self.customers[obs.company] = resolve(rows.values())
        elif isinstance(obs, ReceivablesShare):
            self.receivables.setdefault(obs.company, {})[(obs.customer, obs.period_end)] = obs
        elif isinstance(obs, DebtFacility):
            self.facilities.setdefault(obs.company, {})[(obs.facility, obs.period_end)] = obs
        elif isinstance(obs, Maturity):
            self.maturities.setdefault(obs.company, {})[(obs.period_end, obs.year)] = obs
        elif isinstance(obs, EquityQuote):
            cur_q = self.equity.get(obs.ticker)
            if cur_q is None or obs.as_of >= cur_q.as_of:
                self.equity[obs.ticker] = obs
            self._hist(self.equity_hist, obs.ticker).append(obs.as_of.timestamp(), obs.close)
            if obs.shares_outstanding is not None and obs.shares_outstanding > 0:
                counts = self.equity_shares.setdefault(obs.ticker, [])
                counts[:] = [c for c in counts if c.as_of != obs.as_of][-49:] + [obs]
        elif isinstance(obs, BondQuote):
            quotes = self.bonds.setdefault(obs.company, {}).setdefault(obs.note, [])
            quotes[:] = sorted([q for q in quotes if q.as_of != obs.as_of] + [obs], key=lambda q: q.as_of)
            del quotes[:-self.capacity]
        elif isinstance(obs, FilingEvent):
            lst = self.filings.setdefault(obs.company, [])
            if all(f.accession != obs.accession for f in lst):
                lst.append(obs)
                del lst[:-50]
        else:
            return []
        return [obs.key]

    def _hist(self, d: dict[str, RingSeries], name: str) -> RingSeries:
        s = d.get(name)
        if s is None:
            s = d[name] = RingSeries(self.capacity)
        return s
