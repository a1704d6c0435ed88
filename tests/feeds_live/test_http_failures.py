"""Every way an HTTP source fails, through the real runner and a real socket.

The feeds under test are the shipped ones (RunPod for JSON, FRED for CSV) pointed
at a local server; the asserted state and message are what the status line shows.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from feeds.base import ConfigError, FeedContext, FeedError, RateLimited
from feeds.fred import FredFeed
from feeds.http import HttpFeed, looks_like_html, parse_retry_after
from feeds.http_json import HTTPJSONFeed
from feeds.runner import DISABLED, ERROR, NO_DATA, OK, RATE_LIMITED, FeedRunner
from feeds.runpod import RunPodFeed

FAST = dict(timeout=2.0, retries=0, backoff=0.01, retry_after_cap=0.5)


def runpod(base: str, **kw) -> RunPodFeed:
    opts = {**FAST, **kw}
    return RunPodFeed(base_url=base, **opts)


async def run_once(feed):
    runner = FeedRunner([feed])
    try:
        obs = await runner.poll(feed.instance)
    finally:
        await runner.aclose()
    return obs, runner.status[feed.instance]


def gpu(type_id: str, secure, community=0) -> dict:
    return {"id": type_id, "displayName": type_id, "memoryInGb": 80, "securePrice": secure, "communityPrice": community}


async def test_ok_from_recorded_body(server, fx):
    server.route("/graphql", server.Reply(body=fx.json("runpod-gputypes.json")), "POST")
    obs, st = await run_once(runpod(server.url))
    assert st.state == OK and st.n_obs == len(obs) > 0
    assert all(o.feed == "runpod" for o in obs)


@pytest.mark.serial  # the message gives the real time spent, to a tenth of a second
async def test_timeout(server):
    server.route("/graphql", server.Reply(body={"data": {"gpuTypes": []}}, delay=1.0), "POST")
    obs, st = await run_once(runpod(server.url, timeout=0.2))
    assert obs == [] and st.state == ERROR
    assert st.last_error.startswith("timeout after 0.2 s")


async def test_connection_refused(closed_port):
    obs, st = await run_once(runpod(f"http://127.0.0.1:{closed_port}"))
    assert st.state == ERROR
    assert st.last_error == f"connection refused (127.0.0.1:{closed_port})"


@pytest.mark.serial
async def test_dns_failure_is_not_retried():
    t0 = time.monotonic()
    obs, st = await run_once(runpod("http://nonexistent.invalid", retries=3, backoff=1.0))
    assert st.state == ERROR
    assert st.last_error == "DNS lookup failed for nonexistent.invalid"
    assert time.monotonic() - t0 < 1.0  # no backoff sleeps for a name that does not exist


async def test_http_404(server):
    obs, st = await run_once(runpod(server.url))  # no route: the server answers 404
    assert st.state == ERROR and st.last_error == "HTTP 404 from 127.0.0.1"


async def test_500_then_success_is_retried(server, fx):
    server.route("/graphql", [server.Reply(500, "boom"), server.Reply(502, "bad gateway"),
                              server.Reply(body=fx.json("runpod-gputypes.json"))], "POST")
    obs, st = await run_once(runpod(server.url, retries=2))
    assert st.state == OK and obs
    assert server.hits("/graphql") == 3


async def test_500_exhausts_retries(server):
    server.route("/graphql", server.Reply(500, "boom"), "POST")
    obs, st = await run_once(runpod(server.url, retries=2))
    assert st.state == ERROR and st.last_error == "HTTP 500 from 127.0.0.1 after 3 attempts"
    assert server.hits("/graphql") == 3
    assert st.failures == 1 and st.retry_at is not None


async def test_429_long_retry_after_is_rate_limited(server):
    server.route("/graphql", server.Reply(429, "slow down", headers={"Retry-After": "120"}), "POST")
    before = datetime.now(UTC)
    obs, st = await run_once(runpod(server.url, retries=3))
    assert st.state == RATE_LIMITED
    assert "HTTP 429" in st.last_error and "120 s" in st.last_error
    assert server.hits("/graphql") == 1  # longer than the cap: no waiting inside the poll
    assert st.retry_at is not None
    assert abs((st.retry_at - before).total_seconds() - 120) < 5


async def test_429_short_retry_after_is_honoured(server, fx):
    server.route("/graphql", [server.Reply(429, "", headers={"Retry-After": "0.1"}),
                              server.Reply(body=fx.json("runpod-gputypes.json"))], "POST")
    t0 = time.monotonic()
    obs, st = await run_once(runpod(server.url, retries=1))
    assert st.state == OK
    assert time.monotonic() - t0 >= 0.1
    assert server.hits("/graphql") == 2


async def test_503_with_http_date(server):
    when = datetime.now(UTC) + timedelta(seconds=600)
    server.route("/graphql", server.Reply(503, "", headers={"Retry-After": format_datetime(when, usegmt=True)}), "POST")
    feed = runpod(server.url, retries=2)
    with pytest.raises(RateLimited) as info:
        await feed.poll()
    await feed.aclose()
    assert 590 <= info.value.retry_after <= 601


async def test_429_without_retry_after_after_retries(server):
    server.route("/graphql", server.Reply(429, ""), "POST")
    obs, st = await run_once(runpod(server.url, retries=1))
    assert st.state == RATE_LIMITED and server.hits("/graphql") == 2


async def test_html_body_where_json_expected(server):
    server.route("/graphql", server.Reply(body="<!DOCTYPE html><html><body>Just a moment...</body></html>",
                                          content_type="text/html"), "POST")
    obs, st = await run_once(runpod(server.url))
    assert st.state == ERROR and st.last_error == "HTML page where JSON was expected"


async def test_truncated_transfer(server, fx):
    body = fx.bytes("runpod-gputypes.json")
    server.route("/graphql", server.Reply(body=body, truncate=200, content_type="application/json"), "POST")
    obs, st = await run_once(runpod(server.url))
    assert st.state == ERROR and "truncated" in st.last_error


async def test_cut_json_body(server, fx):
    body = fx.bytes("runpod-gputypes.json")[:300]  # complete transfer of a cut document
    server.route("/graphql", server.Reply(body=body, content_type="application/json"), "POST")
    obs, st = await run_once(runpod(server.url))
    assert st.state == ERROR and st.last_error == "truncated or invalid JSON from 127.0.0.1"


async def test_wrong_shape_json(server):
    server.route("/graphql", server.Reply(body={"data": {"pods": []}}), "POST")
    obs, st = await run_once(runpod(server.url))
    assert st.state == ERROR and "no data.gpuTypes" in st.last_error


async def test_absurd_values_dropped_by_sanity_band(server):
    server.route("/graphql", server.Reply(body={"data": {"gpuTypes": [
        gpu("NVIDIA H100 80GB HBM3", 3290.0),  # cents read as dollars
        gpu("NVIDIA H200", 4.59),
    ]}}), "POST")
    obs, st = await run_once(runpod(server.url))
    assert st.state == OK and st.dropped == 1
    assert [(o.sku, o.price) for o in obs] == [("H200", 4.59)]


async def test_all_values_absurd_is_error(server):
    server.route("/graphql", server.Reply(body={"data": {"gpuTypes": [gpu("NVIDIA H100 80GB HBM3", 3290.0)]}}), "POST")
    obs, st = await run_once(runpod(server.url))
    assert st.state == ERROR and "sanity band" in st.last_error


async def test_empty_result_is_no_data(server):
    server.route("/graphql", server.Reply(body={"data": {"gpuTypes": []}}), "POST")
    obs, st = await run_once(runpod(server.url))
    assert st.state == NO_DATA


async def test_response_larger_than_limit(server, fx):
    server.route("/graphql", server.Reply(body=fx.json("runpod-gputypes.json")), "POST")
    obs, st = await run_once(runpod(server.url, max_bytes=1000))
    assert st.state == ERROR and st.last_error == "response larger than 1 kB"


async def test_html_where_csv_expected(server):
    server.route("/graph/fredgraph.csv", server.Reply(body="<html><head><title>Maintenance</title></head></html>"))
    feed = FredFeed(base_url=server.url, series=["DGS10"], **FAST)
    obs, st = await run_once(feed)
    assert st.state == ERROR and "HTML page where CSV was expected" in st.last_error


class KeyedFeed(HttpFeed):
    name = "keyed"
    api_key_env_default = "GPURISK_TEST_KEY"
    key_required = True

    async def poll(self):
        await self.get_json("/x")
        return []


async def test_keyed_feed_without_key_is_disabled(server, monkeypatch):
    monkeypatch.delenv("GPURISK_TEST_KEY", raising=False)
    feed = KeyedFeed(base_url=server.url, **FAST)
    runner = FeedRunner([feed])
    await runner.poll("keyed")
    st = runner.status["keyed"]
    assert st.state == DISABLED and st.last_error == "set $GPURISK_TEST_KEY"
    assert runner.next_delay("keyed") == float("inf")
    assert server.requests == []  # never called without its key


async def test_http_json_with_unset_key_env_is_disabled(server, monkeypatch):
    monkeypatch.delenv("GPURISK_OCPI_KEY", raising=False)
    feed = HTTPJSONFeed.from_config({"url": f"{server.url}/idx", "price_path": "v", "sku": "H100 SXM",
                                     "api_key_env": "GPURISK_OCPI_KEY", "retries": 0}, FeedContext())
    obs, st = await run_once(feed)
    assert st.state == DISABLED and "GPURISK_OCPI_KEY" in st.last_error


async def test_key_never_appears_in_messages(server, monkeypatch):
    secret = "rp_FAKE_SECRET_1234567890"
    monkeypatch.setenv("RUNPOD_API_KEY", secret)
    server.route("/graphql", server.Reply(401, f"bad key {secret}"), "POST")
    feed = runpod(server.url)
    obs, st = await run_once(feed)
    # the server's own words are kept (they say what is wrong), the echoed key is masked
    assert st.state == ERROR and st.last_error == "HTTP 401 from 127.0.0.1 (check $RUNPOD_API_KEY): bad key ***"
    assert secret not in st.last_error
    assert server.requests[0].headers.get("Authorization") == f"Bearer {secret}"
    # a key in a configured URL's query string never reaches a message or a source
    server.route("/idx", server.Reply(body="<html>login</html>"))
    monkeypatch.setenv("GPURISK_K", secret)
    hj = HTTPJSONFeed(url=f"{server.url}/idx?api_key={secret}", price_path="v", sku="H100 SXM",
                      api_key_env="GPURISK_K", **FAST)
    for reply in (server.Reply(500, secret), server.Reply(body="<html>login</html>"), server.Reply(body="{" + secret)):
        server.route("/idx", reply)
        obs, st = await run_once(hj)
        assert st.state == ERROR and secret not in st.last_error, st.last_error
    assert secret not in hj.source(hj.json_url)


def test_parse_retry_after():
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("") is None and parse_retry_after("soon") is None
    past = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(past) == 0.0
    assert parse_retry_after("inf") == 86400.0 and parse_retry_after("nan") is None


def test_looks_like_html():
    assert looks_like_html(b"  <!DOCTYPE html><html>") and looks_like_html("<HTML><body>")
    assert looks_like_html(b"Access denied", "text/html; charset=utf-8")
    assert not looks_like_html(b'{"a": 1}', "text/html")  # mislabelled JSON is still JSON
    assert not looks_like_html(b"DATE,DGS10\n", "text/csv")


def test_from_config_common_options():
    feed = RunPodFeed.from_config({"interval": 1200, "timeout": 5, "retries": 1, "base_url": "http://mirror.local/rp",
                                   "name": "rp2"}, FeedContext(user_agent="gpurisk-test"))
    assert (feed.interval, feed.timeout, feed.retries, feed.instance) == (1200.0, 5.0, 1, "rp2")
    assert feed.url("/graphql") == "http://mirror.local/rp/graphql" and feed.user_agent == "gpurisk-test"
    assert RunPodFeed.from_config({"interval": 60}, FeedContext()).interval == 900.0  # min_interval
    for bad in ({"timeout": -1}, {"base_url": "ftp://x"}, {"bogus": 1}, {"retries": "many"}):
        with pytest.raises(ConfigError):
            RunPodFeed.from_config(bad, FeedContext())


async def test_feed_error_type_is_plain_for_http_errors(server):
    server.route("/graphql", server.Reply(404, ""), "POST")
    feed = runpod(server.url)
    with pytest.raises(FeedError) as info:
        await feed.poll()
    await feed.aclose()
    assert type(info.value) is FeedError
