"""RunPod list prices: a neocloud's posted on-demand rate per GPU.

Why this feed: RunPod publishes per-GPU prices through its GraphQL API without a
key, and list prices of neoclouds are the band CoreWeave's own contracts are
compared against. Prices are already per GPU (no divisor). A price of ``0`` or
``null`` means *not offered*: the SKU is absent, never a zero price (rule 6).

Choices (documented here because they change what the board shows):

* ``securePrice`` (RunPod's datacenter "Secure Cloud") is reported as provider
  ``runpod`` -- the comparable of a neocloud list price.
* ``communityPrice`` (hosts run by third parties, closer to a marketplace) is
  reported as provider ``runpod-community`` only when ``community = true``;
  it is off by default so one company does not get two votes in the
  neocloud median.
* Models are matched on RunPod's ``id`` (stable) and kept apart by variant: the
  40 GB A100 and PCIe/NVL H100s are not mapped.

A key is optional (``$RUNPOD_API_KEY``, sent as a Bearer token when set).

TOML::

    [feeds.runpod]
    interval = 1800        # >= 900 s: list prices
    community = false
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from engine.observations import PriceQuote

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .http import HttpFeed

GPU_TYPES_QUERY = "query { gpuTypes { id displayName memoryInGb securePrice communityPrice } }"

#: RunPod gpuType id -> dashboard SKU
ID_TO_SKU: dict[str, str] = {
    "NVIDIA H100 80GB HBM3": "H100 SXM",
    "NVIDIA H200": "H200",
    "NVIDIA B200": "B200",
    "NVIDIA A100-SXM4-80GB": "A100 80GB",
}


def _price(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) and v > 0 else None


def extract_prices(payload: Any, community: bool = False) -> list[tuple[str, str, float]]:
    """(sku, provider, $/GPU-h) from a gpuTypes answer; raises FeedError on a bad shape."""
    if not isinstance(payload, Mapping):
        raise FeedError("unexpected answer from RunPod (not an object)")
    errors = payload.get("errors")
    if errors and not payload.get("data"):
        first = errors[0] if isinstance(errors, list) and errors else errors
        msg = first.get("message", "") if isinstance(first, Mapping) else str(first)
        raise FeedError(f"RunPod GraphQL error: {str(msg)[:120]}")
    data = payload.get("data")
    types = data.get("gpuTypes") if isinstance(data, Mapping) else None
    if not isinstance(types, list):
        raise FeedError("unexpected answer from RunPod (no data.gpuTypes list)")
    out: list[tuple[str, str, float]] = []
    for t in types:
        if not isinstance(t, Mapping):
            continue
        sku = ID_TO_SKU.get(str(t.get("id", "")))
        if sku is None:
            continue
        secure = _price(t.get("securePrice"))
        if secure is not None:
            out.append((sku, "runpod", secure))
        if community:
            comm = _price(t.get("communityPrice"))
            if comm is not None:
                out.append((sku, "runpod-community", comm))
    return out


def non_finite_prices(payload: Any, community: bool = False) -> int:
    """How many prices of the tracked GPUs are NaN or infinite (``payload`` already checked)."""
    keys = ("securePrice", "communityPrice") if community else ("securePrice",)
    types = payload["data"]["gpuTypes"]
    return sum(1 for t in types if isinstance(t, Mapping) and str(t.get("id", "")) in ID_TO_SKU
               for k in keys if isinstance(t.get(k), float) and not math.isfinite(t[k]))


class RunPodFeed(HttpFeed):
    """RunPod Secure Cloud (and optionally Community Cloud) per-GPU list prices."""

    name: ClassVar[str] = "runpod"
    description: ClassVar[str] = "RunPod GraphQL gpuTypes: per-GPU list prices"
    default_interval: ClassVar[float] = 1800.0
    min_interval: ClassVar[float] = 900.0
    default_base_url: ClassVar[str] = "https://api.runpod.io"
    api_key_env_default: ClassVar[str | None] = "RUNPOD_API_KEY"
    path: ClassVar[str] = "/graphql"

    def __init__(self, *, community: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.community = community

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        if "community" not in opts:
            return {}
        v = opts.pop("community")
        if not isinstance(v, bool):
            raise ConfigError("community", "must be true or false")
        return {"community": v}

    async def poll(self) -> list[PriceQuote]:
        key = self.api_key
        headers = {"Authorization": f"Bearer {key}"} if key else None
        payload = await self.get_json(self.path, method="POST", json={"query": GPU_TYPES_QUERY}, headers=headers)
        now = utcnow()
        src = self.source(self.path)
        quotes = [
            PriceQuote(as_of=now, fetched_at=now, source=src, sku=sku, tier="neocloud_list", provider=prov,
                       price=price, raw_price=price, divisor=1)
            for sku, prov, price in extract_prices(payload, self.community)
        ]
        if not quotes:
            bad = non_finite_prices(payload, self.community)
            if bad:  # a bad answer, not "not offered" (like Vast's unusable prices)
                raise FeedError(f"RunPod sent {bad} NaN or infinite price{'s' if bad != 1 else ''} "
                                "for the tracked GPUs")
            raise NoDataError("RunPod lists none of the tracked GPUs")
        return quotes
