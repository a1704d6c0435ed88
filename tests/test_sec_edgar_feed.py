"""The SEC EDGAR feed against a real HTTP server on 127.0.0.1 serving recorded/constructed bodies."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest
from local_http import LocalServer, Reply, Seen

from engine import Engine, FilingEvent, FinancialFact
from feeds.base import USER_AGENT, ConfigError, FeedContext
from feeds.registry import load
from feeds.runner import DISABLED, ERROR, OK, FeedRunner
from feeds.sec_edgar import NO_CONTACT, RateLimiter, SECEdgarFeed

FIX = Path(__file__).parent / "fixtures" / "sec"
CONTACT = "risk-desk@example.com"
FACTS_PATH = "/api/xbrl/companyfacts/CIK0001769628.json"
SUBS_PATH = "/submissions/CIK0001769628.json"


class EdgarServer:
    """Serves companyfacts/submissions like data.sec.gov, and 403s a request without a contact."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {
            FACTS_PATH: (FIX / "coreweave-constructed.json").read_bytes(),
            SUBS_PATH: (FIX / "submissions-CIK0001769628-constructed.json").read_bytes(),
        }
        self.force_status: int | None = None
        self.requests: list[tuple[str, str]] = []  # (path, user agent)
        self.times: list[float] = []
        self.http = LocalServer(fallback=self._answer)

    def _answer(self, seen: Seen) -> Reply:
        ua = seen.headers.get("User-Agent", "")
        self.requests.append((seen.path, ua))
        self.times.append(time.monotonic())
        body = self.bodies.get(seen.path)
        status = 200 if body is not None else 404
        if CONTACT not in ua or self.force_status is not None:  # what SEC does without a contact
            status = self.force_status or 403
            body = b"<html><body>Your Request Originates from an Undeclared Automated Tool</body></html>"
        return Reply(status, body or b'{"error": "not found"}',
                     content_type="application/json" if status == 200 else "text/html")

    @property
    def url(self) -> str:
        return self.http.url

    def add_filing(self, accession: str, form: str, filed: str, items: str = "") -> None:
        doc = json.loads(self.bodies[SUBS_PATH])
        recent = doc["filings"]["recent"]
        for col in recent.values():
            col.insert(0, "")
        for k, v in (("accessionNumber", accession), ("form", form), ("filingDate", filed), ("items", items),
                     ("primaryDocument", "crwv-8k.htm"), ("acceptanceDateTime", f"{filed}T21:00:00.000Z")):
            recent[k][0] = v
        self.bodies[SUBS_PATH] = json.dumps(doc).encode()


@pytest.fixture
def server() -> Iterator[EdgarServer]:
    s = EdgarServer()
    with s.http:
        yield s


@pytest.fixture(autouse=True)
def _no_env_contact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GPURISK_SEC_CONTACT", raising=False)


def make(server: EdgarServer, ctx: FeedContext | None = None, **opts: Any) -> SECEdgarFeed:
    options = {"base_url": server.url, "retries": 0, **opts}
    feed = SECEdgarFeed.from_config(options, ctx or FeedContext(contact=CONTACT))
    assert isinstance(feed, SECEdgarFeed)
    return feed


async def test_facts_and_filings_arrive(server: EdgarServer) -> None:
    feed = make(server)
    runner = FeedRunner([feed])
    try:
        obs = await runner.poll("sec_edgar")
    finally:
        await runner.aclose()
    st = runner.status["sec_edgar"]
    assert st.state == OK, st.last_error
    facts = [o for o in obs if isinstance(o, FinancialFact)]
    filings = [o for o in obs if isinstance(o, FilingEvent)]
    liab = {f.period_end: f for f in facts if f.metric == "total_liabilities"}
    assert liab[date(2024, 12, 31)].value == 16_524_086_000
    assert liab[date(2024, 12, 31)].source == ("SEC EDGAR companyfacts CoreWeave, Inc. (CIK 0001769628, USD) "
                                               "10-Q 0001769628-25-000014 filed 2025-05-15")
    assert all(f.unit == "USD" for f in facts)
    assert feed.describe().endswith("CRWV CIK 0001769628 (CoreWeave, Inc.)")
    assert all(f.company == "CRWV" and f.feed == "sec_edgar" for f in facts)
    assert [e.accession for e in filings][:2] == ["0001769628-26-000366", "0001769628-26-000350"]
    assert {e.form for e in filings} == {"10-Q", "10-K", "8-K"}
    # every request identified us, as SEC demands
    assert {p for p, _ in server.requests} == {FACTS_PATH, SUBS_PATH,  # and the two newest 10-Qs' indexes
                                              "/Archives/edgar/data/1769628/000176962826000366/index.json",
                                              "/Archives/edgar/data/1769628/000176962826000222/index.json"}
    assert all(ua == f"{USER_AGENT} {CONTACT}" for _, ua in server.requests)
    eng = Engine()
    snap = eng.ingest(obs)
    assert snap.indicators["liabilities_to_assets"].value == pytest.approx(18_791_101 / 21_860_383)
    assert len(eng.state.filings["CRWV"]) == len(filings)


