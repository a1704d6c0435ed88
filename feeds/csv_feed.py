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

Numbers: a ``.`` decimal point, with ``,`` accepted only as a thousands separator in its
proper place (``1,234.5``). ``2,6`` is refused with the file, line and column named (it
is not 26): set ``decimal = ","`` for a file written with decimal commas, and then
``2,6`` is 2.6 and no thousands separator is accepted (``1.234,5`` is refused).

Large files are parsed off the event loop (the keys stay responsive) and only the newest
``max_rows`` rows are kept while reading, so a 20 MB file costs little memory.

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
    decimal = "."                           # or "," for decimal commas (2,6)
    window = "published weekly; 7-day window ending before the publication date"   # said with every value
    interval = 3600

``window`` says what one value covers, as its publisher defines it; it travels in every
value's source, so an index is never read as if it covered another window (our own
Vast.ai index is a rolling 7 days ending today; the CRI-H100 is published weekly).
"""

from __future__ import annotations

import asyncio
import csv
import heapq
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from engine.observations import TIERS, Observation, PriceQuote, RateObs

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .freshness import DAILY, Freshness, price_freshness
from .http import HttpFeed, looks_like_html
from .numbers import NumberFormatError, parse_number

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
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


def _lines(text: str) -> Iterator[str]:
    """The text's lines one at a time (``io.StringIO`` would hold a 4-bytes-a-character copy)."""
    start, n = 0, len(text)
    while start < n:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def read_rows(text: str, date_column: str, value_column: str, keep: int | None = None, decimal: str = ".",
              where: str = "CSV") -> list[tuple[datetime, float]]:
    """(when, value) pairs, oldest first; with ``keep``, only the newest ``keep`` (held in a
    bounded heap while reading). Raises FeedError if the columns are missing or a value is
    written in the wrong decimal convention (naming ``where``, the line and the column)."""
    if looks_like_html(text):
        raise FeedError("HTML page where CSV was expected")
    reader = csv.reader(_lines(text.lstrip("\ufeff")))
    fields = [f.strip() for f in next(reader, [])]
    for col in (date_column, value_column):
        if col not in fields:
            raise FeedError(f"column {col!r} not in the CSV header")
    di, vi = fields.index(date_column), fields.index(value_column)
    heap: list[tuple[datetime, int, float]] = []
    for seq, row in enumerate(reader):
        if not seq % 256:
            time.sleep(0)  # let the event loop thread take the GIL now, not after a 5 ms switch interval
        if len(row) <= max(di, vi):
            continue
        when = parse_when(row[di])
        if when is None:
            continue
        try:
            value = parse_number(row[vi], decimal)
        except NumberFormatError as exc:
            raise FeedError(f"{where} line {reader.line_num}, column {value_column!r} (column {vi + 1}): {exc}") \
                from None
        if value is None:
            continue
        item = (when, seq, value)
        if keep is None:
            heap.append(item)
        elif len(heap) < keep:
            heapq.heappush(heap, item)
        elif item > heap[0]:  # newer than the oldest kept row
            heapq.heapreplace(heap, item)
    heap.sort()
    return [(w, v) for w, _, v in heap]


#: Bodies at least this large are parsed in a worker process (smaller: a thread is cheaper).
PROCESS_MIN_CHARS = 2_000_000


def _read_rows_args(args: tuple[Any, ...]) -> list[tuple[datetime, float]]:
    """In the worker: ``args[0]`` is the body, or a local file's path to read here."""
    text, date_column, value_column, keep, decimal, where = args
    if isinstance(text, Path):
        try:
            text = text.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as exc:
            raise FeedError(f"cannot read {text.name}: {exc.strerror or type(exc).__name__}") from None
    return read_rows(text, date_column, value_column, keep=keep, decimal=decimal, where=where)


async def parse_elsewhere(args: tuple[Any, ...]) -> list[tuple[datetime, float]] | None:
    """``read_rows`` in the shared worker process (``feeds.worker``); None when no process
    can be had (the caller then parses in a thread). FeedError passes through."""
    from feeds import worker

    rows: list[tuple[datetime, float]] | None = await worker.run(_read_rows_args, args)
    return rows


