"""FRED, generic CSV and generic JSON feeds against recorded bodies on a local server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.observations import PriceQuote, RateObs
from feeds.base import ConfigError, FeedContext, FeedError
from feeds.csv_feed import CSVFeed, read_rows
from feeds.fred import FredFeed, parse_fred_csv
from feeds.http_json import HTTPJSONFeed, dig
from feeds.runner import ERROR, NO_DATA, OK, FeedRunner

FAST = dict(timeout=2.0, retries=0, backoff=0.01)
CRI = "/work/shared/fixtures/indices/cri-h100-index.csv"


def fred_routes(server, fx, bodies: dict[str, bytes]):
    def handle(seen):
        sid = seen.query.get("id", [""])[0]
        return server.Reply(body=bodies[sid], content_type="text/csv") if sid in bodies else server.Reply(404, "")
    server.route("/graph/fredgraph.csv", handle)


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


async def test_fred_feed_latest_per_series(server, fx):
    fred_routes(server, fx, {"DGS10": fx.bytes("fred-DGS10.csv"),
                             "SOFR": fx.bytes("fred-SOFR-observation_date.CONSTRUCTED.csv")})
    feed = FredFeed(base_url=server.url, series=["SOFR", "DGS10"], history=5, **FAST)
    runner = FeedRunner([feed])
    obs = await runner.poll("fred")
    await runner.aclose()
    assert runner.status["fred"].state == OK
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
    assert all("cosd" in r.query for r in server.requests)


async def test_fred_one_missing_series_does_not_hide_others(server, fx):
    fred_routes(server, fx, {"DGS10": fx.bytes("fred-DGS10.csv")})
    feed = FredFeed(base_url=server.url, series=["NOPE", "DGS10"], **FAST)
    obs = await feed.poll()
    await feed.aclose()
    assert {o.series for o in obs} == {"DGS10"}
    feed = FredFeed(base_url=server.url, series=["NOPE"], **FAST)
    runner = FeedRunner([feed])
    await runner.poll("fred")
    await runner.aclose()
    assert runner.status["fred"].state == ERROR and "HTTP 404" in runner.status["fred"].last_error


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
