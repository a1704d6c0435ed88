"""The FINRA TRACE bond feed against a local server: OAuth client credentials (Basic to the
token endpoint, then Bearer to the data query), the token kept and renewed after a 401,
429 with Retry-After, per-note median of the newest day, and secrets masked whoever echoes
them. The bodies are CONSTRUCTED in FINRA's documented shapes (tests/fixtures/feeds/README.md:
no recording exists)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import pytest
from local_http import FIXTURES

import feeds.finra_trace
from feeds import textsafe
from feeds.finra_trace import FinraTraceFeed
from feeds.notes import NoteSpec
from feeds.runner import FeedRunner

FAST = {"timeout": 2.0, "retries": 0, "backoff": 0.01}
TOKEN_PATH = "/fip/rest/ews/oauth2/access_token"
DATA_PATH = "/data/group/fixedIncomeMarket/name/traceBonds"
TOKEN = json.loads((FIXTURES / "finra-token.CONSTRUCTED.json").read_text())
TRADES = json.loads((FIXTURES / "finra-trace-trades.CONSTRUCTED.json").read_text())
CID, SECRET = "finra-client-id-4411", "finra-client-secret-9f8e7d6c"
NOTES = (NoteSpec("2030 senior notes", "99999XAA0", 9.25, date(2030, 6, 1), principal=2e9),
         NoteSpec("2031 senior notes", "99999XAB8", 9.0, date(2031, 2, 1), calls=((date(2028, 2, 1), 104.5),)))


@pytest.fixture(autouse=True)
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINRA_CLIENT_ID", CID)
    monkeypatch.setenv("FINRA_CLIENT_SECRET", SECRET)
    monkeypatch.setattr(feeds.finra_trace, "utcnow", lambda: datetime(2025, 10, 1, 12, tzinfo=UTC))
    textsafe.refresh()


def make(server, **kw) -> FinraTraceFeed:
    opts = {"base_url": server.url, "token_url": f"{server.url}{TOKEN_PATH}", "dataset": "traceBonds",
            "notes": NOTES, **FAST, **kw}
    return FinraTraceFeed(**opts)


def good_routes(server) -> None:
    server.route(TOKEN_PATH, server.Reply(body=TOKEN), "POST")
    server.route(DATA_PATH, server.Reply(body=TRADES), "POST")


async def test_token_then_query_and_a_median_per_note(server) -> None:
    good_routes(server)
    feed = make(server)
    quotes = await feed.poll()
    await feed.aclose()
    by = {q.note: q for q in quotes}
    assert set(by) == {"2030 senior notes", "2031 senior notes"}  # the third CUSIP is not configured
    q30 = by["2030 senior notes"]
    assert q30.price == 105.00 and q30.yield_pct == 7.79  # median of the 3 prints of 2025-09-30, not 09-29
    assert q30.as_of.date() == date(2025, 9, 30) and q30.coupon == 9.25 and q30.maturity == date(2030, 6, 1)
    assert "CUSIP 99999XAA0" in q30.source and "FINRA TRACE" in q30.source and "median of 3 trades" in q30.source
    assert by["2031 senior notes"].call_dates == (date(2028, 2, 1),) and by["2031 senior notes"].call_prices == (104.5,)
    tok_req, data_req = server.requests
    assert tok_req.query == {"grant_type": ["client_credentials"]}
    assert tok_req.headers["Authorization"] == "Basic " + base64.b64encode(f"{CID}:{SECRET}".encode()).decode()
    assert data_req.headers["Authorization"] == f"Bearer {TOKEN['access_token']}"
    body = data_req.json()
    assert body["domainFilters"] == [{"fieldName": "cusip", "values": ["99999XAA0", "99999XAB8"]}]
    assert body["dateRangeFilters"][0] == {"fieldName": "tradeDate", "startDate": "2025-09-01",
                                           "endDate": "2025-10-01"}
    assert data_req.headers["User-Agent"].startswith("gpurisk/")


async def test_token_is_kept_and_renewed_after_a_401(server) -> None:
    good_routes(server)
    feed = make(server)
    runner = FeedRunner([feed])
    assert await runner.poll("finra_trace")
    assert await runner.poll("finra_trace")
    assert server.hits(TOKEN_PATH) == 1 and server.hits(DATA_PATH) == 2  # one token for both polls
    server.route(DATA_PATH, server.Reply(401, "token expired"), "POST")
    assert await runner.poll("finra_trace") == []
    assert "HTTP 401" in runner.status["finra_trace"].last_error
    good_routes(server)
    assert await runner.poll("finra_trace")
    assert server.hits(TOKEN_PATH) == 2  # a new token after the 401
    await runner.aclose()


async def test_rate_limit_with_retry_after(server) -> None:
    server.route(TOKEN_PATH, server.Reply(body=TOKEN), "POST")
    server.route(DATA_PATH, server.Reply(429, "slow down", headers={"Retry-After": "90"}), "POST")
    runner = FeedRunner([make(server)])
    assert await runner.poll("finra_trace") == []
    st = runner.status["finra_trace"]
    assert st.state == "RATE-LIMITED" and "retry after 90 s" in st.last_error
    await runner.aclose()


async def test_echoed_credentials_are_masked(server) -> None:
    basic = base64.b64encode(f"{CID}:{SECRET}".encode()).decode()
    server.route(TOKEN_PATH, lambda seen: server.Reply(
        401, f"invalid_client: {seen.headers.get('Authorization')} id={CID} secret={SECRET}"), "POST")
    runner = FeedRunner([make(server)])
    assert await runner.poll("finra_trace") == []
    msg = runner.status["finra_trace"].last_error
    assert "HTTP 401" in msg and "***" in msg
    assert SECRET not in msg and CID not in msg and basic not in msg
    # the access token too, once issued
    server.route(TOKEN_PATH, server.Reply(body=TOKEN), "POST")
    server.route(DATA_PATH, lambda seen: server.Reply(400, f"bad query from {seen.headers.get('Authorization')}"),
                 "POST")
    assert await runner.poll("finra_trace") == []
    msg = runner.status["finra_trace"].last_error
    assert "HTTP 400" in msg and TOKEN["access_token"] not in msg and "Bearer ***" in msg
    await runner.aclose()


async def test_disabled_states_say_what_is_missing(server, monkeypatch: pytest.MonkeyPatch) -> None:
    good_routes(server)
    cases = [(make(server, notes=()), "[[bonds.notes]]"), (make(server, dataset=None), "set dataset")]
    for feed, words in cases:
        runner = FeedRunner([feed])
        assert await runner.poll("finra_trace") == []
        st = runner.status["finra_trace"]
        assert st.state == "DISABLED" and words in st.last_error
        await runner.aclose()
    monkeypatch.delenv("FINRA_CLIENT_ID")
    runner = FeedRunner([make(server)])
    assert await runner.poll("finra_trace") == []
    st = runner.status["finra_trace"]
    assert st.state == "DISABLED" and "$FINRA_CLIENT_ID" in st.last_error and "$FINRA_CLIENT_SECRET" in st.last_error
    assert server.requests == []  # nothing was asked without credentials
    await runner.aclose()


async def test_token_answer_without_a_token_is_an_error(server) -> None:
    server.route(TOKEN_PATH, server.Reply(body={"error": "invalid_grant"}), "POST")
    runner = FeedRunner([make(server)])
    assert await runner.poll("finra_trace") == []
    assert "without an access_token" in runner.status["finra_trace"].last_error
    await runner.aclose()
