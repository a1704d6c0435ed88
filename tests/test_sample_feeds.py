"""The bundled sample data and the feeds that play it, end to end into the engine.

Expected values are the hand-computed ones in reference/coreweave.md ("Derived at
2024-12-31"), so a wrong unit, a wrong sign or a lost row fails here.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine.context import Context
from engine.engine import Engine
from engine.financials import METRICS
from engine.indicators import leverage
from engine.observations import (
    SKUS,
    TIERS,
    CustomerShare,
    DebtFacility,
    FilingEvent,
    FinancialFact,
    Maturity,
    PriceQuote,
)
from feeds.base import ConfigError, FeedContext, FeedError
from feeds.registry import load
from feeds.replay import ReplayFeed
from feeds.sample import (
    DisclosuresFeed,
    SampleCustomersFeed,
    SampleFinancialsFeed,
    SampleRatesFeed,
    default_sample_dir,
)

SAMPLE = default_sample_dir()
CTX = FeedContext()
PRICE_HEADER = "date,sku,tier,provider,price,n_offers,source\n"


def utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "sample_data"
    shutil.copytree(SAMPLE, dst, ignore=shutil.ignore_patterns("gpu_prices.csv", "*.py", "__pycache__"))
    return dst


def tiny_prices(path: Path, days: int = 5) -> Path:
    """Two providers, one row each per day, 2025-01-01 … 2025-01-05, price = day number."""
    lines = [PRICE_HEADER]
    for i in range(days):
        d = date(2025, 1, 1) + timedelta(days=i)
        lines.append(f"{d},H100 SXM,marketplace,vast.ai,{i + 1},{10 + i},src-m\n")
        lines.append(f"{d},H100 SXM,neocloud_list,coreweave,6.155,,src-n\n")
    path.write_text("".join(lines))
    return path


# --- replay ---------------------------------------------------------------------------
async def test_replay_warmup_then_one_step_per_poll(tmp_path: Path) -> None:
    f = ReplayFeed(tiny_prices(tmp_path / "p.csv"), start=date(2025, 1, 3), warmup_days=1, loop=False)
    assert f.replay_date is None
    first = await f.poll()
    assert [q.as_of for q in first] == [utc(date(2025, 1, 2))] * 2 + [utc(date(2025, 1, 3))] * 2
    assert f.replay_date == date(2025, 1, 3)
    q = first[0]
    assert isinstance(q, PriceQuote) and q.price == 2.0 and q.n_offers == 11 and q.provider == "vast.ai"
    assert q.source == f"{tmp_path.name}/p.csv: src-m" and q.feed == "replay"
    assert first[1].n_offers is None and first[1].tier == "neocloud_list"
    second = await f.poll()
    assert {o.as_of for o in second} == {utc(date(2025, 1, 4))} and len(second) == 2
    third = await f.poll()
    assert {o.as_of for o in third} == {utc(date(2025, 1, 5))}
    assert await f.poll() == [] and await f.poll() == []  # the end, no loop: nothing new


async def test_replay_loop_moves_forward_and_marks_source(tmp_path: Path) -> None:
    f = ReplayFeed(tiny_prices(tmp_path / "p.csv"), start=date(2025, 1, 4), warmup_days=0, step_days=1)
    assert [o.as_of for o in await f.poll()] == [utc(date(2025, 1, 4))] * 2
    assert {o.as_of for o in await f.poll()} == {utc(date(2025, 1, 5))}
    looped = await f.poll()  # span = 2 days (Jan 4, 5): Jan 4 replays as Jan 6
    assert {o.as_of for o in looped} == {utc(date(2025, 1, 6))}
    assert looped[0].price == 4.0 and looped[0].source.endswith("src-m (replay loop 1)")
    assert f.replay_date == date(2025, 1, 6) and f.data_date == date(2025, 1, 4) and f.loop_count == 1
    later = [o for _ in range(5) for o in await f.poll()]
    stamps = [o.as_of for o in later]
    assert stamps == sorted(stamps) and stamps[-1] == utc(date(2025, 1, 11))
    assert later[-1].source.endswith("(replay loop 3)")


async def test_replay_fractional_and_large_steps(tmp_path: Path) -> None:
    f = ReplayFeed(tiny_prices(tmp_path / "p.csv"), start=date(2025, 1, 1), warmup_days=0, step_days=0.5)
    await f.poll()
    assert await f.poll() == []  # half a day: no new day yet
    assert {o.as_of for o in await f.poll()} == {utc(date(2025, 1, 2))}
    g = ReplayFeed(tiny_prices(tmp_path / "q.csv"), start=date(2025, 1, 1), warmup_days=0, step_days=7)
    await g.poll()
    out = await g.poll()  # crosses the loop boundary inside one poll: Jan 2..5, then Jan 1..4 shifted by 5 days
    days = [o.as_of.date() for o in out if o.tier == "marketplace"]
    assert days == [date(2025, 1, d) for d in range(2, 9)]
    assert [o.price for o in out if o.tier == "marketplace"] == [2, 3, 4, 5, 1, 2, 3]


def test_replay_warmup_seeks_past_older_years(tmp_path: Path) -> None:
    """The warm-up window is found by bisecting the file (in date order), not by reading
    the years before it; its rows are exactly a full read's. Where a probe finds no date
    at a line start, the whole file is read."""
    import io

    from feeds import replay

    path = tiny_prices(tmp_path / "p.csv", days=3000)  # 2025-01-01 … 2033-03-19, some 300 KB
    full = replay._PriceTape(path)
    since, until = date(2031, 6, 1), date(2031, 9, 30)
    lo, hi = (since - replay._EPOCH).days, (until - replay._EPOCH).days
    want = [(d, p, full.keys[c]) for d, p, c in zip(full.days, full.prices, full.combo, strict=True) if lo <= d <= hi]
    tape = replay._PriceTape(path, since=since, until=until)
    assert [(d, p, tape.keys[c]) for d, p, c in zip(tape.days, tape.prices, tape.combo, strict=True)] == want
    assert tape.file_first == "2025-01-01" and tape.stopped_early
    data = path.read_bytes()
    start = data.index(b"\n") + 1
    at = replay._line_before(io.BytesIO(data), start, b"2031-06-01")
    assert at > len(data) // 2  # most of the file is skipped
    assert data[at - 1:at] == b"\n" and data[at:at + 10] < b"2031-06-01"  # a row start, before the window
    assert data.index(b"\n2031-06-01", at) - at <= 16384  # and at most one read block before it
    # no date where a probe lands: from the start, as a plain read would
    odd = data[:start] + data[start:].replace(b"\n2", b"\n 2")
    assert replay._line_before(io.BytesIO(odd), start, b"2031-06-01") == start


async def test_replay_bundled_history_in_order() -> None:
    f = ReplayFeed()  # defaults: start 2026-03-03 (the FY2025 10-K is out; every SKU listed), 120 days warm-up
    polled = await f.poll()
    first = [o for o in polled if isinstance(o, PriceQuote)]  # and the filings before the start (history)
    assert {o.accession for o in polled if isinstance(o, FilingEvent)} >= {"0001769628-26-000104"}
    stamps = [o.as_of for o in first]
    assert stamps == sorted(stamps)
    assert stamps[0] == utc(date(2026, 3, 3) - timedelta(days=120)) and stamps[-1] == utc(date(2026, 3, 3))
    assert {o.sku for o in first if o.as_of == stamps[-1]} == {"H100 SXM", "H200", "B200", "GB200", "A100 80GB"}
    assert all(o.source.startswith("sample_data/gpu_prices.csv: ") for o in first)
    nxt = await f.poll()
    assert nxt and {o.as_of for o in nxt} == {utc(date(2026, 3, 4))}
    assert {(o.sku, o.tier) for o in nxt} >= {("H100 SXM", "marketplace"), ("H100 SXM", "hyperscaler_list")}
    assert all(o.n_offers for o in nxt if o.tier == "marketplace")


def test_price_file_shape() -> None:
    path = SAMPLE / "gpu_prices.csv"
    assert path.stat().st_size < 4_000_000
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    # Every SKU of the sample story (the A100 PCIe row is live-only: Vast lists it apart from SXM).
    assert {r["sku"] for r in rows} == set(SKUS) - {"A100 PCIe 80GB"} and {r["tier"] for r in rows} == set(TIERS)
    assert rows[0]["date"] == "2023-01-01" and rows[-1]["date"] == "2026-10-31"
    assert not [r for r in rows if r["sku"] == "GB200" and r["tier"] == "marketplace"]
    first = {}
    for r in rows:
        first.setdefault(r["sku"], r["date"])
        assert 0.05 <= float(r["price"]) <= 100
    assert first["H200"] >= "2024" and first["B200"] >= "2025" and first["GB200"] >= "2025-05"
    aws = {(r["date"], r["price"]) for r in rows if r["provider"] == "aws" and r["sku"] == "H100 SXM"}
    assert ("2025-05-31", "12.29") in aws and ("2025-06-01", "6.88") in aws
    sdh = [r for r in rows if r["provider"] == "sdh100rt"]
    assert sdh[0]["price"] == "2.5" and sdh[-1]["price"] == "2.81" and sdh[0]["date"] == "2026-04-01"


@pytest.mark.subprocess
def test_price_file_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "rebuilt.csv"
    subprocess.run([sys.executable, str(SAMPLE / "build_prices.py"), str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (SAMPLE / "gpu_prices.csv").read_bytes()


def test_replay_config_errors() -> None:
    assert isinstance(ReplayFeed.from_config({"step_days": 0.25, "start": "2024-06-01"}, CTX), ReplayFeed)
    for bad in ({"step_days": 0}, {"start": "June"}, {"warmup_days": -1}, {"loop": "yes"}, {"colour": 1},
                {"interval": -1}, {"path": 3}):
        with pytest.raises(ConfigError):
            ReplayFeed.from_config(bad, CTX)


async def test_replay_start_outside_data(tmp_path: Path) -> None:
    f = ReplayFeed(tiny_prices(tmp_path / "p.csv"), start=date(2030, 1, 1))
    with pytest.raises(FeedError, match="outside"):
        await f.poll()


# --- financials, debt, customers, rates -------------------------------------------------
async def test_every_financial_row_parses_in_usd_units() -> None:
    obs = await SampleFinancialsFeed().poll()
    facts = [o for o in obs if isinstance(o, FinancialFact)]
    with (SAMPLE / "financials.csv").open(newline="") as fh:
        n_rows = sum(1 for _ in csv.DictReader(fh))
    assert len(facts) == n_rows and all(f.metric in METRICS for f in facts)
    tl = [f for f in facts if f.metric == "total_liabilities" and f.period_end == date(2024, 12, 31)]
    assert [f.value for f in tl] == [16_524_086_000]
    assert tl[0].as_of == utc(date(2024, 12, 31)) and "0001769628-25-000014" in tl[0].source
    assert tl[0].source.startswith("sample_data/financials.csv: ")
    interest = [f for f in facts if f.metric == "interest_expense"]
    assert interest and all(f.value > 0 for f in interest)
    fac = [o for o in obs if isinstance(o, DebtFacility)]
    totals = {end: sum(f.principal for f in fac if f.period_end == end) for end in {f.period_end for f in fac}}
    # 2025-12-31: the total principal of the FY2025 10-K [S], five facilities named, the rest in one line [D]
    assert totals == {date(2024, 12, 31): 8_033_477_000, date(2025, 3, 31): 8_807_921_000,
                      date(2025, 6, 30): 11_171_485_000, date(2025, 12, 31): 21_615_000_000}
    assert {f.facility for f in fac if f.floating and f.period_end < date(2025, 12, 31)} == {
        "DDTL 1.0", "DDTL 2.0", "Revolving credit facility"}
    mats = [o for o in obs if isinstance(o, Maturity)]
    by_end = {end: sum(m.principal for m in mats if m.period_end == end) for end in {m.period_end for m in mats}}
    assert by_end == {date(2025, 6, 30): 11_171_485_000, date(2025, 12, 31): 21_615_000_000}
    assert {m.year for m in mats} >= {"2025", "thereafter"}
    names = {o.name for o in obs if hasattr(o, "name") and hasattr(o, "note")}
    assert {"capex_per_gpu", "utilisation", "ltv", "interest_rate_pct", "opex_per_gpu_hour", "life_reported_years",
            "life_technology_years", "gb200_h100_perf_ratio", "b200_h100_perf_ratio", "capex_per_gpu_h200",
            "capex_per_gpu_b200", "capex_per_gpu_gb200", "capex_per_gpu_a100"} <= names


async def test_engine_on_sample_data_matches_hand_computed() -> None:
    from engine.indicators.concentration import hhi_bounds, period_shares

    eng = Engine()
    for feed in (SampleFinancialsFeed(), SampleCustomersFeed()):
        eng.ingest(await feed.poll())
    ctx = Context(eng.state, "CRWV", at=date(2024, 12, 31))
    assert round(leverage.liabilities_to_assets(ctx), 3) == 0.927
    assert round(leverage.current_ratio(ctx), 3) == 0.386
    assert round(leverage.quick_ratio(ctx), 3) == 0.358
    ebit = eng.state.fin.ttm("CRWV", "operating_income", date(2024, 12, 31))
    interest = eng.state.fin.ttm("CRWV", "interest_expense", date(2024, 12, 31))
    assert ebit is not None and interest is not None
    assert round(ebit.value / interest.value, 2) == 0.90
    q4 = eng.state.fin.quarters("CRWV", "revenue")[date(2024, 12, 31)]
    assert q4.value == 747_430_000 and q4.derived  # FY − 9M, not stored
    snap = eng.snapshot
    assert snap.customers is not None
    fy24 = [c for c in eng.state.customers["CRWV"].values() if c.period == "FY2024"]
    assert hhi_bounds(period_shares(fy24)) == pytest.approx((4069, 4278))  # coreweave.md: HHI(2024)
    assert (snap.customers.hhi_low, snap.customers.hhi_high) == pytest.approx((4489, 4798))  # FY2025 [S]
    assert snap.customers.top2_share == pytest.approx(0.77)
    fin = snap.financials
    assert fin is not None and fin.periods == (date(2025, 9, 30), date(2025, 3, 31))
    line = {ln.key: ln for ln in fin.lines}["liabilities_to_assets"]
    assert round(line.figures[0].value, 3) == 0.882 and round(line.figures[1].value, 3) == 0.860
    assert fin.signed_leases is not None and fin.signed_leases.value == 19_900_000_000
    assert fin.maturities_as_of == date(2025, 12, 31)  # the newest schedule (FY2025 10-K as quoted, [S])
    assert fin.maturities[0] == ("2026", 6_708_000_000) and fin.maturities[-1] == ("thereafter", 4_338_000_000)


async def test_customer_ranks_and_rates() -> None:
    cust = [o for o in await SampleCustomersFeed().poll() if isinstance(o, CustomerShare)]
    fy24 = {c.customer: c for c in cust if c.period == "FY2024"}
    assert fy24["Microsoft"].rank == 1 and fy24["NVIDIA"].rank == 2 and fy24["Top 2 customers"].rank == 0
    assert fy24["Microsoft"].share == pytest.approx(0.62)
    rates = await SampleRatesFeed().poll()
    assert rates and all(0 < r.value < 15 for r in rates)
    assert {"DGS10"} <= {r.series for r in rates}
    assert min(r.as_of for r in rates).year == 2023


async def test_disclosures_feed_reads_a_directory(sample_copy: Path) -> None:
    f = DisclosuresFeed.from_config({"dir": str(sample_copy)}, CTX)
    obs = await f.poll()
    kinds = {type(o).__name__ for o in obs}
    assert kinds == {"CustomerShare", "DebtFacility", "Maturity"} and not DisclosuresFeed.demo
    assert all(o.source.startswith("sample_data/") for o in obs)


def test_registry_resolves_sample_feeds() -> None:
    for name, cls in (("replay", ReplayFeed), ("sample_financials", SampleFinancialsFeed),
                      ("sample_customers", SampleCustomersFeed), ("sample_rates", SampleRatesFeed),
                      ("disclosures", DisclosuresFeed)):
        assert load(name) is cls
    f = SampleCustomersFeed.from_config({}, FeedContext(sample_dir=Path("/nowhere")))
    assert f.directory == Path("/nowhere")


# --- bad input, hand edits ---------------------------------------------------------------
async def test_malformed_csv_names_file_line_and_column(sample_copy: Path) -> None:
    path = sample_copy / "customers.csv"
    lines = path.read_text().splitlines(keepends=True)
    assert ",73," in lines[3]  # line 4 of the file: the FY2023 top-three aggregate
    lines[3] = lines[3].replace(",73,", ",abc,")
    path.write_text("".join(lines))
    with pytest.raises(FeedError) as exc:
        await SampleCustomersFeed(sample_copy).poll()
    assert str(exc.value) == "customers.csv line 4: share_pct 'abc' is not a number"


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("financials.csv", "CRWV,cash,,2024-12-31", "CRWV,cashh,,2024-12-31", "financials.csv line 2: metric 'cashh'"),
    ("financials.csv", "CRWV,cash,,2024-12-31", "CRWV,cash,,2024-13-31",
     "line 2: period_end '2024-13-31' is not a date"),
    ("financials.csv", "2022-01-01,2022-12-31,15830", ",2022-12-31,15830", "period_start '' is required"),
    ("debt_facilities.csv", ",2028-03,true,", ",2028-03,maybe,", "line 2: floating 'maybe' is not true/false"),
    ("maturities.csv", "2025-06-30,2026,", "2025-06-30,next,", "maturities.csv line 3: year 'next'"),
    ("financials.csv", "comparative),P", "comparative),X", "grade 'X' is not one of P/S/D/U"),
    ("assumptions.toml", "value = 0.85", "value = \"high\"", "[utilisation]: value 'high' is not a number"),
    ("assumptions.toml", "[ltv]", "[ltv", "assumptions.toml:"),
])
async def test_malformed_files_raise_feed_error(sample_copy: Path, file: str, old: str, new: str, message: str) -> None:
    path = sample_copy / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(FeedError) as exc:
        await SampleFinancialsFeed(sample_copy).poll()
    assert message in str(exc.value)


async def test_missing_file_and_column(sample_copy: Path) -> None:
    (sample_copy / "maturities.csv").unlink()
    with pytest.raises(FeedError, match="missing file .*maturities.csv"):
        await SampleFinancialsFeed(sample_copy).poll()
    (sample_copy / "customers.csv").write_text("company,customer,period\nCRWV,X,FY2024\n")
    with pytest.raises(FeedError, match="customers.csv: missing column"):
        await SampleCustomersFeed(sample_copy).poll()


async def test_edit_is_seen_on_next_poll_only_when_changed(sample_copy: Path) -> None:
    feed = SampleFinancialsFeed(sample_copy)
    first = await feed.poll()
    assert any(isinstance(o, FinancialFact) for o in first)
    assert await feed.poll() == []  # nothing changed: nothing re-read
    path = sample_copy / "financials.csv"
    path.write_text(path.read_text().replace("CRWV,cash,,2024-12-31,1361083", "CRWV,cash,,2024-12-31,1400000"))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    again = await feed.poll()
    assert again and all(isinstance(o, FinancialFact) for o in again)  # only the edited file
    cash = [o.value for o in again
            if isinstance(o, FinancialFact) and o.metric == "cash" and o.period_end == date(2024, 12, 31)]
    assert cash == [1_400_000_000]
    assert await feed.poll() == []


async def test_a_failed_file_is_retried_until_fixed(sample_copy: Path) -> None:
    feed = SampleCustomersFeed(sample_copy)
    path = sample_copy / "customers.csv"
    good = path.read_text()
    path.write_text(good.replace(",62,", ",sixty-two,"))
    with pytest.raises(FeedError):
        await feed.poll()
    with pytest.raises(FeedError):  # still broken: still an error, never a silent []
        await feed.poll()
    path.write_text(good)
    assert len(await feed.poll()) == 8
