"""Customer concentration from XBRL instances (feeds.sec_customers, ``gpurisk customers``).

Fixtures: Apple's real 10-Q instance for the quarter ended 2025-03-29, trimmed to its
concentration facts (receivables only), and a constructed CoreWeave-shaped instance with
revenue shares (tests/fixtures/sec/README.md).
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine import Engine
from feeds.base import FeedError
from feeds.sec_customers import benchmark_of, customer_name, customer_shares, parse_instance

XBRL = Path(__file__).parent / "fixtures" / "sec" / "xbrl"
AAPL = XBRL / "aapl-20250329-concentration_htm.xml"
CRWV = XBRL / "crwv-concentration-constructed_htm.xml"
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def rows_of(path: Path) -> list:
    return parse_instance(path.read_bytes(), path.name)


def test_real_apple_instance_has_only_receivables_concentration() -> None:
    rows = rows_of(AAPL)
    got = {(r.customer, r.period_end, r.share, r.benchmark) for r in rows}
    # the six facts of the 10-Q, as tagged: trade receivables (cellular carriers), non-trade (vendors)
    assert got == {
        ("Cellular Network Carriers", date(2025, 3, 29), 0.37, "receivables"),
        ("Cellular Network Carriers", date(2024, 9, 28), 0.38, "receivables"),
        ("Vendor One", date(2025, 3, 29), 0.49, "receivables"),
        ("Vendor One", date(2024, 9, 28), 0.44, "receivables"),
        ("Vendor Two", date(2025, 3, 29), 0.19, "receivables"),
        ("Vendor Two", date(2024, 9, 28), 0.23, "receivables"),
    }
    assert all(r.source.startswith("SEC XBRL aapl-20250329-concentration_htm.xml context c-1") for r in rows)
    assert customer_shares(rows, "AAPL", NOW) == []  # none of it is a share of revenue


def test_revenue_concentration_with_benchmark_and_period() -> None:
    rows = rows_of(CRWV)
    as_tuples = [(r.customer, r.period_start, r.period_end, r.share, r.benchmark) for r in rows]
    assert as_tuples == [
        ("Microsoft Corporation", date(2025, 1, 1), date(2025, 12, 31), 0.67, "revenue"),
        ("Microsoft Corporation", None, date(2025, 12, 31), 0.55, "receivables"),
        ("Open AI", date(2025, 1, 1), date(2025, 12, 31), 0.12, "other"),  # no benchmark: never revenue
        ("Microsoft Corporation", date(2024, 1, 1), date(2024, 12, 31), 0.62, "revenue"),
        ("Customer B", date(2024, 1, 1), date(2024, 12, 31), 0.15, "revenue"),
    ]  # the segment-only share (0.40) and the fact without a customer (0.80) are not kept
    shares = customer_shares(rows, "CRWV", NOW)
    assert [(s.customer, s.period, s.share, s.rank) for s in shares] == [
        ("Microsoft Corporation", "FY2024", 0.62, 1), ("Customer B", "FY2024", 0.15, 2),
        ("Microsoft Corporation", "FY2025", 0.67, 1)]
    eng = Engine(company="CRWV")
    eng.ingest(shares)
    top = eng.evaluate("top1_share")
    assert top.value == pytest.approx(0.67)  # the newest period's largest revenue share


def test_names_are_text_never_markup() -> None:
    assert customer_name("crwv:<b>OpenAI</b>Member") == "Open AI"
    assert customer_name("x:[bold red]Evil[/]\x1b]0;title\x07Member") == "Evil\\x1b]0;title\\x07"
    assert benchmark_of("us-gaap:SalesRevenueNetMember") == "revenue"
    assert benchmark_of("us-gaap:AccountsReceivableMember") == "receivables"
    assert benchmark_of("us-gaap:CostOfGoodsAndServiceBenchmarkMember") == "other"
    assert benchmark_of(None) == "other"


def test_not_an_instance_is_refused() -> None:
    with pytest.raises(FeedError, match="inline XBRL"):
        parse_instance(b"<html><body>10-K</body></html>", "x.htm")
    with pytest.raises(FeedError, match="XML error"):
        parse_instance(b"<xbrl", "broken.xml")


def gpurisk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gpurisk", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "GPURISK_CONFIG": "", "GPURISK_SEC_CONTACT": "t@example.com"})


@pytest.mark.subprocess
def test_cli_json_and_text() -> None:
    proc = gpurisk("customers", "--xbrl", str(CRWV), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows[0] == {"customer": "Microsoft Corporation", "period_start": "2025-01-01", "period_end": "2025-12-31",
                       "share": 0.67, "benchmark": "revenue",
                       "source": f"SEC XBRL {CRWV} context c-fy25-msft-rev",
                       "member": "crwv:MicrosoftCorporationMember"}
    assert len(rows) == 5
    text = gpurisk("customers", "--xbrl", str(AAPL))
    assert text.returncode == 0 and "Vendor One" in text.stdout and "49.0%" in text.stdout
    missing = gpurisk("customers", "--xbrl", "/nonexistent/x.xml")
    assert missing.returncode == 2 and missing.stderr.startswith("gpurisk: customers: /nonexistent/x.xml")
    assert "Traceback" not in missing.stderr


@pytest.mark.subprocess
def test_cli_reads_a_url_with_the_contact_in_the_user_agent() -> None:
    seen: list[str] = []
    body = CRWV.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.headers.get("User-Agent", ""))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/crwv-20251231_htm.xml"
        proc = gpurisk("customers", "--xbrl", url, "--json")
        assert proc.returncode == 0, proc.stderr
        assert len(json.loads(proc.stdout)) == 5
        assert seen and seen[0].endswith("t@example.com")
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(timeout=5)


def test_real_10k_with_revenue_concentration_reported_by_segment() -> None:
    """CARBO Ceramics' 10-K for 2017 (a real instance, trimmed to its concentration facts): the
    major customers are tagged in the segment note (ASC 280-10-50-42: a share of the entity's
    revenue, the segment saying who books it), so they count as revenue shares; the share of
    sales outside the United States (a region, no customer) is not a customer."""
    rows = rows_of(XBRL / "crr-20171231-concentration.xml")
    assert [(r.customer, r.period_end.year, r.share, r.benchmark) for r in rows] == [
        ("Major Customer Two", 2017, 0.161, "revenue"), ("Major Customer Four", 2017, 0.102, "revenue"),
        ("Major Customer Two", 2016, 0.204, "revenue"), ("Major Customer Three", 2016, 0.111, "revenue"),
        ("Major Customer Two", 2015, 0.269, "revenue"), ("Major Customer One", 2015, 0.107, "revenue"),
    ]
    assert all("reported by segment Oilfield Technologies And Services Segment" in r.source for r in rows)
    shares = customer_shares(rows, "CRR", NOW)
    fy17 = sorted((s.share for s in shares if s.period == "FY2017"), reverse=True)
    assert fy17 == [0.161, 0.102]  # top two of 2017: 26.3% of revenue
