"""Every poll ends by its deadline, whatever the source does (hang, drip, retry forever),
and a timeout message gives the real time spent and the attempts made."""

from __future__ import annotations

import math
import re
import socket
import threading
import time

import pytest

from feeds.base import ConfigError, FeedContext
from feeds.fred import FredFeed
from feeds.runner import ERROR, FeedRunner
from feeds.runpod import RunPodFeed

pytestmark = pytest.mark.serial  # deadlines measured to a few tenths of a second
HANG = 5.0  # the server's delay: far longer than any deadline below


async def run_once(feed):  # type: ignore[no-untyped-def]
    runner = FeedRunner([feed])
    t0 = time.monotonic()
    try:
        await runner.poll(feed.instance)
    finally:
        await runner.aclose()
    return runner.status[feed.instance], time.monotonic() - t0


def hang(server, path: str = "/graphql", method: str = "POST") -> None:  # type: ignore[no-untyped-def]
    server.route(path, server.Reply(body={"data": {"gpuTypes": []}}, delay=HANG), method)


async def test_three_attempts_give_real_elapsed_time_and_attempts(server) -> None:
    hang(server)
    feed = RunPodFeed(base_url=server.url, timeout=0.3, retries=2, backoff=0.01)
    assert feed.poll_deadline == pytest.approx(2 * 0.3 + 5.0)  # default: 2 timeouts + the longest wait we sit through
    st, took = await run_once(feed)
    assert st.state == ERROR and server.hits("/graphql") == 3
    m = re.fullmatch(r"no answer from 127\.0\.0\.1 after ([\d.]+) s \(3 attempts, 0\.3 s timeout each\)", st.last_error)
    assert m, st.last_error
    assert 0.9 <= float(m.group(1)) <= took + 0.05 and took < 1.6  # the real time, not "timeout after 0.3 s"


async def test_retries_and_backoff_never_pass_the_deadline(server) -> None:
    hang(server)
    feed = RunPodFeed(base_url=server.url, timeout=0.4, retries=10, backoff=0.05, deadline=1.0)
    st, took = await run_once(feed)
    assert took < 1.0 + 1.0  # not 11 × 0.4 s (slack for a loaded 2-core machine)
    assert st.state == ERROR and server.hits("/graphql") <= 3
    m = re.fullmatch(r"no answer from 127\.0\.0\.1 after ([\d.]+) s \((\d) attempts, 0\.4 s timeout each, "
                     r"1 s deadline\)", st.last_error)
    assert m and int(m.group(2)) == server.hits("/graphql") >= 2, st.last_error
    assert abs(float(m.group(1)) - took) < 0.5  # the time it really took


async def test_one_attempt_still_says_timeout_after(server) -> None:
    hang(server)
    st, took = await run_once(RunPodFeed(base_url=server.url, timeout=0.3, retries=0))
    assert st.last_error == "timeout after 0.3 s (127.0.0.1)" and took < 1.0


async def test_deadline_covers_every_request_of_a_poll(server) -> None:
    """FRED asks one URL per series: together they share one deadline."""
    server.route("/graph/fredgraph.csv", server.Reply(body="x", delay=HANG))
    feed = FredFeed(base_url=server.url, series=["SOFR", "DGS10", "DGS2", "BAA"], timeout=0.3, retries=1,
                    backoff=0.01, deadline=0.8)
    st, took = await run_once(feed)
    assert took < 0.8 + 0.3  # not 4 series × 2 attempts × 0.3 s
    assert st.state == ERROR and st.last_error.startswith("SOFR: no answer from 127.0.0.1 after")
    assert "(+3 more)" in st.last_error and server.hits("/graph/fredgraph.csv") <= 3


@pytest.fixture
def drip_server():  # type: ignore[no-untyped-def]
    """Answers 200 with a big Content-Length, then sends one byte every 0.1 s: no single read
    ever waits long enough for a read timeout."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()
    hits = []

    def drip(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            hits.append(1)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
            while not stop.is_set():
                conn.sendall(b" ")
                time.sleep(0.1)
        except OSError:
            pass
        finally:
            conn.close()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}", hits
    finally:
        stop.set()
        srv.close()


async def test_a_dripping_source_is_cut_at_the_deadline(drip_server) -> None:
    url, hits = drip_server
    feed = RunPodFeed(base_url=url, timeout=0.5, retries=1, backoff=0.01, deadline=1.2)
    st, took = await run_once(feed)
    assert took < 1.2 + 1.0 and len(hits) == 2
    m = re.match(r"no answer from 127\.0\.0\.1 after ([\d.]+) s", st.last_error)
    assert st.state == ERROR and m and 1.0 <= float(m.group(1)) < 1.2 + 1.0, st.last_error
    assert "(2 attempts, 0.5 s timeout each" in st.last_error


def test_deadline_is_a_config_option() -> None:
    feed = RunPodFeed.from_config({"deadline": 30, "timeout": 10}, FeedContext())
    assert feed.poll_deadline == 30
    for bad in (math.nan, math.inf, 0, -1, "30"):
        with pytest.raises(ConfigError, match="deadline"):
            RunPodFeed.from_config({"deadline": bad}, FeedContext())
    with pytest.raises(ConfigError, match="timeout"):
        RunPodFeed.from_config({"timeout": math.nan}, FeedContext())
