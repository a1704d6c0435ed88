"""Bounded work: a big body costs bounded memory, a compression bomb is refused while it
streams, a big CSV is parsed without holding the event loop, and what a server sends back
(an echoed key, control codes in a name) is masked and made inert before it is kept.

Memory is measured in a fresh Python process (the client), against the local server in
this one: the peak RSS (``VmHWM``) and the RSS before the poll (psutil).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import zlib
from datetime import UTC
from pathlib import Path

import pytest

from feeds.csv_feed import CSVFeed
from feeds.http_json import HTTPJSONFeed
from feeds.runner import ERROR, OK, FeedRunner
from feeds.runpod import RunPodFeed

ROOT = Path(__file__).resolve().parents[2]
MB = 1_000_000

CLIENT = r"""
import asyncio, json, resource, sys
import psutil
from feeds.csv_feed import CSVFeed
from feeds.runner import FeedRunner

def peak_rss():
    # VmHWM: this process's own high-water mark (ru_maxrss keeps the forked parent's across exec)
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

async def main(url):
    feed = CSVFeed(url=url, value_column="value", sku="H100 SXM", provider="big", timeout=20)
    runner = FeedRunner([feed])
    rss0 = psutil.Process().memory_info().rss
    obs = await runner.poll(feed.instance)
    await runner.aclose()
    st = runner.status[feed.instance]
    peak = peak_rss()
    print(json.dumps({"rss0": rss0, "peak": peak, "state": st.state, "error": st.last_error, "n": len(obs)}))

