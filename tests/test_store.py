"""History store: observations survive a restart, exactly, and a kill -9 never corrupts the file."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

import engine.observations as eo
from engine import Engine
from engine.observations import (
    Assumption,
    BondQuote,
    CustomerShare,
    DebtFacility,
    EquityQuote,
    FilingEvent,
    FinancialFact,
    Maturity,
    Observation,
    PriceQuote,
    RateObs,
    ReceivablesShare,
)
from gpurisk.codec import Codec, encode
from gpurisk.store import (
    DEMO_FILE,
    LIVE_FILE,
    HistoryStore,
    StoreError,
    default_path,
    export_history,
    replay,
)

UTC = UTC
T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
WRITER = Path(__file__).with_name("store_writer.py")


def _common(i: int = 0, **kw):
    at = T0 + timedelta(hours=i)
    return dict(as_of=at, fetched_at=at + timedelta(seconds=7, microseconds=1), source=f"https://x.test/{i}", **kw)


def one_of_each(i: int = 0) -> list[Observation]:
    """Every observation class, with optional fields set (dates, tuples, None, bools)."""
    return [
        PriceQuote(**_common(i), sku="H100 SXM", tier="marketplace", provider="vast", price=2.1 + i / 100,
                   n_offers=12, p25=1.9, p75=2.4, raw_price=16.8, divisor=8, feed="vast"),
        PriceQuote(**_common(i), sku="B200", tier="neocloud_list", provider="lambda", price=4.99),
        FinancialFact(**_common(i), company="CRWV", metric="revenue", value=1.2125e9 + i,
                      period_end=date(2024, 12, 31), period_start=date(2024, 10, 1)),
        FinancialFact(**_common(i), company="CRWV", metric="cash", value=1.36e9, period_end=date(2024, 12, 31)),
        DebtFacility(**_common(i), company="CRWV", facility="DDTL 2.0", principal=7.6e9, period_end=date(2024, 12, 31),
                     rate=11.0, maturity="2030", floating=True),
        DebtFacility(**_common(i), company="CRWV", facility="DDTL 1.0", principal=2.0e9, period_end=date(2024, 12, 31)),
        Maturity(**_common(i), company="CRWV", year="thereafter", principal=3.1e9, period_end=date(2024, 12, 31)),
        CustomerShare(**_common(i), company="CRWV", customer="Microsoft", share=0.62, period="FY2024",
                      period_end=date(2024, 12, 31), rank=1, from_filing=True),
        ReceivablesShare(**_common(i), company="CRWV", customer="Microsoft Corporation", share=0.55,
                         period_end=date(2025, 12, 31)),
        RateObs(**_common(i), series="SOFR", value=4.33),
        EquityQuote(**_common(i), ticker="CRWV", close=40.0 + i, shares_outstanding=4.8e8),
        EquityQuote(**_common(i), ticker="NBIS", close=22.5),
        Assumption(**_common(i), name="capex_per_gpu", value=40000.0, unit="USD", note="H100 <b>all-in</b> [x]"),
        BondQuote(**_common(i), company="CRWV", note="2031 senior notes", cusip="99999XAB8", price=102.857 + i,
                  coupon=9.0, maturity=date(2031, 2, 1), principal=1.75e9, yield_pct=8.35,
                  call_dates=(date(2028, 2, 1), date(2029, 2, 1)), call_prices=(104.5, 102.25)),
        BondQuote(**_common(i), company="CRWV", note="2030 senior notes", cusip="", price=105.0,
                  coupon=9.25, maturity=date(2030, 6, 1)),
        FilingEvent(**_common(i), company="CRWV", form="8-K", accession="0001769628-25-000042",
                    filed=date(2025, 3, 3), items=("2.02", "9.01")),
    ]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "hist" / "nested" / "history.sqlite3"


# --- round trip and restart -----------------------------------------------


def test_every_observation_class_is_covered() -> None:
    classes = {c.__name__ for c in vars(eo).values() if isinstance(c, type) and issubclass(c, Observation)}
    classes.discard("Observation")
    assert {type(o).__name__ for o in one_of_each()} == classes


def test_restart_keeps_history_exactly(db: Path) -> None:
    written = [o for i in range(3) for o in one_of_each(i)]
    store = HistoryStore(db)  # creates parent dirs
    store.add(written)
    assert store.pending == len(written)
    assert store.flush() == len(written)
    store.close()

    reopened = HistoryStore(db)  # "app restarted"
    loaded = reopened.load()
    reopened.close()
    assert len(loaded) == len(written)
    # oldest first; within one as_of the insertion order is kept
    assert loaded == written
    for a, b in zip(loaded, written, strict=True):
        assert type(a) is type(b) and a.as_of.tzinfo is not None
    assert loaded[-1].items == ("2.02", "9.01") and isinstance(loaded[-1].filed, date)
    bond = next(o for o in loaded if isinstance(o, BondQuote) and o.call_dates)
    assert bond.call_dates == (date(2028, 2, 1), date(2029, 2, 1)) and bond.call_prices == (104.5, 102.25)


@given(
    at=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    price=st.floats(min_value=0.05, max_value=100.0),
    value=st.floats(allow_nan=False, allow_infinity=False),
    text=st.text(max_size=30),
    end=st.dates(),
    items=st.lists(st.text(max_size=5), max_size=4).map(tuple),
)
def test_codec_round_trip_is_exact(at, price, value, text, end, items) -> None:
    codec = Codec()
    obs = [
        PriceQuote(as_of=at, fetched_at=at, source=text, feed=text, sku=text, tier="index", provider=text,
                   price=price, p25=None, n_offers=None),
        FinancialFact(as_of=at, fetched_at=at, source="s", company=text, metric="debt", value=value, period_end=end),
        FilingEvent(as_of=at, fetched_at=at, source="s", company="C", form=text, accession=text, filed=end,
                    items=items),
    ]
    for o in obs:
        r = encode(o)
        assert codec.decode(r.kind, r.as_of, r.fetched_at, r.source, r.feed, r.payload) == o


def test_naive_datetimes_are_taken_as_utc(db: Path) -> None:
    naive = datetime(2025, 1, 2, 3, 4, 5)
    with HistoryStore(db) as s:
        s.add([RateObs(as_of=naive, fetched_at=naive, source="s", series="DGS10", value=4.2)])
    with HistoryStore(db) as s:
        (back,) = s.load()
    assert back.as_of == naive.replace(tzinfo=UTC)


def test_replayed_history_draws_sparklines(db: Path) -> None:
    quotes = [
        PriceQuote(**_common(i), sku="H100 SXM", tier="marketplace", provider=p, price=2.0 + i / 10 + k / 100)
        for i in range(30) for k, p in enumerate(("vast", "tensordock", "runpod"))
    ]
    with HistoryStore(db) as s:
        s.add(quotes)
    with HistoryStore(db) as s:
        snap = replay(Engine(), s.load())
    row = snap.price("H100 SXM", "marketplace")
    assert row is not None and len(row.history) == 30  # one point per poll, not one in all
    assert row.price == pytest.approx(2.0 + 29 / 10 + 1 / 100)
    assert row.change_24h == pytest.approx((2.0 + 2.9 + 0.01) / (2.0 + 0.5 + 0.01) - 1.0)


def test_memory_store_and_missing_flush(tmp_path: Path) -> None:
    for target in (None, ":memory:"):
        s = HistoryStore(target)
        assert s.path is None
        s.add(one_of_each())
        assert len(s.load()) == len(one_of_each())  # load flushes first
        s.close()
    # queued observations are not on disk before flush
    path = tmp_path / "h.sqlite3"
    s = HistoryStore(path)
    s.add(one_of_each())
    other = sqlite3.connect(path)
    assert other.execute("SELECT COUNT(*) FROM obs").fetchone()[0] == 0
    s.flush()
    assert other.execute("SELECT COUNT(*) FROM obs").fetchone()[0] == len(one_of_each())
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    s.close()
    s.close()  # idempotent
    with pytest.raises(StoreError):
        s.add(one_of_each())


def test_duplicates_are_stored_once(db: Path) -> None:
    base = one_of_each()
    refetched = [replace(o, fetched_at=o.fetched_at + timedelta(minutes=5), source="other") for o in base]
    with HistoryStore(db) as s:
        s.add(base)
        assert s.flush() == len(base)
        s.add(base + refetched)  # same key, as_of and value: nothing new
        assert s.flush() == 0
        changed = PriceQuote(**_common(0), sku="H100 SXM", tier="marketplace", provider="vast", price=9.99)
        s.add([changed])
        assert s.flush() == 1  # a new value at the same instant is a new observation
        assert s.count() == len(base) + 1
        # two facilities sharing key and as_of are distinct observations
        assert s.count(kinds=[DebtFacility]) == 2


def test_default_paths_live_and_demo_differ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    live, demo = default_path(False), default_path(True)
    assert live != demo
    assert live.name == LIVE_FILE and demo.name == DEMO_FILE
    assert live.parent == demo.parent == tmp_path / "xdg" / "gpurisk"
    with HistoryStore(demo) as s:
        s.add(one_of_each())
    with HistoryStore(live) as s:
        assert s.load() == []  # sample data never mixes with live data
    assert demo.is_file()


def test_load_filters(db: Path) -> None:
    with HistoryStore(db) as s:
        s.add([o for i in range(10) for o in one_of_each(i)])
        since = T0 + timedelta(hours=7)
        recent = s.load(since=since)
        assert recent and all(o.as_of >= since for o in recent)
        assert len(recent) == 3 * len(one_of_each())
        rates = s.load(kinds=["RateObs"])
        assert [type(o) for o in rates] == [RateObs] * 10
        assert s.load(kinds=[]) == []
        last2 = s.load(kinds=[EquityQuote], limit_per_key=2)
        assert [(o.ticker, o.as_of) for o in last2] == [
            (t, T0 + timedelta(hours=h)) for h in (8, 9) for t in ("CRWV", "NBIS")
        ]
        times = [o.as_of for o in s.load()]
        assert times == sorted(times)


@pytest.mark.slow
def test_load_100k_rows_is_fast_and_capped(tmp_path: Path) -> None:
    at = [T0 + timedelta(minutes=5 * i) for i in range(1000)]
    obs = [
        PriceQuote(as_of=t, fetched_at=t, source="s", sku="H100 SXM", tier="marketplace", provider=f"p{k}",
                   price=2.0 + i / 1000)
        for i, t in enumerate(at) for k in range(100)
    ]
    with HistoryStore(tmp_path / "big.sqlite3") as s:
        s.add(obs)
    t0 = time.perf_counter()
    s = HistoryStore(tmp_path / "big.sqlite3")
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    loaded = s.load()
    took = time.perf_counter() - t0
    assert opened < 0.5  # no scan on open
    assert took < 20.0  # ~1-2 s on a quiet machine; a generous bound for loaded CI
    assert loaded == obs
    capped = s.load(limit_per_key=10)
    assert len(capped) == 1000 and {o.as_of for o in capped} == set(at[-10:])
    s.close()


def test_unreadable_rows_are_skipped_not_fatal(db: Path) -> None:
    with HistoryStore(db) as s:
        s.add(one_of_each())
    con = sqlite3.connect(db)
    con.execute("INSERT INTO obs (kind, key, as_of, fetched_at, source, feed, payload, ident)"
                " VALUES ('GoneClass', 'x', 1.0, 1.0, 's', '', '{}', x'01')")
    con.execute("INSERT INTO obs (kind, key, as_of, fetched_at, source, feed, payload, ident)"
                " VALUES ('RateObs', 'rate/X', 2.0, 2.0, 's', '', '{\"series\": \"X\"}', x'02')")
    con.commit()
    con.close()
    with HistoryStore(db) as s:
        assert len(s.load()) == len(one_of_each())
        assert s.skipped == 2


def test_bad_files_raise_store_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        HistoryStore(junk)
    newer = tmp_path / "newer.sqlite3"
    HistoryStore(newer).close()
    con = sqlite3.connect(newer)
    con.execute("UPDATE meta SET value = '99' WHERE name = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer"):
        HistoryStore(newer)


def test_odd_input_is_stored_or_rejected_never_fatal(db: Path) -> None:
    import numpy as np

    odd = [
        PriceQuote(**_common(0), sku="H100 SXM", tier="marketplace", provider="p\ud800x", price=2.0,
                   n_offers=np.int64(7), p25=float("nan")),  # lone surrogate, numpy int, NaN
        RateObs(as_of=None, fetched_at=T0, source="s", series="X", value=1.0),  # type: ignore[arg-type]
    ]
    with HistoryStore(db) as s:
        assert s.add(odd) == 1
        assert s.rejected == 1
    with HistoryStore(db) as s:
        (back,) = s.load()
        assert back.n_offers == 7 and type(back.n_offers) is int and math.isnan(back.p25)
        out = io.StringIO()
        s.export(None, "json", out)
    (row,) = json.loads(out.getvalue())  # strict JSON: NaN exported as null
    assert row["payload"]["p25"] is None and row["value"] == 2.0


def test_failed_flush_keeps_the_queue(db: Path) -> None:
    s = HistoryStore(db)
    s._conn().execute("PRAGMA busy_timeout = 50")
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    s.add(one_of_each())
    with pytest.raises(StoreError, match="write failed"):
        s.flush()
    assert s.pending == len(one_of_each())
    blocker.execute("ROLLBACK")
    blocker.close()
    assert s.flush() == len(one_of_each())
    assert s.pending == 0
    s.close()


def test_state_round_trip(db: Path) -> None:
    with HistoryStore(db) as s:
        assert s.get_state("alerts") is None
        s.put_state("alerts", {"leverage": "alert", "since": date(2025, 1, 2), "n": [1, 2]})
        s.put_state("alerts", {"leverage": "watch", "since": date(2025, 1, 3), "n": [1, 2]})
        with pytest.raises(TypeError):
            s.put_state("bad", ["not", "a", "dict"])  # type: ignore[arg-type]
    with HistoryStore(db) as s:
        assert s.get_state("alerts") == {"leverage": "watch", "since": "2025-01-03", "n": [1, 2]}


def test_concurrent_writers_lose_nothing(db: Path) -> None:
    s = HistoryStore(db)

    def work(t: int) -> None:
        for b in range(20):
            at = T0 + timedelta(minutes=b)
            s.add([RateObs(as_of=at, fetched_at=at, source="s", series=f"S{t}", value=float(i)) for i in range(5)])
            s.flush()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert s.count() == 4 * 20 * 5
    s.close()


# --- retention ------------------------------------------------------------


def _series(start: datetime, n: int, step_min: int, key: str = "SOFR") -> list[RateObs]:
    return [
        RateObs(as_of=start + timedelta(minutes=step_min * i), fetched_at=start + timedelta(minutes=step_min * i),
                source="s", series=key, value=4.0 + i / 1000)
        for i in range(n)
    ]


def _expected(obs: list[RateObs], now: datetime, keep_days: float, full_days: float) -> list[RateObs]:
    """Independent model: drop < keep cut; below the whole-hour full cut keep the last of each hour."""
    keep = now - timedelta(days=keep_days)
    full = (now - timedelta(days=full_days)).replace(minute=0, second=0, microsecond=0)
    out, last_in_hour = [], {}
    for o in obs:
        if o.as_of < keep:
            continue
        if o.as_of >= full:
            out.append(o)
        else:
            last_in_hour[(o.series, o.as_of.replace(minute=0, second=0, microsecond=0))] = o
    return sorted(list(last_in_hour.values()) + out, key=lambda o: (o.as_of, o.series))


def test_prune_keeps_recent_and_downsamples_old(db: Path) -> None:
    start = datetime(2025, 1, 1, 0, 7, tzinfo=UTC)
    obs = _series(start, 12 * 24 * 20, 5) + _series(start, 3 * 24 * 20, 20, key="DGS10")  # 20 days
    now = start + timedelta(days=20, minutes=13)
    with HistoryStore(db) as s:
        s.add(obs)
        deleted = s.prune(now, keep_days=15, full_days=3)
        got = sorted(s.load(limit_per_key=None), key=lambda o: (o.as_of, o.series))
    want = _expected(obs, now, 15, 3)
    assert got == want
    assert deleted == len(obs) - len(want)
    old = [o for o in got if o.as_of < now - timedelta(days=4)]
    hours = [(o.series, o.as_of.replace(minute=0)) for o in old]
    assert len(hours) == len(set(hours))  # one point per key per hour
    assert all(o.as_of.minute == (57 if o.series == "SOFR" else 47) for o in old)  # the last of its hour
    assert min(o.as_of for o in got) >= now - timedelta(days=15)


def test_prune_is_incremental_and_catches_backfill(db: Path) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    obs = _series(start, 12 * 24 * 10, 5)
    with HistoryStore(db) as s:
        s.add(obs)
        s.prune(start + timedelta(days=6), keep_days=30, full_days=2)
        # later: more data aged past the full window, plus a late backfill of old minutes
        backfill = [replace(o, as_of=o.as_of + timedelta(minutes=2), source="late") for o in obs[:24]]
        s.add(backfill)
        now = start + timedelta(days=9, hours=5)
        assert s.prune_due(now)
        s.prune(now, keep_days=30, full_days=2)
        assert not s.prune_due(now + timedelta(hours=1))
        assert s.prune_due(now + timedelta(days=1))
        got = sorted(s.load(limit_per_key=None), key=lambda o: o.as_of)
    assert got == _expected(sorted(obs + backfill, key=lambda o: o.as_of), now, 30, 2)


def test_prune_keeps_a_whole_snapshot_sharing_the_last_instant(db: Path) -> None:
    old = T0 - timedelta(days=30)
    a = [o for o in one_of_each() if isinstance(o, DebtFacility)]
    early = [replace(o, as_of=old, principal=o.principal - 1) for o in a]
    late = [replace(o, as_of=old + timedelta(minutes=30)) for o in a]
    with HistoryStore(db) as s:
        s.add(early + late)
        s.prune(T0, keep_days=365, full_days=7)
        assert s.load() == late  # both facilities of the last instant stay


# --- export ---------------------------------------------------------------


def test_export_csv_and_json_parse_back(db: Path) -> None:
    written = [o for i in range(4) for o in one_of_each(i)]
    with HistoryStore(db) as s:
        s.add(written)
    since = T0 + timedelta(hours=2)
    want = [o for o in written if o.as_of >= since]

    out = io.StringIO()
    assert export_history(db, since, "csv", out) == len(want)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == len(want)
    for row, o in zip(rows, want, strict=True):
        assert row["kind"] == type(o).__name__ and row["key"] == o.key and row["source"] == o.source
        assert datetime.fromisoformat(row["as_of"]) == o.as_of
        assert datetime.fromisoformat(row["fetched_at"]) == o.fetched_at
        payload = json.loads(row["payload"])
        for name in ("price", "value", "share", "principal", "close"):
            if hasattr(o, name):
                assert float(row["value"]) == getattr(o, name) == payload[name]
                break
        else:
            assert row["value"] == ""
        if isinstance(o, FilingEvent):
            assert payload["items"] == list(o.items) and payload["filed"] == o.filed.isoformat()

    out = io.StringIO()
    assert export_history(db, None, "json", out) == len(written)
    data = json.loads(out.getvalue())
    assert [d["key"] for d in data] == [o.key for o in written]
    assert data[0]["payload"]["sku"] == "H100 SXM" and data[0]["value"] == written[0].price
    assert data[0]["feed"] == "vast"

    with HistoryStore(db) as s:
        out = io.StringIO()
        assert s.export(None, "json", out, kinds=["CustomerShare"]) == 4
        assert {d["payload"]["customer"] for d in json.loads(out.getvalue())} == {"Microsoft"}
        empty = io.StringIO()
        assert s.export(T0 + timedelta(days=9), "json", empty) == 0
        assert json.loads(empty.getvalue()) == []


def test_export_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        export_history(tmp_path / "nothing.sqlite3", None, "csv", io.StringIO())
    assert not (tmp_path / "nothing.sqlite3").exists()
    HistoryStore(tmp_path / "h.sqlite3").close()
    with pytest.raises(ValueError, match="format"):
        export_history(tmp_path / "h.sqlite3", None, "xml", io.StringIO())


# --- crash safety ---------------------------------------------------------


def _run_and_kill(db: Path, first: int, size: int, min_batches: int, delay: float) -> list[int]:
    """Start the writer, SIGKILL it ``delay`` s after it has committed ``min_batches`` batches
    (killing at once would always hit the quiet moment right after a commit)."""
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(db), str(first), "100000", str(size)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put("")  # EOF

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    committed: list[int] = []
    deadline = time.monotonic() + 60  # bounded: a stuck writer fails the test, never hangs it
    try:
        while len(committed) < min_batches and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if not line:
                break
            if line.startswith("committed "):
                committed.append(int(line.split()[1]))
        time.sleep(delay)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        reader.join(timeout=30)
    while not lines.empty():  # lines printed before the kill landed
        line = lines.get()
        if line.startswith("committed "):
            committed.append(int(line.split()[1]))
    err = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL, err
    assert len(committed) >= min_batches, f"writer did not commit in time: {err}"
    assert committed == list(range(first, first + len(committed)))
    return committed


@pytest.mark.subprocess
def test_kill_9_during_writes_never_corrupts(tmp_path: Path) -> None:
    db = tmp_path / "killed.sqlite3"
    size = 1000
    committed: set[int] = set()
    in_flight: set[int] = set()  # committed, maybe, but killed before it could say so
    first = 0
    for min_batches, delay in ((3, 0.0), (2, 0.011), (4, 0.023), (2, 0.037), (3, 0.051), (2, 0.079)):
        done = _run_and_kill(db, first, size, min_batches, delay)
        committed.update(done)
        in_flight.add(done[-1] + 1)
        first = done[-1] + 1000  # a fresh batch range per round

        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = dict(con.execute("SELECT source, COUNT(*) FROM obs GROUP BY source").fetchall())
        con.close()
        for b in committed:
            assert counts.get(f"batch/{b}") == size, f"committed batch {b} incomplete"
        assert all(n == size for n in counts.values()), "a batch was half written"
        assert set(counts) <= {f"batch/{b}" for b in committed | in_flight}

    with HistoryStore(db) as s:  # still usable by the app
        assert s.count() == size * len(counts)
        assert all(math.isfinite(o.price) for o in s.load(limit_per_key=5))
