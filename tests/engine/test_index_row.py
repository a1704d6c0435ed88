"""An index row is one index's figure: our rolling 7-day index is never averaged with a
published weekly one (different windows); it stays beside it as a source."""

from __future__ import annotations

from datetime import UTC, datetime

from engine import Engine
from engine.observations import PriceQuote

T = datetime(2026, 3, 5, tzinfo=UTC)


def quote(provider: str, price: float) -> PriceQuote:
    return PriceQuote(as_of=T, fetched_at=T, source=f"{provider} source", sku="H100 SXM", tier="index",
                      provider=provider, price=price)


def test_the_published_index_is_the_row_and_ours_a_source_beside_it() -> None:
    eng = Engine(company="CRWV")
    eng.ingest([quote("gpurisk H100 rolling 7d (CRI method v1.1.0)", 1.60)])
    row = eng.snapshot.prices["H100 SXM/index"]
    assert row.price == 1.60  # ours alone: the row is ours
    eng.ingest([quote("Silicon Data CRI-H100 (weekly)", 2.10)])
    row = eng.snapshot.prices["H100 SXM/index"]
    assert row.price == 2.10  # not the median 1.85 of two windows
    assert (row.low, row.high, row.n_sources) == (1.60, 2.10, 2)  # both shown as sources


def test_other_tiers_keep_the_median_of_their_providers() -> None:
    eng = Engine(company="CRWV")
    eng.ingest([PriceQuote(as_of=T, fetched_at=T, source="s", sku="H100 SXM", tier="marketplace", provider=p,
                           price=v) for p, v in (("a", 1.0), ("b", 2.0), ("c", 4.0))])
    assert eng.snapshot.prices["H100 SXM/marketplace"].price == 2.0