async def test_another_companys_facts_at_this_url_are_refused(server: EdgarServer) -> None:
    """Snowflake's real companyfacts served at CoreWeave's URL must never become CRWV's figures."""
    feed = make(server)
    runner = FeedRunner([feed])
    eng = Engine()
    try:
        eng.ingest(await runner.poll("sec_edgar"))  # a good answer first
        assert runner.status["sec_edgar"].state == OK
        good = eng.state.fin.instant("CRWV", "total_liabilities")
        assert good is not None and good.value == 18_791_101_000
        server.bodies[FACTS_PATH] = (FIX / "companyfacts-CIK0001640147-snowflake.json").read_bytes()
        feed._facts_at -= 3600.0  # companyfacts due again
        n_before = sum(p == FACTS_PATH for p, _ in server.requests)
        bad = await runner.poll("sec_edgar")
        assert sum(p == FACTS_PATH for p, _ in server.requests) == n_before + 1  # it was read, and refused
        st = runner.status["sec_edgar"]
        assert bad == [] and st.state == ERROR
        assert "CIK 0001640147 (SNOWFLAKE INC.)" in st.last_error and "CIK 0001769628" in st.last_error
        assert st.last_error.startswith("companyfacts answer is for CIK 0001640147")
        eng.ingest(bad)
        assert eng.state.fin.instant("CRWV", "total_liabilities") == good  # the previous values stay
        assert feed.describe().endswith("(CoreWeave, Inc.)")
        server.bodies[FACTS_PATH] = (FIX / "coreweave-constructed.json").read_bytes()
        again = await runner.poll("sec_edgar")  # still due: the refused read did not count
        assert runner.status["sec_edgar"].state == OK
        facts = [o for o in again if isinstance(o, FinancialFact)]
        assert facts and all("CoreWeave, Inc. (CIK 0001769628, USD)" in f.source for f in facts)
        eng.ingest(again)
        assert eng.state.fin.instant("CRWV", "total_liabilities").value == 18_791_101_000
    finally:
        await runner.aclose()


async def test_wrong_cik_first_poll_ingests_nothing_then_a_good_answer_does(server: EdgarServer) -> None:
    server.bodies[FACTS_PATH] = (FIX / "companyfacts-CIK0001640147-snowflake.json").read_bytes()
    feed = make(server)
    runner = FeedRunner([feed])
    try:
        assert await runner.poll("sec_edgar") == []  # not even the (good) filing list of that poll
        st = runner.status["sec_edgar"]
        assert st.state == ERROR and "0001640147" in st.last_error and "0001769628" in st.last_error
        assert feed.describe().endswith("CRWV CIK 0001769628")  # no name from a refused answer
        server.bodies[FACTS_PATH] = (FIX / "coreweave-constructed.json").read_bytes()
        obs = await runner.poll("sec_edgar")
    finally:
        await runner.aclose()
    assert runner.status["sec_edgar"].state == OK
    assert sum(isinstance(o, FinancialFact) for o in obs) > 0 and sum(isinstance(o, FilingEvent) for o in obs) == 8


