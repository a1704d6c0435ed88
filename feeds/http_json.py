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

import math
from datetime import datetime, timezone
from typing import Any, ClassVar, Mapping

from engine.observations import SKUS, TIERS, PriceQuote

from .numbers import NumberFormatError
from .numbers import to_number as _to_number
from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .csv_feed import parse_when
from .http import HttpFeed

_MISSING = object()


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
            return datetime.fromtimestamp(secs, timezone.utc)
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

    def items(self, payload: Any) -> list[Any]:
        found = dig(payload, self.items_path)
        if found is _MISSING:
            raise FeedError(f"no {self.items_path!r} in the JSON answer")
        if isinstance(found, Mapping):
            return [found]
        if not isinstance(found, list):
            raise FeedError(f"{self.items_path or 'the answer'} is not a list of items")
        return found

    def transform(self, payload: Any, fetched: datetime) -> list[PriceQuote]:
        src = self.source(self.json_url)
        out: list[PriceQuote] = []
        for n, item in enumerate(self.items(payload)):
            try:
                price = to_number(dig(item, self.price_path))
            except NumberFormatError as exc:
                raise FeedError(f"item {n} {self.price_path!r}: {exc}") from None
            if price is None or price <= 0:
                continue  # absent, never zero
            sku = self.sku
            if self.sku_path:
                raw = dig(item, self.sku_path)
                sku = str(raw) if isinstance(raw, (str, int, float)) and raw is not _MISSING else ""
            if self.sku_map:
                sku = self.sku_map.get(sku, sku if sku in SKUS else "")
            if not sku:
                continue
            provider = self.provider
            if self.provider_path:
                raw = dig(item, self.provider_path)
                provider = str(raw) if isinstance(raw, (str, int)) and raw is not _MISSING else provider
            when = to_when(dig(item, self.date_path)) if self.date_path else fetched
            if when is None:
                continue
            raw_price = price * self.scale
            out.append(PriceQuote(
                as_of=when, fetched_at=fetched, source=src, sku=sku, tier=self.tier, provider=provider,
                price=raw_price / self.divisor, raw_price=raw_price, divisor=int(self.divisor) if self.divisor != 1 else None,
            ))
        return out

    async def poll(self) -> list[PriceQuote]:
        key = self.api_key
        headers = {self.auth_header: f"{self.auth_prefix}{key}"} if key else None
        payload = await self.get_json(self.json_url, headers=headers)
        quotes = self.transform(payload, utcnow())
        if not quotes:
            raise NoDataError("no priced items in the JSON answer")
        return quotes
