"""The equity feed against a local server: closes parsed, and Yahoo's failure modes
(an HTML page with HTTP 200, a chart error object, 429) become visible states.

No recording of Yahoo's chart JSON ships with the project: the body below is
CONSTRUCTED in the documented shape (chart.result[0].timestamp[], indicators.quote[0].close[])."""

from __future__ import annotations

from feeds.equity import EquityFeed
from feeds.runner import FeedRunner

FAST = {"timeout": 2.0, "retries": 0, "backoff": 0.01}
CHART = {"chart": {"result": [{"meta": {"symbol": "CRWV"},
                               "timestamp": [1767225600, 1767312000, 1767398400, 1767484800],
                               "indicators": {"quote": [{"close": [98.5, None, 101.25, 95.0]}]}}],
                   "error": None}}
PATH = "/v8/finance/chart/CRWV"


async def test_closes_parsed_and_nulls_skipped(server) -> None:
    server.route(PATH, server.Reply(body=CHART, content_type="application/json"))
    feed = EquityFeed(base_url=server.url, ticker="CRWV", shares_outstanding=5e8, **FAST)
    quotes = await feed.poll()
    assert [q.close for q in quotes] == [98.5, 101.25, 95.0]
    assert quotes[-1].as_of.isoformat() == "2026-01-04T00:00:00+00:00"
    assert all(q.shares_outstanding == 5e8 and q.ticker == "CRWV" for q in quotes)
    assert quotes[0].source == f"{server.url}{PATH}"
    assert server.requests[0].query == {"range": ["1y"], "interval": ["1d"]}
    await feed.aclose()


async def test_failure_modes_become_states(server) -> None:
    feed = EquityFeed(base_url=server.url, **FAST)
    runner = FeedRunner([feed])
    cases = [
        (server.Reply(body="<!DOCTYPE html><html>consent</html>", content_type="text/html"), "ERROR", "HTML"),
        (server.Reply(body={"chart": {"result": None,
                                      "error": {"code": "Not Found",
                                                "description": "No data found, symbol may be delisted"}}}),
         "ERROR", "delisted"),
        (server.Reply(body={"chart": {"result": [{"timestamp": "x"}]}}), "ERROR", "shape"),
        (server.Reply(429, "slow down", headers={"Retry-After": "120"}), "RATE-LIMITED", ""),
    ]
    for reply, state, words in cases:
        server.route(PATH, reply)
        assert await runner.poll("equity") == []
        st = runner.status["equity"]
        assert st.state == state, (st.state, st.last_error)
        assert words in st.last_error
    await runner.aclose()


async def test_a_429_says_which_feed_to_use_instead(server) -> None:
    server.route(PATH, server.Reply(429, "Too Many Requests", headers={"Retry-After": "60"}))
    runner = FeedRunner([EquityFeed(base_url=server.url, **FAST)])
    assert await runner.poll("equity") == []
    st = runner.status["equity"]
    assert st.state == "RATE-LIMITED" and "retry after 60 s" in st.last_error and "tiingo" in st.last_error
    await runner.aclose()