async def test_wrong_cik_in_submissions_is_refused(server: EdgarServer) -> None:
    doc = json.loads(server.bodies[SUBS_PATH])
    doc["cik"], doc["name"] = "1640147", "SNOWFLAKE INC."
    server.bodies[SUBS_PATH] = json.dumps(doc).encode()
    runner = FeedRunner([make(server)])
    try:
        assert await runner.poll("sec_edgar") == []
    finally:
        await runner.aclose()
    st = runner.status["sec_edgar"]
    assert st.state == ERROR and st.last_error.startswith("submissions answer is for CIK 0001640147 (SNOWFLAKE INC.)")
    assert {p for p, _ in server.requests} == {SUBS_PATH}  # companyfacts not even asked for


async def test_entity_name_is_cleaned_for_display(server: EdgarServer) -> None:
    doc = json.loads(server.bodies[FACTS_PATH])
    doc["entityName"] = "CoreWeave,\x1b[2J Inc.\u202e\n[b]x[/b]"
    server.bodies[FACTS_PATH] = json.dumps(doc).encode()
    feed = make(server)
    try:
        obs = await feed.poll()
    finally:
        await feed.aclose()
    assert feed.entity_name == "CoreWeave,[2J Inc. [b]x[/b]"
    assert all(o.source.startswith("SEC EDGAR companyfacts CoreWeave,[2J Inc. [b]x[/b] (CIK 0001769628, USD) ")
               for o in obs if isinstance(o, FinancialFact))


async def test_ifrs_filer_end_to_end(server: EdgarServer) -> None:
    """A 20-F/6-K filer (constructed Nebius-like document) through the feed and the engine."""
    subs = {"cik": "1513845", "name": "Nebius Group N.V.", "filings": {"recent": {
        "accessionNumber": ["0001513845-25-000071", "0001513845-25-000018"], "form": ["6-K", "20-F"],
        "filingDate": ["2025-08-07", "2025-04-30"], "items": ["", ""],
        "primaryDocument": ["nbis-6k.htm", "nbis-20f.htm"]}}}
    server.bodies["/submissions/CIK0001513845.json"] = json.dumps(subs).encode()
    constructed = (FIX / "companyfacts-ifrs-constructed.json").read_bytes()
    server.bodies["/api/xbrl/companyfacts/CIK0001513845.json"] = constructed
    feed = make(server, cik="NBIS")
    runner = FeedRunner([feed])
    try:
        obs = await runner.poll("sec_edgar")
    finally:
        await runner.aclose()
    assert runner.status["sec_edgar"].state == OK, runner.status["sec_edgar"].last_error
    facts = [o for o in obs if isinstance(o, FinancialFact)]
    assert [o.form for o in obs if isinstance(o, FilingEvent)] == ["6-K", "20-F"]
    assert facts and all(f.company == "NBIS" and f.unit == "USD" for f in facts)
    assert feed.describe().endswith("NBIS CIK 0001513845 (Nebius Group N.V.)")
    eng = Engine(company="NBIS")
    eng.ingest(obs)
    ttm = eng.state.fin.ttm("NBIS", "revenue")
    assert ttm is not None and ttm.period_end == date(2025, 6, 30) and ttm.value == (420 + 540 - 162) * 1e6


async def test_only_new_filings_are_emitted_again(server: EdgarServer) -> None:
    feed = make(server)
    try:
        first = await feed.poll()
        assert sum(isinstance(o, FilingEvent) for o in first) == 8
        n_facts_requests = sum(p == FACTS_PATH for p, _ in server.requests)
        again = await feed.poll()  # nothing new; companyfacts not due for an hour
        assert again == []
        assert sum(p == FACTS_PATH for p, _ in server.requests) == n_facts_requests
        server.add_filing("0001769628-26-000400", "8-K", "2026-09-02", "1.01,2.03")
        server.add_filing("0001769628-26-000401", "4", "2026-09-03")
        third = await feed.poll()
        assert [(o.accession, o.items) for o in third] == [("0001769628-26-000400", ("1.01", "2.03"))]
        assert feed._facts_at is not None
        feed._facts_at -= 3600.0  # an hour later companyfacts is read again, without new filings
        hourly = await feed.poll()
        assert hourly and all(isinstance(o, FinancialFact) for o in hourly)
        assert sum(p == FACTS_PATH for p, _ in server.requests) == n_facts_requests + 1
        server.add_filing("0001769628-26-000450", "10-Q", "2026-11-12")
        fourth = await feed.poll()  # a new periodic report makes companyfacts due at once
        assert [o.accession for o in fourth if isinstance(o, FilingEvent)] == ["0001769628-26-000450"]
        assert any(isinstance(o, FinancialFact) for o in fourth)
    finally:
        await feed.aclose()


