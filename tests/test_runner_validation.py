"""What the runner lets through from any feed (built-in or plugin), once for all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.engine import Engine
from engine.observations import PriceQuote
from feeds.base import Feed
from feeds.runner import FeedRunner

NOW = datetime.now(UTC)


def quote(price: float = 2.0, *, as_of: datetime = NOW, sku: str = "H100 SXM", provider: str = "p",
          tier: str = "index") -> PriceQuote:
    return PriceQuote(as_of=as_of, fetched_at=NOW, source="t", sku=sku, tier=tier, provider=provider, price=price)


class Canned(Feed):
    name = "canned"

    def __init__(self, answer: object) -> None:
        super().__init__()
        self.answer = answer

    async def poll(self):  # type: ignore[no-untyped-def]
        return self.answer


async def poll(answer: object) -> tuple[list, FeedRunner]:
    r = FeedRunner([Canned(answer)])
    return await r.poll("canned"), r


async def test_bad_observations_are_dropped_good_ones_kept() -> None:
    bad = [
        quote(as_of=NOW + timedelta(days=30000)),  # dated 2099: would pin the row forever
        quote(as_of=NOW.replace(tzinfo=None)),  # naive datetime: would crash comparisons
        quote(sku="[red]GPU0"),  # a SKU the dashboard has no row for
        quote(tier="spot"),
        quote(float("nan")),
        quote(0.01),  # outside the sanity band
    ]
    got, r = await poll([*bad, quote(2.5)])
    assert [o.price for o in got] == [2.5]
    assert r.status["canned"].state == "OK" and r.status["canned"].dropped == len(bad)


async def test_long_provider_names_are_cut_and_feed_is_tagged() -> None:
    got, _ = await poll([quote(provider="x" * 500)])
    assert len(got[0].provider) == 60 and got[0].provider.endswith("…") and got[0].feed == "canned"


async def test_a_feed_returning_garbage_is_an_error_not_a_crash() -> None:
    for answer in (None, {"price": 1}, "oops"):
        got, r = await poll(answer)
        assert got == [] and r.status["canned"].state == "ERROR"
        assert "not a list" in r.status["canned"].last_error


def test_a_provider_that_stops_quoting_leaves_the_median() -> None:
    e = Engine()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    e.ingest([quote(1.0, as_of=t0, provider="a"), quote(9.0, as_of=t0, provider="b")])
    assert e.snapshot.price("H100 SXM", "index").price == 5.0
    snap = e.ingest([quote(2.0, as_of=t0 + timedelta(days=10), provider="a")])
    row = snap.price("H100 SXM", "index")
    assert row.price == 2.0 and [q.provider for q in row.sources] == ["a"]


async def test_a_feed_s_own_timeout_without_a_deadline_is_an_error_not_a_crash() -> None:
    from feeds.base import Feed
    from feeds.runner import FeedRunner

    class Slow(Feed):
        name = "slow_plugin"

        async def poll(self):  # type: ignore[no-untyped-def]
            raise TimeoutError("socket read timed out")

    runner = FeedRunner([Slow()])
    assert await runner.poll("slow_plugin") == []
    st = runner.status["slow_plugin"]
    assert st.state == "ERROR" and "socket read timed out" in st.last_error
