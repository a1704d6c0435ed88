"""Vast.ai marketplace: the spot-like floor of GPU rents, priced the way the CRI index does.

Why this feed: Vast.ai offers are the most liquid public signal of what a GPU-hour
sells for when nobody signs a contract, so they move first when capacity is in
surplus. We ask the public (key-less) bundles search once per GPU model and report
the **median** per-GPU price with the offer count and the interquartile range --
never the minimum, because the cheapest listing is often a broken host
(data-sources.md, rule 5).

Two methods, named in every quote's source text:

* ``method = "cri"`` (default) reproduces the published CRI-H100 daily filter
  (CCIR methodology v1.1.0): keep an offer only if it is not rented, its
  ``geolocation`` ends with ", US", ``reliability2`` >= 0.90, ``num_gpus`` >= 1 and it
  was listed (``start_date``) within 7 days of the collection time; price per offer
  ``round(dph_total / num_gpus, 6)`` if > 0. Fewer than 10 offers -> "low confidence".
  On the archive of 2026-03-05 this gives the CRI's 2.0008 for H100 SXM, where the
  global median of every offer is 13-17 % lower (Taiwan, India, unreliable hosts).
* ``method = "all"``: the global median of every rentable offer in the sanity band.

Whatever the method, the CRI-filtered offers of each UTC day are pooled per SKU
(:class:`feeds.cri_index.DayPool`, optionally persisted at ``state_path``) and, for
H100 SXM, H200 and the A100s, an extra tier-"index" quote carries our own index, named as
what it is: "gpurisk H100 rolling 7d (CRI method v1.1.0)", a trailing 7-day window ending on
the poll's day, recomputed every poll. The published CRI-H100 (a CSV feed) is a different
figure: published weekly over a window that ends before its publication date; the two
are never one window.

Model mapping (Vast ``gpu_name`` -> dashboard SKU), variants kept apart (rule 3):
``H100 SXM`` -> "H100 SXM" (PCIE, NVL ignored); ``H200`` -> "H200" (NVL ignored);
``B200`` -> "B200"; ``A100 SXM4`` >= 79 GB -> "A100 80GB"; ``A100 PCIE`` >= 79 GB ->
"A100 PCIe 80GB" (its own row: a PCIe card is a cheaper, slower product, never mixed
into the SXM row). Vast reports ``gpu_ram`` in MB (80 GB cards show ~81920). No GB200.

TOML::

    [feeds.vastai]
    interval = 120            # >= 60 s: Vast answers bursts with HTTP 429
    method = "cri"            # or "all" (global median of every rentable offer)
    verified_only = false     # true: only hosts Vast has verified (daily quote only)
    state_path = "~/.local/state/gpurisk/vast-cri.json"   # keeps the index pool across restarts
    skus = ["H100 SXM", "H200"]   # default: all of them
    api_key_env = "VAST_API_KEY"  # optional (the default name): sent as a Bearer token, masked everywhere

Paging: the search answers at most 64 offers. Each SKU is asked in ascending offer id,
64 a page, the next page for ids above the last seen, until a short page; a SKU with more
than 16 full pages (or a server that ignores the id filter) is read in part, and its
quote's source says "partial" with how many offers were read.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from engine.observations import PRICE_BAND, PriceQuote

from .base import ConfigError, FeedContext, FeedError, NoDataError, utcnow
from .cri_index import METHOD_VERSION, DayPool, count_text, cri_filter, daily_figure, weekly_index
from .http import HttpFeed

#: dashboard SKU -> (Vast gpu_name values, minimum gpu_ram in MB or 0)
SKU_QUERIES: dict[str, tuple[tuple[str, ...], int]] = {
    "H100 SXM": (("H100 SXM",), 0),
    "H200": (("H200",), 0),
    "B200": (("B200",), 0),
    "A100 80GB": (("A100 SXM4",), 79_000),
    "A100 PCIe 80GB": (("A100 PCIE",), 79_000),
}
#: SKUs that get our own weekly CRI-method index, and the name it is shown under.
INDEX_NAMES: dict[str, str] = {"H100 SXM": "H100", "H200": "H200", "A100 80GB": "A100",
                               "A100 PCIe 80GB": "A100 PCIe"}
METHODS = ("cri", "all")


def own_index_name(sku: str) -> str:
    """Our index as what it is: a rolling 7-day window, by the CRI method of this version."""
    return f"gpurisk {INDEX_NAMES[sku]} rolling 7d (CRI method v{METHOD_VERSION})"

CRI_LABEL = f"vast.ai CRI method v{METHOD_VERSION}"
ALL_LABEL = "vast.ai all-offers method (global median of every rentable offer)"


PAGE_SIZE = 64  # the most offers the bundles search returns per answer
MAX_PAGES = 16  # a SKU with more offers than this many pages is read in part, and says so


def build_query(gpu_names: Sequence[str], verified_only: bool = False, limit: int = PAGE_SIZE,
                after_id: int | None = None) -> dict[str, Any]:
    """The bundles search body: rentable, not rented, on-demand offers of these GPUs, in
    ascending offer id (an explicit order, so pages neither repeat nor skip offers); the
    next page asks for ids above the last one seen (keyset paging)."""
    q: dict[str, Any] = {"rentable": {"eq": True}, "rented": {"eq": False}, "type": "on-demand", "limit": limit,
                         "order": [["id", "asc"]]}
    q["gpu_name"] = {"eq": gpu_names[0]} if len(gpu_names) == 1 else {"in": list(gpu_names)}
    if verified_only:
        q["verified"] = {"eq": True}
    if after_id is not None:
        q["id"] = {"gt": after_id}
    return q


def _offer_id(o: Any) -> int | None:
    i = o.get("id") if isinstance(o, Mapping) else None
    return i if isinstance(i, int) and not isinstance(i, bool) else None


def per_gpu_prices(offers: Iterable[Mapping[str, Any]], gpu_names: Sequence[str], min_ram_mb: int = 0,
                   verified_only: bool = False) -> list[float]:
    """The "all" method: per-GPU $/h of every usable offer in the sanity band, anywhere."""
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


def _price_usable(o: Mapping[str, Any]) -> bool:
    dph, n = o.get("dph_total"), o.get("num_gpus")
    if isinstance(dph, bool) or isinstance(n, bool) or not isinstance(dph, (int, float)) \
            or not isinstance(n, (int, float)) or not n > 0:
        return False
    price = float(dph) / float(n)
    return math.isfinite(price) and price > 0


def unusable_prices(offers: Iterable[Any], gpu_names: Sequence[str]) -> tuple[int, int]:
    """(offers of these models, how many of them have no usable price: NaN, infinite, missing,
    zero or negative ``dph_total``, or no GPUs). "Offers with unusable prices" is a bad answer,
    not "no offers"."""
    mine = [o for o in offers if isinstance(o, Mapping) and o.get("gpu_name") in gpu_names]
    return len(mine), sum(1 for o in mine if not _price_usable(o))


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
    """Median Vast.ai offer per GPU model (tier ``marketplace``), plus our CRI index (tier ``index``)."""

    name: ClassVar[str] = "vastai"
    description: ClassVar[str] = "Vast.ai marketplace: median offer per GPU, and a 7-day CRI-method index"
    default_interval: ClassVar[float] = 120.0
    min_interval: ClassVar[float] = 60.0
    default_base_url: ClassVar[str] = "https://console.vast.ai"
    path: ClassVar[str] = "/api/v0/bundles/"
    #: Optional: the search is key-less, but a key (sent as a Bearer token) gets the account's limits.
    api_key_env_default: ClassVar[str | None] = "VAST_API_KEY"

    def __init__(self, *, skus: Sequence[str] | None = None, verified_only: bool = False, method: str = "cri",
                 state_path: str | Path | None = None, clock: Callable[[], datetime] | None = None,
                 **kw: Any) -> None:
        super().__init__(**kw)
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.skus = list(skus) if skus else list(SKU_QUERIES)
        self.verified_only = verified_only
        self.method = method
        self.clock = clock or utcnow
        self.pool = DayPool(state_path)
        self.empty: list[str] = []  # SKUs without a single offer left after filtering, last poll
        self.empty_why: dict[str, str] = {}  # sku -> "no offers" / "12 offers with unusable prices" / filtered
        self.max_pages = MAX_PAGES
        self.partial: dict[str, str] = {}  # sku -> why its offers were read in part, last poll

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
        if "method" in opts:
            m = opts.pop("method")
            if m not in METHODS:
                raise ConfigError("method", f'must be "cri" (the CRI-H100 filter) or "all" (every offer), got {m!r}')
            out["method"] = m
        if "state_path" in opts:
            p = opts.pop("state_path")
            if not isinstance(p, str) or not p.strip():
                raise ConfigError("state_path", "must be a file path")
            out["state_path"] = Path(p).expanduser()
        return out

    def describe(self) -> str:
        label = CRI_LABEL if self.method == "cri" else ALL_LABEL
        text = f"{self.description}; daily figure by the {label}"
        unusable = [f"{self.empty_why[s]} for {s}" for s in self.empty if "unusable" in self.empty_why.get(s, "")]
        empty = [s for s in self.empty if "unusable" not in self.empty_why.get(s, "")]
        if unusable:
            text += "; " + "; ".join(unusable)
        if empty and len(empty) == len(self.skus):
            text += "; no offers left after filtering for any GPU"
        elif empty:
            text += f"; no offers for {', '.join(empty)}"
        if self.pool.error:
            text += f"; {self.pool.error}"
        return text

    async def poll(self) -> list[PriceQuote]:
        now = self.clock().astimezone(UTC)  # days are UTC days
        quotes: list[PriceQuote] = []
        self.empty, self.empty_why = [], {}
        try:
            self.partial = {}
            for sku in self.skus:
                names, min_ram = SKU_QUERIES[sku]
                offers = await self.offers(sku, names)
                filtered = cri_filter(offers, names, min_ram, now)  # the index pool and the day's figure
                self.pool.record(sku, now.date(), filtered[0])
                q = self.transform(sku, offers, names, min_ram, now, filtered)
                if q is None:
                    self.empty.append(sku)
                    returned, bad = unusable_prices(offers, names)
                    self.empty_why[sku] = ("no offers" if not returned else
                                           f"{bad} offer{'s' if bad != 1 else ''} with unusable prices (NaN, "
                                           "infinite or not positive)" if bad == returned else "filtered")
                else:
                    quotes.append(q)
        finally:
            self.pool.save()
        quotes.extend(q for q in (self.index_quote(sku, now) for sku in self.skus) if q is not None)
        if not quotes:
            raise self._why_none()
        return quotes

    async def offers(self, sku: str, names: Sequence[str]) -> list[Any]:
        """Every offer of one SKU, page by page (ascending id, ``PAGE_SIZE`` a page). Stops at
        a short page; after ``max_pages`` full pages, or when the server ignores the id filter
        (a page repeats ids), the SKU is marked partial (:attr:`partial`, in its source)."""
        key = self.api_key
        headers = {"Authorization": f"Bearer {key}"} if key else None
        out: list[Any] = []
        after: int | None = None
        for page in range(self.max_pages):
            body = await self.get_json(self.path, method="POST", json=build_query(names, self.verified_only,
                                                                                  PAGE_SIZE, after), headers=headers)
            got = body.get("offers") if isinstance(body, Mapping) else None
            if not isinstance(got, list):
                raise FeedError("unexpected answer from Vast.ai (no 'offers' list)")
            ids = [i for i in map(_offer_id, got) if i is not None]
            if after is not None and any(i <= after for i in ids):
                self.partial[sku] = f"partial: the server ignored paging after {len(out)} offers"
                return out
            out.extend(got)
            if len(got) < PAGE_SIZE:
                return out
            if len(ids) < len(got):  # offers without an id cannot be paged past
                self.partial[sku] = f"partial: offers without ids, first {len(out)} read"
                return out
            after = max(ids)
            if page == self.max_pages - 1:
                self.partial[sku] = f"partial: first {len(out)} offers ({self.max_pages} pages of {PAGE_SIZE})"
        return out

    def _why_none(self) -> FeedError:
        """Why no SKU got a quote: no offers at all, offers whose prices are unusable (a bad
        answer: ERROR), or offers the filter dropped (NO DATA)."""
        what = "the CRI filter (US, reliability >= 0.90, listed within 7 days)" if self.method == "cri" else \
            "filtering"
        groups: dict[str, list[str]] = {}
        for sku in self.skus:
            groups.setdefault(self.empty_why.get(sku, "filtered"), []).append(sku)
        if set(groups) == {"filtered"}:
            return NoDataError(f"Vast.ai lists no offers after {what} for {', '.join(self.skus)}")
        parts = [(f"no offers after {what}" if why == "filtered" else why) + f" for {', '.join(skus)}"
                 for why, skus in groups.items()]
        bad = [w for w in groups if "unusable" in w]
        if bad and all("unusable" in w or w == "no offers" for w in groups):
            return FeedError("Vast.ai sent " + "; ".join(parts))
        return NoDataError("Vast.ai: " + "; ".join(parts))

    def transform(self, sku: str, offers: Sequence[Mapping[str, Any]], names: Sequence[str],
                  min_ram: int = 0, now: datetime | None = None, filtered: Any = None) -> PriceQuote | None:
        """The day's marketplace quote for one SKU by the feed's method; None without offers.
        ``filtered``: the plain CRI filter's (kept, counts) when the caller already ran it."""
        now = now or self.clock().astimezone(UTC)
        src = self.source(self.path)
        if self.method == "all":
            prices = per_gpu_prices(offers, names, min_ram, self.verified_only)
            s = summarise(prices)
            if s is None:
                return None
            med, p25, p75 = s
            n, source = len(prices), f"{src} -- {ALL_LABEL}, n={len(prices)}"
        else:
            kept, counts = filtered if filtered is not None and not self.verified_only else \
                cri_filter(offers, names, min_ram, now, self.verified_only)
            fig = daily_figure(list(kept.values()))
            if fig is None:
                return None
            med, p25, p75, n = fig.median, fig.p25, fig.p75, fig.n
            low = " (low confidence: n<10)" if fig.low_confidence else ""
            source = f"{src} -- {CRI_LABEL}, n={n}{low}; {count_text(counts)}"
        if sku in self.partial:
            source += f"; {self.partial[sku]}"
        return PriceQuote(as_of=now, fetched_at=now, source=source, sku=sku, tier="marketplace", provider="vast.ai",
                          price=round(med, 4), n_offers=n, p25=round(p25, 4), p75=round(p75, 4))

    def index_quote(self, sku: str, now: datetime) -> PriceQuote | None:
        """Our 7-day CRI-method index for one SKU from the pooled days; None without a usable day."""
        if sku not in INDEX_NAMES:
            return None
        res = weekly_index(self.pool.prices(sku), now.date())
        if res is None:
            return None
        low = " (low confidence: <3 days)" if res.low_confidence else ""
        days = f"{res.n_days} day{'s' if res.n_days != 1 else ''}"
        source = (f"our rolling 7-day index by the CRI method v{METHOD_VERSION}, recomputed each poll (not the "
                  f"published CRI-H100, whose window ends before its weekly publication): pooled median, {days}, "
                  f"{res.n_obs} obs{low}; window {res.window_start}..{res.window_end}; "
                  f"offers from {self.source(self.path)}")
        return PriceQuote(as_of=now, fetched_at=now, source=source, sku=sku, tier="index",
                          provider=own_index_name(sku), price=res.value, n_offers=res.n_obs)


__all__ = ["MAX_PAGES", "PAGE_SIZE", "SKU_QUERIES", "VastAIFeed", "build_query", "per_gpu_prices", "summarise",
           "unusable_prices"]
