"""The notes' prices from the filings' fair-value note ([P]): price = fair value ÷ principal
× 100, the filing and grade in the source; read by the demo (sample_financials) and by live
mode's fallback feed (note_fair_values); a bad cell names file, line and column."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine import BondQuote
from feeds.base import FeedError
from feeds.filing_notes import parse_note_fair_values
from feeds.sample import NoteFairValueFeed, SampleFinancialsFeed, default_sample_dir

T0 = datetime(2026, 3, 3, tzinfo=UTC)
FILE = default_sample_dir() / "note_fair_values.csv"


def test_prices_from_fair_value_and_principal() -> None:
    quotes = {q.note: q for q in parse_note_fair_values(FILE, T0) if isinstance(q, BondQuote)}
    q30, q31 = quotes["2030 senior notes"], quotes["2031 senior notes"]
    assert q30.price == pytest.approx(2_100_000 / 2_000_000 * 100) and q30.coupon == 9.25
    assert q31.price == pytest.approx(1_800_000 / 1_750_000 * 100) and q31.maturity == date(2031, 2, 1)
    assert q30.as_of == datetime(2025, 9, 30, tzinfo=UTC) and q30.principal == 2e9
    assert "0001769628-25-000062" in q30.source and q30.source.startswith("sample_data/note_fair_values.csv: ")
    assert "[" not in q30.source.split(":", 1)[1][-4:]  # primary: no grade mark


async def test_demo_and_live_fallback_both_read_it() -> None:
    demo = [o for o in await SampleFinancialsFeed().poll() if isinstance(o, BondQuote)]
    live = await NoteFairValueFeed().poll()
    assert {q.note for q in demo} == {q.note for q in live} == {"2030 senior notes", "2031 senior notes"}


def test_bad_cell_names_file_line_column(tmp_path: Path) -> None:
    bad = tmp_path / "note_fair_values.csv"
    shutil.copy(FILE, bad)
    bad.write_text(bad.read_text().replace(",2100000,", ",lots,"))
    with pytest.raises(FeedError, match=r"note_fair_values.csv line \d+: fair_value_k 'lots' is not a number"):
        parse_note_fair_values(bad, T0)
