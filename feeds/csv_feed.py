"""A CSV file or URL as a feed: how licensed indices reach the dashboard.

Why: published GPU-price indices (Silicon Data SDH100RT exports, the CRI-H100
CSV, a desk's own marks) come with licences that forbid us from fetching or
bundling them, so the user points this feed at a file they are entitled to, or at
a URL that serves one. Each row with a date and a number becomes one observation
(a :class:`PriceQuote` in tier ``index`` by default, or a :class:`RateObs`), so
the engine gets the history as well as the latest value. Rows with a missing,
``.`` or non-numeric value are skipped; a file of nothing usable is NO DATA.

A body fetched from a URL that does not end with a newline may have been cut off in
transit. Many exporters omit the final newline, so it is accepted when the cells the
feed reads provably ended: the last row has every column, and the date and value
columns are not the last one. Otherwise it is refused whole (see ``check_complete``).

Freshness: ``kind = "rate"``: 5 business days. Prices: 2 × the interval, and at
least 5 business days when the dates carry no time of day (a daily index is not
STALE at noon because today's value is not out yet).

TOML::

    [feeds.cri_h100]
    type = "csv"
    path = "~/data/cri-h100-index.csv"     # or: url = "https://example.org/index.csv"
    date_column = "publication_date"
    value_column = "cri_h100"
    sku = "H100 SXM"
    tier = "index"                          # default
    provider = "CRI-H100"
    kind = "price"                          # or "rate" (then `series` names it)
    interval = 3600
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Sequence

from engine.observations import TIERS, Observation, PriceQuote, RateObs

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .freshness import DAILY, Freshness, price_freshness
from .http import HttpFeed, looks_like_html

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d")


def parse_when(text: str) -> datetime | None:
    """A date or timestamp cell as an aware UTC datetime, or None."""
    s = text.strip()
    if not s:
        return None
    try:
        d = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        d = None
        for fmt in _DATE_FORMATS:
            try:
                d = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
        if d is None:
            return None
    return d.replace(tzinfo=timezone.utc) if d.tzinfo is None else d.astimezone(timezone.utc)


def parse_number(text: str) -> float | None:
    s = text.strip().replace(",", "").replace("$", "")
    if s in ("", ".", "-", "NA", "N/A", "#N/A", "null"):
        return None
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_rows(text: str, date_column: str, value_column: str) -> list[tuple[datetime, float]]:
    """(when, value) pairs, oldest first. Raises FeedError if the columns are missing."""
    if looks_like_html(text):
        raise FeedError("HTML page where CSV was expected")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    for col in (date_column, value_column):
        if col not in fields:
            raise FeedError(f"column {col!r} not in the CSV header")
    reader.fieldnames = fields
    out: list[tuple[datetime, float]] = []
    for row in reader:
        when = parse_when(row.get(date_column) or "")
        value = parse_number(row.get(value_column) or "")
        if when is not None and value is not None:
            out.append((when, value))
    out.sort(key=lambda p: p[0])
    return out


def check_complete(text: str, date_column: str, value_column: str) -> None:
    """Raise FeedError when a body without a final newline may have been cut off.

    Accepted only if every cell the feed reads provably ended: the last row has all
    its cells and neither the date nor the value column is the last column (a cell
    followed by a comma is whole; a last cell ``1.7`` may be the start of ``1.735``).
    Cells the feed does not read may be cut; they are not used."""
    body = text.lstrip("\ufeff")
    if not body or body.endswith(("\n", "\r")):
        return
    rows = list(csv.reader(io.StringIO(body)))
    header = [h.strip() for h in rows[0]] if rows else []
    last = rows[-1] if len(rows) > 1 else []
    tail = body.rsplit("\n", 1)[-1][:40]
    if len(last) != len(header) or parse_when(dict(zip(header, last)).get(date_column, "")) is None:
        raise FeedError(f"truncated CSV: the last line {tail!r} has no newline and is not a complete row")
    if header and header[-1] in (date_column, value_column):
        raise FeedError(f"truncated CSV? the last line {tail!r} has no newline, so its {header[-1]} may be cut")


class CSVFeed(HttpFeed):
    """Rows of a CSV (file or URL) as index prices or rates."""

    name: ClassVar[str] = "csv"
    description: ClassVar[str] = "A CSV file or URL (licensed indices, own marks)"
    default_interval: ClassVar[float] = 3600.0
    min_interval: ClassVar[float] = 5.0

    def __init__(self, *, path: str | None = None, url: str | None = None, date_column: str = "date",
                 value_column: str = "value", sku: str = "", tier: str = "index", provider: str = "csv",
                 kind: str = "price", series: str | None = None, max_rows: int = 1000, **kw: Any) -> None:
        super().__init__(**kw)
        if (path is None) == (url is None):
            raise ConfigError("path", "give exactly one of `path` or `url`")
        self.path = Path(path).expanduser() if path is not None else None
        self.csv_url = url
        self.date_column, self.value_column = date_column, value_column
        self.sku, self.tier, self.provider, self.kind = sku, tier, provider, kind
        self.series = series or value_column
        self.max_rows = max_rows

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("path", "url", "date_column", "value_column", "sku", "tier", "provider", "kind", "series"):
            if key in opts:
                v = opts.pop(key)
                if not isinstance(v, str) or not v.strip():
                    raise ConfigError(key, "must be a non-empty string")
                out[key] = v
        if "max_rows" in opts:
            v = opts.pop("max_rows")
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError("max_rows", "must be a positive integer")
            out["max_rows"] = v
        if ("path" in out) == ("url" in out):
            raise ConfigError("path", "give exactly one of `path` or `url`")
        if "url" in out and not out["url"].startswith(("http://", "https://")):
            raise ConfigError("url", "must start with http:// or https://")
        if "value_column" not in out:
            raise ConfigError("value_column", "is required (the column holding the number)")
        kind = out.get("kind", "price")
        if kind not in ("price", "rate"):
            raise ConfigError("kind", "must be 'price' or 'rate'")
        if kind == "price" and not out.get("sku"):
            raise ConfigError("sku", "is required for kind = 'price' (e.g. 'H100 SXM')")
        if out.get("tier", "index") not in TIERS:
            raise ConfigError("tier", f"must be one of {', '.join(TIERS)}")
        return out

    @property
    def where(self) -> str:
        return str(self.path) if self.path is not None else self.source(self.csv_url or "")

    async def read_text(self) -> str:
        if self.csv_url is not None:
            return await self.get_text(self.csv_url, expect="csv")
        assert self.path is not None
        try:
            size = await asyncio.to_thread(lambda: self.path.stat().st_size)  # type: ignore[union-attr]
            if size > self.max_bytes:
                raise FeedError(f"file larger than {self.max_bytes // 1_000_000 or 1} MB")
            return await asyncio.to_thread(self.path.read_text, encoding="utf-8-sig", errors="replace")
        except FileNotFoundError:
            raise FeedError(f"file not found: {self.path.name}") from None
        except OSError as exc:
            raise FeedError(f"cannot read {self.path.name}: {exc.strerror or type(exc).__name__}") from None

    def transform(self, rows: list[tuple[datetime, float]], fetched: datetime) -> list[Observation]:
        src = self.where
        if self.kind == "rate":
            return [RateObs(as_of=w, fetched_at=fetched, source=src, series=self.series, value=v)
                    for w, v in rows[-self.max_rows:]]
        return [PriceQuote(as_of=w, fetched_at=fetched, source=src, sku=self.sku, tier=self.tier,
                           provider=self.provider, price=v) for w, v in rows[-self.max_rows:]]

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        return DAILY if self.kind == "rate" else price_freshness(self.interval, observations)

    async def poll(self) -> list[Observation]:
        text = await self.read_text()
        if self.csv_url is not None:
            if looks_like_html(text):
                raise FeedError("HTML page where CSV was expected")
            check_complete(text, self.date_column, self.value_column)
        rows = read_rows(text, self.date_column, self.value_column)
        if not rows:
            raise NoDataError("no dated numeric rows in the CSV")
        return self.transform(rows, utcnow())
