"""A big http_json answer (up to the 20 MB cap) is parsed in a worker process: the event
loop stays responsive and memory stays bounded.

A local server on 127.0.0.1 answers 760,000 items (20 MB) of one SKU, one provider, each
with its own date. While the feed polls, a coroutine ticks every 10 ms and records the
longest gap between ticks (what ``/healthz`` or a key press would wait); the peak memory
of this process and of the worker (``RUSAGE_CHILDREN``) are read afterwards.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feeds import http_json
from feeds.base import FeedError
from feeds.http_json import HTTPJSONFeed

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="ru_maxrss")

T0 = 1_700_000_000
CAP_MB = 20
N = 760_000  # items: 20 MB


def body(items: int) -> bytes:
    parts = [b'{"data":[']
    parts.append(b",".join(b'{"p":%d.%02d,"d":%d}' % (2 + i % 3, i % 100, T0 + 60 * i) for i in range(items)))
    parts.append(b"]}")
    return b"".join(parts)


@pytest.fixture(scope="module")
def big() -> bytes:
    b = body(N)
    assert CAP_MB * 1_000_000 * 0.9 < len(b) <= CAP_MB * 1_000_000
    return b


class Server:
    def __init__(self, payload: bytes) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/prices"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(big: bytes) -> Iterator[Server]:
    s = Server(big)
    try:
        yield s
    finally:
        s.close()


def feed(url: str) -> HTTPJSONFeed:
    return HTTPJSONFeed(url=url, items_path="data", price_path="p", date_path="d", sku="H100 SXM", provider="idx",
                        timeout=60, retries=0)


async def poll_while_ticking(f: HTTPJSONFeed) -> tuple[list, float]:
    gaps = [0.0]
    done = asyncio.Event()

    async def tick() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    try:
        quotes = await f.poll()
    finally:
        done.set()
        await ticker
        await f.aclose()
    return quotes, max(gaps)


MEASURE = """
import asyncio, json, resource, sys
sys.path.insert(0, sys.argv[2])
from test_big_json import feed, poll_while_ticking
from feeds import worker
quotes, gap = asyncio.run(poll_while_ticking(feed(sys.argv[1])))
if worker._pool is not None:  # reap the worker: its peak then counts in RUSAGE_CHILDREN
    worker._pool.shutdown(wait=True)
try:  # VmHWM: this process's own peak (ru_maxrss keeps the forking test worker's across exec)
    me = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"gap": gap, "me": me, "child": child, "n": len(quotes),
                  "last_ts": quotes[-1].as_of.timestamp(), "last_price": quotes[-1].price}))
"""


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.serial
def test_a_20_mb_answer_keeps_the_loop_free_and_memory_bounded(server: Server) -> None:
    """Measured in a fresh process: a peak RSS is a process's lifetime peak, so in the test
    process it would count whatever ran before this test."""
    import json
    import subprocess
    from pathlib import Path

    here = Path(__file__).resolve().parent
    # a clean environment: a variable an earlier test left (PYTHONTRACEMALLOC, PYTHONMALLOC...) would
    # measure that, not the parser
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MALLOC", "GPURISK"))}
    out = subprocess.run([sys.executable, "-c", MEASURE, server.url, str(here)], capture_output=True, text=True,
                         timeout=120, cwd=here.parents[1], env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    m = json.loads(out.stdout.strip().splitlines()[-1])
    gap, me, child = m["gap"], m["me"], m["child"]
    print(f"\n20 MB answer: longest loop gap {gap:.3f} s, peak RSS {me:.0f} MB here, {child:.0f} MB in the worker")
    assert gap < 0.5, f"the event loop was blocked {gap:.2f} s"
    assert me < 400 and child < 400, (out.stderr[-1500:], sorted(k for k in os.environ if k.startswith("PY")))
    quotes_n = m["n"]
    assert quotes_n == http_json.KEEP_PER_SERIES  # the newest of one series
    last = N - 1
    assert m["last_ts"] == T0 + 60 * last
    assert m["last_price"] == pytest.approx(2 + last % 3 + (last % 100) / 100)


def test_the_worker_and_the_loop_agree_on_a_small_answer() -> None:
    f = feed("http://127.0.0.1:9/x")
    b = body(3000)
    spec, host = f.spec(), "127.0.0.1"
    from feeds.http_json import parse_body

    assert asyncio.run(_in_worker(b, spec, host)) == parse_body(b, spec, T0, host)


async def _in_worker(b: bytes, spec: http_json.Spec, host: str) -> object:
    from feeds import worker
    from feeds.http_json import parse_body

    return await worker.run(parse_body, b, spec, T0, host)


@pytest.mark.parametrize("payload,problem", [(b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
                                             (b'{"data": [' + b"1," * 600_000 + b"", "truncated or invalid JSON")],
                         ids=["deep", "truncated"])
def test_bad_big_answers_are_feed_errors(payload: bytes, problem: str) -> None:
    s = Server(payload)
    try:
        with pytest.raises(FeedError, match=problem):
            asyncio.run(poll_while_ticking(feed(s.url)))
    finally:
        s.close()
