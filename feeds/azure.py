"""Azure Retail Prices: the hyperscaler list price of a GPU-hour.

Why this feed: hyperscaler list prices are the ceiling of the market and the price
CoreWeave's customers would pay elsewhere; Azure publishes them through a public,
key-less API. An Azure VM is priced per *instance*, so each SKU is divided by its
GPU count (rule 1), and only the Linux on-demand meter is kept: rows whose
product is "Windows" and meters named "Spot" or "Low Priority" are dropped.

VM -> SKU (GPUs per VM):

* ``Standard_ND96isr_H100_v5``       -> "H100 SXM" (8)
* ``Standard_ND96isr_H200_v5``       -> "H200" (8)
* ``Standard_ND128isr_NDR_GB200_v6`` -> "GB200" (4, one tray)
* ``Standard_ND96amsr_A100_v4``      -> "A100 80GB" (8)

The answer is paged: ``NextPageLink`` is followed (at most ``max_pages``); its
path and query are re-based on ``base_url`` so a mirror or a test server works.

TOML::

    [feeds.azure]
    region = "eastus"
    interval = 3600
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import httpx

from engine.observations import PriceQuote

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .http import HttpFeed

#: armSkuName -> (dashboard SKU, GPUs per VM)
VM_SKUS: dict[str, tuple[str, int]] = {
    "Standard_ND96isr_H100_v5": ("H100 SXM", 8),
    "Standard_ND96isr_H200_v5": ("H200", 8),
    "Standard_ND128isr_NDR_GB200_v6": ("GB200", 4),
    "Standard_ND96amsr_A100_v4": ("A100 80GB", 8),
}


def build_filter(region: str, vm_skus: Iterable[str]) -> str:
    skus = " or ".join(f"armSkuName eq '{s}'" for s in vm_skus)
    return (f"serviceName eq 'Virtual Machines' and armRegionName eq '{region}' "
            f"and priceType eq 'Consumption' and ({skus})")


def is_linux_on_demand(item: Mapping[str, Any]) -> bool:
    text = " ".join(str(item.get(k, "")) for k in ("productName", "meterName", "skuName")).lower()
    if "windows" in text or "spot" in text or "low priority" in text:
        return False
    if item.get("type", "Consumption") != "Consumption":
        return False
    unit = str(item.get("unitOfMeasure", "1 Hour"))
    return unit == "1 Hour"


def pick_prices(items: Iterable[Any], region: str | None = None) -> dict[str, tuple[float, int, Mapping[str, Any]]]:
    """armSkuName -> (instance $/h, GPUs, row) for the Linux on-demand row of each VM."""
    best: dict[str, tuple[float, int, Mapping[str, Any]]] = {}
    for it in items:
        if not isinstance(it, Mapping):
            continue
        arm = it.get("armSkuName")
        if arm not in VM_SKUS or not is_linux_on_demand(it):
            continue
        if region and it.get("armRegionName") not in (None, region):
            continue
        price = it.get("retailPrice")
        if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price) or price <= 0:
            continue
        if it.get("currencyCode", "USD") != "USD":
            continue
        prev = best.get(arm)
        # several rows for one VM: the newest effective price wins
        if prev is None or str(it.get("effectiveStartDate", "")) >= str(prev[2].get("effectiveStartDate", "")):
            best[arm] = (float(price), VM_SKUS[arm][1], it)
    return best


class AzureFeed(HttpFeed):
    """Azure on-demand Linux price per GPU for the ND-series GPU VMs."""

    name: ClassVar[str] = "azure"
    description: ClassVar[str] = "Azure Retail Prices API: ND-series on-demand Linux, per GPU"
    default_interval: ClassVar[float] = 3600.0
    min_interval: ClassVar[float] = 300.0
    default_base_url: ClassVar[str] = "https://prices.azure.com"
    path: ClassVar[str] = "/api/retail/prices"
    api_version: ClassVar[str] = "2023-01-01-preview"

    def __init__(self, *, region: str = "eastus", max_pages: int = 20, **kw: Any) -> None:
        super().__init__(**kw)
        self.region = region
        self.max_pages = max_pages

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "region" in opts:
            r = opts.pop("region")
            if not isinstance(r, str) or not r.replace("-", "").isalnum():
                raise ConfigError("region", "must be an Azure region name like 'eastus'")
            out["region"] = r
        if "max_pages" in opts:
            m = opts.pop("max_pages")
            if isinstance(m, bool) or not isinstance(m, int) or m < 1:
                raise ConfigError("max_pages", "must be a positive integer")
            out["max_pages"] = m
        return out

    def _rebase(self, link: str) -> str:
        """Keep NextPageLink's path and query, on our own base URL."""
        u = httpx.URL(link)
        return self.url(u.raw_path.decode("ascii"))

    async def fetch_items(self) -> list[Any]:
        params: dict[str, str] | None = {"api-version": self.api_version,
                                         "$filter": build_filter(self.region, VM_SKUS)}
        url = self.path
        items: list[Any] = []
        for _ in range(self.max_pages):
            page = await self.get_json(url, params=params)
            if not isinstance(page, Mapping) or not isinstance(page.get("Items"), list):
                raise FeedError("unexpected answer from Azure (no 'Items' list)")
            items.extend(page["Items"])
            link = page.get("NextPageLink")
            if not link or not isinstance(link, str):
                break
            url, params = self._rebase(link), None
        return items

    async def poll(self) -> list[PriceQuote]:
        items = await self.fetch_items()
        now = utcnow()
        src = self.source(self.path)
        quotes = []
        for arm, (price, gpus, _row) in sorted(pick_prices(items, self.region).items()):
            quotes.append(PriceQuote(
                as_of=now, fetched_at=now, source=f"{src} ({arm}, {self.region})", sku=VM_SKUS[arm][0],
                tier="hyperscaler_list", provider="azure", price=round(price / gpus, 4), raw_price=price, divisor=gpus,
            ))
        if not quotes:
            raise NoDataError(f"no Linux on-demand ND-series price in {self.region}")
        return quotes
