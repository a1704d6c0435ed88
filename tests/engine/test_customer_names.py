"""One customer counted once: a filing's XBRL share and customers.csv for the same customer and period."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from engine import CustomerShare, Engine
from engine.customers import customer_keys, is_anonymous, same_customer
from engine.indicators.concentration import hhi_bounds
from engine.views import concentration_view

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def share(customer: str, period: str, pct: float, *, filed: bool = False) -> CustomerShare:
    end = date(int(period[-4:]), 12, 31)
    return CustomerShare(as_of=datetime(end.year, 12, 31, tzinfo=UTC), fetched_at=NOW,
                         source="SEC XBRL 10-K" if filed else "sample_data/customers.csv: S-1 [S]",
                         company="CRWV", customer=customer, share=pct / 100, period=period, period_end=end,
                         from_filing=filed)


CSV = [share("Microsoft", "FY2024", 62), share("NVIDIA", "FY2024", 15), share("Top 2 customers", "FY2024", 77),
       share("Microsoft", "FY2025", 67)]
FILING = [share("Microsoft Corporation", "FY2024", 62, filed=True), share("Customer B", "FY2024", 15, filed=True),
          share("Microsoft Corporation", "FY2025", 67, filed=True)]


def test_names_match_across_member_label_and_csv() -> None:
    assert customer_keys("crwv:MicrosoftMember") == customer_keys("Microsoft Corporation") == {"microsoft"}
    assert customer_keys("crwv:MicrosoftCorporationMember") == customer_keys("Microsoft") == {"microsoft"}
    assert same_customer("NVIDIA Corp.", "crwv:NVIDIACorporationMember")
    assert same_customer("OpenAI, Inc.", "Open AI LLC")
    assert same_customer("Customer A (Microsoft)", "Microsoft")  # the CSV resolves an anonymous member
    assert same_customer("Customer A (Microsoft)", "crwv:CustomerAMember")
    assert not same_customer("Microsoft", "Meta Platforms Inc")
    assert not same_customer("Customer A", "Customer B")
    assert is_anonymous("crwv:CustomerAMember") and is_anonymous("Customer 2")
    assert not is_anonymous("Microsoft") and not is_anonymous("Customers") and not is_anonymous("Top 2 customers")


@pytest.mark.parametrize("order", ["csv first", "filing first", "interleaved"])
def test_same_customer_never_counted_twice(order: str) -> None:
    rows = {"csv first": CSV + FILING, "filing first": FILING + CSV,
            "interleaved": [r for pair in itertools.zip_longest(FILING, CSV) for r in pair if r]}[order]
    eng = Engine(company="CRWV")
    eng.ingest(rows)
    kept = sorted((s.customer, s.period, s.share) for s in eng.state.customers["CRWV"].values())
    # the filing wins; the CSV's Microsoft rows are dropped, not summed; NVIDIA may be the filing's
    # anonymous "Customer B", so it goes too; the stated aggregate stays
    assert kept == [("Customer B", "FY2024", 0.15), ("Microsoft Corporation", "FY2024", 0.62),
                    ("Microsoft Corporation", "FY2025", 0.67), ("Top 2 customers", "FY2024", 0.77)]
    assert eng.evaluate("top1_share").value == pytest.approx(0.67)
    hhi = eng.evaluate("hhi")
    assert hhi.value == pytest.approx(67.0 ** 2)  # not 2 × 67²
    assert hhi.get("upper") == pytest.approx(hhi_bounds([0.67])[1])
    view = concentration_view(eng.state, "CRWV", {"hhi": hhi})
    assert view.top2_share == pytest.approx(0.77) and view.top2_period == "FY2024"  # not 62 + 62 or 62 + 15 + 15
    assert eng.evaluate("top1_trend").value == pytest.approx(0.05)  # Microsoft Corporation vs itself a year on


def test_csv_alone_and_a_press_release_figure_the_filing_lacks() -> None:
    eng = Engine(company="CRWV")
    eng.ingest(CSV)
    assert eng.evaluate("hhi").value == pytest.approx(67.0 ** 2)
    assert concentration_view(eng.state, "CRWV").top2_share == pytest.approx(0.77)
    # a filing naming every customer (no anonymous one) leaves a customer it does not name alone
    eng2 = Engine(company="CRWV")
    eng2.ingest([share("Microsoft", "FY2025", 67), share("Meta", "FY2025", 8),
                 share("Microsoft Corp", "FY2025", 67, filed=True)])
    assert sorted(s.customer for s in eng2.state.customers["CRWV"].values()) == ["Meta", "Microsoft Corp"]
    assert eng2.evaluate("hhi").value == pytest.approx(67.0 ** 2 + 8.0 ** 2)


def test_trend_compares_a_year_with_a_year_under_either_name() -> None:
    """customers.csv's Q1-2025 "Customer A (Microsoft)" is Microsoft, but a quarter: the FY2025
    share is compared with FY2024's, whichever name each period's source used."""
    eng = Engine(company="CRWV")
    q1 = CustomerShare(as_of=datetime(2025, 3, 31, tzinfo=UTC), fetched_at=NOW, source="csv", company="CRWV",
                       customer="Customer A (Microsoft)", share=0.72, period="Q1-2025", period_end=date(2025, 3, 31))
    eng.ingest([share("Microsoft", "FY2024", 62), q1, share("Microsoft Corporation", "FY2025", 67, filed=True)])
    trend = eng.evaluate("top1_trend")
    assert trend.value == pytest.approx(0.05) and trend.get("previous_period") == "FY2024"


def test_one_customer_is_one_name_on_screen() -> None:
    eng = Engine(company="CRWV")
    q1 = CustomerShare(as_of=datetime(2025, 3, 31, tzinfo=UTC), fetched_at=NOW, source="csv", company="CRWV",
                       customer="Customer A (Microsoft)", share=0.72, period="Q1-2025", period_end=date(2025, 3, 31))
    eng.ingest([share("Microsoft", "FY2023", 35), q1, share("Microsoft Corporation", "FY2025", 67, filed=True)])
    view = concentration_view(eng.state, "CRWV")
    assert [(p.customer, p.period) for p in view.points] == [
        ("Microsoft Corporation", "FY2023"), ("Customer A (Microsoft)", "Q1-2025"), ("Microsoft Corporation", "FY2025")]
    assert view.points[0].source.startswith("sample_data/customers.csv")  # the figure keeps its own source
