"""Vast.ai paging and the optional key, against a local server that behaves like the bundles
search: at most 64 offers an answer, in the order asked, ``id > n`` honoured. A SKU with
more offers than one page is read whole; past the page limit, or when the server ignores
the id filter, its quote says "partial". The recorded 2026-03-05 H100 SXM offers are
cloned under new ids to make 150 of them (the recording itself has 26)."""

from __future__ import annotations

import json
import statistics
from typing import Any

import pytest
from local_http import FIXTURES, Reply

from feeds import textsafe
from feeds.runner import FeedRunner
from feeds.vastai import PAGE_SIZE, VastAIFeed, per_gpu_prices

PATH = "/api/v0/bundles/"
FAST = {"timeout": 2.0, "retries": 0, "backoff": 0.01}
RECORDED = [o for o in json.loads((FIXTURES / "vast-bundles-2026-03-05.json").read_text())["offers"]
            if o.get("gpu_name") == "H100 SXM"]
MANY = [{**RECORDED[i % len(RECORDED)], "id": 1000 + i} for i in range(150)]


def search(offers: list[dict[str, Any]], honour_id: bool = True):  # type: ignore[no-untyped-def]
    def handle(seen):  # type: ignore[no-untyped-def]
        q = seen.json()
        assert q["order"] == [["id", "asc"]] and q["limit"] == PAGE_SIZE
        rows = sorted((o for o in offers if o["gpu_name"] == q["gpu_name"]["eq"]), key=lambda o: o["id"])
        if honour_id and "id" in q:
            rows = [o for o in rows if o["id"] > q["id"]["gt"]]
        return Reply(body={"offers": rows[:min(q["limit"], 64)]})
    return handle


async def test_more_offers_than_a_page_are_read_whole(server) -> None:
    server.route(PATH, search(MANY), "POST")
    feed = VastAIFeed(base_url=server.url, skus=["H100 SXM"], method="all", **FAST)
    quotes = await feed.poll()
    await feed.aclose()
    q = next(x for x in quotes if x.tier == "marketplace")
    want = per_gpu_prices(MANY, ["H100 SXM"])
    assert q.n_offers == len(want) == 150 and q.price == round(statistics.median(want), 4)
    assert "partial" not in q.source
    pages = [s.json() for s in server.requests]
    assert len(pages) == 3 and "id" not in pages[0]  # 64 + 64 + 22
    assert pages[1]["id"] == {"gt": 1063} and pages[2]["id"] == {"gt": 1127}


async def test_past_the_page_limit_the_quote_says_partial(server) -> None:
    server.route(PATH, search(MANY), "POST")
    feed = VastAIFeed(base_url=server.url, skus=["H100 SXM"], method="all", **FAST)
    feed.max_pages = 2
    q = next(x for x in await feed.poll() if x.tier == "marketplace")
    await feed.aclose()
    assert q.n_offers == 128 and "partial: first 128 offers (2 pages of 64)" in q.source


async def test_a_server_ignoring_the_id_filter_is_partial_not_double_counted(server) -> None:
    server.route(PATH, search(MANY, honour_id=False), "POST")
    feed = VastAIFeed(base_url=server.url, skus=["H100 SXM"], method="all", **FAST)
    q = next(x for x in await feed.poll() if x.tier == "marketplace")
    await feed.aclose()
    assert q.n_offers == 64 and "partial: the server ignored paging after 64 offers" in q.source


async def test_optional_key_is_sent_as_bearer_and_masked(server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.route(PATH, search(RECORDED), "POST")
    feed = VastAIFeed(base_url=server.url, skus=["H100 SXM"], method="all", **FAST)
    assert await feed.poll()
    assert "authorization" not in {k.lower() for k in server.requests[-1].headers}  # key-less by default
    key = "vast-key-5f4e3d2c1b0a"
    monkeypatch.setenv("VAST_API_KEY", key)
    textsafe.refresh()
    assert await feed.poll()
    assert server.requests[-1].headers["Authorization"] == f"Bearer {key}"
    await feed.aclose()
    server.route(PATH, Reply(401, f"bad key {key}"), "POST")
    runner = FeedRunner([VastAIFeed(base_url=server.url, skus=["H100 SXM"], method="all", **FAST)])
    assert await runner.poll("vastai") == []
    msg = runner.status["vastai"].last_error
    assert "HTTP 401" in msg and "check $VAST_API_KEY" in msg and key not in msg and "***" in msg
    await runner.aclose()
