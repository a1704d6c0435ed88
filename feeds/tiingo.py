"""Equity prices from Tiingo's end-of-day API: the share price the distance to default needs,
from a source whose terms allow automated use, with a key from the environment.

Why not Yahoo by default: its chart JSON is unofficial, has no terms for programs and
answers 429 to a plain client (the ``equity`` feed keeps it, opt-in). Tiingo issues free
keys for its documented REST API: ``GET /tiingo/daily/{ticker}/prices?startDate=...`` with
``Authorization: Token <key>``, answering a JSON array of daily bars (``date``, ``close``,
``adjClose``, ...). The unadjusted ``close`` is used (market capitalisation is today's
shares × the day's price). The key (``$TIINGO_API_KEY``) is masked everywhere; without it
the feed is DISABLED and says which variable to set. Refusals are visible states: a bad
key is ERROR "HTTP 401 ... (check $TIINGO_API_KEY)", a spent allowance RATE-LIMITED with
the server's Retry-After, an unknown ticker HTTP 404, an in-band ``detail`` error its words.

TOML::

    [feeds.tiingo]
    ticker = "CRWV"
    days = 400                        # history asked for (a year of returns for volatility)
    shares_outstanding = 490000000    # optional: lets the engine compute market cap
    interval = 3600
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from engine.observations import EquityQuote

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .equity import EquityFeed
from .http import HttpFeed


def parse_tiingo(doc: Any, ticker: str) -> list[tuple[datetime, float]]:
    """(time, close) of a Tiingo daily-prices array, oldest first; unusable bars skipped."""
    if isinstance(doc, dict) and isinstance(doc.get("detail"), str):  # Tiingo's error object
        raise FeedError(f"Tiingo: {doc['detail'][:100]}")
    if not isinstance(doc, list):
        raise FeedError(f"unexpected Tiingo JSON shape for {ticker}: expected an array of daily prices")
    out = []
    for bar in doc:
        if not isinstance(bar, dict):
            raise FeedError(f"unexpected Tiingo JSON shape for {ticker}: a bar is not an object")
        close, raw = bar.get("close"), bar.get("date")
        if isinstance(close, bool) or not isinstance(close, (int, float)) or not math.isfinite(close) or close <= 0:
            continue
        try:
            when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            continue
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        out.append((when, float(close)))
    out.sort(key=lambda p: p[0])
    return out


class TiingoFeed(HttpFeed):
    """Daily closes of one ticker from Tiingo (API key from the environment)."""

    name: ClassVar[str] = "tiingo"
    description: ClassVar[str] = "Share price (Tiingo end-of-day API, key from $TIINGO_API_KEY) for distance to default"
    default_interval: ClassVar[float] = 3600.0
    min_interval: ClassVar[float] = 300.0
    default_base_url: ClassVar[str] = "https://api.tiingo.com"
    api_key_env_default: ClassVar[str | None] = "TIINGO_API_KEY"
    key_required: ClassVar[bool] = True

    def __init__(self, *, ticker: str = "CRWV", days: int = 400, shares_outstanding: float | None = None,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.ticker = ticker
        self.days = days
        self.shares_outstanding = shares_outstanding

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        rng = opts.pop("range", None)
        if rng is not None:
            raise ConfigError("range", "is a Yahoo option: Tiingo takes days (history asked for)")
        out = EquityFeed.config_options(opts, ctx)  # ticker, shares_outstanding: the same rules
        if "days" in opts:
            v = opts.pop("days")
            if isinstance(v, bool) or not isinstance(v, int) or not 30 <= v <= 3660:
                raise ConfigError("days", f"must be a whole number of days from 30 to 3660, got {v!r}")
            out["days"] = v
        return out

    async def poll(self) -> list[EquityQuote]:
        key = self.require_key()
        path = f"/tiingo/daily/{self.ticker}/prices"
        start = (utcnow().date() - timedelta(days=self.days)).isoformat()
        doc = await self.get_json(path, params={"startDate": start, "format": "json"},
                                  headers={"Authorization": f"Token {key}", "Content-Type": "application/json"})
        points = parse_tiingo(doc, self.ticker)
        if not points:
            raise NoDataError(f"no closes for {self.ticker} since {start}")
        fetched, src = utcnow(), self.source(path)
        return [EquityQuote(as_of=t, fetched_at=fetched, source=f"{src} (Tiingo EOD close)", ticker=self.ticker,
                            close=c, shares_outstanding=self.shares_outstanding) for t, c in points]
