"""FRED, generic CSV and generic JSON feeds against recorded bodies on a local server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine.observations import PriceQuote, RateObs
from feeds.base import ConfigError, FeedContext, FeedError
from feeds.csv_feed import CSVFeed, read_rows
from feeds.fred import FredFeed, parse_fred_csv
from feeds.http_json import HTTPJSONFeed, dig
from feeds.runner import ERROR, NO_DATA, OK, STALE, FeedRunner

FAST = dict(timeout=2.0, retries=0, backoff=0.01)
CRI = "/work/shared/fixtures/indices/cri-h100-index.csv"


FRED_NOW = datetime(2026, 8, 10, 15, 0, tzinfo=UTC)  # the feed's "today" (cosd/coed), a Monday
DGS10 = Path(__file__).resolve().parent.parent / "fixtures" / "feeds" / "fred-DGS10.csv"  # = shared DGS10.csv


@pytest.fixture
def fred_today(monkeypatch):
    """The FRED feed computes its window from feeds.fred.utcnow: pin it."""
    import feeds.fred

    monkeypatch.setattr(feeds.fred, "utcnow", lambda: FRED_NOW)
    return FRED_NOW


def in_window(body: bytes, cosd: str, coed: str) -> bytes:
    """What FRED sends for ?cosd=&coed=: the header and the rows dated inside the window."""
    lines = body.decode().splitlines(keepends=True)
    return (lines[0] + "".join(ln for ln in lines[1:] if cosd <= ln[:10] <= coed)).encode()


def fred_routes(server, fx, bodies: dict[str, bytes], window: bool = True):
    """Serve each series' body; like FRED, only the requested window unless ``window=False``."""
    def handle(seen):
        sid = seen.query.get("id", [""])[0]
        if sid not in bodies:
            return server.Reply(404, "")
        body = bodies[sid]
        if window:
            body = in_window(body, seen.query["cosd"][0], seen.query["coed"][0])
        return server.Reply(body=body, content_type="text/csv")
    server.route("/graph/fredgraph.csv", handle)


async def poll_fred(server, series, clock=None, **kw):
    feed = FredFeed(base_url=server.url, series=series, **FAST, **kw)
    runner = FeedRunner([feed], clock=clock)
    obs = await runner.poll("fred")
    await runner.aclose()
    return obs, runner.status["fred"]


# ----------------------------------------------------------------- FRED
def test_fred_parse_old_header_skips_dots(fx):
    text = fx.bytes("fred-DGS10.csv").decode()
    pts = parse_fred_csv(text, "DGS10")
    n_rows = text.count("\n") - 1
    n_dots = sum(1 for line in text.splitlines() if line.endswith(",."))
    assert n_dots == 693 and len(pts) == n_rows - n_dots
    assert pts[0] == (date(1962, 1, 2), 4.06) and pts[-1] == (date(2024, 4, 18), 4.64)
    assert all(v != 0 for _, v in pts)


def test_fred_parse_new_header_and_bad_bodies(fx):
    pts = parse_fred_csv(fx.bytes("fred-SOFR-observation_date.CONSTRUCTED.csv").decode(), "SOFR")
    assert pts == [(date(2026, 8, 3), 4.31), (date(2026, 8, 4), 4.29), (date(2026, 8, 7), 4.33)]
    with pytest.raises(FeedError, match="HTML page"):
        parse_fred_csv("<!DOCTYPE html><html></html>")
    with pytest.raises(FeedError, match="not a FRED CSV"):
        parse_fred_csv("foo,bar\n1,2\n")


def test_fred_parse_checks_the_series_and_the_last_newline(fx):
    text = fx.bytes("fred-DGS10.csv").decode()
    new_header = text.replace("DATE,DGS10", "observation_date,DGS10", 1)
    assert parse_fred_csv(new_header, "DGS10")[-1] == (date(2024, 4, 18), 4.64)
    assert parse_fred_csv(text, "dgs10")[-1] == (date(2024, 4, 18), 4.64)  # FRED ids are case-insensitive
    for body in (text, new_header):
        with pytest.raises(FeedError, match="^asked for SOFR, got DGS10$"):
            parse_fred_csv(body, "SOFR")
    # Cut inside the last number ("4.6" of "4.64"): it parses, but has no newline.
    with pytest.raises(FeedError, match="truncated CSV: the last line '2024-04-18,4.6' has no newline"):
        parse_fred_csv(text[:-2], "DGS10")
    with pytest.raises(FeedError, match="truncated"):
        parse_fred_csv(text[: text.index("2005-03-14") + 7], "DGS10")  # the "2005" of a cut full history