async def test_missing_contact_is_disabled_and_sends_nothing(server: EdgarServer) -> None:
    feed = make(server, ctx=FeedContext())
    runner = FeedRunner([feed])
    assert await runner.poll("sec_edgar") == []
    st = runner.status["sec_edgar"]
    assert st.state == DISABLED
    assert st.last_error == NO_CONTACT
    assert server.requests == []
    assert runner.next_delay("sec_edgar") == float("inf")


async def test_contact_from_option_and_from_env(server: EdgarServer, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = make(server, ctx=FeedContext(), contact=CONTACT)
    assert feed.user_agent == f"{USER_AGENT} {CONTACT}"
    monkeypatch.setenv("GPURISK_SEC_CONTACT", CONTACT)
    feed2 = make(server, ctx=FeedContext())
    try:
        assert await feed2.poll()
    finally:
        await feed2.aclose()
    assert server.requests and all(CONTACT in ua for _, ua in server.requests)


async def test_http_403_is_an_error_with_a_clear_message(server: EdgarServer) -> None:
    server.force_status = 403
    runner = FeedRunner([make(server)])
    try:
        await runner.poll("sec_edgar")
    finally:
        await runner.aclose()
    st = runner.status["sec_edgar"]
    assert st.state == ERROR
    assert st.last_error.startswith("HTTP 403 from 127.0.0.1")
    assert "contact" in st.last_error and "User-Agent" in st.last_error
    assert CONTACT not in st.last_error


async def test_companyfacts_missing_still_gives_filings(server: EdgarServer) -> None:
    del server.bodies[FACTS_PATH]  # EDGAR answers 404 for a CIK without XBRL data
    feed = make(server)
    runner = FeedRunner([feed])
    try:
        obs = await runner.poll("sec_edgar")
    finally:
        await runner.aclose()
    assert runner.status["sec_edgar"].state == OK
    assert obs and all(isinstance(o, FilingEvent) for o in obs)


def test_options() -> None:
    ctx = FeedContext(contact=CONTACT)
    iren = SECEdgarFeed.from_config({"cik": "iren"}, ctx)
    assert isinstance(iren, SECEdgarFeed) and (iren.cik, iren.ticker) == ("0001878848", "IREN")
    default = SECEdgarFeed.from_config({}, ctx)
    assert isinstance(default, SECEdgarFeed)
    assert (default.cik, default.ticker, default.interval) == ("0001769628", "CRWV", 3600.0)
    assert default.base_url == "https://data.sec.gov"
    short = SECEdgarFeed.from_config({"cik": 1341439, "interval": 5}, ctx)
    assert isinstance(short, SECEdgarFeed)
    assert (short.cik, short.ticker, short.interval) == ("0001341439", "ORCL", 600.0)
    other = SECEdgarFeed.from_config({"cik": "CIK320193", "ticker": "aapl"}, ctx)
    assert isinstance(other, SECEdgarFeed) and (other.cik, other.ticker) == ("0000320193", "AAPL")
    for bad, key in (({"cik": "12345678901"}, "cik"), ({"cik": "XYZ"}, "cik"), ({"cik": 320193}, "ticker"),
                     ({"ticker": "no way"}, "ticker"), ({"contact": 5}, "contact"), ({"bogus": 1}, "bogus")):
        with pytest.raises(ConfigError) as info:
            SECEdgarFeed.from_config(bad, ctx)
        assert info.value.key == key
    assert load("sec_edgar") is SECEdgarFeed


def max_in_window(times: list[float], per: float) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u - t < per - 1e-3) for i, t in enumerate(times))


class RecordingLimiter(RateLimiter):
    def __init__(self, rate: int, per: float) -> None:
        super().__init__(rate, per)
        self.passed: list[float] = []

    async def wait(self) -> None:
        await super().wait()
        self.passed.append(self._times[-1])  # the limiter's own clock reading for this pass


