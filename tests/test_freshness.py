"""Freshness: every feed's data has a limit on its age, judged against the runner's clock."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.observations import Assumption, CustomerShare, FilingEvent, FinancialFact, PriceQuote, RateObs
from feeds.base import Feed
from feeds.freshness import (
    ANNUAL_FILINGS,
    DAILY,
    QUARTERLY_FILINGS,
    BusinessDays,
    FilingDeadline,
    MaxAge,
    add_business_days,
    by_kind,
    price_freshness,
)
from feeds.runner import ERROR, OK, STALE, FeedRunner, FeedStatus
from feeds.sample import SampleRatesFeed, default_sample_dir

UTC = UTC


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


# ----------------------------------------------------------------- business days
def test_business_days_skip_weekends() -> None:
    friday = date(2026, 3, 6)
    assert add_business_days(friday, 1) == date(2026, 3, 9)  # Monday
    assert add_business_days(friday, 5) == date(2026, 3, 13)
    assert add_business_days(date(2026, 3, 7), 1) == date(2026, 3, 9)  # from a Saturday


def test_a_friday_value_is_fresh_on_thursday_not_on_saturday_week() -> None:
    value = at(2026, 3, 6)  # Friday
    assert not DAILY.is_stale(value, at(2026, 3, 12, 23, 59))  # next Thursday
    assert not DAILY.is_stale(value, at(2026, 3, 13, 23, 59))  # next Friday: the 5th business day
    assert DAILY.is_stale(value, at(2026, 3, 14, 0, 1))  # Saturday week
    assert DAILY.explain(value) == "limit 5 business days" and BusinessDays(1).label == "1 business day"


def test_max_age_and_daily_prices() -> None:
    assert MaxAge(240).label == "4 min" and MaxAge(7200).label == "2 h" and MaxAge(2).label == "2 s"
    assert MaxAge(240).is_stale(at(2026, 3, 6, 12), at(2026, 3, 6, 12, 5))
    quote = dict(fetched_at=at(2026, 3, 6, 12), source="t", sku="H100 SXM", tier="index", provider="p", price=2.0)
    daily = [PriceQuote(as_of=at(2026, 3, 6), **quote)]
    intraday = [PriceQuote(as_of=at(2026, 3, 6, 11, 58), **quote)]
    assert price_freshness(3600, daily) == DAILY  # a daily index is not STALE at noon
    assert price_freshness(3600, intraday) == MaxAge(7200)
    weekly_poll = price_freshness(7 * 86400, daily)  # 2 weeks is longer than 5 business days
    assert weekly_poll.expires(at(2026, 3, 6)) == at(2026, 3, 20)


# ----------------------------------------------------------------- filing deadlines
def _latest_due_period_end(now: date, rule: FilingDeadline, months: set[int]) -> date:
    """The brief's formulation: the newest period end whose filing deadline has passed."""
    ends = [date(y, m + 1, 1) - timedelta(days=1) if m < 12 else date(y, 12, 31)
            for y in range(2023, 2030) for m in months]
    return max(q for q in ends if rule.due(q) < now)


@pytest.mark.parametrize("rule, months", [(QUARTERLY_FILINGS, {3, 6, 9, 12}), (ANNUAL_FILINGS, {12}),
                                          (FilingDeadline(fiscal_year_end_month=1), {1, 4, 7, 10})])
def test_filing_rule_is_the_latest_period_whose_deadline_passed(rule: FilingDeadline, months: set[int]) -> None:
    for end in (date(2024, 12, 31), date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30),
                date(2025, 11, 15), date(2026, 1, 31)):
        for k in range(0, 800):
            now = end + timedelta(days=k)
            stale = end < _latest_due_period_end(now, rule, months)
            assert rule.is_stale(at(end.year, end.month, end.day), at(now.year, now.month, now.day, 12)) == stale, \
                (rule, end, now)


