"""sample_data/equity.csv and the feed that plays it (SampleEquityFeed).

The file is a recorded CRWV close history with one stated share count; the demo values
distance to default from it, so a lost row, a unit slip or a bad cell must fail here.
"""

from __future__ import annotations

import csv
import math
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine.observations import EquityQuote
from feeds.base import FeedContext, FeedError
from feeds.registry import load
from feeds.sample import default_sample_dir
from feeds.sample_equity import SampleEquityFeed, parse_equity
from gpurisk.config import DEMO_FEEDS

SAMPLE = default_sample_dir()
EQUITY = SAMPLE / "equity.csv"
HEADER = "date,ticker,close,shares_outstanding,source\n"
NOW = datetime(2026, 3, 3, tzinfo=UTC)


def rows() -> list[dict[str, str]]:
    with EQUITY.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --- the bundled file ---------------------------------------------------------------
def test_file_parses_every_row_into_a_quote() -> None:
    quotes = parse_equity(EQUITY, NOW)
    assert len(quotes) == len(rows()) > 200
    assert all(isinstance(q, EquityQuote) and q.ticker == "CRWV" for q in quotes)


def test_every_row_has_a_source_and_a_positive_close() -> None:
    for r in rows():
        assert r["source"].strip(), r["date"]
        assert float(r["close"]) > 0, r["date"]
        assert r["ticker"] == "CRWV"


def test_history_runs_from_the_ipo_to_before_the_demo_opening() -> None:
    days = [date.fromisoformat(r["date"]) for r in rows()]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert days[0] == date(2025, 3, 28)  # IPO day; priced at $40, closed at $40.00
    assert days[-1] < date(2026, 3, 3)  # nothing from the demo's opening day or later
    first = rows()[0]
    assert float(first["close"]) == 40.0
    # a year-long daily series has no gap longer than a long weekend (+ holiday)
    assert max((b - a).days for a, b in zip(days, days[1:], strict=False)) <= 4


def test_close_at_the_balance_sheet_date() -> None:
    # 2025-09-30 is the demo's balance-sheet date; the S-4 quotes the 2025-07-03 close as $165.20.
    by_day = {r["date"]: float(r["close"]) for r in rows()}
    assert by_day["2025-09-30"] == pytest.approx(136.85)
    assert by_day["2025-07-03"] == pytest.approx(165.20)


def test_share_count_only_on_the_row_whose_filing_states_it() -> None:
    stated = [r for r in rows() if r["shares_outstanding"].strip()]
    assert len(stated) == 1
    r = stated[0]
    assert r["date"] == "2025-05-07"
    assert int(r["shares_outstanding"]) == 361_875_093 + 118_102_040  # Class A + B (+ 0 Class C)
    assert "0001769628-25-000014" in r["source"]
    quotes = parse_equity(EQUITY, NOW)
    with_shares = [q for q in quotes if q.shares_outstanding is not None]
    assert [q.as_of for q in with_shares] == [datetime(2025, 5, 7, tzinfo=UTC)]


def test_quotes_are_dated_midnight_utc_and_sourced_to_the_file() -> None:
    q = parse_equity(EQUITY, NOW)[0]
    assert q.as_of == datetime(2025, 3, 28, tzinfo=UTC)
    assert q.fetched_at == NOW
    assert q.source.startswith("sample_data/equity.csv: ")
    assert q.key == "equity/CRWV"


def test_daily_log_returns_give_a_finite_volatility() -> None:
    closes = [float(r["close"]) for r in rows() if r["date"] <= "2025-09-30"]
    rets = [math.log(b / a) for a, b in zip(closes, closes[1:], strict=False)]
    assert len(rets) > 100
    mean = sum(rets) / len(rets)
    sd = math.sqrt(sum((x - mean) ** 2 for x in rets) / (len(rets) - 1))
    assert 0.01 < sd < 0.2  # a daily σ between 1% and 20%: a wrong unit or a lost row would show


