"""Vast.ai marketplace: the spot-like floor of GPU rents.

Why this feed: Vast.ai offers are the most liquid public signal of what a GPU-hour
sells for when nobody signs a contract, so they move first when capacity is in
surplus. We ask the public (key-less) bundles search once per GPU model and report
the **median** per-GPU price of rentable offers with the offer count and the
interquartile range -- never the minimum, because the cheapest listing is often a
broken host (data-sources.md, rule 5). Single-offer outliers (a $40 A100, $0.02
V100s) move a median very little and are dropped first if outside the sanity band.

Model mapping (Vast ``gpu_name`` -> dashboard SKU), variants kept apart (rule 3):

* ``H100 SXM`` -> "H100 SXM"   (``H100 PCIE`` and ``H100 NVL`` are other products: ignored)
* ``H200``     -> "H200"       (``H200 NVL`` ignored)
* ``B200``     -> "B200"
* ``A100 SXM4`` with >= 79 GB of GPU memory -> "A100 80GB". The 40 GB SXM4 and every
  ``A100 PCIE`` offer are left out: the dashboard's A100 row is the 80 GB SXM part
  that neoclouds and hyperscalers (p4de, ND A100 v4) rent, and a PCIe card is a
  cheaper, slower product. Vast reports ``gpu_ram`` in MB, so 80 GB cards show ~81920.

There is no GB200 on Vast.

TOML::

    [feeds.vastai]
    interval = 120            # >= 60 s: Vast answers bursts with HTTP 429
    verified_only = false     # true: only hosts Vast has verified
    skus = ["H100 SXM", "H200"]   # default: all four
"""

from __future__ import annotations

import math
import statistics
from typing import Any, ClassVar, Iterable, Mapping, Sequence

from engine.observations import PRICE_BAND, PriceQuote

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .http import HttpFeed

#: dashboard SKU -> (Vast gpu_name values, minimum gpu_ram in MB or 0)
SKU_QUERIES: dict[str, tuple[tuple[str, ...], int]] = {
    "H100 SXM": (("H100 SXM",), 0),
    "H200": (("H200",), 0),
    "B200": (("B200",), 0),
    "A100 80GB": (("A100 SXM4",), 79_000),
}


def build_query(gpu_names: Sequence[str], verified_only: bool = False, limit: int = 1000) -> dict[str, Any]:
    """The bundles search body: rentable, not rented, on-demand offers of these GPUs."""
    q: dict[str, Any] = {
        "rentable": {"eq": True},
        "rented": {"eq": False},
        "type": "on-demand",
        "limit": limit,
    }
    q["gpu_name"] = {"eq": gpu_names[0]} if len(gpu_names) == 1 else {"in": list(gpu_names)}
    if verified_only:
        q["verified"] = {"eq": True}
    return q


def per_gpu_prices(offers: Iterable[Mapping[str, Any]], gpu_names: Sequence[str], min_ram_mb: int = 0,
                   verified_only: bool = False) -> list[float]:
    """Per-GPU $/h of each usable offer; drops unrentable, rented and malformed ones."""
    out: list[float] = []
    for o in offers:
        if not isinstance(o, Mapping) or o.get("gpu_name") not in gpu_names:
            continue
        if o.get("rentable") is False or o.get("rented") is True:
            continue
        if verified_only and o.get("verification") not in (None, "verified"):
            continue
        ram = o.get("gpu_ram")
        if min_ram_mb and not (isinstance(ram, (int, float)) and ram >= min_ram_mb):
            continue
        dph, n = o.get("dph_total"), o.get("num_gpus")
        if isinstance(dph, bool) or isinstance(n, bool):
            continue
        if not isinstance(dph, (int, float)) or not isinstance(n, (int, float)) or n <= 0:
            continue
        price = float(dph) / float(n)
        if math.isfinite(price) and PRICE_BAND[0] <= price <= PRICE_BAND[1]:
            out.append(price)
    return out


def summarise(prices: Sequence[float]) -> tuple[float, float, float] | None:
    """(median, p25, p75) of the offers, or None without offers."""
    if not prices:
        return None
    xs = sorted(prices)
    med = statistics.median(xs)
    if len(xs) == 1:
        return med, xs[0], xs[0]
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return med, q1, q3


class VastAIFeed(HttpFeed):
    """Median rentable Vast.ai offer per GPU model (tier ``marketplace``)."""

    name: ClassVar[str] = "vastai"
    description: ClassVar[str] = "Vast.ai marketplace: median of rentable offers per GPU"
    default_interval: ClassVar[float] = 120.0
    min_interval: ClassVar[float] = 60.0
    default_base_url: ClassVar[str] = "https://console.vast.ai"
    path: ClassVar[str] = "/api/v0/bundles/"

    def __init__(self, *, skus: Sequence[str] | None = None, verified_only: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.skus = list(skus) if skus else list(SKU_QUERIES)
        self.verified_only = verified_only

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "skus" in opts:
            skus = opts.pop("skus")
            if not isinstance(skus, list) or not skus or any(s not in SKU_QUERIES for s in skus):
                raise ConfigError("skus", f"must be a list drawn from {sorted(SKU_QUERIES)}")
            out["skus"] = skus
        if "verified_only" in opts:
            v = opts.pop("verified_only")
            if not isinstance(v, bool):
                raise ConfigError("verified_only", "must be true or false")
            out["verified_only"] = v
        return out

    async def poll(self) -> list[PriceQuote]:
        quotes: list[PriceQuote] = []
        for sku in self.skus:
            names, min_ram = SKU_QUERIES[sku]
            body = await self.get_json(self.path, method="POST", json=build_query(names, self.verified_only))
            offers = body.get("offers") if isinstance(body, Mapping) else None
            if not isinstance(offers, list):
                raise FeedError("unexpected answer from Vast.ai (no 'offers' list)")
            q = self.transform(sku, offers, names, min_ram)
            if q is not None:
                quotes.append(q)
        if not quotes:
            raise NoDataError("no rentable offers for the configured GPUs")
        return quotes

    def transform(self, sku: str, offers: Iterable[Mapping[str, Any]], names: Sequence[str],
                  min_ram: int = 0) -> PriceQuote | None:
        prices = per_gpu_prices(offers, names, min_ram, self.verified_only)
        s = summarise(prices)
        if s is None:
            return None
        now = utcnow()
        med, p25, p75 = s
        return PriceQuote(
            as_of=now, fetched_at=now, source=self.source(self.path), sku=sku, tier="marketplace",
            provider="vast.ai", price=round(med, 4), n_offers=len(prices), p25=round(p25, 4), p75=round(p75, 4),
        )