async def test_fred_feed_latest_per_series(server, fx, fred_today):
    fred_routes(server, fx, {"DGS10": fx.bytes("fred-DGS10.csv"),
                             "SOFR": fx.bytes("fred-SOFR-observation_date.CONSTRUCTED.csv")})
    clock = lambda: FRED_NOW  # noqa: E731
    obs, st = await poll_fred(server, ["SOFR", "DGS10"], clock=clock, history=5, lookback_days=1000)
    assert st.state == OK and st.last_error == ""
    latest = {}
    for o in obs:
        assert isinstance(o, RateObs)
        if o.series not in latest or o.as_of > latest[o.series].as_of:
            latest[o.series] = o
    assert latest["DGS10"].value == 4.64 and latest["DGS10"].as_of.date() == date(2024, 4, 18)
    assert latest["SOFR"].value == 4.33
    assert sum(o.series == "DGS10" for o in obs) == 5
    assert latest["DGS10"].source.endswith("/graph/fredgraph.csv?id=DGS10")
    assert {r.query["id"][0] for r in server.requests} == {"SOFR", "DGS10"}
    assert {(r.query["cosd"][0], r.query["coed"][0]) for r in server.requests} == {("2023-11-14", "2026-08-10")}
    # SOFR is days old, DGS10 stopped in 2024: the feed is as fresh as its oldest series.
    assert st.last_as_of.date() == date(2024, 4, 18)
    assert st.display_state(FRED_NOW) == STALE
    assert st.stale_reason(FRED_NOW) == "data 2024-04-18 (limit 5 business days)"


async def test_fred_stale_series_is_ok_fetch_but_stale_data(server, fx, fred_today):
    """A series whose last value is from 2024: fetched fine, ingested, shown STALE against a 2026 clock."""
    fred_routes(server, fx, {"DGS10": fx.bytes("fred-DGS10.csv")})
    obs, st = await poll_fred(server, ["DGS10"], clock=lambda: FRED_NOW, lookback_days=1000)
    assert obs and st.state == OK and st.last_error == ""
    assert st.display_state(FRED_NOW) == STALE  # the fetch is seconds old; the data is not
    assert st.stale_reason(FRED_NOW) == "data 2024-04-18 (limit 5 business days)"
    thursday_after = datetime(2024, 4, 25, 20, 0, tzinfo=UTC)  # the 5th business day after
    assert not st.freshness.is_stale(st.last_as_of, thursday_after)
    assert st.freshness.is_stale(st.last_as_of, thursday_after + timedelta(hours=4))


async def test_fred_wrong_series_is_refused(server, fx, fred_today):
    """Asked for SOFR, the server answers with DGS10 (a cache, a proxy, a typo in a mirror)."""
    server.route("/graph/fredgraph.csv", lambda seen: server.Reply(
        body=in_window(fx.bytes("fred-DGS10.csv"), "2024-01-01", "2024-12-31"), content_type="text/csv"))
    obs, st = await poll_fred(server, ["SOFR"], lookback_days=1000)
    assert obs == [] and st.state == ERROR and st.last_error == "SOFR: asked for SOFR, got DGS10"
    assert st.last_as_of is None
    # With another series that is fine: that one arrives, the refusal stays in view.
    fred_routes(server, fx, {"DGS10": fx.bytes("fred-DGS10.csv"),
                             "SOFR": fx.bytes("fred-DGS10.csv").replace(b"DATE,DGS10", b"observation_date,DGS10")})
    obs, st = await poll_fred(server, ["SOFR", "DGS10"], lookback_days=1000)
    assert {o.series for o in obs} == {"DGS10"} and st.state == OK
    assert st.last_error == "SOFR: asked for SOFR, got DGS10"


async def test_fred_truncated_body_is_refused(server, fx, fred_today):
    whole = in_window(fx.bytes("fred-DGS10.csv"), "2023-11-14", "2026-08-10")
    assert whole.endswith(b"2024-04-18,4.64\n")
    for cut, words in ((whole[:-1], "'2024-04-18,4.64' has no newline"),  # complete-looking, but cut
                       (whole[:-3], "'2024-04-18,4.' has no newline"),
                       (whole[: whole.index(b"2024-02-01") + 6], "'2024-0' has no newline")):
        server.route("/graph/fredgraph.csv", server.Reply(body=cut, content_type="text/csv"))
        obs, st = await poll_fred(server, ["DGS10"], lookback_days=1000)
        assert obs == [] and st.state == ERROR and st.last_as_of is None
        assert st.last_error == f"DGS10: truncated CSV: the last line {words}", st.last_error