def check_complete(text: str, date_column: str, value_column: str) -> None:
    """Raise FeedError when a body without a final newline may have been cut off.

    Accepted only if every cell the feed reads provably ended: the last row has all
    its cells and neither the date nor the value column is the last column (a cell
    followed by a comma is whole; a last cell ``1.7`` may be the start of ``1.735``).
    Cells the feed does not read may be cut; they are not used."""
    body = text.lstrip("\ufeff")
    if not body or body.endswith(("\n", "\r")):
        return
    first, nl, _ = body.partition("\n")
    header = [h.strip() for h in next(csv.reader([first]), [])]
    tail = body.rsplit("\n", 1)[-1]
    last = next(csv.reader([tail]), []) if nl else []
    tail = tail[:40]
    if len(last) != len(header) or parse_when(dict(zip(header, last, strict=True)).get(date_column, "")) is None:
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
                 kind: str = "price", series: str | None = None, max_rows: int = 1000, decimal: str = ".",
                 window: str = "", **kw: Any) -> None:
        super().__init__(**kw)
        if (path is None) == (url is None):
            raise ConfigError("path", "give exactly one of `path` or `url`")
        self.path = Path(path).expanduser() if path is not None else None
        self.csv_url = url
        self.date_column, self.value_column = date_column, value_column
        self.sku, self.tier, self.provider, self.kind = sku, tier, provider, kind
        self.series = series or value_column
        self.max_rows = max_rows
        if decimal not in (".", ","):
            raise ConfigError("decimal", 'must be "." or ","')
        self.decimal = decimal
        self.window = window

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("path", "url", "date_column", "value_column", "sku", "tier", "provider", "kind", "series",
                    "decimal", "window"):
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
        if out.get("decimal", ".") not in (".", ","):
            raise ConfigError("decimal", f'must be "." or "," (the decimal mark), got {out["decimal"]!r}')
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
        path = self.path
        assert path is not None
        try:
            size = await asyncio.to_thread(lambda: path.stat().st_size)
            if size > self.max_bytes:
                raise FeedError(f"file larger than {self.max_bytes // 1_000_000 or 1} MB")
            return await asyncio.to_thread(path.read_text, encoding="utf-8-sig", errors="replace")
        except FileNotFoundError:
            raise FeedError(f"file not found: {path.name}") from None
        except OSError as exc:
            raise FeedError(f"cannot read {path.name}: {exc.strerror or type(exc).__name__}") from None

    def transform(self, rows: list[tuple[datetime, float]], fetched: datetime) -> list[Observation]:
        src = f"{self.where} ({self.window})" if self.window else self.where
        if self.kind == "rate":
            return [RateObs(as_of=w, fetched_at=fetched, source=src, series=self.series, value=v)
                    for w, v in rows[-self.max_rows:]]
        return [PriceQuote(as_of=w, fetched_at=fetched, source=src, sku=self.sku, tier=self.tier,
                           provider=self.provider, price=v) for w, v in rows[-self.max_rows:]]

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        return DAILY if self.kind == "rate" else price_freshness(self.interval, observations)

    def parse(self, text: str) -> list[Observation]:
        """The body as observations (runs in a worker thread: a 20 MB file takes seconds)."""
        self.check(text)
        return self.observations(read_rows(text, self.date_column, self.value_column, keep=self.max_rows,
                                           decimal=self.decimal, where=self.short_where))

    @property
    def short_where(self) -> str:
        return self.path.name if self.path is not None else self.where

    def check(self, text: str) -> None:
        if self.csv_url is not None:
            if looks_like_html(text):
                raise FeedError("HTML page where CSV was expected")
            check_complete(text, self.date_column, self.value_column)

    def observations(self, rows: list[tuple[datetime, float]]) -> list[Observation]:
        if not rows:
            raise NoDataError("no dated numeric rows in the CSV")
        return self.transform(rows, utcnow())

    async def poll(self) -> list[Observation]:
        path = self.path
        if path is not None:
            try:
                size = await asyncio.to_thread(lambda: path.stat().st_size)
            except OSError:
                size = 0  # read_text says what is wrong
            if PROCESS_MIN_CHARS <= size <= self.max_bytes:  # the worker reads the file itself: nothing to copy
                args: tuple[Any, ...] = (self.path, self.date_column, self.value_column, self.max_rows,
                                         self.decimal, self.short_where)
                rows = await parse_elsewhere(args)
                if rows is not None:
                    return self.observations(rows)
        text = await self.read_text()
        if len(text) >= PROCESS_MIN_CHARS:
            # A big file is parsed in a worker *process*: a thread would share the interpreter
            # lock with the screen, and keys would wait hundreds of milliseconds.
            await asyncio.to_thread(self.check, text)
            args = (text, self.date_column, self.value_column, self.max_rows, self.decimal, self.short_where)
            rows = await parse_elsewhere(args)
            if rows is not None:
                return self.observations(rows)
        return await asyncio.to_thread(self.parse, text)