def test_filing_deadlines_in_dates() -> None:
    q3 = at(2025, 9, 30)
    assert not QUARTERLY_FILINGS.is_stale(q3, at(2026, 3, 31, 23, 0))  # the FY 10-K is due 90 days on
    assert QUARTERLY_FILINGS.is_stale(q3, at(2026, 4, 1, 0, 1))
    assert QUARTERLY_FILINGS.explain(q3) == "limit: the 2025-12-31 10-K was due 2026-03-31"
    assert QUARTERLY_FILINGS.explain(at(2025, 6, 30)) == "limit: the 2025-09-30 10-Q was due 2025-11-14"
    # 2027-03-31 + 45 days is a Saturday: the deadline moves to the Monday.
    assert QUARTERLY_FILINGS.next_due(at(2026, 12, 31)) == (date(2027, 3, 31), date(2027, 5, 17))
    # A fiscal year ending in January (10-K for January, 10-Qs for April, July, October).
    jan = FilingDeadline(fiscal_year_end_month=1)
    assert jan.next_due(at(2025, 10, 31)) == (date(2026, 1, 31), date(2026, 5, 1))
    assert jan.next_due(at(2026, 1, 31)) == (date(2026, 4, 30), date(2026, 6, 15))
    assert ANNUAL_FILINGS.next_due(at(2025, 12, 31)) == (date(2026, 12, 31), date(2027, 3, 31))


# ----------------------------------------------------------------- defaults by kind
def _fact(end: date, fetched: datetime) -> FinancialFact:
    return FinancialFact(as_of=at(end.year, end.month, end.day), fetched_at=fetched, source="t", company="X",
                         metric="total_assets", value=1.0, period_end=end)


def test_default_limit_by_what_the_feed_returns() -> None:
    f = at(2026, 3, 3)
    rate = RateObs(as_of=f, fetched_at=f, source="t", series="S", value=4.0)
    share = CustomerShare(as_of=f, fetched_at=f, source="t", company="X", customer="A", share=0.5, period="FY",
                          period_end=f.date())
    assumption = Assumption(as_of=f, fetched_at=f, source="t", name="n", value=1.0, unit="", note="")
    assert by_kind([rate], 60) == DAILY
    assert by_kind([_fact(date(2025, 12, 31), f)], 60) == QUARTERLY_FILINGS
    assert by_kind([share], 60) == ANNUAL_FILINGS
    assert by_kind([assumption], 60) is None and by_kind([], 60) is None


class Canned(Feed):
    name = "canned"

    def __init__(self, batches: list[list]) -> None:
        super().__init__(interval=3600)
        self.batches = batches

    async def poll(self):  # type: ignore[no-untyped-def]
        return self.batches.pop(0)


def test_financial_feed_is_dated_by_period_end_not_by_filing_day() -> None:
    fetched = at(2026, 2, 27, 12)
    filed = FilingEvent(as_of=at(2026, 2, 26, 21), fetched_at=fetched, source="t", company="X", form="10-K",
                        filed=date(2026, 2, 26),
                        accession="0000000000-26-000001")
    old = _fact(date(2025, 6, 30), fetched)  # the newest balance sheet on file: Q2 2025
    clock = {"now": at(2026, 2, 27, 12)}
    runner = FeedRunner([Canned([[old, filed], [filed]])], clock=lambda: clock["now"])
    asyncio.run(runner.poll("canned"))
    st = runner.status["canned"]
    assert st.state == OK and st.last_as_of == at(2025, 6, 30)  # not the 8-K/10-K filing day
    assert st.display_state() == STALE  # the 2025-09-30 10-Q was due 2025-11-14
    assert st.stale_reason() == "data 2025-06-30 (limit: the 2025-09-30 10-Q was due 2025-11-14)"
    asyncio.run(runner.poll("canned"))  # a poll with only a filing event keeps the data date
    assert st.last_as_of == at(2025, 6, 30) and st.freshness == QUARTERLY_FILINGS


