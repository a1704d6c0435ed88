"""The peers feed (feeds/sec_peers.py) against a real HTTP server on 127.0.0.1.

Constructed companyfacts documents (tests/fixtures/sec/README.md): ORCL and APLD carry the
sourced demo figures, NBIS the invented IFRS document; IREN's request fails (HTTP 503).
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from local_http import LocalServer, Reply, Seen

from engine.observations import FinancialFact
from engine.peers import PeerBook, UsefulLife
from feeds.base import ConfigError, FeedContext
from feeds.runner import DISABLED, OK, FeedRunner
from feeds.sec_edgar import RateLimiter, SECEdgarFeed
from feeds.sec_peers import SamplePeersFeed, SECPeersFeed, parse_company

FIX = Path(__file__).parent / "fixtures" / "sec"
CONTACT = "risk-desk@example.com"
PATHS = {
    "ORCL": "/api/xbrl/companyfacts/CIK0001341439.json",
    "APLD": "/api/xbrl/companyfacts/CIK0001144879.json",
    "NBIS": "/api/xbrl/companyfacts/CIK0001513845.json",
    "IREN": "/api/xbrl/companyfacts/CIK0001878848.json",
}


class Server:
    """SEC's companyfacts on 127.0.0.1 (tests/local_http.py): a body and a status per path, and
    SEC's 403 page for a request without the declared contact."""

    def __init__(self) -> None:
        self.bodies = {
            PATHS["ORCL"]: (FIX / "companyfacts-CIK0001341439-orcl-constructed.json").read_bytes(),
            PATHS["APLD"]: (FIX / "companyfacts-CIK0001144879-apld-constructed.json").read_bytes(),
            PATHS["NBIS"]: (FIX / "companyfacts-ifrs-constructed.json").read_bytes(),
        }
        self.status: dict[str, int] = {PATHS["IREN"]: 503}
        self.requests: list[tuple[str, str, float]] = []
        self.http = LocalServer(fallback=self._answer)

    def _answer(self, seen: Seen) -> Reply:
        ua = seen.headers.get("User-Agent", "")
        self.requests.append((seen.path, ua, time.monotonic()))
        body = self.bodies.get(seen.path, b'{"error": "not found"}')
        status = self.status.get(seen.path, 200 if seen.path in self.bodies else 404)
        if CONTACT not in ua:
            status, body = 403, b"<html>Undeclared Automated Tool</html>"
        return Reply(status, body, content_type="application/json")

    @property
    def url(self) -> str:
        return self.http.url


@pytest.fixture
def server():
    s = Server()
    with s.http:
        yield s


def feed(server: Server, companies=("NBIS", "IREN", "APLD", "ORCL"), **kw: Any) -> SECPeersFeed:
    return SECPeersFeed(companies=list(companies), contact=CONTACT, base_url=server.url, retries=0, **kw)


async def test_one_companyfacts_request_per_company(server: Server) -> None:
    f = feed(server)
    obs = await f.poll()
    await f.aclose()
    paths = [p for p, _, _ in server.requests]
    assert sorted(paths) == sorted(PATHS.values())  # one each, no submissions
    assert all(CONTACT in ua for _, ua, _ in server.requests)
    companies = {o.company for o in obs if isinstance(o, FinancialFact)}
    assert companies == {"ORCL", "APLD", "NBIS"}
    assert "IREN" in f.warning and "503" in f.warning  # one peer's failure is a warning, not the poll's
    # the sourced figures arrive as the demo has them
    orcl = {(o.metric, o.period_end): o.value for o in obs if isinstance(o, FinancialFact) and o.company == "ORCL"}
    assert orcl[("total_assets", date(2025, 5, 31))] == 168_361e6
    assert orcl[("operating_income", date(2025, 5, 31))] == 17_678e6


