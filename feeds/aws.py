"""AWS EC2 on-demand list prices of GPU instances, from the pricing page's JSON.

Why this feed: AWS is the largest hyperscaler and its P-instance list prices set
the top of the market (the June 2025 p5 cut of ~44% was a market event). The
public pricing page loads an undocumented JSON per region and OS; it needs no key
but its shape is not promised, so the parser does not rely on the nesting: it
walks the document and takes every object that has an ``"Instance Type"`` and a
``"price"`` (a string, dollars per *instance*-hour), keeping Linux, shared
tenancy, no pre-installed software when those fields are present.

Instance -> SKU (GPUs per instance):

* ``p5.48xlarge``      -> "H100 SXM" (8)
* ``p5e.48xlarge``     -> "H200" (8)
* ``p6-b200.48xlarge`` -> "B200" (8)
* ``p4de.24xlarge``    -> "A100 80GB" (8)   (p4d is the 40 GB A100: not mapped)

TOML::

    [feeds.aws]
    region = "US East (N. Virginia)"   # the page's region label
    interval = 3600
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from engine.observations import PriceQuote

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .http import HttpFeed

#: instance type -> (dashboard SKU, GPUs per instance)
INSTANCES: dict[str, tuple[str, int]] = {
    "p5.48xlarge": ("H100 SXM", 8),
    "p5e.48xlarge": ("H200", 8),
    "p6-b200.48xlarge": ("B200", 8),
    "p4de.24xlarge": ("A100 80GB", 8),
}

_WANT = {"Operating System": "Linux", "Tenancy": "Shared", "Pre Installed S/W": "NA"}


def iter_rows(doc: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
    """Every object carrying an ``Instance Type`` and a ``price``, wherever it sits."""
    if depth > 8:
        return
    if isinstance(doc, Mapping):
        if "Instance Type" in doc and "price" in doc:
            yield doc
            return
        for v in doc.values():
            yield from iter_rows(v, depth + 1)
    elif isinstance(doc, list):
        for v in doc:
            yield from iter_rows(v, depth + 1)


def _to_price(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        v = float(str(value).replace("$", "").replace(",", "").strip())
    except ValueError:
        return None
    return v if math.isfinite(v) and v > 0 else None


def extract(doc: Any) -> dict[str, float]:
    """instance type -> Linux on-demand $/instance-hour for the mapped instances."""
    out: dict[str, float] = {}
    for row in iter_rows(doc):
        itype = row.get("Instance Type")
        if itype not in INSTANCES:
            continue
        if any(k in row and str(row[k]) != v for k, v in _WANT.items()):
            continue
        price = _to_price(row.get("price"))
        if price is not None:
            out[itype] = min(price, out.get(itype, math.inf))
    return out


class AWSFeed(HttpFeed):
    """AWS P-instance on-demand Linux price per GPU (tier ``hyperscaler_list``)."""

    name: ClassVar[str] = "aws"
    description: ClassVar[str] = "AWS pricing-page JSON: P-instance on-demand Linux, per GPU"
    default_interval: ClassVar[float] = 3600.0
    min_interval: ClassVar[float] = 300.0
    default_base_url: ClassVar[str] = "https://b0.p.awsstatic.com"
    path_template: ClassVar[str] = (
        "/pricing/2.0/meteredUnitMaps/ec2/USD/current/ec2-ondemand-without-sec-sel/{region}/Linux/index.json"
    )

    def __init__(self, *, region: str = "US East (N. Virginia)", **kw: Any) -> None:
        super().__init__(**kw)
        self.region = region
        self.path = self.path_template.format(region=quote(region, safe="()"))

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        if "region" not in opts:
            return {}
        r = opts.pop("region")
        if not isinstance(r, str) or not r.strip() or "/" in r:
            raise ConfigError("region", "must be the pricing page's region label, e.g. 'US East (N. Virginia)'")
        return {"region": r}

    async def poll(self) -> list[PriceQuote]:
        doc = await self.get_json(self.path)
        if not isinstance(doc, (Mapping, list)):
            raise FeedError("unexpected answer from AWS pricing (not a JSON document)")
        prices = extract(doc)
        now = utcnow()
        src = self.source(self.path)
        quotes = []
        for itype, price in sorted(prices.items()):
            sku, gpus = INSTANCES[itype]
            quotes.append(PriceQuote(
                as_of=now, fetched_at=now, source=f"{src} ({itype})", sku=sku, tier="hyperscaler_list",
                provider="aws", price=round(price / gpus, 4), raw_price=price, divisor=gpus,
            ))
        if not quotes:
            raise NoDataError(f"no P-instance Linux on-demand price for {self.region}")
        return quotes
