"""sec_select on a real companyfacts document (Snowflake) and a constructed CoreWeave one."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine import Engine, FinancialFact
from engine.context import Context
from engine.financials import METRICS
from feeds.base import FeedError, NoDataError
from feeds.sec_filings import new_debt, select_filings
from feeds.sec_select import quarters_and_years, select_facts, tag_series
from feeds.sec_tags import is_periodic

FIX = Path(__file__).parent / "fixtures" / "sec"
SNOW = FIX / "companyfacts-CIK0001640147-snowflake.json"
CRWV = FIX / "coreweave-constructed.json"
SUBS = FIX / "submissions-CIK0001769628-constructed.json"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PERIODIC = {"10-K", "10-Q", "20-F", "40-F", "10-K/A", "10-Q/A"}


@pytest.fixture(scope="module")
def snow() -> dict:
    return json.loads(SNOW.read_text())


@pytest.fixture(scope="module")
def crwv() -> dict:
    return json.loads(CRWV.read_text())


def by(facts: list[FinancialFact], metric: str) -> dict[tuple[date | None, date], FinancialFact]:
    return {(f.period_start, f.period_end): f for f in facts if f.metric == metric}


def latest_instant(f: list[FinancialFact], metric: str) -> FinancialFact:
    return max((x for x in f if x.metric == metric and x.period_start is None), key=lambda x: x.period_end)


def naive_latest(doc: dict, tag: str) -> dict:
    """Independent expectation: periodic USD rows, max over end, then filed."""
    rows = [r for r in doc["facts"]["us-gaap"][tag]["units"]["USD"] if r["form"] in PERIODIC and "start" not in r]
    return max(rows, key=lambda r: (r["end"], r["filed"]))


# --------------------------------------------------------------------- Snowflake (real)
@pytest.mark.parametrize(("tag", "metric"), [("Liabilities", "total_liabilities"),
                                             ("AssetsCurrent", "current_assets"),
                                             ("LiabilitiesCurrent", "current_liabilities")])
def test_snowflake_latest_instants(snow: dict, tag: str, metric: str) -> None:
    facts = select_facts(snow, company="SNOW", fetched_at=NOW)
    got = latest_instant(facts, metric)
    want = naive_latest(snow, tag)
    assert got.period_end == date.fromisoformat(want["end"])
    assert got.value == want["val"]
    assert got.source == (f"SEC EDGAR companyfacts SNOWFLAKE INC. (CIK 0001640147, USD) 10-Q {want['accn']} "
                          f"filed {want['filed']}")
    assert got.as_of == datetime(got.period_end.year, got.period_end.month, got.period_end.day, tzinfo=UTC)
    assert got.fetched_at == NOW and got.company == "SNOW" and got.unit == "USD"


def test_snowflake_spot_values_by_hand(snow: dict) -> None:
    facts = select_facts(snow, company="SNOW", fetched_at=NOW)
    # read off the JSON by hand: Q1 FY2026 10-Q 0001640147-25-000110, balance at 2025-04-30
    assert latest_instant(facts, "total_liabilities").value == 5_742_553_000
    assert latest_instant(facts, "current_assets").value == 4_785_974_000
    assert latest_instant(facts, "current_liabilities").value == 3_030_544_000
    # previous balance-sheet date kept too (the 10-K's 2025-01-31, last re-filed in the 10-Q)
    liab = by(facts, "total_liabilities")
    assert liab[(None, date(2025, 1, 31))].value == 6_027_295_000
    assert len([k for k in liab]) == 8


def test_snowflake_derived_q4_and_ttm(snow: dict) -> None:
    facts = select_facts(snow, company="SNOW", fetched_at=NOW)
    rev = by(facts, "revenue")
    rows = snow["facts"]["us-gaap"]["RevenueFromContractWithCustomerExcludingAssessedTax"]["units"]["USD"]

    def reported(start: str, end: str) -> int:
        return max((r for r in rows if r.get("start") == start and r["end"] == end), key=lambda r: r["filed"])["val"]

    fy = reported("2024-02-01", "2025-01-31")
    nine = reported("2024-02-01", "2024-10-31")
    q4 = rev[(date(2024, 11, 1), date(2025, 1, 31))]
    assert q4.value == fy - nine == 986_770_000  # by hand: 3,626,396 − (828,709 + 868,823 + 942,094) thousand
    assert "FY − 9M" in q4.source and "0001640147-25-000052" in q4.source
    assert rev[(date(2024, 2, 1), date(2025, 1, 31))].value == fy == 3_626_396_000
    # the engine's TTM at the latest quarter sums Q2..Q4 FY25 and Q1 FY26
    eng = Engine(company="SNOW")
    eng.ingest(facts)
    ttm = eng.state.fin.ttm("SNOW", "revenue")
    assert ttm is not None and ttm.period_end == date(2025, 4, 30)
    assert ttm.value == 868_823_000 + 942_094_000 + 986_770_000 + 1_042_074_000


def test_snowflake_fp_fy_on_10q_does_not_fool_it(snow: dict) -> None:
    rows = snow["facts"]["us-gaap"]["RevenueFromContractWithCustomerExcludingAssessedTax"]["units"]["USD"]
    trap = [r for r in rows if r["form"] == "10-Q" and r["fp"] == "FY" and r.get("start") == "2022-02-01"]
    assert trap and trap[0]["end"] == "2022-04-30"  # the real mislabel is in the fixture
    facts = select_facts(snow, company="SNOW", fetched_at=NOW, n_quarters=100, n_years=100)
    rev = by(facts, "revenue")
    years = {k: f for k, f in rev.items() if (k[1] - k[0]).days > 300}
    assert all(end.month == 1 and end.day == 31 for _, end in years)  # fiscal years end 31 Jan only
    q = rev[(date(2022, 2, 1), date(2022, 4, 30))]
    assert q.value == trap[0]["val"] == 422_371_000
    # the FY ending 2022-01-31 comes from a 10-K, never from the 10-Q labelled FY
    assert rev[(date(2021, 2, 1), date(2022, 1, 31))].source.startswith(
        "SEC EDGAR companyfacts SNOWFLAKE INC. (CIK 0001640147, USD) 10-K")


def test_snowflake_every_metric_is_canonical_and_fast(snow: dict) -> None:
    t0 = time.perf_counter()
    facts = select_facts(json.loads(SNOW.read_text()), company="SNOW", fetched_at=NOW)
    assert time.perf_counter() - t0 < 1.0
    assert {f.metric for f in facts} <= set(METRICS)
    assert all(f.value >= 0 for f in facts if f.metric in ("interest_expense", "capex", "d_and_a"))


def test_only_periodic_forms_and_usd_unit() -> None:
    assert is_periodic("10-Q") and is_periodic("10-K/A") and is_periodic("20-F") and is_periodic("40-F/A")
    assert is_periodic("6-K") and is_periodic("6-k/a") and is_periodic("20-F/A")
    assert not is_periodic("8-K") and not is_periodic("S-1") and not is_periodic("10-12G")
    gaap = {"Assets": {"units": {
        "EUR": [{"end": "2024-12-31", "val": 1, "accn": "a", "form": "10-K", "filed": "2025-03-01"}],
        "USD": [{"end": "2024-12-31", "val": 5, "accn": "b", "form": "10-K", "filed": "2025-02-01"},
                {"end": "2024-12-31", "val": 7, "accn": "c", "form": "8-K", "filed": "2025-04-01"},
                {"end": "2024-12-31", "val": 6, "accn": "d", "form": "10-K/A", "filed": "2025-03-15"},
                {"end": "2024-12-31", "val": 9, "accn": "e", "form": "10-Q", "filed": "2025-03-15"},
                {"end": "bad", "val": 1, "accn": "f", "form": "10-Q", "filed": "2025-05-01"},
                {"end": "2024-12-31", "val": "x", "accn": "g", "form": "10-Q", "filed": "2025-05-01"}],
    }}}
    picks = tag_series(gaap, "Assets")
    (pick,) = picks.values()
    assert pick.value == 9 and pick.accn == "e"  # newest filed; tie on 2025-03-15 → later accession


def test_quarters_from_ytd_only_when_not_reported() -> None:
    def row(start: str, end: str, val: int, filed: str, form: str = "10-Q") -> dict:
        return {"start": start, "end": end, "val": val, "accn": f"A-{end}", "form": form, "filed": filed}

    usd = [row("2024-01-01", "2024-03-31", 10, "2024-05-01"),
           row("2024-01-01", "2024-06-30", 25, "2024-08-01"),
           row("2024-04-01", "2024-06-30", 15, "2024-08-01"),
           row("2024-01-01", "2024-09-30", 45, "2024-11-01"),  # Q3 not reported → 45 − 25
           row("2024-01-01", "2024-12-31", 70, "2025-03-01", "10-K")]  # Q4 → 70 − 45
    series = tag_series({"T": {"units": {"USD": usd}}}, "T")
    quarters, years = quarters_and_years(series)
    assert {e: p.value for e, p in quarters.items()} == {
        date(2024, 3, 31): 10, date(2024, 6, 30): 15, date(2024, 9, 30): 20, date(2024, 12, 31): 25}
    assert quarters[date(2024, 9, 30)].start == date(2024, 7, 1)
    assert "9M − 6M" in quarters[date(2024, 9, 30)].source and quarters[date(2024, 6, 30)].note == ""
    assert {e: p.value for e, p in years.items()} == {date(2024, 12, 31): 70}


# --------------------------------------------------------------------- CoreWeave (constructed)
def test_coreweave_ratios_through_the_engine(crwv: dict) -> None:
    facts = select_facts(crwv, company="CRWV", fetched_at=NOW)
    eng = Engine()
    eng.ingest(facts)
    ctx = Context(eng.state, "CRWV", at=date(2024, 12, 31))
    cr = eng.indicators["current_ratio"].evaluate(ctx)
    la = eng.indicators["liabilities_to_assets"].evaluate(Context(eng.state, "CRWV", at=date(2024, 12, 31)))
    assert cr.value == pytest.approx(0.386, abs=5e-4)
    assert la.value == pytest.approx(0.927, abs=5e-4)
    assert la.status == "alert"
    srcs = {i.source for i in la.inputs}
    assert srcs == {"SEC EDGAR companyfacts CoreWeave, Inc. (CIK 0001769628, USD) "
                    "10-Q 0001769628-25-000014 filed 2025-05-15"}
    # latest balance sheet is 2025-03-31, and no S-1-only period leaked in
    assert eng.state.fin.balance_periods("CRWV") == [date(2025, 3, 31), date(2024, 12, 31)]
    assert eng.snapshot.indicators["current_ratio"].value == pytest.approx(3_102_647 / 7_130_797)


def test_coreweave_durations(crwv: dict) -> None:
    facts = select_facts(crwv, company="CRWV", fetched_at=NOW)
    rev = by(facts, "revenue")
    q4 = rev[(date(2024, 10, 1), date(2024, 12, 31))]
    assert q4.value == 747_430_000  # coreweave.md [D]: FY − 9M
    assert rev[(date(2025, 7, 1), date(2025, 9, 30))].value == 1_364_676_000
    interest = by(facts, "interest_expense")
    assert interest[(date(2024, 1, 1), date(2024, 12, 31))].value == 360_824_000  # tagged and kept positive
    eng = Engine()
    eng.ingest(facts)
    cov = eng.indicators["interest_coverage"].evaluate(Context(eng.state, "CRWV", at=date(2024, 12, 31)))
    assert cov.value == pytest.approx(324_358 / 360_824)
    ttm = eng.state.fin.ttm("CRWV", "revenue", date(2025, 9, 30))
    assert ttm is not None and ttm.value == (747_430 + 981_632 + 1_212_788 + 1_364_676) * 1000


def test_liabilities_direct_tag_and_fallback(crwv: dict) -> None:
    direct = latest_instant(select_facts(crwv, company="CRWV", fetched_at=NOW), "total_liabilities")
    assert direct.value == 18_791_101_000 and "LiabilitiesAndStockholdersEquity" not in direct.source
    doc = copy.deepcopy(crwv)
    del doc["facts"]["us-gaap"]["Liabilities"]
    liab = by(select_facts(doc, company="CRWV", fetched_at=NOW), "total_liabilities")
    # total − equity − mezzanine: 17,832,599 − (−413,598) − 1,722,111 = 16,524,086 thousand
    at24 = liab[(None, date(2024, 12, 31))]
    assert at24.value == pytest.approx(16_524_086_000)
    assert "LiabilitiesAndStockholdersEquity − StockholdersEquity − TemporaryEquity" in at24.source
    assert liab[(None, date(2025, 3, 31))].value == pytest.approx(18_791_101_000)
    # without temporary equity the fallback is total − equity
    del doc["facts"]["us-gaap"]["TemporaryEquityCarryingAmountAttributableToParent"]
    liab = by(select_facts(doc, company="CRWV", fetched_at=NOW), "total_liabilities")
    assert liab[(None, date(2024, 12, 31))].value == pytest.approx((17_832_599 + 413_598) * 1000)


def test_bad_documents_raise_feed_errors() -> None:
    with pytest.raises(FeedError, match="facts"):
        select_facts({"cik": 1}, company="X", fetched_at=NOW)
    with pytest.raises(FeedError, match="facts"):
        select_facts([1, 2], company="X", fetched_at=NOW)
    with pytest.raises(NoDataError):
        select_facts({"facts": {"ifrs-full": {}}}, company="X", fetched_at=NOW)
    with pytest.raises(NoDataError):
        select_facts({"facts": {"us-gaap": {"Assets": {"units": {"EUR": []}}}}}, company="X", fetched_at=NOW)
    with pytest.raises(FeedError, match="filings"):
        select_filings({"cik": "1"}, company="X", fetched_at=NOW)


# --------------------------------------------------------------------- submissions (constructed)
def test_submissions_to_filing_events() -> None:
    doc = json.loads(SUBS.read_text())
    events = select_filings(doc, company="CRWV", fetched_at=NOW)
    assert [e.form for e in events] == ["10-Q", "8-K", "10-Q", "8-K", "10-K", "10-Q", "10-Q", "10-Q"]
    top = events[0]
    assert top.accession == "0001769628-26-000366" and top.filed == date(2026, 8, 13)
    assert top.source == "https://www.sec.gov/Archives/edgar/data/1769628/000176962826000366/crwv-20260630.htm"
    assert top.as_of == datetime(2026, 8, 13, 16, 5, tzinfo=UTC)
    debt = [e for e in events if new_debt(e)]
    assert [e.accession for e in debt] == ["0001769628-26-000350"]
    assert debt[0].items == ("1.01", "2.03", "9.01")
    assert not new_debt(events[3])  # 2.02 results, 9.01 exhibits


def test_submissions_tolerates_ragged_columns() -> None:
    doc = {"cik": "42", "filings": {"recent": {"accessionNumber": ["a-1", "a-2", 3], "form": ["8-K", "10-Q", "8-K"],
                                               "filingDate": ["2026-01-02", "nope", "2026-01-03"], "items": ["2.03"]}}}
    events = select_filings(doc, company="X", fetched_at=NOW)
    assert [(e.accession, e.items) for e in events] == [("a-1", ("2.03",))]