# --- the feed -------------------------------------------------------------------------
async def test_feed_emits_quotes_then_nothing_until_the_file_changes(tmp_path: Path) -> None:
    shutil.copy(EQUITY, tmp_path / "equity.csv")
    feed = SampleEquityFeed(tmp_path)
    first = await feed.poll()
    assert len(first) == len(rows()) and all(isinstance(q, EquityQuote) for q in first)
    assert await feed.poll() == []
    with (tmp_path / "equity.csv").open("a", encoding="utf-8") as fh:
        fh.write("2026-03-02,TEST,1.5,,hand edit\n")
    again = await feed.poll()
    assert any(q.ticker == "TEST" and q.close == 1.5 for q in again)


def test_feed_is_registered_and_in_the_demo_set() -> None:
    assert load("sample_equity") is SampleEquityFeed
    assert "sample_equity" in DEMO_FEEDS
    assert SampleEquityFeed.demo
    feed = SampleEquityFeed.from_config({"dir": str(SAMPLE)}, FeedContext())
    assert isinstance(feed, SampleEquityFeed) and feed.directory == SAMPLE


# --- malformed cells name file, line and column -----------------------------------------
@pytest.mark.parametrize("line, column, problem", [
    ("2025-04-01,CRWV,abc,,src\n", "close", "is not a number"),
    ("2025-04-01,CRWV,-3,,src\n", "close", "is not a positive price"),
    ("2025-04-01,CRWV,0,,src\n", "close", "is not a positive price"),
    ("2025-13-01,CRWV,40,,src\n", "date", "is not a date"),
    ("2025-04-01,CRWV,40,lots,src\n", "shares_outstanding", "is not a number"),
    ("2025-04-01,CRWV,40,-5,src\n", "shares_outstanding", "is not a positive number of shares"),
    ("2025-04-01,CRWV,40,,\n", "source", "is empty"),
    ("2025-04-01,,40,,src\n", "ticker", "is empty"),
])
async def test_bad_cell_names_file_line_and_column(tmp_path: Path, line: str, column: str, problem: str) -> None:
    (tmp_path / "equity.csv").write_text(HEADER + "2025-03-31,CRWV,37.08,,src\n" + line)
    with pytest.raises(FeedError) as err:
        await SampleEquityFeed(tmp_path).poll()
    msg = str(err.value)
    assert msg.startswith(f"equity.csv line 3: {column} ")
    assert problem in msg


def test_repeated_day_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "equity.csv"
    p.write_text(HEADER + "2025-03-31,CRWV,37.08,,a\n2025-03-31,CRWV,37.10,,b\n")
    with pytest.raises(FeedError, match=r"equity.csv line 3: date .* repeats"):
        parse_equity(p, NOW)


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "equity.csv"
    p.write_text("date,ticker,close,source\n2025-03-31,CRWV,37.08,a\n")
    with pytest.raises(FeedError, match="missing column.*shares_outstanding"):
        parse_equity(p, NOW)
    with pytest.raises(FeedError, match="missing file"):
        parse_equity(tmp_path / "nope.csv", NOW)


# --- the rates the demo values spreads and the drift with ----------------------------------
def test_rates_are_sourced_and_fresh_on_the_demo_dates() -> None:
    from feeds.sample import parse_rates

    obs = parse_rates(SAMPLE / "rates.csv", NOW)
    assert all(o.source.split(": ", 1)[1].strip() for o in obs)
    by_series: dict[str, list[date]] = {}
    for o in obs:
        by_series.setdefault(o.series, []).append(o.as_of.date())
        assert 0.0 < o.value < 20.0, (o.series, o.as_of)  # percent, never zero for a missing day
    for series in ("SOFR", "DGS10", "DBAA"):
        days = by_series[series]
        assert max(days) < date(2026, 3, 3), series
        for when in (date(2025, 9, 30), date(2026, 3, 3)):
            # a value within 5 business days (7 calendar days) on or before the date
            assert any(0 <= (when - d).days <= 7 for d in days), (series, when)
