"""The Tiingo equity feed against a local server: closes parsed from the documented array
(CONSTRUCTED body, real CRWV closes), the key sent as ``Token`` and masked, an honest
User-Agent, and every refusal a visible state with its reason: no key DISABLED, bad key
401, allowance spent 429 with Retry-After, an in-band ``detail`` error."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from local_http import FIXTURES

import feeds.tiingo
from feeds import textsafe
from feeds.base import USER_AGENT
from feeds.runner import FeedRunner
from feeds.tiingo import TiingoFeed

FAST = {"timeout": 2.0, "retries": 0, "backoff": 0.01}
PATH = "/tiingo/daily/CRWV/prices"
BARS = json.loads((FIXTURES / "tiingo-crwv-daily.CONSTRUCTED.json").read_text())
KEY = "tiingo-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIINGO_API_KEY", KEY)
    monkeypatch.setattr(feeds.tiingo, "utcnow", lambda: datetime(2026, 3, 3, 12, tzinfo=UTC))
    textsafe.refresh()


async def test_closes_parsed_with_the_key_as_token(server) -> None:
    server.route(PATH, server.Reply(body=BARS, content_type="application/json"))
    feed = TiingoFeed(base_url=server.url, ticker="CRWV", shares_outstanding=5e8, **FAST)
    quotes = await feed.poll()
    await feed.aclose()
    assert [q.close for q in quotes] == [99.3, 98.01, 97.63, 79.56, 78.05]
    assert quotes[-1].as_of == datetime(2026, 3, 2, tzinfo=UTC) and quotes[-1].shares_outstanding == 5e8
    assert quotes[0].source == f"{server.url}{PATH} (Tiingo EOD close)"
    seen = server.requests[0]
    assert seen.headers["Authorization"] == f"Token {KEY}"
    assert seen.headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("gpurisk/")
    assert seen.query == {"startDate": ["2025-01-27"], "format": ["json"]}  # 400 days of history


async def test_refusals_are_visible_states(server, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = FeedRunner([TiingoFeed(base_url=server.url, **FAST)])
    cases = [
        (server.Reply(401, {"detail": f"Invalid token {KEY}."}), "ERROR", "check $TIINGO_API_KEY"),
        (server.Reply(429, "over your hourly allocation", headers={"Retry-After": "600"}), "RATE-LIMITED",
         "retry after 600 s"),
        (server.Reply(200, {"detail": "Error: Ticker 'CRWV' not found"}), "ERROR", "not found"),
        (server.Reply(200, []), "NO DATA", "no closes for CRWV"),
        (server.Reply(200, {"bars": BARS}), "ERROR", "unexpected Tiingo JSON shape"),
    ]
    for reply, state, words in cases:
        server.route(PATH, reply)
        assert await runner.poll("tiingo") == []
        st = runner.status["tiingo"]
        assert st.state == state and words in st.last_error, (st.state, st.last_error)
        assert KEY not in st.last_error
    monkeypatch.delenv("TIINGO_API_KEY")
    n = len(server.requests)
    assert await runner.poll("tiingo") == []
    st = runner.status["tiingo"]
    assert st.state == "DISABLED" and "$TIINGO_API_KEY" in st.last_error
    assert len(server.requests) == n  # nothing asked without a key
    await runner.aclose()
