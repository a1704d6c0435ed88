"""Equity prices for the market-implied credit models (distance to default).

Why this feed: the naive distance to default needs the market value of equity and
its volatility, which only the share price gives. Opt-in: live mode uses :mod:`feeds.tiingo`
(documented API, key from the environment). Yahoo's chart JSON is key-less but
unofficial, without terms for programs: it rate-limits (429) and sometimes answers a consent or error *HTML page
with HTTP 200*, so the body is checked, never trusted. Each poll emits the daily
closes of the range (default one year) so the engine can estimate volatility.

TOML::

    [feeds.equity]
    ticker = "CRWV"
    range = "1y"
    shares_outstanding = 490000000   # optional: lets the engine compute market cap
    interval = 900
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, ClassVar

from engine.observations import EquityQuote

from .base import ConfigError, FeedContext, FeedError, NoDataError, RateLimited, utcnow
from .http import HttpFeed

_RANGES = ("1mo", "3mo", "6mo", "1y", "2y", "5y")


def parse_chart(doc: Any, ticker: str) -> list[tuple[datetime, float]]:
    """(time, close) pairs from a Yahoo chart document; skips null closes."""
    try:
        chart = doc["chart"]
        if chart.get("error"):
            err = chart["error"]
            raise FeedError(f"chart error: {str(err.get('description') or err.get('code') or err)[:80]}")
        result = chart["result"][0]
        stamps = result["timestamp"]
        closes = result["indicators"]["quote"][0]["close"]
    except FeedError:
        raise
    except (KeyError, IndexError, TypeError, AttributeError):
        raise FeedError(f"unexpected chart JSON shape for {ticker}") from None
    if not isinstance(stamps, list) or not isinstance(closes, list):
        raise FeedError(f"unexpected chart JSON shape for {ticker}")
    out = []
    for t, c in zip(stamps, closes, strict=False):
        if isinstance(t, (int, float)) and isinstance(c, (int, float)) and math.isfinite(c) and c > 0:
            try:
                when = datetime.fromtimestamp(t, UTC)
            except (OverflowError, OSError, ValueError):  # an absurd timestamp spoils one point only
                continue
            out.append((when, float(c)))
    return out


class EquityFeed(HttpFeed):
    """Daily closes of one ticker from Yahoo's chart JSON."""

    name: ClassVar[str] = "equity"
    description: ClassVar[str] = "Share price (Yahoo chart JSON, key-less, unofficial) for distance to default"
    default_interval: ClassVar[float] = 900.0
    min_interval: ClassVar[float] = 60.0
    default_base_url: ClassVar[str] = "https://query2.finance.yahoo.com"

    def __init__(self, *, ticker: str = "CRWV", range_: str = "1y", shares_outstanding: float | None = None,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.ticker = ticker
        self.range = range_
        self.shares_outstanding = shares_outstanding

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "ticker" in opts:
            t = opts.pop("ticker")
            if not isinstance(t, str) or not t.replace(".", "").replace("-", "").isalnum() or len(t) > 12:
                raise ConfigError("ticker", f"must be a ticker symbol like 'CRWV', got {t!r}")
            out["ticker"] = t.upper()
        if "range" in opts:
            r = opts.pop("range")
            if r not in _RANGES:
                raise ConfigError("range", f"must be one of {', '.join(_RANGES)}, got {r!r}")
            out["range_"] = r
        if "shares_outstanding" in opts:
            n = opts.pop("shares_outstanding")
            if isinstance(n, bool) or not isinstance(n, (int, float)) or n <= 0:
                raise ConfigError("shares_outstanding", "must be a positive number of shares")
            out["shares_outstanding"] = float(n)
        return out

    async def poll(self) -> list[EquityQuote]:
        path = f"/v8/finance/chart/{self.ticker}"
        try:
            doc = await self.get_json(path, params={"range": self.range, "interval": "1d"})
        except RateLimited as exc:  # what Yahoo answers programs most of the time: say what to use instead
            raise RateLimited(f"{exc}; Yahoo's chart endpoint is unofficial and refuses programs: "
                              f"the tiingo feed (API key) is the supported source", exc.retry_after) from None
        points = parse_chart(doc, self.ticker)
        if not points:
            raise NoDataError(f"no closes for {self.ticker}")
        fetched, src = utcnow(), self.source(path)
        return [
            EquityQuote(as_of=t, fetched_at=fetched, source=src, ticker=self.ticker, close=c,
                        shares_outstanding=self.shares_outstanding)
            for t, c in points
        ]