def test_display_state_errors_win_and_no_limit_never_stales() -> None:
    now = at(2026, 3, 3, 12)
    st = FeedStatus("x", 60, state=OK, last_ok=now, last_as_of=at(2024, 4, 18), freshness=DAILY)
    assert st.display_state(now) == STALE and st.problem(now) == "data 2024-04-18 (limit 5 business days)"
    st.state, st.last_error = ERROR, "HTTP 500"
    assert st.display_state(now) == ERROR and st.problem(now) == "HTTP 500"
    free = FeedStatus("y", 60, state=OK, last_ok=now, last_as_of=at(2020, 1, 1), freshness=None)
    assert free.display_state(now) == OK and free.stale_reason(now) == ""
    # The injected clock, not the screen's `now`, judges the data.
    pinned = FeedStatus("z", 60, state=OK, last_ok=now, last_as_of=at(2024, 4, 18), freshness=DAILY,
                        clock=lambda: at(2024, 4, 19))
    assert pinned.display_state(now) == OK


# ----------------------------------------------------------------- the demo clock
def test_demo_is_judged_as_of_its_opening_day() -> None:
    from gpurisk.session import demo_session

    s = demo_session()
    assert s.runner.clock() == at(2026, 3, 3, 23, 59)
    asyncio.run(s.poll_all())
    for _ in range(5):  # the replay moves on: prices dated after the opening day stay fresh
        asyncio.run(s.poll("replay"))
    now = datetime.now(UTC)
    assert s.status["replay"].last_as_of > at(2026, 3, 4)
    assert s.status["replay"].display_state(now) == OK
    assert s.status["sample_financials"].display_state(now) == OK  # FY2025 10-K period: 2025-12-31
    assert s.status["sample_customers"].display_state(now) == OK
    rates = s.status["sample_rates"]
    fresh = rates.last_as_of >= at(2026, 2, 24)  # 5 business days before Tuesday 2026-03-03
    assert rates.display_state(now) == (OK if fresh else STALE)
    later = demo_session(start="2026-04-01")
    assert later.runner.clock() == at(2026, 4, 1, 23, 59)


def test_sample_rates_against_the_clock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(default_sample_dir() / "rates.csv", tmp_path / "rates.csv")
    (tmp_path / "rates.csv").write_text("date,series,value,source\n2026-02-27,DGS10,4.1,test\n")
    clock = {"now": at(2026, 3, 3, 23, 59)}
    runner = FeedRunner([SampleRatesFeed(tmp_path)], clock=lambda: clock["now"])
    asyncio.run(runner.poll("sample_rates"))
    st = runner.status["sample_rates"]
    assert st.display_state() == OK and st.limit == "5 business days"
    clock["now"] = at(2026, 3, 7, 0, 1)  # Saturday after Friday 2026-03-06, the 5th business day
    assert st.display_state() == STALE


def test_snapshot_json_shows_data_staleness() -> None:
    from gpurisk.snapshot_json import snapshot_json

    now = at(2026, 3, 3, 12)
    st = FeedStatus("fred", 21600, state=OK, last_ok=now, last_as_of=at(2024, 4, 18), freshness=DAILY)
    fine = FeedStatus("vastai", 120, state=OK, last_ok=now, last_as_of=now, freshness=MaxAge(240))

    class Snap:
        financials = customers = score = None
        company, prices, indicators = "CRWV", {}, {}

    doc = snapshot_json(Snap(), {"fred": st, "vastai": fine}, False, now)  # type: ignore[arg-type]
    feeds = {f["name"]: f for f in doc["feeds"]}
    assert feeds["fred"]["state"] == "STALE" and feeds["fred"]["data_stale"] is True
    assert feeds["fred"]["stale_reason"] == "data 2024-04-18 (limit 5 business days)"
    assert feeds["fred"]["data_limit"] == "5 business days" and feeds["fred"]["last_error"] == ""
    assert feeds["vastai"]["state"] == "OK" and feeds["vastai"]["stale_reason"] is None
