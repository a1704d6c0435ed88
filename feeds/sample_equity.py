"""Recorded CRWV closes from ``sample_data/equity.csv``, so the demo can value distance to default.

Why here: the naive distance to default needs the market value of equity (close × shares)
and its volatility (daily log returns over a year), which only a price history gives. The
live :class:`feeds.equity.EquityFeed` reads Yahoo; the demo must stay offline, so it plays
a recorded history instead, each row with its source.

``equity.csv``: ``date,ticker,close,shares_outstanding,source``. ``shares_outstanding`` is
filled only on the row of the date a filing states it (its source says which filing) and
left blank elsewhere; the quote of that row alone carries the count. Carrying it forward is
the engine's job (``Context.equity`` takes the latest count reported on or before the day
it values), and the engine keeps only the last few quotes that carry a count, so repeating
it on every row would push the stated one out. Rows are dated at 00:00 UTC of the trading
day, like the other sample files. A malformed cell raises :class:`FeedError` naming file,
line and column (the shared reader of :mod:`feeds.sample`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import ClassVar

from engine.observations import EquityQuote, Observation

from .sample import _FilesFeed
from .sample_rows import _src, _utc, read_rows

COLUMNS = ("date", "ticker", "close", "shares_outstanding", "source")


def parse_equity(path: Path, fetched: datetime) -> list[Observation]:
    """EquityQuotes of ``equity.csv``, oldest first per ticker."""
    rows = []
    seen: set[tuple[str, date]] = set()
    for r in read_rows(path, COLUMNS):
        d = r.day("date")
        assert d is not None
        ticker = r.text("ticker").upper()
        if not ticker.replace(".", "").replace("-", "").isalnum():
            raise r.fail("ticker", "is not a ticker symbol")
        close = r.num("close")
        assert close is not None
        if not close > 0:
            raise r.fail("close", "is not a positive price")
        shares = r.num("shares_outstanding", required=False)
        if shares is not None and not shares > 0:
            raise r.fail("shares_outstanding", "is not a positive number of shares")
        source = r.text("source")
        if (ticker, d) in seen:
            raise r.fail("date", f"repeats an earlier row for {ticker}")
        seen.add((ticker, d))
        rows.append((ticker, d, close, shares, source))
    rows.sort(key=lambda x: (x[0], x[1]))
    return [EquityQuote(as_of=_utc(d), fetched_at=fetched, source=_src(path, source), ticker=ticker,
                        close=close, shares_outstanding=shares) for ticker, d, close, shares, source in rows]


PARSERS: dict[str, Callable[[Path, datetime], list[Observation]]] = {"equity.csv": parse_equity}


class SampleEquityFeed(_FilesFeed):
    name = "sample_equity"
    description = "CRWV daily closes and share count (recorded, with sources) from sample_data/equity.csv"
    demo = True
    files: ClassVar[tuple[str, ...]] = ("equity.csv",)
    parsers = PARSERS