async def test_fred_answer_outside_the_window_is_refused(server, fx, fred_today):
    """A server that ignores cosd/coed (the whole history since 1962) is not FRED's answer."""
    fred_routes(server, fx, {"DGS10": fx.bytes("fred-DGS10.csv")}, window=False)
    obs, st = await poll_fred(server, ["DGS10"])  # lookback 60 days: 2026-06-11 … 2026-08-10
    assert obs == [] and st.state == ERROR
    assert "outside the requested window 2026-06-11…2026-08-10 (1962-01-02…2024-04-18)" in st.last_error
    future = b"observation_date,DGS10\n2026-08-07,4.1\n2027-01-04,4.2\n"
    server.route("/graph/fredgraph.csv", server.Reply(body=future, content_type="text/csv"))
    obs, st = await poll_fred(server, ["DGS10"])
    assert obs == [] and st.state == ERROR and "(2027-01-04…2027-01-04)" in st.last_error


async def test_fred_one_missing_series_does_not_hide_others(server, fx, fred_today):
    fred_routes(server, fx, {"DGS10": fx.bytes("fred-DGS10.csv")})
    feed = FredFeed(base_url=server.url, series=["NOPE", "DGS10"], lookback_days=1000, **FAST)
    obs = await feed.poll()
    await feed.aclose()
    assert {o.series for o in obs} == {"DGS10"} and feed.warning.startswith("NOPE: HTTP 404")
    feed = FredFeed(base_url=server.url, series=["NOPE"], **FAST)
    runner = FeedRunner([feed])
    await runner.poll("fred")
    await runner.aclose()
    assert runner.status["fred"].state == ERROR and "HTTP 404" in runner.status["fred"].last_error


async def test_fred_series_without_values_in_the_window_is_said(server, fx, fred_today):
    fred_routes(server, fx, {"DGS10": fx.bytes("fred-DGS10.csv"),
                             "SOFR": fx.bytes("fred-SOFR-observation_date.CONSTRUCTED.csv")})
    obs, st = await poll_fred(server, ["SOFR", "DGS10"])  # 60 days: DGS10 has nothing since 2024
    assert {o.series for o in obs} == {"SOFR"} and st.state == OK
    assert st.last_error == "DGS10: no values since 2026-06-11"


async def test_fred_empty_window_is_no_data(server):
    server.route("/graph/fredgraph.csv", server.Reply(body="observation_date,SOFR\n2026-08-05,.\n"))
    feed = FredFeed(base_url=server.url, series=["SOFR"], **FAST)
    runner = FeedRunner([feed])
    await runner.poll("fred")
    await runner.aclose()
    assert runner.status["fred"].state == NO_DATA


# ----------------------------------------------------------------- CSV
async def test_csv_file_cri_index(tmp_path, fx):
    src = fx.dir / "cri-h100-index.csv"
    feed = CSVFeed.from_config({"path": str(src), "date_column": "publication_date", "value_column": "cri_h100",
                                "sku": "H100 SXM", "provider": "CRI-H100"}, FeedContext())
    obs = await feed.poll()
    assert [(o.as_of.date(), o.price) for o in obs] == [(date(2026, 3, 5), 1.6021), (date(2026, 3, 6), 1.735)]
    assert all(isinstance(o, PriceQuote) and o.tier == "index" and o.provider == "CRI-H100" for o in obs)
    assert obs[0].source == str(src)


@pytest.mark.skipif(not Path(CRI).is_file(), reason="shared fixture not present")
async def test_csv_shared_fixture_path():
    feed = CSVFeed(path=CRI, date_column="publication_date", value_column="cri_h100", sku="H100 SXM")
    assert [o.price for o in await feed.poll()] == [1.6021, 1.735]


async def test_csv_url_and_rate_kind(server, fx):
    server.route("/idx.csv", server.Reply(body=fx.bytes("cri-h100-index.csv"), content_type="text/csv"))
    feed = CSVFeed.from_config({"url": f"{server.url}/idx.csv", "date_column": "publication_date",
                                "value_column": "obs_max", "kind": "rate", "series": "CRI_MAX"}, FeedContext())
    obs = await feed.poll()
    await feed.aclose()
    assert [(o.series, o.value) for o in obs] == [("CRI_MAX", 2.2689), ("CRI_MAX", 2.2689)]


