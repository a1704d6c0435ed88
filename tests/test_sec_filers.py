"""Any filer's debt, calendar and labels read right (feeds.sec_debt, sec_calendar, sec_maturities).

Fixtures (tests/fixtures/sec/README.md): Apple's figures copied from its real 10-Q XBRL
instance for the quarter ended 2025-03-29 (a 52/53-week filer with commercial paper),
a constructed filer whose only debt is convertible notes, and the constructed IFRS filer.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine import Engine
from engine.context import Context
from engine.observations import FinancialFact, Maturity
from feeds.freshness import FilingDeadline
from feeds.sec_calendar import FiscalCalendar, calendar_of
from feeds.sec_edgar import filing_deadline
from feeds.sec_maturities import select_maturities
from feeds.sec_select import select_facts

FIX = Path(__file__).parent / "fixtures" / "sec"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
M = 1_000_000


def load(name: str) -> dict:
    return json.loads((FIX / name).read_text())


@pytest.fixture(scope="module")
def aapl() -> dict:
    return load("companyfacts-CIK0000320193-aapl-from-instance.json")


@pytest.fixture(scope="module")
def conv() -> dict:
    return load("companyfacts-convertible-constructed.json")


def at(facts: list[FinancialFact], metric: str, end: date) -> FinancialFact:
    (f,) = [x for x in facts if x.metric == metric and x.period_end == end and x.period_start is None]
    return f


def engine_of(doc: dict, company: str) -> Engine:
    eng = Engine(company=company)
    eng.ingest(select_facts(doc, company=company, fetched_at=NOW))
    return eng


def day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


# --------------------------------------------------------------------- debt
def test_commercial_paper_counts_as_debt(aapl: dict) -> None:
    facts = select_facts(aapl, company="AAPL", fetched_at=NOW)
    cur = at(facts, "debt_current", date(2025, 3, 29))
    # LongTermDebtCurrent 13,638 + CommercialPaper 5,982 = 19,620 (USD millions, the 10-Q's face)
    assert cur.value == (13_638 + 5_982) * M
    assert "(LongTermDebtCurrent + CommercialPaper)" in cur.source
    assert "0000320193-25-000057" in cur.source
    non = at(facts, "debt_noncurrent", date(2025, 3, 29))
    assert non.value == 78_566 * M and "(LongTermDebtNoncurrent)" in non.source
    eng = engine_of(aapl, "AAPL")
    res = eng.indicators["debt_to_assets"].evaluate(Context(eng.state, "AAPL", at=date(2025, 3, 29)))
    # (13,638 + 5,982 + 78,566) / 331,233 = 98,186 / 331,233 = 0.29643 (0.27837 without the paper)
    assert res.value == pytest.approx(98_186 / 331_233)
    assert round(res.value, 4) == 0.2964
    old = eng.indicators["debt_to_assets"].evaluate(Context(eng.state, "AAPL", at=date(2024, 9, 28)))
    # 10-K: (10,912 + 9,967 + 85,750) / 364,980 = 106,629 / 364,980 = 0.29215
    assert old.value == pytest.approx(106_629 / 364_980)
    names = [i.name for i in res.inputs]
    assert "Debt, current" in names


def test_convertible_notes_only_filer_has_debt_ratios(conv: dict) -> None:
    facts = select_facts(conv, company="CONV", fetched_at=NOW)
    s25 = date(2025, 9, 30)
    non = at(facts, "debt_noncurrent", s25)
    assert non.value == 965 * M and "(ConvertibleDebtNoncurrent)" in non.source
    cur = at(facts, "debt_current", s25)
    assert cur.value == 0.0 and "no current debt line in this balance sheet: 0" in cur.source
    eng = engine_of(conv, "CONV")
    res = eng.evaluate("debt_to_assets")
    assert res.status != "no_data"
    assert res.value == pytest.approx(965 / 3_200)  # 965 / 3,200 = 0.3016


def test_no_zero_without_a_balance_sheet_in_the_same_filing(conv: dict) -> None:
    """A debt figure alone (no current liabilities in that filing at that date) says nothing
    about the other side: it stays missing, never a guessed zero."""
    doc = json.loads(json.dumps(conv))
    del doc["facts"]["us-gaap"]["LiabilitiesCurrent"]
    facts = select_facts(doc, company="CONV", fetched_at=NOW)
    assert not [f for f in facts if f.metric == "debt_current"]


def test_no_zero_when_the_filing_tags_other_current_debt(conv: dict) -> None:
    """A current debt line under a tag this reader does not sum (here a lease-inclusive total) is not
    "no current debt": the side stays missing rather than a zero that would understate debt."""
    doc = json.loads(json.dumps(conv))
    row = {"end": "2025-09-30", "val": 7 * M, "accn": "0009999999-25-000020", "form": "10-Q", "filed": "2025-11-06"}
    doc["facts"]["us-gaap"]["LongTermDebtAndCapitalLeaseObligationsCurrent"] = {"units": {"USD": [row]}}
    facts = select_facts(doc, company="CONV", fetched_at=NOW)
    assert [f.period_end for f in facts if f.metric == "debt_current"] == [date(2025, 6, 30)]


def test_missing_lease_line_blocks_only_the_lease_variants(conv: dict) -> None:
    eng = engine_of(conv, "CONV")
    d = eng.evaluate("debt_to_ebitda")
    # one period for every input: the FY to 2025-06-30 (the newest with a TTM EBITDA)
    # EBITDA = operating income 100 + Depreciation 150 = 250 (D&A tagged `Depreciation`)
    # debt at 2025-06-30 = 0 (no current line) + 960 convertible; 960 / 250 = 3.84
    assert d.status != "no_data", d.reason
    assert d.period == date(2025, 6, 30)
    assert d.value == pytest.approx(960 / 250)
    assert d.get("ebitda") == 250 * M
    assert d.get("with_leases") is None
    assert d.get("with_leases_missing") == "Operating lease liabilities, current at 2025-06-30 not reported"
    nd = eng.evaluate("net_debt_to_ebitda")
    assert nd.value == pytest.approx((960 - 600) / 250)  # cash 600 at 2025-06-30: 360 / 250 = 1.44
    assert eng.evaluate("net_debt_leases_to_ebitda").status == "no_data"


def test_depreciation_alone_is_read_as_d_and_a(conv: dict) -> None:
    facts = select_facts(conv, company="CONV", fetched_at=NOW)
    (dna,) = [f for f in facts if f.metric == "d_and_a"]
    assert dna.value == 150 * M and (dna.period_start, dna.period_end) == (date(2024, 7, 1), date(2025, 6, 30))


def test_commercial_paper_and_short_term_total_never_double_count() -> None:
    """ShortTermBorrowings already includes the paper: the total is taken, not both."""
    rows = lambda v: {"units": {"USD": [{"end": "2025-12-31", "val": v, "accn": "a-1", "form": "10-K",  # noqa: E731
                                          "filed": "2026-02-20"}]}}
    doc = {"cik": 1, "facts": {"us-gaap": {"Assets": rows(1000), "LongTermDebtCurrent": rows(10),
                                           "ShortTermBorrowings": rows(30), "CommercialPaper": rows(20),
                                           "LongTermDebtNoncurrent": rows(100)}}}
    facts = select_facts(doc, company="X", fetched_at=NOW)
    cur = at(facts, "debt_current", date(2025, 12, 31))
    assert cur.value == 10 + 30 and "(LongTermDebtCurrent + ShortTermBorrowings)" in cur.source
    doc["facts"]["us-gaap"]["DebtCurrent"] = rows(40)
    cur = at(select_facts(doc, company="X", fetched_at=NOW), "debt_current", date(2025, 12, 31))
    assert cur.value == 40 and "(DebtCurrent)" in cur.source


# --------------------------------------------------------------------- maturities, undrawn
def test_maturities_and_undrawn_from_tags(conv: dict) -> None:
    mats = select_maturities(conv, company="CONV", fetched_at=NOW)
    assert all(isinstance(m, Maturity) and m.period_end == date(2025, 6, 30) for m in mats)
    # at 2025-06-30 the k-th twelve months end in 2025 + k
    assert {m.year: m.principal for m in mats} == {"2026": 0.0, "2027": 0.0, "2028": 440 * M, "2029": 0.0,
                                                     "2030": 0.0, "thereafter": 550 * M}
    assert any("InYearThree" in m.source for m in mats if m.year == "2028")
    facts = select_facts(conv, company="CONV", fetched_at=NOW)
    assert at(facts, "undrawn_facilities", date(2025, 6, 30)).value == 200 * M


# --------------------------------------------------------------------- calendar
def test_52_53_week_filer_is_fresh_while_current(aapl: dict) -> None:
    cal = calendar_of(aapl)
    assert cal is not None and cal.week_based
    assert cal.periods == ((date(2024, 9, 28), "10-K"), (date(2025, 3, 29), "10-Q"))
    as_of = day(date(2025, 3, 29))
    # month-end rule: the "2025-03-31" quarter, due +45 days = 2025-05-15, so STALE on 2025-06-01
    assert FilingDeadline(fiscal_year_end_month=9).is_stale(as_of, day(date(2025, 6, 1)))
    # own calendar: next quarter at most 14 weeks on, 2025-03-29 + 98 d = 2025-07-05, due + 45 d = 2025-08-19
    assert cal.next_due(as_of) == (date(2025, 7, 5), "10-Q", date(2025, 8, 19))
    assert not cal.is_stale(as_of, day(date(2025, 6, 1)))
    assert not cal.is_stale(as_of, datetime(2025, 8, 19, 23, 0, tzinfo=UTC))
    assert cal.is_stale(as_of, day(date(2025, 8, 20)))
    # the 10-K's own data: next quarter projected 2024-09-28 + 14 weeks = 2025-01-04, due 2025-02-18
    assert cal.next_due(day(date(2024, 9, 28))) == (date(2025, 1, 4), "10-Q", date(2025, 2, 18))


def test_52_53_week_year_end_and_next_quarter() -> None:
    cal = FiscalCalendar(((date(2024, 12, 28), "10-K"), (date(2025, 3, 29), "10-Q"), (date(2025, 6, 28), "10-Q"),
                          (date(2025, 9, 27), "10-Q"), (date(2025, 12, 27), "10-K")))
    # after the 2025-12-27 10-K: next quarter by 2026-04-04 (+14 weeks), 10-Q due + 45 = 2026-05-19
    assert cal.next_due(day(date(2025, 12, 27))) == (date(2026, 4, 4), "10-Q", date(2026, 5, 19))
    # the month-end rule called the 2025-12-31 10-K due 2026-03-31: STALE on 2026-04-15
    assert FilingDeadline().is_stale(day(date(2025, 12, 27)), day(date(2026, 4, 15)))
    assert not cal.is_stale(day(date(2025, 12, 27)), day(date(2026, 4, 15)))
    # from Q3, the next known period is the 10-K: due 2025-12-27 + 90 = 2026-03-27 (a Friday)
    assert cal.next_due(day(date(2025, 9, 27))) == (date(2025, 12, 27), "10-K", date(2026, 3, 27))
    # without it yet: projected 2025-09-27 + 14 w = 2026-01-03; a year (371 d) after the FY24 10-K: 10-K,
    # due 2026-01-03 + 90 = 2026-04-03 (Friday)
    early = FiscalCalendar(cal.periods[:4])
    assert early.next_due(day(date(2025, 9, 27))) == (date(2026, 1, 3), "10-K", date(2026, 4, 3))


def test_ifrs_filer_calendar_is_annual_20f() -> None:
    cal = calendar_of(load("companyfacts-ifrs-constructed.json"))
    assert cal is not None and cal.foreign and not cal.week_based
    # H1 2025 data (a 6-K): the next period with a deadline is FY2025, 20-F due 2025-12-31 + 120 = 2026-04-30
    assert cal.next_due(day(date(2025, 6, 30))) == (date(2025, 12, 31), "20-F", date(2026, 4, 30))
    assert "20-F" in cal.label and "10-K" not in cal.label
    assert cal.explain(day(date(2025, 6, 30))) == "limit: the 2025-12-31 20-F was due 2026-04-30"


def test_20f_filer_limit_text_names_its_form() -> None:
    class Event:
        form = "20-F"

    dl = filing_deadline({"fiscalYearEnd": "1231"}, [Event()])  # type: ignore[list-item]
    assert dl.label == "20-F 120 days after fiscal year end"
    assert "20-F" in dl.explain(day(date(2024, 12, 31)))


def test_ttm_roll_forward_over_a_53_week_year() -> None:
    """FY of 53 weeks + 6M YTD − prior 6M, the prior 6M ending 371 − 364 = 7 days off a calendar year back."""
    src = "test"
    f = lambda m, s, e, v: FinancialFact(as_of=day(e), fetched_at=NOW, source=src, company="W",  # noqa: E731
                                         metric=m, value=v, period_end=e, period_start=s)
    eng = Engine(company="W")
    eng.ingest([f("revenue", date(2024, 12, 30), date(2026, 1, 3), 530.0),      # 53-week FY2025
                f("revenue", date(2026, 1, 4), date(2026, 7, 4), 300.0),        # 26 weeks FY2026
                f("revenue", date(2024, 12, 30), date(2025, 6, 28), 250.0)])    # 26 weeks FY2025
    ttm = eng.state.fin.ttm("W", "revenue", date(2026, 7, 4))
    assert ttm is not None and ttm.value == 530.0 + 300.0 - 250.0  # = 580


# --------------------------------------------------------------------- labels
def test_retained_earnings_label_by_sign(aapl: dict) -> None:
    eng = engine_of(aapl, "AAPL")
    ctx = Context(eng.state, "AAPL", at=date(2025, 3, 29))
    assert ctx.instant("retained_earnings") == -15_552 * M
    assert ctx.used[-1].name == "Accumulated deficit"
    doc = json.loads(json.dumps(aapl))
    for r in doc["facts"]["us-gaap"]["RetainedEarningsAccumulatedDeficit"]["units"]["USD"]:
        r["val"] = abs(r["val"])
    eng = engine_of(doc, "AAPL")
    ctx = Context(eng.state, "AAPL", at=date(2025, 3, 29))
    ctx.instant("retained_earnings")
    assert ctx.used[-1].name == "Retained earnings"


def test_ifrs_equity_is_the_owners_share_as_in_us_gaap() -> None:
    rows = lambda v: {"units": {"USD": [{"end": "2025-12-31", "val": v, "accn": "a-1", "form": "20-F",  # noqa: E731
                                          "filed": "2026-04-20"}]}}
    doc = {"cik": 2, "facts": {"ifrs-full": {"Assets": rows(2000), "Equity": rows(1000),
                                             "EquityAttributableToOwnersOfParent": rows(900)}}}
    (eq,) = [f for f in select_facts(doc, company="F", fetched_at=NOW) if f.metric == "stockholders_equity"]
    assert eq.value == 900  # 1,000 total − 100 minorities: the parent's owners, as us-gaap StockholdersEquity


# --------------------------------------------------------------------- IFRS filer as a peer
def test_ifrs_peer_has_figures_and_lease_variants() -> None:
    """A 20-F/6-K filer (ifrs-full only, Nebius-like, constructed): figures in the peers table, and
    the lease variants read, since IFRS 16 has no operating lease line (0, said in the source)."""
    from engine.peers import PeerBook

    doc = load("companyfacts-ifrs-constructed.json")
    facts = select_facts(doc, company="NBIS", fetched_at=NOW)
    op = at(facts, "operating_lease_current", date(2025, 6, 30))
    assert op.value == 0.0 and "IFRS 16: no operating leases" in op.source
    book = PeerBook(["CRWV", "NBIS"], main="CRWV")
    book.ingest(facts)
    t = book.table()
    assert t.periods["NBIS"] == date(2025, 6, 30)
    # liabilities 2,400 / assets 5,200 = 0.4615 (USD millions, H1-2025 6-K)
    assert t.cell("liabilities_to_assets", "NBIS").value == pytest.approx(2_400 / 5_200)
    eng = book.engines["NBIS"]
    dla = eng.evaluate_at("debt_leases_to_assets", date(2025, 6, 30))
    # (borrowings 50 + 1,000 + operating 0 + 0 + leases 60 + 300) / 5,200 = 1,410 / 5,200 = 0.2712
    assert dla.value == pytest.approx(1_410 / 5_200)
