"""sec_edgar reads each new 10-K/10-Q's XBRL instance (filing index -> *_htm.xml) on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine import CustomerShare, Engine, FinancialFact, ReceivablesShare
from engine.views import concentration_view
from feeds.base import USER_AGENT, ConfigError, FeedContext
from feeds.runner import OK, FeedRunner
from feeds.sample import default_sample_dir, parse_customers
from feeds.sec_edgar import SECEdgarFeed
from feeds.sec_instance import instance_name

SEC = Path(__file__).resolve().parent.parent / "fixtures" / "sec"
CONTACT = "risk-desk@example.com"
SUBS = "/submissions/CIK0001769628.json"
FACTS = "/api/xbrl/companyfacts/CIK0001769628.json"
TEN_K = "0001769628-26-000104"
FOLDER = "/Archives/edgar/data/1769628/000176962826000104"
INDEX = f"{FOLDER}/index.json"
INSTANCE = f"{FOLDER}/crwv-20251231_htm.xml"


@pytest.fixture(autouse=True)
def _no_env_contact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GPURISK_SEC_CONTACT", raising=False)


def submissions(*keep: str) -> dict[str, Any]:
    """The constructed submissions document, its filing table cut to the accessions kept."""
    doc = json.loads((SEC / "submissions-CIK0001769628-constructed.json").read_bytes())
    recent = doc["filings"]["recent"]
    rows = [i for i, a in enumerate(recent["accessionNumber"]) if a in keep]
    doc["filings"]["recent"] = {k: [v[i] for i in rows] for k, v in recent.items()}
    return doc


def index(*names: str) -> dict[str, Any]:
    return {"directory": {"name": FOLDER, "item": [{"name": n, "type": "text.gif", "size": "1"} for n in names]}}


INDEX_10K = index("crwv-20251231.htm", "crwv-20251231.xsd", "crwv-20251231_cal.xml", "crwv-20251231_def.xml",
                  "crwv-20251231_lab.xml", "crwv-20251231_pre.xml", "crwv-20251231_htm.xml", "FilingSummary.xml",
                  "R1.htm", "Financial_Report.xlsx")


def serve(server: Any, instance: Any, *filings: str) -> None:
    server.route(SUBS, server.Reply(body=submissions(*(filings or (TEN_K, "0001769628-26-000210")))))
    server.route(FACTS, server.Reply(body=(SEC / "coreweave-constructed.json").read_bytes(),
                                     content_type="application/json"))
    server.route(INDEX, server.Reply(body=INDEX_10K))
    server.route(INSTANCE, instance)


async def poll(runner: FeedRunner) -> list[Any]:
    return list(await runner.poll("sec_edgar"))


def make(server: Any) -> tuple[SECEdgarFeed, FeedRunner]:
    feed = SECEdgarFeed.from_config({"base_url": server.url, "retries": 0}, FeedContext(contact=CONTACT))
    assert isinstance(feed, SECEdgarFeed)
    return feed, FeedRunner([feed])


def test_the_instance_is_the_htm_xml_else_the_one_xml_not_a_linkbase() -> None:
    assert instance_name(INDEX_10K) == "crwv-20251231_htm.xml"
    assert instance_name(index("crwv-20151231.xml", "crwv-20151231_lab.xml", "R2.xml", "FilingSummary.xml")) \
        == "crwv-20151231.xml"
    assert instance_name(index("crwv-20251231.htm", "crwv-20251231_pre.xml", "../../etc/passwd.xml")) is None


async def test_revenue_shares_from_the_filing_and_receivables_apart(server: Any) -> None:
    serve(server, server.Reply(body=(SEC / "xbrl" / "crwv-concentration-constructed_htm.xml").read_bytes(),
                               content_type="application/xml"))
    feed, runner = make(server)
    try:
        obs = await poll(runner)
        again = await poll(runner)
    finally:
        await runner.aclose()
    st = runner.status["sec_edgar"]
    assert st.state == OK and not st.last_error, st.last_error
    shares = [o for o in obs if isinstance(o, CustomerShare)]
    assert sorted((s.customer, s.period, s.share, s.rank) for s in shares) == [
        ("Customer B", "FY2024", 0.15, 2), ("Microsoft Corporation", "FY2024", 0.62, 1),
        ("Microsoft Corporation", "FY2025", 0.67, 1)]  # no receivables (0.55), no benchmark-less (0.12) share
    assert all(s.from_filing and s.company == "CRWV" and s.feed == "sec_edgar" for s in shares)
    msft = next(s for s in shares if s.period == "FY2025")
    assert msft.source == (f"SEC XBRL 10-K {TEN_K} crwv:MicrosoftCorporationMember (revenue) "
                           f"{server.url}{INSTANCE}")
    recv = [o for o in obs if isinstance(o, ReceivablesShare)]
    assert [(r.customer, r.period_end, r.share) for r in recv] == [("Microsoft Corporation", date(2025, 12, 31), 0.55)]
    assert "(receivables)" in recv[0].source
    assert any(isinstance(o, FinancialFact) for o in obs)  # companyfacts as before
    # once per accession, with the contact in the User-Agent like every SEC request
    assert server.hits(INDEX) == 1 and server.hits(INSTANCE) == 1
    assert not any(isinstance(o, CustomerShare) for o in again)
    assert all(s.headers.get("User-Agent") == f"{USER_AGENT} {CONTACT}" for s in server.requests)

    # with the CSV (its FY2024/FY2025 Microsoft rows, NVIDIA, the top-two line): the filing wins
    eng = Engine(company="CRWV")
    eng.ingest(parse_customers(default_sample_dir() / "customers.csv", msft.fetched_at))
    eng.ingest(obs)
    fy25 = [s for s in eng.state.customers["CRWV"].values() if s.period == "FY2025"]
    assert [(s.customer, s.share) for s in fy25] == [("Microsoft Corporation", 0.67)]
    assert eng.evaluate("top1_share").value == pytest.approx(0.67)
    assert eng.evaluate("hhi").value == pytest.approx(67.0 ** 2)
    assert concentration_view(eng.state, "CRWV").top2_share == pytest.approx(0.77)  # 62 + 15, once each
    assert eng.state.receivables["CRWV"]


async def test_receivables_only_instance_gives_no_revenue_share(server: Any) -> None:
    serve(server, server.Reply(body=(SEC / "xbrl" / "aapl-20250329-concentration_htm.xml").read_bytes(),
                               content_type="application/xml"))
    feed, runner = make(server)
    try:
        obs = await poll(runner)
    finally:
        await runner.aclose()
    assert runner.status["sec_edgar"].state == OK
    assert not any(isinstance(o, CustomerShare) for o in obs)
    assert len([o for o in obs if isinstance(o, ReceivablesShare)]) == 6
    eng = Engine(company="CRWV")
    eng.ingest(obs)
    assert "CRWV" not in eng.state.customers and eng.evaluate("top1_share").value is None


@pytest.mark.parametrize("instance, why", [
    ("broken", "not an XBRL instance (XML error"),
    ("http500", "HTTP 500 from 127.0.0.1"),
])
async def test_a_broken_instance_leaves_companyfacts_and_says_so(server: Any, instance: str, why: str) -> None:
    reply = server.Reply(body=b"<xbrli:xbrl><unclosed") if instance == "broken" else server.Reply(500, "oops")
    serve(server, reply)
    feed, runner = make(server)
    try:
        first = await poll(runner)
        st = runner.status["sec_edgar"]
        assert st.state == OK  # the poll stands: companyfacts' figures arrived
        liab = {f.period_end: f.value for f in first
                if isinstance(f, FinancialFact) and f.metric == "total_liabilities"}
        assert liab[date(2024, 12, 31)] == 16_524_086_000
        assert not any(isinstance(o, CustomerShare) for o in first)
        assert st.last_error.startswith(f"customer shares: XBRL instance of 10-K {TEN_K} not read (")
        assert why in st.last_error and st.last_error.endswith("tried again at the next poll")
        await poll(runner)  # the second and last try (nothing new arrives: the note is on the feed)
        assert why in feed.warning and not feed.warning.endswith("next poll")
        await poll(runner)
        assert server.hits(INSTANCE) == 2  # bounded: never a third time
    finally:
        await runner.aclose()


async def test_an_index_without_an_instance_is_a_note(server: Any) -> None:
    serve(server, server.Reply(404, "nothing"))
    server.route(INDEX, server.Reply(body=index("crwv-20251231.htm", "crwv-20251231.xsd")))
    feed, runner = make(server)
    try:
        obs = await poll(runner)
    finally:
        await runner.aclose()
    assert any(isinstance(o, FinancialFact) for o in obs)
    assert "the filing index lists no XBRL instance" in runner.status["sec_edgar"].last_error
    assert server.hits(INSTANCE) == 0


def test_only_well_formed_accessions_become_urls() -> None:
    from engine.observations import FilingEvent
    from feeds.sec_instance import InstanceReader

    def filing(accession: str) -> FilingEvent:
        when = date(2026, 3, 2)
        return FilingEvent(as_of=datetime(2026, 3, 2, tzinfo=UTC), fetched_at=datetime(2026, 3, 2, tzinfo=UTC),
                           source="x", company="CRWV", form="10-K", accession=accession, filed=when)

    reader = InstanceReader("https://www.sec.gov")
    reader.queue([filing("../../../x-26-000104"), filing(TEN_K)], first=False)
    assert list(reader.pending) == [TEN_K]
    assert reader.folder("0001769628", TEN_K) == "https://www.sec.gov/Archives/edgar/data/1769628/000176962826000104"


def test_archive_url_option() -> None:
    ctx = FeedContext(contact=CONTACT)
    assert SECEdgarFeed.from_config({}, ctx).instances.archive_url == "https://www.sec.gov"  # type: ignore[attr-defined]
    mirror = SECEdgarFeed.from_config({"base_url": "http://127.0.0.1:9"}, ctx)
    assert mirror.instances.archive_url == "http://127.0.0.1:9"  # type: ignore[attr-defined]
    own = SECEdgarFeed.from_config({"archive_url": "https://mirror.example/"}, ctx)
    assert own.instances.archive_url == "https://mirror.example"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="archive_url"):
        SECEdgarFeed.from_config({"archive_url": "ftp://x"}, ctx)