asyncio.run(main(sys.argv[1]))
"""


def client(url: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CLIENT, url], cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def big_csv(size: int) -> bytes:
    """A dated index, one row a minute, of about ``size`` bytes."""
    rows = ["date,value,note\n"]
    total, n = 16, 0
    while total < size - 40:
        day, minute = divmod(n, 1440)
        line = f"2024-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z," \
               f"{2 + (n % 997) / 1000:.4f},ok\n"
        rows.append(line)
        total += len(line)
        n += 1
    return "".join(rows).encode()


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_20_mb_body_stays_under_150_mb(server) -> None:
    body = big_csv(19_900_000)
    assert 19.8 * MB < len(body) <= 20 * MB  # under the default 20 MB cap
    server.route("/big.csv", server.Reply(body=body, content_type="text/csv"))
    r = client(f"{server.url}/big.csv")
    assert r["state"] == OK and r["n"] == 1000, r["error"]  # the newest max_rows rows
    assert r["peak"] < 150 * MB, f"peak RSS {r['peak'] / MB:.0f} MB (before the poll {r['rss0'] / MB:.0f} MB)"


def bomb(size: int = 60 * MB) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(MB)
    return b"".join([co.compress(chunk) for _ in range(size // MB)] + [co.flush()])


@pytest.mark.subprocess
def test_a_gzip_bomb_is_refused_while_it_streams(server) -> None:
    data = bomb()
    assert len(data) < 100_000  # ~60 kB on the wire, 60 MB inflated
    server.route("/big.csv", server.Reply(body=data, headers={"Content-Encoding": "gzip"}, content_type="text/csv"))
    r = client(f"{server.url}/big.csv")
    assert r["state"] == ERROR and r["error"] == "response larger than 20 MB"
    growth = r["peak"] - r["rss0"]
    assert growth < 30 * MB, f"RSS grew {growth / MB:.0f} MB reading a 60 kB body"  # at most the cap, not 60 MB


async def test_bomb_refused_at_the_cap_in_process(server) -> None:
    server.route("/b", server.Reply(body=bomb(8 * MB), headers={"Content-Encoding": "gzip"}))
    feed = CSVFeed(url=f"{server.url}/b", value_column="value", sku="H100 SXM", max_bytes=MB, retries=0)
    runner = FeedRunner([feed])
    try:
        await runner.poll(feed.instance)
    finally:
        await runner.aclose()
    assert runner.status[feed.instance].last_error == "response larger than 1 MB"


GPUS = {"data": {"gpuTypes": [{"id": "NVIDIA H100 80GB HBM3", "displayName": "H100 SXM", "memoryInGb": 80,
                               "securePrice": 2.99, "communityPrice": 0}]}}


@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw", "gzip-2-members"])
async def test_compressed_bodies_are_decoded(server, coding) -> None:
    raw = json.dumps(GPUS).encode()
    if coding == "gzip":
        data, header = gzip.compress(raw), "gzip"
    elif coding == "gzip-2-members":
        data, header = gzip.compress(raw[:20]) + gzip.compress(raw[20:]), "gzip"
    elif coding == "deflate":
        data, header = zlib.compress(raw), "deflate"
    else:
        co = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        data, header = co.compress(raw) + co.flush(), "deflate"
    server.route("/graphql", server.Reply(body=data, headers={"Content-Encoding": header},
                                          content_type="application/json"), "POST")
    feed = RunPodFeed(base_url=server.url, retries=0)
    runner = FeedRunner([feed])
    try:
        obs = await runner.poll("runpod")
    finally:
        await runner.aclose()
    assert runner.status["runpod"].state == OK and [o.price for o in obs] == [2.99]
    assert "gzip" in server.requests[0].headers.get("Accept-Encoding", "")


@pytest.mark.slow
async def test_a_20_mb_csv_is_parsed_off_the_event_loop(tmp_path, monkeypatch) -> None:
    """The parse runs in the worker process, and a 10 ms tick keeps running meanwhile.

    Proof that the parse is elsewhere, not a stopwatch: ``read_rows`` is broken in *this*
    process, so a parse on the loop or in a thread here would fail the poll. The tick count
    shows the loop stayed free the whole time; the loose bound on one tick's lag only catches
    a parse (seconds) on the loop, not a busy CI machine's scheduling, so it runs beside
    other tests (not ``serial``).
    """
    from feeds import csv_feed

    path = tmp_path / "index.csv"
    path.write_bytes(big_csv(20 * MB - 1000))

    def not_here(*_a, **_k):
        raise AssertionError("parsed in the dashboard's process")

    monkeypatch.setattr(csv_feed, "read_rows", not_here)
    feed = CSVFeed(path=str(path), value_column="value", sku="H100 SXM", provider="big")
    runner = FeedRunner([feed])
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    done = False

    async def tick() -> None:
        while not done:
            t = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - t - 0.01)

    ticker = asyncio.ensure_future(tick())
    obs = await runner.poll(feed.instance)
    done = True
    await ticker
    assert runner.status[feed.instance].state == OK and len(obs) == 1000, runner.status[feed.instance]
    assert len(lags) > 20, f"only {len(lags)} ticks while the file was parsed"
    assert max(lags) < 1.0, f"the loop stalled {max(lags) * 1000:.0f} ms"


async def test_an_echoed_key_is_masked_in_last_error(server, monkeypatch) -> None:
    """The key is registered when read, so a server quoting the Authorization header back
    shows ``***`` wherever the error goes."""
    secret = "ocpi-9f8e7d6c5b4a3210"
    monkeypatch.setenv("OCPI_ACCESS", secret)  # a name that does not look secret: masked by value

    def echo(seen):  # type: ignore[no-untyped-def]
        return server.Reply(401, f"Invalid credentials: {seen.headers.get('Authorization')} "
                                 f"(you sent {seen.headers.get('Authorization', '').split()[-1]})")

    server.route("/prices", echo)
    feed = HTTPJSONFeed(url=f"{server.url}/prices", price_path="v", sku="H100 SXM", api_key_env="OCPI_ACCESS",
                        auth_prefix="Token ", retries=0)
    runner = FeedRunner([feed])
    try:
        await runner.poll(feed.instance)
    finally:
        await runner.aclose()
    err = runner.status[feed.instance].last_error
    assert server.requests[0].headers["Authorization"] == f"Token {secret}"
    assert err.startswith("HTTP 401 from 127.0.0.1 (check $OCPI_ACCESS): Invalid credentials: Token ***")
    assert secret not in err and err.count("***") == 2


async def test_names_from_the_server_are_kept_inert(server) -> None:
    server.route("/prices", server.Reply(body={"items": [{"v": 2.5, "who": "Evil\x1b]0;pwned\x07Cloud"}]}))
    feed = HTTPJSONFeed(url=f"{server.url}/prices", items_path="items", price_path="v", provider_path="who",
                        sku="H100 SXM", retries=0)
    runner = FeedRunner([feed])
    try:
        obs = await runner.poll(feed.instance)
    finally:
        await runner.aclose()
    assert [o.provider for o in obs] == ["Evil\\x1b]0;pwned\\x07Cloud"]


async def test_vast_nan_prices_are_unusable_prices_not_no_offers(server, fx) -> None:
    """NaN or infinite prices are a bad answer ("N offers with unusable prices"), distinct
    from a market that lists nothing ("no offers")."""
    from datetime import datetime

    from feeds.vastai import VastAIFeed

    collected = datetime(2026, 3, 5, 19, 30, 44, tzinfo=UTC)
    h100 = [o for o in fx.json("vast-bundles-2026-03-05.json")["offers"] if o["gpu_name"] == "H100 SXM"]
    broken = [dict(o, dph_total=float("nan") if i % 2 else float("inf")) for i, o in enumerate(h100)]
    body = json.dumps({"offers": broken})  # NaN / Infinity literals, as a careless server writes them
    assert "NaN" in body and "Infinity" in body

    def handle(seen):  # type: ignore[no-untyped-def]
        return server.Reply(body=body if seen.json()["gpu_name"].get("eq") == "H100 SXM" else '{"offers": []}',
                            content_type="application/json")

    server.route("/api/v0/bundles/", handle, "POST")
    feed = VastAIFeed(base_url=server.url, skus=["H100 SXM", "B200"], clock=lambda: collected, timeout=2.0,
                      retries=0)
    runner = FeedRunner([feed])
    try:
        obs = await runner.poll(feed.instance)
    finally:
        await runner.aclose()
    st = runner.status[feed.instance]
    assert obs == [] and st.state == ERROR
    assert st.last_error == (f"Vast.ai sent {len(h100)} offers with unusable prices (NaN, infinite or not positive) "
                             "for H100 SXM; no offers for B200")
    assert "rentable" not in st.last_error
    assert f"{len(h100)} offers with unusable prices" in feed.describe() and "no offers for B200" in feed.describe()