async def test_through_the_shared_sec_limiter(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The peers feed waits on the very limiter sec_edgar uses: 2 per second here, 4 requests → ≥ 1 s."""
    slow = RateLimiter(2, per=1.0)
    monkeypatch.setattr(SECEdgarFeed, "limiter", slow)
    f = feed(server)
    assert f.limiter is SECEdgarFeed.limiter
    t0 = time.monotonic()
    await f.poll()
    await f.aclose()
    times = [t for _, _, t in server.requests]
    assert len(times) == 4 and times[-1] - t0 >= 0.95
    for i in range(2, len(times)):
        assert times[i] - times[i - 2] >= 0.95  # never more than 2 in any second


async def test_another_ciks_document_is_refused(server: Server) -> None:
    server.bodies[PATHS["ORCL"]] = server.bodies[PATHS["APLD"]]  # a mirror serving APLD at ORCL's URL
    f = feed(server, companies=("ORCL", "APLD"))
    obs = await f.poll()
    await f.aclose()
    assert {o.company for o in obs if isinstance(o, FinancialFact)} == {"APLD"}
    assert "ORCL" in f.warning and "0001144879" in f.warning


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"cik": 1341439, "facts": "x"}',
                                  b'{"cik": 1341439, "facts": {"us-gaap": {"Assets": {"units": {"USD": '
                                  b'[{"end": "2025-13-45", "val": "NaN"}]}}}}}',
                                  b"\xff\xfe not json",
                                  rb'{"cik": 1341439, "entityName": "\u001b]52;c;aGk=\u0007Oracle", "facts": {}}'])
async def test_a_strange_answer_costs_that_peer_only(server: Server, body: bytes) -> None:
    server.bodies[PATHS["ORCL"]] = body
    runner = FeedRunner([feed(server, companies=("ORCL", "APLD"))])
    obs = await runner.poll("sec_peers")
    assert {o.company for o in obs if isinstance(o, FinancialFact)} == {"APLD"}
    assert runner.status["sec_peers"].state == OK
    assert "\x1b" not in (runner.feeds["sec_peers"].warning or "")


async def test_every_peer_failing_fails_the_poll(server: Server) -> None:
    server.status.update({p: 500 for p in PATHS.values()})
    runner = FeedRunner([feed(server)])
    assert await runner.poll("sec_peers") == []
    assert runner.status["sec_peers"].state != OK


async def test_no_contact_is_disabled(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GPURISK_SEC_CONTACT", raising=False)
    runner = FeedRunner([SECPeersFeed(companies=["ORCL"], contact="", base_url=server.url)])
    await runner.poll("sec_peers")
    assert runner.status["sec_peers"].state == DISABLED
    assert server.requests == []


def test_companies_option() -> None:
    assert parse_company("orcl") == ("ORCL", "0001341439")
    assert parse_company("ACME:1234") == ("ACME", "0000001234")
    for bad in ("", "NOPE", "A B:1", 5):
        with pytest.raises(ConfigError):
            parse_company(bad)
    f = SECPeersFeed.from_config({"companies": ["NBIS", "ACME:0000001234"]}, FeedContext(contact=CONTACT))
    assert [t for t, _ in f.companies] == ["NBIS", "ACME"]


async def test_live_facts_give_the_demo_values(server: Server) -> None:
    """The same figures by either path give the same cells: live companyfacts → PeerBook = demo CSV → PeerBook."""
    live, demo = PeerBook(main="CRWV"), PeerBook(main="CRWV")
    f = feed(server, companies=("APLD", "ORCL"))
    live.ingest(await f.poll())
    await f.aclose()
    demo.ingest(await SamplePeersFeed().poll())
    a, b = live.table(), demo.table()
    compared = 0
    for row in ("liabilities_to_assets", "interest_coverage", "effective_rate", "current_ratio", "altman_z2"):
        for c in ("APLD", "ORCL"):
            x, y = a.cell(row, c), b.cell(row, c)
            assert (x.value is None) == (y.value is None) and x.period == y.period, (row, c)
            if y.value is not None:
                assert x.value == pytest.approx(y.value, rel=1e-12), (row, c)
                compared += 1
    assert compared == 6  # APLD L/A; ORCL L/A, cover, rate, current ratio, Z''


async def test_sample_feed_reads_sourced_rows_only() -> None:
    obs = await SamplePeersFeed().poll()
    assert obs and all(o.source.startswith("peers/") for o in obs)
    assert {o.company for o in obs if isinstance(o, FinancialFact)} == {"ORCL", "APLD", "IREN", "NBIS"}
    lives = [o for o in obs if isinstance(o, UsefulLife)]
    # APLD and ORCL: NO DATA, never invented
    assert [(o.company, o.years) for o in lives] == [("NBIS", 4.0), ("IREN", 5.0)]
    assert lives[0].source.endswith("[U]")  # a third party's report reads as unverified
    assert lives[1].source.endswith("[P]")  # IREN's is read in its 10-K


def test_peer_feeds_are_listed_by_gpurisk_feeds() -> None:
    from feeds import registry
    from feeds.sec_peers import SamplePeersFeed, SECPeersFeed

    found = registry.discover()
    assert found["sec_peers"].load() is SECPeersFeed and found["sample_peers"].load() is SamplePeersFeed
