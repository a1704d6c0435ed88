"""Indices said right: our own Vast.ai index is named as a rolling 7-day window with its
method version; a published index read from a CSV carries the window its publisher gives
(``window``) in every value's source, so the two are never read as one window."""

from __future__ import annotations

from pathlib import Path

from engine.observations import PriceQuote
from feeds.cri_index import METHOD_VERSION
from feeds.csv_feed import CSVFeed
from feeds.vastai import own_index_name

CRI = Path(__file__).resolve().parent / "fixtures" / "feeds" / "cri-h100-index.csv"


def test_our_index_name_says_rolling_7d_and_method_version() -> None:
    assert own_index_name("H100 SXM") == f"gpurisk H100 rolling 7d (CRI method v{METHOD_VERSION})"


async def test_published_index_carries_its_window() -> None:
    window = "published weekly; 7-day window ending before the publication date"
    feed = CSVFeed(path=str(CRI), date_column="publication_date", value_column="cri_h100", sku="H100 SXM",
                   provider="CRI-H100", window=window)
    quotes = [q for q in await feed.poll() if isinstance(q, PriceQuote)]
    assert [q.price for q in quotes] == [1.6021, 1.735]
    assert all(q.source.endswith(f"({window})") and q.provider == "CRI-H100" for q in quotes)
    plain = CSVFeed(path=str(CRI), date_column="publication_date", value_column="cri_h100", sku="H100 SXM")
    assert all("(" not in q.source for q in await plain.poll())
