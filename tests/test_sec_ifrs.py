"""IFRS filers (ifrs-full, 20-F/6-K), currencies, restatements and the answer's identity.

Most tests read ``fixtures/sec/companyfacts-ifrs-constructed.json``: a CONSTRUCTED
document (invented figures, built by ``build_ifrs.py``) modelled on a 20-F/6-K filer
like Nebius. The expected values below were read off ``build_ifrs.py`` by hand.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine import Engine, FinancialFact
from engine.context import Context
from engine.financials import METRICS, FinancialStore, is_quarter, is_year
from feeds.base import FeedError
from feeds.sec_select import quarters_in, select_facts
from feeds.sec_tags import aliases, check_identity, clean_name, reporting_currency

FIX = Path(__file__).parent / "fixtures" / "sec"
IFRS_DOC = FIX / "companyfacts-ifrs-constructed.json"
SNOW = FIX / "companyfacts-CIK0001640147-snowflake.json"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
M = 1_000_000
D23, J24, D24, J25 = date(2023, 12, 31), date(2024, 6, 30), date(2024, 12, 31), date(2025, 6, 30)
FY23, FY24 = (date(2023, 1, 1), D23), (date(2024, 1, 1), D24)
H1_24, H1_25 = (date(2024, 1, 1), J24), (date(2025, 1, 1), J25)
F24, H24, H25 = "0001513845-25-000018", "0001513845-24-000063", "0001513845-25-000071"


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(IFRS_DOC.read_text())


def table(facts: list[FinancialFact]) -> dict[tuple[str, date | None, date], float]:
    return {(f.metric, f.period_start, f.period_end): f.value / M for f in facts}


def rows(doc: dict, tag: str, unit: str = "USD") -> list[dict]:
    return doc["facts"]["ifrs-full"][tag]["units"][unit]


def test_fixture_says_it_is_constructed(doc: dict) -> None:
    assert "CONSTRUCTED" in doc["_comment"] and "ifrs-full" in doc["facts"] and "us-gaap" not in doc["facts"]


def test_every_metric_value_and_period_exactly(doc: dict) -> None:
    facts = select_facts(doc, company="NBIS", fetched_at=NOW)
    want = {
        # balance sheet: newest copy of each instant (the H1-2025 6-K re-files 2024-12-31)
        ("total_assets", None, D23): 2_500, ("total_assets", None, J24): 2_900,
        ("total_assets", None, D24): 3_600, ("total_assets", None, J25): 5_200,
        ("current_assets", None, D24): 2_600, ("current_assets", None, J25): 2_000,
        ("current_liabilities", None, D24): 400, ("current_liabilities", None, J25): 800,
        ("cash", None, D24): 2_450, ("cash", None, J25): 1_450,
        ("total_liabilities", None, D23): 400,  # EquityAndLiabilities 2,500 − Equity 2,100
        ("total_liabilities", None, D24): 700, ("total_liabilities", None, J25): 2_400,
        ("stockholders_equity", None, D23): 2_100, ("stockholders_equity", None, D24): 2_900,
        ("stockholders_equity", None, J25): 2_800,
        ("debt_current", None, D24): 20, ("debt_current", None, J25): 50,
        ("debt_noncurrent", None, D24): 10,  # Borrowings 30 − current 20
        ("debt_noncurrent", None, J25): 1_000,  # the direct tag wins over Borrowings − current
        ("finance_lease_current", None, D24): 40, ("finance_lease_current", None, J25): 60,
        ("finance_lease_noncurrent", None, D24): 150, ("finance_lease_noncurrent", None, J25): 300,
        # IFRS 16: no operating lease line where the lease liabilities are tagged (0, said in the source)
        ("operating_lease_current", None, D24): 0, ("operating_lease_current", None, J25): 0,
        ("operating_lease_noncurrent", None, D24): 0, ("operating_lease_noncurrent", None, J25): 0,
        # income and cash flow: 20-F years and 6-K half years, nothing else
        ("revenue", *FY23): 117, ("revenue", *FY24): 420, ("revenue", *H1_24): 162, ("revenue", *H1_25): 540,
        ("operating_income", *FY23): -300, ("operating_income", *FY24): -400,
        ("operating_income", *H1_24): -200, ("operating_income", *H1_25): -250,
        ("interest_expense", *FY24): 15, ("interest_expense", *H1_24): 5,
        ("interest_expense", *H1_25): 12,  # tagged −12: finance costs are kept positive
        ("d_and_a", *FY23): 90,  # only the lower-priority D&A-and-impairment alias reports FY2023
        ("d_and_a", *FY24): 180,  # DepreciationAndAmortisationExpense wins over the wider line (200)
        ("d_and_a", *H1_24): 70, ("d_and_a", *H1_25): 190,
        ("net_income", *FY24): -390, ("net_income", *H1_24): -180, ("net_income", *H1_25): -280,
        ("cfo", *FY24): 250, ("cfo", *H1_24): 100, ("cfo", *H1_25): -50,
        ("capex", *FY24): 850, ("capex", *H1_24): 300, ("capex", *H1_25): 1_200,
    }
    assert table(facts) == want
    assert len(facts) == len(want)  # one fact per metric and period
    assert {f.metric for f in facts} <= set(METRICS)
    assert all(f.company == "NBIS" and f.unit == "USD" and f.fetched_at == NOW for f in facts)


def test_sources_name_company_cik_currency_and_filing(doc: dict) -> None:
    facts = select_facts(doc, company="NBIS", fetched_at=NOW)
    by = {(f.metric, f.period_start, f.period_end): f for f in facts}
    assert by[("revenue", *H1_25)].source == (
        f"SEC EDGAR companyfacts Nebius Group N.V. (CIK 0001513845, USD) 6-K {H25} filed 2025-08-07")
    assert by[("total_liabilities", None, D23)].source.endswith(
        f"20-F {F24} filed 2025-04-30 (EquityAndLiabilities − Equity)")
    assert by[("debt_noncurrent", None, D24)].source.endswith("(Borrowings − current borrowings)")


def test_restated_comparatives_take_the_latest_filing(doc: dict) -> None:
    fy23 = {r["accn"]: r["val"] / M for r in rows(doc, "Revenue") if r.get("start") == "2023-01-01"}
    h1 = {r["accn"]: r["val"] / M for r in rows(doc, "Revenue")
          if r.get("start") == "2024-01-01" and r["end"] == "2024-06-30"}
    assert fy23 == {"0001513845-24-000021": 110, F24: 117} and h1 == {H24: 160, H25: 162}  # the traps are there
    by = {(f.metric, f.period_start, f.period_end): f for f in select_facts(doc, company="NBIS", fetched_at=NOW)}
    assert by[("revenue", *FY23)].value == 117 * M and F24 in by[("revenue", *FY23)].source
    assert by[("revenue", *H1_24)].value == 162 * M and H25 in by[("revenue", *H1_24)].source


def test_same_filing_date_ties_go_to_the_newer_accession(doc: dict) -> None:
    d = copy.deepcopy(doc)
    rows(d, "Revenue").append({"start": "2024-01-01", "end": "2024-12-31", "val": 425 * M,
                               "accn": "0001513845-25-000019", "fy": 2024, "fp": "FY", "form": "20-F/A",
                               "filed": "2025-04-30"})
    rows(d, "Revenue").append({"start": "2024-01-01", "end": "2024-12-31", "val": 999 * M,
                               "accn": "0001513845-25-000017", "fy": 2024, "fp": "FY", "form": "20-F",
                               "filed": "2025-04-30"})
    rev = table(select_facts(d, company="NBIS", fetched_at=NOW))
    assert rev[("revenue", *FY24)] == 425  # same day as 0001513845-25-000018 (420); the later accession wins


def test_second_currency_is_never_mixed_in(doc: dict) -> None:
    assert list(doc["facts"]["ifrs-full"]["Assets"]["units"])[0] == "RUB"  # the first key is the wrong one
    assert rows(doc, "Revenue", "EUR")[0]["filed"] > max(r["filed"] for r in rows(doc, "Revenue"))
    assert reporting_currency(doc["facts"]) == "USD"
    facts = select_facts(doc, company="NBIS", fetched_at=NOW)
    got = table(facts)
    assert got[("revenue", *H1_25)] == 540  # not the newer EUR 500
    assert 500 not in got.values() and 21_000 not in got.values() and 480_000 not in got.values()
    assert min(f.period_end for f in facts) == D23  # no RUB-era period at all
    assert 9_999 not in got.values()  # the F-3 copy of Assets is not a periodic report


def test_newest_assets_in_another_currency_switches_the_whole_company(doc: dict) -> None:
    d = copy.deepcopy(doc)
    assets = d["facts"]["ifrs-full"]["Assets"]["units"]
    assets["EUR"] = [{"end": "2025-09-30", "val": 4_800 * M, "accn": "0001513845-25-000099", "fy": 2025, "fp": "Q3",
                      "form": "6-K", "filed": "2025-11-10"}]
    assert reporting_currency(d["facts"]) == "EUR"
    facts = select_facts(d, company="NBIS", fetched_at=NOW)
    assert table(facts) == {("total_assets", None, date(2025, 9, 30)): 4_800, ("revenue", *H1_25): 500}
    assert all(f.unit == "EUR" and "(CIK 0001513845, EUR)" in f.source for f in facts)


def test_currency_tie_prefers_usd_and_needs_no_assets() -> None:
    def fact(end: str, val: int) -> dict:
        return {"end": end, "val": val, "accn": "a", "form": "20-F", "filed": "2025-04-01"}

    tie = {"ifrs-full": {"Assets": {"units": {"EUR": [fact("2024-12-31", 1)], "USD": [fact("2024-12-31", 2)],
                                              "shares": [fact("2025-12-31", 3)]}}}}
    assert reporting_currency(tie) == "USD"
    no_assets = {"ifrs-full": {"Equity": {"units": {"GBP": [fact("2024-12-31", 1)], "USD": [fact("2023-12-31", 2)]}}}}
    assert reporting_currency(no_assets) == "GBP"
    facts = select_facts({"cik": 5, "facts": no_assets}, company="X", fetched_at=NOW)
    assert [(f.metric, f.value, f.unit) for f in facts] == [("stockholders_equity", 1.0, "GBP")]


def test_us_gaap_first_when_both_taxonomies_report() -> None:
    def inst(end: str, val: int) -> dict:
        return {"end": end, "val": val, "accn": f"A-{end}", "form": "20-F", "filed": "2025-04-01"}

    facts = {"us-gaap": {"Assets": {"units": {"USD": [inst("2024-12-31", 10)]}}},
             "ifrs-full": {"Assets": {"units": {"USD": [inst("2024-12-31", 11), inst("2023-12-31", 9)]}}}}
    got = table(select_facts({"facts": facts}, company="X", fetched_at=NOW))
    assert got == {("total_assets", None, D23): 9 / M, ("total_assets", None, D24): 10 / M}
    assert aliases("total_assets") == (("us-gaap", "Assets"), ("ifrs-full", "Assets"))
    assert aliases("finance_lease_current")[-1] == ("ifrs-full", "CurrentLeaseLiabilities")  # IFRS 16 leases
    assert not any(tax == "ifrs-full" for tax, _ in aliases("operating_lease_current"))


def test_half_years_are_neither_quarters_nor_years(doc: dict) -> None:
    assert quarters_in(181) == quarters_in(182) == quarters_in(184) == 2
    facts = select_facts(doc, company="NBIS", fetched_at=NOW)
    halves = [f for f in facts if f.period_start is not None and (f.period_end - f.period_start).days < 300]
    assert halves and all(f.period_start.month == 1 and f.period_end == date(f.period_end.year, 6, 30) for f in halves)
    assert not any(is_quarter(f) or is_year(f) for f in halves)
    store = FinancialStore()
    for f in facts:
        store.ingest(f)
    assert store.quarters("NBIS", "revenue") == {}
    assert [f.value for f in store.durations("NBIS", "revenue") if is_year(f)][-1] == 420 * M


def test_us_filers_emit_no_half_years_where_quarters_exist() -> None:
    snow = json.loads(SNOW.read_text())
    facts = select_facts(snow, company="SNOW", fetched_at=NOW, n_quarters=100, n_years=100)
    assert not [f for f in facts
                if f.period_start is not None and quarters_in((f.period_end - f.period_start).days + 1) == 2]


def test_engine_forms_ttm_from_fy_and_half_years(doc: dict) -> None:
    store = FinancialStore()
    for f in select_facts(doc, company="NBIS", fetched_at=NOW):
        store.ingest(f)
    rev = store.ttm("NBIS", "revenue")
    assert rev is not None and rev.period_end == J25
    assert rev.value == (420 + 540 - 162) * M  # FY2024 + H1-2025 − restated H1-2024
    assert rev.derived == "last FY + year-to-date − same period a year earlier"
    assert store.ttm("NBIS", "revenue", D24).value == 420 * M
    assert store.ttm("NBIS", "interest_expense", J25).value == (15 + 12 - 5) * M
    assert store.ttm("NBIS", "operating_income", J25).value == (-400 - 250 + 200) * M
    assert store.ttm("NBIS", "revenue", J24) is None  # H1-2024 has no FY2023 half to roll against


def test_ratios_through_the_engine(doc: dict) -> None:
    eng = Engine(company="NBIS")
    eng.ingest(select_facts(doc, company="NBIS", fetched_at=NOW))

    def value(name: str) -> float:
        return eng.indicators[name].evaluate(Context(eng.state, "NBIS", at=J25)).value

    assert eng.state.fin.balance_periods("NBIS") == [J25, D24, J24, D23]
    assert value("current_ratio") == pytest.approx(2_000 / 800)
    assert value("liabilities_to_assets") == pytest.approx(2_400 / 5_200)
    assert value("interest_coverage") == pytest.approx(-450 / 22)


def test_entity_name_is_text_only() -> None:
    assert clean_name("CoreWeave,\x1b[31m Inc.\u202e\n\t x") == "CoreWeave,[31m Inc. x"
    assert clean_name("[b]Acme[/b] Corp") == "[b]Acme[/b] Corp"  # kept verbatim: data, and never rendered as markup
    assert clean_name("A" * 200) == "A" * 79 + "…"
    assert clean_name(None) == clean_name(42) == ""


def test_identity_check() -> None:
    assert check_identity({"cik": 1769628, "entityName": "CoreWeave, Inc."}, "0001769628",
                          "companyfacts") == "CoreWeave, Inc."
    assert check_identity({"cik": "1769628", "name": "CoreWeave, Inc."}, "0001769628",
                          "submissions") == "CoreWeave, Inc."
    with pytest.raises(FeedError) as info:
        check_identity({"cik": 1640147, "entityName": "SNOWFLAKE INC.\x07"}, "0001769628", "companyfacts")
    msg = str(info.value)
    assert "0001640147" in msg and "0001769628" in msg and "(SNOWFLAKE INC.)" in msg and "\x07" not in msg
    for bad in ({}, {"cik": None}, {"cik": True}, {"cik": "12x"}, {"cik": 0}, [1]):
        with pytest.raises(FeedError, match="no valid 'cik'"):
            check_identity(bad, "0001769628", "companyfacts")
