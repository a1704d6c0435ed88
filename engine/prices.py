"""GPU price board: latest quote per provider, one row per (SKU, tier).

Tiers are never averaged together. Within a tier the row's price is the median of
the providers' latest quotes (a marketplace feed already sends the median of its
offers). The row keeps a bounded history of that aggregate for sparklines and
changes; change over 24 h is measured on ``as_of`` time, so a replay at any speed
reports market time, not wall time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median

from .observations import PriceQuote
from .series import RingSeries

DAY = 86400.0
#: A provider whose last quote is this much older than the row's newest one leaves
#: the median and the row's sources (it stopped quoting: delisted SKU, dead feed).
MAX_QUOTE_AGE = 7 * DAY
#: Distinct providers kept per row (remote text must not grow memory without bound).
MAX_PROVIDERS = 64
#: Days of daily history kept per row (more than the breach simulation's year).
DAILY_POINTS = 400


@dataclass(frozen=True, slots=True)
class ProviderQuote:
    provider: str
    price: float
    as_of: datetime
    fetched_at: datetime
    source: str
    feed: str
    n_offers: int | None = None


OWN_INDEX_PREFIX = "gpurisk "  # our own rolling index (feeds/vastai.py own_index_name)


def row_value(tier: str, quotes: Iterable[ProviderQuote]) -> float:
    """The row's figure: the median of its providers' prices; for an index row, of the
    published indices only when there is one (an index is its method and window: our rolling
    7-day figure is never averaged with a weekly published one; it shows as a source beside)."""
    quotes = list(quotes)
    prices = [p.price for p in quotes]
    if tier == "index":
        published = [p.price for p in quotes if not str(p.provider).startswith(OWN_INDEX_PREFIX)]
        prices = published or prices
    return float(median(prices))


@dataclass(frozen=True, slots=True)
class PriceRow:
    """What the price panel shows for one SKU in one tier. Immutable."""

    sku: str
    tier: str
    price: float
    prev: float | None  # aggregate before the last change
    change_24h: float | None  # fraction, on as_of time
    low: float
    high: float
    n_sources: int
    history: tuple[float, ...]  # recent aggregates, oldest first (for sparklines)
    as_of: datetime
    fetched_at: datetime
    sources: tuple[ProviderQuote, ...]
    change_7d: float | None = None  # fraction, on as_of time

    @property
    def change(self) -> float | None:
        if self.prev is None or self.prev == 0:
            return None
        return self.price / self.prev - 1.0

    @property
    def row_id(self) -> str:
        return f"{self.sku}/{self.tier}"


def _ts(d: datetime) -> float:
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.timestamp()


class PriceBoard:
    """Mutable engine-side store; hands out immutable :class:`PriceRow`s."""

    def __init__(self, capacity: int = 2048, spark_points: int = 40) -> None:
        self.capacity = capacity
        self.spark_points = spark_points
        self._quotes: dict[tuple[str, str], dict[str, ProviderQuote]] = {}
        self._agg: dict[tuple[str, str], RingSeries] = {}
        #: One point per UTC day (the day's last aggregate), a year and more: a live feed polled
        #: every 2 minutes fills the ``capacity`` ring in 3 days; the breach simulation needs months.
        self._daily: dict[tuple[str, str], RingSeries] = {}
        self._rows: dict[tuple[str, str], PriceRow] = {}

    def ingest(self, q: PriceQuote) -> tuple[str, str]:
        """Record a quote; returns the (sku, tier) row it touched."""
        rk = (q.sku, q.tier)
        row_quotes = self._quotes.setdefault(rk, {})
        if q.provider not in row_quotes and len(row_quotes) >= MAX_PROVIDERS:
            return rk
        row_quotes[q.provider] = ProviderQuote(
            q.provider, q.price, q.as_of, q.fetched_at, q.source, q.feed, q.n_offers
        )
        return rk

    def close_point(self, rk: tuple[str, str]) -> None:
        """Record the row's aggregate at its current time without building a row
        (a batch that spans several days keeps one history point per day)."""
        live, t = self._current(rk)
        series = self._agg.get(rk)
        if series is None:
            series = self._agg[rk] = RingSeries(self.capacity)
        agg = row_value(rk[1], live)
        series.append(t, agg)
        self._day_point(rk, series, t, agg)

    def _current(self, rk: tuple[str, str]) -> tuple[list[ProviderQuote], float]:
        """Quotes that count now (not stale against the newest), and the newest time."""
        quotes = self._quotes[rk].values()
        t = max(_ts(p.as_of) for p in quotes)
        return [p for p in quotes if t - _ts(p.as_of) <= MAX_QUOTE_AGE], t

    def rebuild_row(self, rk: tuple[str, str]) -> PriceRow:
        live, t = self._current(rk)
        quotes = tuple(sorted(live, key=lambda p: p.price))
        prices = [p.price for p in quotes]
        agg = row_value(rk[1], quotes)
        as_of = max(p.as_of for p in quotes)
        series = self._agg.get(rk)
        if series is None:
            series = self._agg[rk] = RingSeries(self.capacity)
        last = series.last()
        if last is not None and last[0] == t:
            prev_pt = series.previous()
        else:
            prev_pt = last
        series.append(t, agg)
        self._day_point(rk, series, t, agg)
        old = series.value_at(t - DAY)
        change_24h = (agg / old - 1.0) if old else None
        week = series.value_at(t - 7 * DAY)
        change_7d = (agg / week - 1.0) if week else None
        row = PriceRow(
            sku=rk[0],
            tier=rk[1],
            price=agg,
            prev=prev_pt[1] if prev_pt else None,
            change_24h=change_24h,
            low=prices[0],
            high=prices[-1],
            n_sources=len(prices),
            history=tuple(series.tail(self.spark_points)),
            as_of=as_of,
            fetched_at=max(p.fetched_at for p in quotes),
            sources=quotes,
            change_7d=change_7d,
        )
        self._rows[rk] = row
        return row

    def row(self, sku: str, tier: str) -> PriceRow | None:
        return self._rows.get((sku, tier))

    def series(self, sku: str, tier: str) -> RingSeries | None:
        """The row's aggregate history (read-only use: breach simulation, charts)."""
        return self._agg.get((sku, tier))

    def _day_point(self, rk: tuple[str, str], series: RingSeries, t: float, agg: float) -> None:
        """The day's point follows the row's newest aggregate (a late, older point is not the day's last)."""
        last = series.last()
        if last is None or last[0] != t:
            return
        daily = self._daily.get(rk)
        if daily is None:
            daily = self._daily[rk] = RingSeries(DAILY_POINTS)
        daily.append(t - t % DAY, agg)  # the same day overwrites: its last aggregate stays

    def daily(self, sku: str, tier: str) -> RingSeries | None:
        """The row's aggregate at the end of each UTC day (time = the day's start), oldest first."""
        return self._daily.get((sku, tier))

    def history(self, sku: str, tier: str) -> tuple[list[float], list[float]]:
        """(times, aggregates) of the row, oldest first; empty when the row is unknown."""
        series = self.series(sku, tier)
        return (series.times(), series.values()) if series is not None else ([], [])

    def quote(self, sku: str, tier: str, provider: str) -> ProviderQuote | None:
        return self._quotes.get((sku, tier), {}).get(provider)

    def rows(self) -> dict[tuple[str, str], PriceRow]:
        return dict(self._rows)
