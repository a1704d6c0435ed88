"""FRED rates: the cost of money a GPU cloud refinances at.

Why this feed: CoreWeave's floating-rate debt reprices with SOFR, and its bonds
trade against Treasuries and the high-yield index; FRED serves all of them as a
key-less CSV (``fredgraph.csv``). One request per series, so one retired or
truncated series does not hide the others. Missing days are ``.`` or empty and are
skipped, never read as zero; both header styles (``DATE,...`` and the newer
``observation_date,...``) are accepted; an HTML page served with HTTP 200 (a
block page, a maintenance page) is an error, not data.

Each poll emits the last ``history`` points of every series (default 30) so the
engine can draw a short history; the newest is the value shown.

TOML::

    [feeds.fred]
    series = ["SOFR", "DGS10", "BAMLH0A0HYM2EY", "DBAA"]
    lookback_days = 60
    history = 30
    interval = 21600
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, ClassVar, Sequence

from engine.observations import RateObs

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .http import HttpFeed, looks_like_html

DEFAULT_SERIES: tuple[str, ...] = ("SOFR", "DGS10", "BAMLH0A0HYM2EY", "DBAA")
_SERIES_RE = re.compile(r"^[A-Za-z0-9_]{1,40}$")


def parse_fred_csv(text: str, series: str | None = None) -> list[tuple[date, float]]:
    """(date, value) rows of a fredgraph.csv body, oldest first; skips missing values."""
    if looks_like_html(text):
        raise FeedError("HTML page where CSV was expected")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header or len(header) < 2 or header[0].strip().lower() not in ("date", "observation_date"):
        raise FeedError("not a FRED CSV (expected a DATE or observation_date column)")
    col = 1
    if series is not None:
        names = [h.strip().upper() for h in header]
        if series.upper() in names:
            col = names.index(series.upper())
    out: list[tuple[date, float]] = []
    for row in reader:
        if len(row) <= col:
            continue
        raw = row[col].strip()
        if raw in ("", ".", "NA", "#N/A"):
            continue
        try:
            d = date.fromisoformat(row[0].strip())
            v = float(raw)
        except ValueError:
            continue
        if math.isfinite(v):
            out.append((d, v))
    out.sort(key=lambda p: p[0])
    return out


class FredFeed(HttpFeed):
    """Latest values (and a short history) of FRED series, in percent."""

    name: ClassVar[str] = "fred"
    description: ClassVar[str] = "FRED fredgraph.csv: SOFR, Treasuries, high-yield and Baa yields"
    default_interval: ClassVar[float] = 21600.0
    min_interval: ClassVar[float] = 300.0
    default_base_url: ClassVar[str] = "https://fred.stlouisfed.org"
    path: ClassVar[str] = "/graph/fredgraph.csv"

    def __init__(self, *, series: Sequence[str] = DEFAULT_SERIES, lookback_days: int = 60, history: int = 30,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.series = list(series)
        self.lookback_days = lookback_days
        self.history = max(1, history)

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "series" in opts:
            s = opts.pop("series")
            if isinstance(s, str):
                s = [s]
            if not isinstance(s, list) or not s or not all(isinstance(x, str) and _SERIES_RE.match(x) for x in s):
                raise ConfigError("series", "must be a list of FRED series ids like ['SOFR', 'DGS10']")
            out["series"] = s
        for key in ("lookback_days", "history"):
            if key in opts:
                v = opts.pop(key)
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    raise ConfigError(key, "must be a positive integer")
                out[key] = v
        return out

    async def fetch_series(self, series_id: str) -> list[tuple[date, float]]:
        start = (utcnow().date() - timedelta(days=self.lookback_days)).isoformat()
        text = await self.get_text(self.path, params={"id": series_id, "cosd": start}, expect="csv")
        return parse_fred_csv(text, series_id)

    def transform(self, series_id: str, points: list[tuple[date, float]], fetched: datetime) -> list[RateObs]:
        src = f"{self.source(self.path)}?id={series_id}"
        return [
            RateObs(as_of=datetime.combine(d, time(0), tzinfo=timezone.utc), fetched_at=fetched, source=src,
                    series=series_id, value=v)
            for d, v in points[-self.history:]
        ]

    async def poll(self) -> list[RateObs]:
        out: list[RateObs] = []
        errors: list[str] = []
        for sid in self.series:
            try:
                points = await self.fetch_series(sid)
            except FeedError as exc:
                if type(exc) is not FeedError:  # rate limits and disabled states stop the poll
                    raise
                errors.append(f"{sid}: {exc}")
                continue
            out.extend(self.transform(sid, points, utcnow()))
        if not out:
            if errors:
                raise FeedError(errors[0] if len(errors) == 1 else f"{errors[0]} (+{len(errors) - 1} more)")
            raise NoDataError("no values in the requested window")
        return out
