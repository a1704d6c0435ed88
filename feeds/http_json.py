"""Any JSON API as a price feed, configured by dotted paths.

Why: new price sources appear faster than we can write feeds for them (Ornn's
OCPI API, a provider's price list, an internal desk service), and licensed data
must be fetched by the user, not bundled. This feed reads a list of items from a
JSON answer and maps fields to a :class:`PriceQuote` with dotted paths, so a new
source is a few lines of TOML. Paths use dots for keys and integers for list
positions (``data.rows``, ``result.0.close``); an empty ``items_path`` means the
answer itself (a list, or one object).

Options:

* ``url`` (required) -- the endpoint; never put a key in the URL: use ``api_key_env``.
* ``items_path`` -- dotted path to the list of items ("" = the root).
* ``price_path`` (required) -- price inside each item; numbers or numeric strings.
* ``date_path`` -- ISO date/time (or epoch seconds) inside each item; default: fetch time.
* ``sku`` / ``sku_path`` -- a fixed SKU or where each item names it; ``sku_map``
  translates source names ("H100" = "H100 SXM"); items whose SKU is not mapped
  or not a dashboard SKU are skipped when a map is given.
* ``provider`` / ``provider_path``, ``tier`` (default "index").
* ``divisor`` -- GPUs per priced unit (8 for an 8-GPU instance price), default 1.
* ``scale`` -- multiply prices (0.01 for cents), default 1.
* ``api_key_env`` + ``auth_header`` (default "Authorization") + ``auth_prefix``
  (default "Bearer ") -- send a key from the environment.

Prices are plain decimals (feeds/numbers.py): ``"2_5"`` is an error, never 25. An answer
of 1 MB or more is parsed in a worker process (feeds/worker.py), so the event loop is
never held; of any answer the newest 2,048 items per SKU and provider (10,000 in all)
are kept, which bounds what one answer costs the engine and the history.

TOML::

    [feeds.ocpi]
    type = "http_json"
    url = "https://api.example.com/v1/index/h100"
    items_path = "data.rows"
    price_path = "value"
    date_path = "date"
    sku = "H100 SXM"
    tier = "index"
    provider = "OCPI"
    api_key_env = "OCPI_API_KEY"
    interval = 3600
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple

import httpx

from engine.observations import SKUS, TIERS, PriceQuote

from . import worker
from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .csv_feed import parse_when
from .http import HttpFeed, load_json
from .numbers import NumberFormatError, to_number as _to_number

_MISSING = object()
#: Answers at least this large are parsed in a worker process (feeds/worker.py).
PROCESS_MIN_BYTES = 1_000_000
#: Of one answer, the newest items kept per SKU and provider (the engine keeps 2,048 points
#: a series) and in all: a 500,000-item answer costs the dashboard no more than this.
KEEP_PER_SERIES = 2048
KEEP_TOTAL = 10_000

Row = tuple[float | None, str, str, float]  # as_of (None: the fetch time), SKU, provider, price


class Spec(NamedTuple):
    """Where the fields are in each item (what the worker process needs; it pickles)."""

    items_path: str
    price_path: str
    date_path: str
    sku: str
    sku_path: str
    sku_map: tuple[tuple[str, str], ...]
    provider: str
    provider_path: str


def dig(obj: Any, path: str) -> Any:
    """Follow a dotted path (``a.b.0.c``); returns ``_MISSING`` when it leads nowhere."""
    if not path:
        return obj
    cur = obj
    for part in path.split("."):
        if isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.lstrip("-").isdigit() and -len(cur) <= int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return _MISSING
    return cur


def to_number(value: Any) -> float | None:
    """A JSON value as a number (``feeds.numbers``: ``"2,6"`` is refused, never 26)."""
    return None if value is _MISSING else _to_number(value)


def to_when(value: Any) -> datetime | None:
    if isinstance(value, bool) or value is None or value is _MISSING:
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        secs = value / 1000.0 if value > 1e11 else float(value)  # epoch ms or s
        try:
            return datetime.fromtimestamp(secs, UTC)
        except (OverflowError, OSError, ValueError):  # absurd epoch: this item has no usable date
            return None
    return parse_when(str(value))


class HTTPJSONFeed(HttpFeed):
    """Prices from any JSON endpoint, mapped by dotted paths (see the module docstring)."""

    name: ClassVar[str] = "http_json"
    description: ClassVar[str] = "A JSON endpoint mapped to prices by dotted paths"
    default_interval: ClassVar[float] = 3600.0
    min_interval: ClassVar[float] = 5.0

    def __init__(self, *, url: str, price_path: str, items_path: str = "", date_path: str = "", sku: str = "",
                 sku_path: str = "", sku_map: Mapping[str, str] | None = None, provider: str = "http_json",
                 provider_path: str = "", tier: str = "index", divisor: float = 1.0, scale: float = 1.0,
                 auth_header: str = "Authorization", auth_prefix: str = "Bearer ", **kw: Any) -> None:
        super().__init__(**kw)
        self.json_url, self.price_path, self.items_path, self.date_path = url, price_path, items_path, date_path
        self.sku, self.sku_path, self.sku_map = sku, sku_path, dict(sku_map or {})
        self.provider, self.provider_path, self.tier = provider, provider_path, tier
        self.divisor, self.scale = float(divisor), float(scale)
        self.auth_header, self.auth_prefix = auth_header, auth_prefix
        # a configured key variable that is unset disables the feed instead of calling unauthenticated
        self.needs_key = bool(self.api_key_env)

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("url", "price_path", "items_path", "date_path", "sku", "sku_path", "provider",
                    "provider_path", "tier", "auth_header", "auth_prefix"):
            if key in opts:
                v = opts.pop(key)
                if not isinstance(v, str):
                    raise ConfigError(key, "must be a string")
                out[key] = v
        for key in ("divisor", "scale"):
            if key in opts:
                v = opts.pop(key)
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                    raise ConfigError(key, "must be a positive number")
                out[key] = float(v)
        if "sku_map" in opts:
            m = opts.pop("sku_map")
            if not isinstance(m, Mapping) or not all(isinstance(v, str) for v in m.values()):
                raise ConfigError("sku_map", "must be a table of source name = dashboard SKU")
            out["sku_map"] = dict(m)
        if not out.get("url", "").startswith(("http://", "https://")):
            raise ConfigError("url", "is required and must start with http:// or https://")
        if not out.get("price_path"):
            raise ConfigError("price_path", "is required (dotted path to the price in each item)")
        if not out.get("sku") and not out.get("sku_path"):
            raise ConfigError("sku", "give `sku` or `sku_path`")
        if out.get("tier", "index") not in TIERS:
            raise ConfigError("tier", f"must be one of {', '.join(TIERS)}")
        return out

    def spec(self) -> Spec:
        return Spec(self.items_path, self.price_path, self.date_path, self.sku, self.sku_path,
                    tuple(self.sku_map.items()), self.provider, self.provider_path)

    def items(self, payload: Any) -> list[Any]:
        return items(payload, self.items_path)

    def transform(self, payload: Any, fetched: datetime) -> list[PriceQuote]:
        return self.quotes(extract(payload, self.spec(), fetched.timestamp()), fetched)

    def quotes(self, rows: list[Row], fetched: datetime) -> list[PriceQuote]:
        """PriceQuotes from the rows :func:`extract` kept."""
        src = self.source(self.json_url)
        out: list[PriceQuote] = []
        for ts, sku, provider, price in rows:
            raw_price = price * self.scale
            out.append(PriceQuote(
                as_of=fetched if ts is None else datetime.fromtimestamp(ts, UTC), fetched_at=fetched,
                source=src, sku=sku, tier=self.tier, provider=provider, price=raw_price / self.divisor,
                raw_price=raw_price, divisor=int(self.divisor) if self.divisor != 1 else None,
            ))
        return out

    async def poll(self) -> list[PriceQuote]:
        key = self.api_key
        headers = {self.auth_header: f"{self.auth_prefix}{key}"} if key else None
        body = await self.get_json_body(self.json_url, headers=headers)
        fetched = utcnow()
        args = (body, self.spec(), fetched.timestamp(), httpx.URL(self.json_url).host)
        rows: list[Row] | None
        if len(body) < PROCESS_MIN_BYTES:
            rows = parse_body(*args)
        else:  # a big answer: parsed and reduced in a worker process, the loop stays free
            del body
            rows = await worker.run(parse_body, *args)
            if rows is None:  # no process to be had: a thread (it shares the interpreter lock)
                rows = await asyncio.to_thread(parse_body, *args)
        quotes = self.quotes(rows, fetched)
        if not quotes:
            raise NoDataError("no priced items in the JSON answer")
        return quotes


def items(payload: Any, items_path: str) -> list[Any]:
    found = dig(payload, items_path)
    if found is _MISSING:
        raise FeedError(f"no {items_path!r} in the JSON answer")
    if isinstance(found, Mapping):
        return [found]
    if not isinstance(found, list):
        raise FeedError(f"{items_path or 'the answer'} is not a list of items")
    return found


def extract(payload: Any, spec: Spec, fetched: float) -> list[Row]:
    """The priced items of an answer as rows (as_of or None for the fetch time, SKU,
    provider, price before scale and divisor): the newest KEEP_PER_SERIES per SKU and
    provider and KEEP_TOTAL in all, oldest first. Held as it goes in bounded heaps:
    what a 760,000-item answer costs here is its parsed JSON, not a second copy."""
    sku_map = dict(spec.sku_map)
    kept = _Newest(fetched)
    for n, item in enumerate(items(payload, spec.items_path)):
        try:
            price = to_number(dig(item, spec.price_path))
        except NumberFormatError as exc:
            raise FeedError(f"item {n} {spec.price_path!r}: {exc}") from None
        if price is None or price <= 0:
            continue  # absent, never zero
        sku = spec.sku
        if spec.sku_path:
            raw = dig(item, spec.sku_path)
            sku = str(raw) if isinstance(raw, (str, int, float)) and raw is not _MISSING else ""
        if sku_map:
            sku = sku_map.get(sku, sku if sku in SKUS else "")
        if not sku:
            continue
        provider = spec.provider
        if spec.provider_path:
            raw = dig(item, spec.provider_path)
            provider = str(raw) if isinstance(raw, (str, int)) and raw is not _MISSING else provider
        when = to_when(dig(item, spec.date_path)) if spec.date_path else None
        if spec.date_path and when is None:
            continue
        kept.add(n, (when.timestamp() if when is not None else None, sku, provider, price))
    return kept.rows()


class _Newest:
    """The newest rows per (SKU, provider) and in all, in bounded heaps (at most
    2 × KEEP_TOTAL rows held at any time)."""

    def __init__(self, fetched: float) -> None:
        self.fetched = fetched
        self.heaps: dict[tuple[str, str], list[tuple[float, int, Row]]] = {}
        self.held = 0

    def add(self, n: int, row: Row) -> None:
        heap = self.heaps.setdefault((row[1], row[2]), [])
        entry = (self.fetched if row[0] is None else row[0], n, row)
        if len(heap) < KEEP_PER_SERIES:
            heapq.heappush(heap, entry)
            self.held += 1
            if self.held > 2 * KEEP_TOTAL:
                self._trim()
        elif entry > heap[0]:  # newer than the oldest kept of its series
            heapq.heapreplace(heap, entry)

    def _trim(self) -> None:
        entries = heapq.nlargest(KEEP_TOTAL, (e for h in self.heaps.values() for e in h))
        self.heaps = {}
        for e in entries:
            self.heaps.setdefault((e[2][1], e[2][2]), []).append(e)
        for h in self.heaps.values():
            heapq.heapify(h)
        self.held = len(entries)

    def rows(self) -> list[Row]:
        entries = [e for h in self.heaps.values() for e in h]
        if len(entries) > KEEP_TOTAL:
            entries = heapq.nlargest(KEEP_TOTAL, entries)
        return [e[2] for e in sorted(entries)]


def parse_body(body: bytes, spec: Spec, fetched: float, host: str) -> list[Row]:
    """JSON text to kept rows: in the worker process for a big answer (all it sends back
    is the rows), on the loop for a small one."""
    return extract(load_json(body, host), spec, fetched)
