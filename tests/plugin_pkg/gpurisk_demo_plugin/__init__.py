"""A tiny third-party feed, installed by the test run to prove entry-point discovery."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.observations import PriceQuote
from feeds.base import Feed


class ConstantIndexFeed(Feed):
    name = "demo_index"
    description = "constant H100 index (test plugin)"
    default_interval = 5.0

    async def poll(self):  # type: ignore[no-untyped-def]
        now = datetime.now(UTC)
        return [PriceQuote(as_of=now, fetched_at=now, source="plugin:demo", sku="H100 SXM", tier="index",
                           provider="[red]demo-index", price=2.5)]
