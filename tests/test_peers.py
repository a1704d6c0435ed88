"""The peer table (engine/peers.py): hand-computed values from the sourced sample figures,
alignment by period end, NO DATA with reasons, and CRWV = the dashboard's own results."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from engine.observations import CustomerShare, FinancialFact
from engine.peers import LIFE, PeerBook, UsefulLife, aligned_period, period_label
from feeds.sec_peers import SamplePeersFeed
from gpurisk.peers import main_life
from gpurisk.session import demo_session

NOW = datetime(2026, 3, 3, tzinfo=UTC)


def fact(company: str, metric: str, end: date, value: float, start: date | None = None) -> FinancialFact:
    return FinancialFact(as_of=datetime(end.year, end.month, end.day, tzinfo=UTC), fetched_at=NOW,
                         source=f"test {company} {metric}", company=company, metric=metric, value=value,
                         period_end=end, period_start=start)


@pytest.fixture(scope="module")
def demo_book() -> PeerBook:
    book = PeerBook(main="CRWV")
    book.ingest(asyncio.run(SamplePeersFeed().poll()))
    return book


def test_oracle_by_hand(demo_book: PeerBook) -> None:
    """ORCL in $ millions from sample_data/peers/financials.csv, reference 2025-09-30."""
    t = _table_at(demo_book, date(2025, 9, 30))
    la = t.cell("liabilities_to_assets", "ORCL")
    # One period for the column: of ORCL's sheets on or before 2025-09-30, FY25 (2025-05-31) has the most
    # rows with a figure (its Q1 FY26 to 2025-08-31 has no twelve months of income): 147,392 / 168,361
    assert t.periods["ORCL"] == date(2025, 5, 31)
    assert la.value == pytest.approx(147_392 / 168_361) and la.status == "watch"
    assert la.period == date(2025, 5, 31) and la.label == "FY25 (May)" and not la.reason
    cover = t.cell("interest_coverage", "ORCL")  # the fiscal year to 2025-05-31, the column's own period
    assert cover.value == pytest.approx(17_678 / 3_578) and cover.status == "ok" and cover.label == "FY25 (May)"
    assert not cover.reason
    rate = t.cell("effective_rate", "ORCL")  # interest TTM ÷ average of the two year-end debts, percent
    assert rate.value == pytest.approx(3_578 / ((10_605 + 76_264 + 7_271 + 85_297) / 2) * 100)
    cr = t.cell("current_ratio", "ORCL")
    assert cr.value == pytest.approx(24_579 / 32_643) and cr.status == "watch" and cr.period == date(2025, 5, 31)
    z = t.cell("altman_z2", "ORCL")
    ta, tl = 140_976, 131_737
    want = 6.56 * (22_554 - 31_544) / ta + 3.26 * -22_628 / ta + 6.72 * 15_353 / ta + 1.05 * 8_704 / tl
    assert z.value == pytest.approx(want) and z.status == "alert" and z.period == date(2024, 5, 31)
    # not at the column's period: the cell says so and why
    assert z.reason == ("at 2024-05-31, not the column's 2025-05-31: "
                        "Retained earnings (accumulated deficit) at 2025-05-31 not reported")
    for row in ("debt_to_ebitda", "net_debt_leases_to_ebitda", "top1_share", LIFE):
        c = t.cell(row, "ORCL")
        assert c.value is None and c.status == "no_data" and c.reason, row  # never zero


def test_applied_digital_by_hand(demo_book: PeerBook) -> None:
    t = _table_at(demo_book, date(2025, 9, 30))
    la = t.cell("liabilities_to_assets", "APLD")
    assert la.value == pytest.approx(1_291_007 / 2_398_995) and la.status == "ok"
    assert la.period == date(2025, 8, 31) and la.label == "Q1 FY26 (Aug)"
    assert t.cell("interest_coverage", "APLD").value is None  # interest not sourced
    assert "not reported" in t.cell("current_ratio", "APLD").reason


def test_iren_by_hand(demo_book: PeerBook) -> None:
    """IREN in $ thousands from its FY2025 10-K (year to 30 Jun 2025): the sheet at its fiscal
    year end is the newest on or before 2025-09-30, and the flows are that fiscal year."""
    t = _table_at(demo_book, date(2025, 9, 30))
    assert t.periods["IREN"] == date(2025, 6, 30)
    la = t.cell("liabilities_to_assets", "IREN")
    assert la.value == pytest.approx(1_122_835 / 2_940_323) and la.status == "ok" and la.label == "FY25 (Jun)"
    ebitda = 17_327 + 181_136  # operating income + D&A, FY2025
    d = t.cell("debt_to_ebitda", "IREN")  # convertible notes 962,765 (no current borrowings)
    assert d.value == pytest.approx(962_765 / ebitda) and d.status == "watch" and not d.reason
    nd = t.cell("net_debt_leases_to_ebitda", "IREN")  # − cash 564,526 + operating leases 404 + 1,063
    assert nd.value == pytest.approx((962_765 - 564_526 + 404 + 1_063) / ebitda) and nd.status == "ok"
    cr = t.cell("current_ratio", "IREN")
    assert cr.value == pytest.approx(641_173 / 149_347) and cr.status == "ok"
    cover = t.cell("interest_coverage", "IREN")
    assert cover.value == pytest.approx(17_327 / 11_045) and cover.status == "ok"  # 1.57×, just above 1.5
    z = t.cell("altman_z2", "IREN")
    ta, tl = 2_940_323, 1_122_835
    want = 6.56 * (641_173 - 149_347) / ta + 3.26 * -596_167 / ta + 6.72 * 17_327 / ta + 1.05 * 1_817_488 / tl
    assert z.value == pytest.approx(want) and z.value == pytest.approx(2.1755, abs=1e-4) and z.status == "watch"
    rate = t.cell("effective_rate", "IREN")  # notes issued within the year (0 → 962,765): an average of two
    assert rate.value is None and "debt moved from 0 to 962,765" in rate.reason  # balances would read 2.3%
    life = t.cell(LIFE, "IREN")
    assert life.value == 5.0 and life.period == date(2025, 6, 30) and life.source.endswith("[P]")
    top = t.cell("top1_share", "IREN")
    assert top.value is None and top.status == "no_data" and top.reason  # no customer share sourced


def test_nebius_statements_stay_no_data(demo_book: PeerBook) -> None:
    """Nebius: only FY2024 revenue and year-end cash (press release, USD millions × 1,000 = thousands,
    × 1,000 again by the feed = dollars), no balance-sheet total: every statement row is NO DATA."""
    fin = demo_book.engines["NBIS"].state.fin
    rev = fin.ttm("NBIS", "revenue", date(2024, 12, 31))
    assert rev is not None and rev.value == 117.5e6  # $117.5 M
    cash = fin.instant("NBIS", "cash", date(2024, 12, 31))
    assert cash is not None and cash.value == 2_449.6e6
    t = _table_at(demo_book, date(2025, 9, 30))
    assert t.periods["NBIS"] is None
    for row in ("liabilities_to_assets", "current_ratio", "debt_to_ebitda", "altman_z2", "interest_coverage"):
        c = t.cell(row, "NBIS")
        assert c.value is None and c.status == "no_data" and c.reason, row  # never zero
    assert "no balance sheet for NBIS" in t.cell("liabilities_to_assets", "NBIS").reason
    assert t.cell(LIFE, "NBIS").value == 4.0  # the U-graded life is still there


def test_aligned_by_end_date_not_by_label() -> None:
    """ORCL's "FY2025" ends 2025-05-31. At a 2025-06-30 reference that is the period; at
    2025-09-30 its Q1 FY26 (2025-08-31); at 2025-03-31 FY2024 — whatever the labels say."""
    book = PeerBook(["CRWV", "ORCL"], main="CRWV")
    for end, ta, tl in ((date(2024, 5, 31), 100.0, 90.0), (date(2025, 5, 31), 100.0, 80.0),
                        (date(2025, 8, 31), 100.0, 70.0)):
        book.ingest([fact("ORCL", "total_assets", end, ta), fact("ORCL", "total_liabilities", end, tl)])
    eng = book.engines["ORCL"]
    assert aligned_period(eng, date(2025, 6, 30)) == date(2025, 5, 31)
    assert aligned_period(eng, date(2025, 9, 30)) == date(2025, 8, 31)
    assert aligned_period(eng, date(2025, 3, 31)) == date(2024, 5, 31)
    for ref, want, label in ((date(2025, 6, 30), 0.8, "FY25 (May)"), (date(2025, 9, 30), 0.7, "Q1 FY26 (Aug)"),
                             (date(2025, 3, 31), 0.9, "FY24 (May)")):
        c = _table_at(book, ref).cell("liabilities_to_assets", "ORCL")
        assert (c.value, c.label) == (pytest.approx(want), label), ref


def test_period_labels() -> None:
    assert period_label(date(2025, 9, 30), 12) == "Q3-25"
    assert period_label(date(2025, 12, 31), 12) == "FY25"
    assert period_label(date(2025, 5, 31), 5) == "FY25 (May)"
    assert period_label(date(2025, 8, 31), 5) == "Q1 FY26 (Aug)"
    assert period_label(date(2025, 6, 30), 6) == "FY25 (Jun)"
    assert period_label(date(2025, 9, 30), 6) == "Q1 FY26 (Sep)"
    assert period_label(None, 12) == "—"


def test_no_data_is_never_zero_and_worst_needs_two() -> None:
    book = PeerBook(["CRWV", "NBIS", "IREN"], main="CRWV", missing="not sourced")
    book.ingest([fact("IREN", "total_assets", date(2025, 6, 30), 100.0),
                 fact("IREN", "total_liabilities", date(2025, 6, 30), 40.0)])
    t = book.table()
    nbis = t.cell("liabilities_to_assets", "NBIS")
    assert nbis.value is None and nbis.status == "no_data" and "not sourced" in nbis.reason
    assert t.cell("liabilities_to_assets", "IREN").value == pytest.approx(0.4)
    assert t.worst("liabilities_to_assets") is None  # one value: nothing to compare
    assert t.cell("debt_to_ebitda", "IREN").reason  # the missing input is named


def test_worst_and_sorting() -> None:
    book = PeerBook(["CRWV", "A", "B", "C"], main="CRWV")
    for c, tl in (("A", 50.0), ("B", 95.0), ("C", 70.0)):
        book.ingest([fact(c, "total_assets", date(2025, 6, 30), 100.0),
                     fact(c, "total_liabilities", date(2025, 6, 30), tl)])
    for c, ca in (("A", 40.0), ("B", 150.0)):
        book.ingest([fact(c, "current_assets", date(2025, 6, 30), ca),
                     fact(c, "current_liabilities", date(2025, 6, 30), 100.0)])
    book.ingest([UsefulLife(as_of=NOW, fetched_at=NOW, source="t", company="A", years=4, period_end=date(2025, 6, 30)),
                 UsefulLife(as_of=NOW, fetched_at=NOW, source="t", company="B", years=6, period_end=date(2025, 6, 30))])
    t = book.table()
    assert t.worst("liabilities_to_assets") == "B"  # higher is worse
    assert t.worst("current_ratio") == "A"  # lower is worse
    assert t.worst(LIFE) == "B"  # a longer life flatters earnings
    assert t.order_by_row("liabilities_to_assets") == ["B", "C", "A", "CRWV"]  # NO DATA last
    assert t.order_by_row("liabilities_to_assets", worst_first=False) == ["A", "C", "B", "CRWV"]
    rows = t.order_rows_by("B")
    assert rows[0] == "liabilities_to_assets" and rows.index("current_ratio") < rows.index("debt_to_ebitda")


def test_peer_never_borrows_the_main_companys_data() -> None:
    """CRWV facts sent to the book are ignored (its column is the dashboard's); a peer with debt
    but no interest is NO DATA for the rate, never CoreWeave's interest_rate_pct assumption."""
    book = PeerBook(["CRWV", "X"], main="CRWV")
    assert book.ingest([fact("CRWV", "total_assets", date(2025, 9, 30), 1.0)]) == 0
    book.ingest([fact("X", "total_assets", date(2025, 6, 30), 100.0), fact("X", "debt_current", date(2025, 6, 30), 1.0),
                 fact("X", "debt_noncurrent", date(2025, 6, 30), 9.0),
                 CustomerShare(as_of=NOW, fetched_at=NOW, source="t", company="X", customer="Big", share=0.3,
                               period="FY25", period_end=date(2025, 6, 30), rank=1)])
    t = book.table()
    rate = t.cell("effective_rate", "X")
    assert rate.value is None and "interest_rate_pct" in rate.reason
    top = t.cell("top1_share", "X")
    assert top.value == pytest.approx(0.3) and top.status == "watch" and top.period == date(2025, 6, 30)


async def test_crwv_column_is_the_dashboards_own() -> None:
    """One computation: every CRWV cell is the dashboard snapshot's result object, at its period."""
    s = demo_session()
    await s.poll_all()
    ps = s.peers
    assert s.peers is ps  # built once
    await ps.refresh()
    t = ps.table()
    snap = s.engine.snapshot.indicators
    assert t.reference == s.engine.period() == date(2025, 9, 30)
    for row, _ in t.rows:
        c = t.cell(row, "CRWV")
        if row == LIFE:
            assert c.value == main_life(s.engine)[0] == 6.0
            continue
        assert c.result is snap[row] and c.value == snap[row].value and c.status == snap[row].status
    assert t.cell("liabilities_to_assets", "CRWV").label == "Q3-25"
    # the demo's peers are aligned on or before CRWV's period
    assert all(p is None or p <= t.reference for p in t.periods.values())
    assert t.periods["ORCL"] == date(2025, 5, 31) and t.periods["APLD"] == date(2025, 8, 31)
    await s.aclose()


def _table_at(book: PeerBook, ref: date):  # type: ignore[no-untyped-def]
    """The table with ``ref`` as the reference date: a main engine whose period is ``ref``."""
    from engine.engine import Engine

    main = Engine(company="CRWV")
    main.ingest([fact("CRWV", "total_assets", ref, 1.0)])
    return book.table(main)


def test_peers_config() -> None:
    from gpurisk.config import ConfigFileError, parse
    from gpurisk.peers import companies

    cfg = parse({"peers": {"companies": ["NBIS", "ORCL", "ACME:0001234567"]}})
    assert cfg.peers == ["NBIS", "ORCL", "ACME:0001234567"]
    assert companies(cfg) == ["CRWV", "NBIS", "ORCL", "ACME"]  # the main company always shown, first
    assert parse({}).peers == [] and companies(parse({}))[0] == "CRWV"
    for bad, key in (({"peers": {"companies": ["NOPE"]}}, "peers.companies[0]"),
                     ({"peers": {"companies": []}}, "peers.companies"),
                     ({"peers": {"tickers": ["NBIS"]}}, "peers.tickers"),
                     ({"peers": ["NBIS"]}, "peers")):
        with pytest.raises(ConfigFileError) as exc:
            parse(bad)
        assert exc.value.key == key, bad


@pytest.mark.subprocess
def test_nothing_of_the_peers_on_the_way_to_the_first_frame() -> None:
    """The dashboard, its config and session load none of the peers' modules (built on first P)."""
    import subprocess
    import sys

    code = ("import sys, tui.app, tui.palette, gpurisk.session, gpurisk.config as c; c.load_config(None); "
            "print(sorted(m for m in ('engine.peers', 'feeds.sec_peers', 'gpurisk.peers', 'tui.screens.peers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
