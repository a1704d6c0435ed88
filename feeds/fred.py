"""FRED rates: the cost of money a GPU cloud refinances at.

Why this feed: CoreWeave's floating-rate debt reprices with SOFR, and its bonds
trade against Treasuries and the high-yield index; FRED serves all of them as a
key-less CSV (``fredgraph.csv``). One request per series, so one retired or
truncated series does not hide the others. Missing days are ``.`` or empty and are
skipped, never read as zero; both header styles (``DATE,...`` and the newer
``observation_date,...``) are accepted; an HTML page served with HTTP 200 (a
block page, a maintenance page) is an error, not data.

A body is refused whole (nothing from that series is ingested) when:

* its header names another series than the one asked for ("asked for SOFR, got DGS10");
* it does not end with a newline: FRED ends every line with one, so a body without
  it was cut off, and its last row may be cut inside the number (``4.5`` of ``4.53``);
* a dated value lies outside the requested window (``cosd`` … ``coed``, with a
  quarter's slack before ``cosd`` for series dated at the start of their period and a
  day after ``coed`` for time zones): the server ignored the window, so the body is a
  cached or wrong copy (the full 1962… history, say).

Freshness: the feed is STALE when its *oldest* series' newest value is more than 5
business days old (daily series; a retired series must not hide behind fresh ones).

Each poll emits the last ``history`` points of every series (default 30) so the
engine can draw a short history; the newest is the value shown.

TOML::

    [feeds.fred]
    series = ["SOFR", "DGS2", "DGS5", "DGS7", "DGS10", "BAMLH0A0HYM2EY", "DBAA"]
    lookback_days = 60
    history = 30
    interval = 21600
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from engine.observations import Observation, RateObs

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .freshness import DAILY, Freshness
from .http import HttpFeed, looks_like_html

#: SOFR and the Treasury curve at the tenors the company's notes span (2–10 years: the
#: notes' spreads are read off it, engine/bonds.py), the HY yield and Moody's Baa.
DEFAULT_SERIES: tuple[str, ...] = ("SOFR", "DGS2", "DGS5", "DGS7", "DGS10", "BAMLH0A0HYM2EY", "DBAA")
_SERIES_RE = re.compile(r"^[A-Za-z0-9_]{1,40}$")
WINDOW_SLACK_BEFORE = timedelta(days=92)  # a quarterly series may be dated at its quarter's start
WINDOW_SLACK_AFTER = timedelta(days=1)  # FRED's day (US) vs ours (UTC)


def parse_fred_csv(text: str, series: str | None = None) -> list[tuple[date, float]]:
    """(date, value) rows of a fredgraph.csv body, oldest first; skips missing values.

    With ``series``, the header must name it; a body without a final newline is
    refused as truncated (see the module docstring)."""
    if looks_like_html(text):
        raise FeedError("HTML page where CSV was expected")
    body = text.lstrip("\ufeff")
    if body and not body.endswith("\n"):
        last = body.rsplit("\n", 1)[-1]
        raise FeedError(f"truncated CSV: the last line {last[:40]!r} has no newline")
    reader = csv.reader(io.StringIO(body))
    header = next(reader, None)
    if not header or len(header) < 2 or header[0].strip().lower() not in ("date", "observation_date"):
        raise FeedError("not a FRED CSV (expected a DATE or observation_date column)")
    col = 1
    if series is not None:
        names = [h.strip().upper() for h in header]
        if series.upper() not in names[1:]:
            got = ", ".join(h.strip() for h in header[1:])[:60] or "no series"
            raise FeedError(f"asked for {series}, got {got}")
        col = names.index(series.upper(), 1)
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

    def window(self) -> tuple[date, date]:
        """(cosd, coed): the last ``lookback_days`` up to today (UTC)."""
        today = utcnow().date()
        return today - timedelta(days=self.lookback_days), today

    async def fetch_series(self, series_id: str) -> list[tuple[date, float]]:
        start, end = self.window()
        text = await self.get_text(self.path, params={"id": series_id, "cosd": start.isoformat(),
                                                      "coed": end.isoformat()}, expect="csv")
        points = parse_fred_csv(text, series_id)
        outside = [d for d, _ in points if not start - WINDOW_SLACK_BEFORE <= d <= end + WINDOW_SLACK_AFTER]
        if outside:
            raise FeedError(f"{len(outside)} value(s) dated outside the requested window {start}…{end} "
                            f"({min(outside)}…{max(outside)}): not the answer asked for")
        return points

    def transform(self, series_id: str, points: list[tuple[date, float]], fetched: datetime) -> list[RateObs]:
        src = f"{self.source(self.path)}?id={series_id}"
        return [
            RateObs(as_of=datetime.combine(d, time(0), tzinfo=UTC), fetched_at=fetched, source=src,
                    series=series_id, value=v)
            for d, v in points[-self.history:]
        ]

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        return DAILY  # FRED's rates are daily; 5 business days covers holidays and its 1-day lag

    def data_as_of(self, observations: Sequence[Observation]) -> datetime | None:
        """The oldest of the series' newest dates: one retired series makes the feed STALE."""
        newest: dict[str, datetime] = {}
        for o in observations:
            if isinstance(o, RateObs) and (o.series not in newest or o.as_of > newest[o.series]):
                newest[o.series] = o.as_of
        return min(newest.values()) if newest else None

    async def poll(self) -> list[RateObs]:
        self.warning = ""
        out: list[RateObs] = []
        errors: list[str] = []
        empty: list[str] = []
        for sid in self.series:
            try:
                points = await self.fetch_series(sid)
            except FeedError as exc:
                if type(exc) is not FeedError:  # rate limits and disabled states stop the poll
                    raise
                errors.append(f"{sid}: {exc}")
                continue
            if not points:
                empty.append(sid)
            out.extend(self.transform(sid, points, utcnow()))
        if not out:
            if errors:
                raise FeedError(errors[0] if len(errors) == 1 else f"{errors[0]} (+{len(errors) - 1} more)")
            raise NoDataError("no values in the requested window")
        # The other series arrived: OK, with what failed in view (a retired series shows here).
        problems = errors + ([f"{', '.join(empty)}: no values since {self.window()[0]}"] if empty else [])
        self.warning = problems[0] if len(problems) == 1 else f"{problems[0]} (+{len(problems) - 1} more)" \
            if problems else ""
        return out