async def test_csv_failures(server, tmp_path):
    missing = CSVFeed(path=str(tmp_path / "nope.csv"), value_column="v", sku="H100 SXM")
    with pytest.raises(FeedError, match="file not found: nope.csv"):
        await missing.poll()
    bad_col = tmp_path / "x.csv"
    bad_col.write_text("date,price\n2026-01-01,2.0\n")
    with pytest.raises(FeedError, match="column 'value' not in the CSV header"):
        await CSVFeed(path=str(bad_col), value_column="value", sku="H100 SXM").poll()
    server.route("/x.csv", server.Reply(body="<html><body>login</body></html>", content_type="text/html"))
    feed = CSVFeed(url=f"{server.url}/x.csv", value_column="v", sku="H100 SXM", **FAST)
    runner = FeedRunner([feed])
    await runner.poll("csv")
    await runner.aclose()
    assert runner.status["csv"].state == ERROR and runner.status["csv"].last_error == "HTML page where CSV was expected"
    rows = read_rows("date,value\n2026-01-01,.\n2026-01-02,\nnot-a-date,3\n2026-01-03,2.5\n", "date", "value")
    assert [v for _, v in rows] == [2.5]


async def test_csv_url_truncated_body_is_refused(server, fx):
    body = fx.bytes("cri-h100-index.csv")
    assert body.endswith(b"\n")

    async def poll(cut: bytes, value_column: str = "cri_h100"):
        server.route("/idx.csv", server.Reply(body=cut, content_type="text/csv"))
        opts = {"url": f"{server.url}/idx.csv", "date_column": "publication_date", "value_column": value_column,
                "sku": "H100 SXM", "provider": "CRI-H100", "timeout": 2.0, "retries": 0}
        runner = FeedRunner([CSVFeed.from_config(opts, FeedContext())])
        obs = await runner.poll("csv")
        await runner.aclose()
        return obs, runner.status["csv"]

    for cut in (body[: body.rindex(b"1.735") + 3],  # the last row stops inside its index value
                body[: body.index(b"\n2026-03-06") + 5]):  # ... inside its date
        obs, st = await poll(cut)
        assert obs == [] and st.state == ERROR and st.last_as_of is None
        assert st.last_error.startswith("truncated CSV: the last line ") and "not a complete row" in st.last_error
    # Cut inside the last column (calculated_utc), which the feed does not read: what it reads is whole.
    obs, st = await poll(body[:-12])
    assert st.state == OK and [o.price for o in obs] == [1.6021, 1.735]
    # Many exporters omit the final newline: a complete last row is accepted as it is.
    obs, st = await poll(body.rstrip(b"\n"))
    assert st.state == OK and [o.price for o in obs] == [1.6021, 1.735]
    # ... unless the value is the last column: "1.7" may be the start of "1.735".
    two_cols = b"publication_date,cri_h100\n2026-03-05,1.6021\n2026-03-06,1.7"
    obs, st = await poll(two_cols)
    assert obs == [] and st.state == ERROR and "cri_h100 may be cut" in st.last_error
    obs, st = await poll(two_cols + b"35\n")
    assert st.state == OK and [o.price for o in obs] == [1.6021, 1.735]


async def test_csv_daily_index_freshness(fx):
    """The CRI index is published once a day: fresh at noon before today's value, STALE a week on."""
    clock = {"now": datetime(2026, 3, 6, 12, 0, tzinfo=UTC)}
    feed = CSVFeed(path=str(fx.dir / "cri-h100-index.csv"), date_column="publication_date",
                   value_column="cri_h100", sku="H100 SXM", interval=3600)
    runner = FeedRunner([feed], clock=lambda: clock["now"])
    await runner.poll("csv")
    st = runner.status["csv"]
    assert st.last_as_of.date() == date(2026, 3, 6) and st.limit == "5 business days"
    wall = datetime.now(UTC)
    assert st.display_state(wall) == OK
    clock["now"] = datetime(2026, 3, 13, 23, 0, tzinfo=UTC)  # Friday: the 5th business day after
    assert st.display_state(wall) == OK
    clock["now"] = datetime(2026, 3, 14, 0, 1, tzinfo=UTC)
    assert st.display_state(wall) == STALE and st.stale_reason(wall) == "data 2026-03-06 (limit 5 business days)"