async def test_rate_limiter_window() -> None:
    lim = RecordingLimiter(5, per=0.2)
    t0 = time.monotonic()
    await asyncio.gather(*(lim.wait() for _ in range(11)))
    assert time.monotonic() - t0 >= 0.4  # 11 = 5 + 5 + 1: two full windows waited
    assert max_in_window(lim.passed, 0.2) == 5
    default = SECEdgarFeed.limiter
    assert (default.rate, default.per) == (10, 1.0)
    assert default is SECEdgarFeed(contact=CONTACT).limiter  # one limiter for every instance


async def test_concurrent_feeds_share_the_limit(server: EdgarServer, monkeypatch: pytest.MonkeyPatch) -> None:
    lim = RecordingLimiter(2, per=0.2)
    monkeypatch.setattr(SECEdgarFeed, "limiter", lim)
    feeds = [make(server, name=f"sec{i}") for i in range(3)]
    for f in feeds:  # building an httpx client blocks the loop ~0.1 s, which would delay a passed request
        f._get_client()
    try:
        await asyncio.gather(*(f.poll() for f in feeds))
    finally:
        for f in feeds:
            await f.aclose()
    assert len(server.times) == len(lim.passed) == 12  # submissions, companyfacts, two filing indexes each
    assert max_in_window(lim.passed, 0.2) == 2  # three feeds polling at once share one budget
    assert max(server.times) - min(server.times) >= 0.3


def test_filing_deadline_follows_the_fiscal_year_and_foreign_filers() -> None:
    from datetime import date as _date, datetime

    from engine.observations import FilingEvent
    from feeds.sec_edgar import filing_deadline

    def ev(form: str) -> FilingEvent:
        t = datetime(2025, 7, 1, tzinfo=UTC)
        return FilingEvent(as_of=t, fetched_at=t, source="s", company="X", form=form, accession="a",
                           filed=_date(2025, 7, 1))

    us = filing_deadline({"fiscalYearEnd": "0531"}, [ev("10-Q")])
    assert us.fiscal_year_end_month == 5 and not us.annual  # Oracle, Applied Digital: May year ends
    assert filing_deadline({}, [ev("10-K")]).fiscal_year_end_month == 12
    foreign = filing_deadline({"fiscalYearEnd": "1231"}, [ev("6-K"), ev("20-F")])
    assert foreign.annual and foreign.annual_days == 120  # a 20-F is due four months after year end
    assert filing_deadline({"fiscalYearEnd": "13xx"}, []).fiscal_year_end_month == 12  # nonsense: calendar year


async def test_52_53_week_filer_freshness_by_its_own_calendar(server: EdgarServer) -> None:
    """Apple-shaped filer (figures from its real 10-Q instance, quarter to 2025-03-29): once companyfacts
    is read the feed's limit is the filer's calendar, so on 2025-06-01 its figures are current (the
    month-end rule made the "2025-03-31" 10-Q due 2025-05-15), and they turn STALE after 2025-08-19."""
    from datetime import datetime

    subs = {"cik": "320193", "name": "Apple Inc.", "fiscalYearEnd": "0927", "filings": {"recent": {
        "accessionNumber": ["0000320193-25-000057"], "form": ["10-Q"], "filingDate": ["2025-05-02"],
        "items": [""], "primaryDocument": ["aapl-20250329.htm"]}}}
    server.bodies["/submissions/CIK0000320193.json"] = json.dumps(subs).encode()
    server.bodies["/api/xbrl/companyfacts/CIK0000320193.json"] = (
        FIX / "companyfacts-CIK0000320193-aapl-from-instance.json").read_bytes()
    feed = make(server, cik="320193", ticker="AAPL")
    runner = FeedRunner([feed])
    try:
        obs = await runner.poll("sec_edgar")
    finally:
        await runner.aclose()
    assert runner.status["sec_edgar"].state == OK, runner.status["sec_edgar"].last_error
    limit = feed.freshness(obs)
    as_of = datetime(2025, 3, 29, tzinfo=UTC)
    assert not limit.is_stale(as_of, datetime(2025, 6, 1, tzinfo=UTC))
    assert limit.is_stale(as_of, datetime(2025, 8, 20, tzinfo=UTC))
    assert limit.explain(as_of) == "limit: the 10-Q for the period ending by 2025-07-05 was due 2025-08-19"
