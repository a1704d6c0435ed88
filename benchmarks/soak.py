"""Soak: memory and descriptors over a long run of changing data (figures, not a test).

    python benchmarks/soak.py [--minutes 60] [--sample 30] [--interval 5]

A local JSON source on 127.0.0.1 whose H100 index moves on every request (a random walk,
seeded), one `gpurisk serve` collector polling it every ``--interval`` seconds (with the
sample financials, rates and customers beside it, and its history database in a temporary
folder), and one `gpurisk --connect` dashboard in a pseudo-terminal (what a desk leaves open
for days). Every ``--sample`` seconds: RSS and open file descriptors of both processes.
Prints the samples, then per process: RSS at start, end and peak, the slope over the second
half (MB per hour: flat means no leak), descriptors first/last/max, and the polls served.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import psutil  # noqa: E402

from ptyterm import Term  # noqa: E402


class Source:
    """An index that moves on every request: {"data": [{"d": iso, "p": price}]}."""

    def __init__(self) -> None:
        self.rng = random.Random(7)
        self.price = 2.0
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                outer.price = max(0.5, outer.price * (1 + outer.rng.gauss(0, 0.01)))
                now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                body = json.dumps({"data": [{"d": now, "p": round(outer.price, 4)}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/index"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample(p: psutil.Process) -> tuple[float, int]:
    procs = [p, *p.children(recursive=True)]
    rss = sum(x.memory_info().rss for x in procs if x.is_running()) / 2**20
    fds = sum(x.num_fds() for x in procs if x.is_running())
    return rss, fds


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) over the second half, in MB per hour."""
    half = points[len(points) // 2:]
    if len(half) < 2:
        return 0.0
    xs, ys = [t for t, _ in half], [v for _, v in half]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs) or 1.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den * 3600.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--sample", type=float, default=30.0)
    ap.add_argument("--interval", type=float, default=5.0)
    args = ap.parse_args()
    src = Source()
    tmp = Path(tempfile.mkdtemp(prefix="gpurisk-soak-"))
    cfg = tmp / "soak.toml"
    cfg.write_text(f'''[feeds.idx]
type = "http_json"
url = "{src.url}"
items_path = "data"
price_path = "p"
date_path = "d"
sku = "H100 SXM"
tier = "index"
provider = "soak"
interval = {args.interval}

[feeds.sample_financials]
[feeds.sample_customers]
[feeds.sample_rates]
''')
    port = free_port()
    env = {**os.environ, "GPURISK_HISTORY": str(tmp / "history.sqlite3"), "GPURISK_LOG": str(tmp / "gpurisk.log")}
    serve = subprocess.Popen([sys.executable, "-m", "gpurisk", "serve", "--config", str(cfg), "--port", str(port)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    term = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        term = Term([sys.executable, "-m", "gpurisk", "--connect", f"http://127.0.0.1:{port}"], env=env)
        term.wait_for(["CRWV"], timeout=30)
        procs = {"collector": psutil.Process(serve.pid), "dashboard": psutil.Process(term.pid)}
        series: dict[str, list[tuple[float, float, int]]] = {k: [] for k in procs}
        t0 = time.monotonic()
        end = t0 + args.minutes * 60
        print(f"{'t (min)':>8} {'collector MB':>13} {'fds':>5} {'dashboard MB':>13} {'fds':>5} {'polls':>6}")
        while True:
            now = time.monotonic()
            row = []
            for k, p in procs.items():
                rss, fds = sample(p)
                series[k].append((now - t0, rss, fds))
                row += [rss, fds]
            print(f"{(now - t0) / 60:8.1f} {row[0]:13.1f} {row[1]:5d} {row[2]:13.1f} {row[3]:5d} {src.requests:6d}",
                  flush=True)
            if now >= end:
                break
            stop = min(end, now + args.sample)
            while time.monotonic() < stop:
                term.pump(0.2)  # keep the dashboard's terminal drained, as a real one is
        print()
        for k, pts in series.items():
            mb = [(t, v) for t, v, _ in pts]
            fds = [n for _, _, n in pts]
            print(f"{k}: RSS {mb[0][1]:.0f} → {mb[-1][1]:.0f} MB (peak {max(v for _, v in mb):.0f}), "
                  f"second-half slope {slope(mb):+.1f} MB/h; fds {fds[0]} → {fds[-1]} (max {max(fds)})")
        print(f"source requests {src.requests} over {args.minutes:g} min")
    finally:
        if term is not None:
            term.close()
        try:
            os.killpg(serve.pid, 15)
            serve.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(serve.pid, 9)
        src.httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