async def test_csv_intraday_marks_use_twice_the_interval(tmp_path):
    marks = tmp_path / "marks.csv"
    marks.write_text("time,price\n2026-03-06T14:00:00Z,2.10\n2026-03-06T14:05:00Z,2.12\n")
    feed = CSVFeed(path=str(marks), date_column="time", value_column="price", sku="H100 SXM", interval=300)
    t = {"now": datetime(2026, 3, 6, 14, 14, tzinfo=UTC)}
    runner = FeedRunner([feed], clock=lambda: t["now"])
    await runner.poll("csv")
    st = runner.status["csv"]
    assert st.limit == "10 min" and st.display_state(datetime.now(UTC)) == OK
    t["now"] = datetime(2026, 3, 6, 14, 16, tzinfo=UTC)
    assert st.stale_reason() == "data 2026-03-06 14:05 UTC (limit 10 min)"
    rate = CSVFeed(path=str(marks), date_column="time", value_column="price", kind="rate", series="X")
    assert FeedRunner([rate]).status["csv"].limit == "5 business days"


def test_csv_config_errors(tmp_path):
    ctx = FeedContext()
    for opts, key in (({"value_column": "v", "sku": "H100 SXM"}, "path"),
                      ({"path": "a", "url": "http://b", "value_column": "v", "sku": "H100 SXM"}, "path"),
                      ({"path": "a", "sku": "H100 SXM"}, "value_column"),
                      ({"path": "a", "value_column": "v"}, "sku"),
                      ({"path": "a", "value_column": "v", "sku": "H100 SXM", "tier": "retail"}, "tier"),
                      ({"path": "a", "value_column": "v", "kind": "yield"}, "kind")):
        with pytest.raises(ConfigError) as info:
            CSVFeed.from_config(opts, ctx)
        assert info.value.key == key


# ----------------------------------------------------------------- HTTP JSON
async def test_http_json_items_path(server):
    body = {"data": {"rows": [
        {"date": "2026-08-01", "value": "2.61", "gpu": "H100"},
        {"date": "2026-08-02", "value": 2.65, "gpu": "H100"},
        {"date": "2026-08-02", "value": None, "gpu": "H100"},
        {"date": "2026-08-02", "value": 5.1, "gpu": "MI300X"},
    ]}}
    server.route("/v1/index", server.Reply(body=body))
    feed = HTTPJSONFeed.from_config({"url": f"{server.url}/v1/index", "items_path": "data.rows", "price_path": "value",
                                     "date_path": "date", "sku_path": "gpu", "sku_map": {"H100": "H100 SXM"},
                                     "provider": "OCPI", "retries": 0}, FeedContext())
    runner = FeedRunner([feed])
    obs = await runner.poll("http_json")
    await runner.aclose()
    assert runner.status["http_json"].state == OK
    assert [(o.as_of.date().isoformat(), o.sku, o.price, o.provider, o.tier) for o in obs] == [
        ("2026-08-01", "H100 SXM", 2.61, "OCPI", "index"), ("2026-08-02", "H100 SXM", 2.65, "OCPI", "index")]


async def test_http_json_divisor_scale_and_failures(server):
    server.route("/p", server.Reply(body={"instance": {"price_cents": 5504}}))
    feed = HTTPJSONFeed(url=f"{server.url}/p", items_path="instance", price_path="price_cents", sku="H100 SXM",
                        tier="hyperscaler_list", scale=0.01, divisor=8, **FAST)
    (q,) = await feed.poll()
    assert (q.price, q.raw_price, q.divisor) == (pytest.approx(6.88), pytest.approx(55.04), 8)
    server.route("/p", server.Reply(body={"other": 1}))
    runner = FeedRunner([feed])
    await runner.poll("http_json")
    assert runner.status["http_json"].state == ERROR and "'instance'" in runner.status["http_json"].last_error
    server.route("/p", server.Reply(body={"instance": {"price_cents": 0}}))
    obs = await runner.poll("http_json")
    await runner.aclose()
    assert obs == [] and runner.status["http_json"].state == NO_DATA  # 0 = absent, never a zero price


def test_dig_and_http_json_config():
    assert dig({"a": [{"b": 1}, {"b": 2}]}, "a.1.b") == 2
    assert dig({"a": 1}, "") == {"a": 1}
    with pytest.raises(ConfigError) as info:
        HTTPJSONFeed.from_config({"url": "http://x", "sku": "H100 SXM"}, FeedContext())
    assert info.value.key == "price_path"
    with pytest.raises(ConfigError):
        HTTPJSONFeed.from_config({"url": "x", "price_path": "p", "sku": "H100 SXM"}, FeedContext())
