"""One collector for a desk, measured (figures, not a test).

    python benchmarks/bench_desk.py [--seconds 15] [--clients 1,5,20] [--no-pty]

A stand-in source on 127.0.0.1 (Vast.ai's bundles search answered from the recorded
response, every request counted: tests/serve/standin.py) and one `gpurisk serve` process
on a live-style config pointing at it, its one feed polled every second. Then, for
each count of clients (headless RemoteSessions in this process: the --connect
dashboard's core, without the screen), for ``--seconds``:

* requests to the source, and the collector's polls (must not move with the clients);
* collector CPU (its process, psutil) per update and per update per client;
* bytes of events per update per client;
* latency from the source's last answer of a poll to a client having applied it
  (engine ingest included), median and worst. The clients share this process's one
  event loop, so with 20 of them the last in line waits for the 19 before it.

Last, one real ``gpurisk --connect`` dashboard in a pseudo-terminal (benchmarks/ptyterm.py):
its time to a first frame with the collector's data, and that it sends the source nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "serve"))

import psutil  # noqa: E402

from standin import StandIn  # noqa: E402

#: `gpurisk serve` with Vast.ai's 60 s floor lowered to 1 s (the stand-in minds no burst).
SERVE = ("import sys\nfrom feeds.vastai import VastAIFeed\nVastAIFeed.min_interval = 1.0\n"
         "from gpurisk.cli import main\nsys.exit(main(sys.argv[1:]))\n")


class Timed(StandIn):
    """The stand-in, noting when it last answered (the moment a poll's data exists)."""

    def __init__(self) -> None:
        super().__init__()
        self.last_answer = 0.0
        handler = self.httpd.RequestHandlerClass
        outer = self
        real = handler.do_POST

        def do_post(h):  # type: ignore[no-untyped-def]
            real(h)
            outer.last_answer = time.time()

        handler.do_POST = handler.do_GET = do_post  # type: ignore[method-assign]


def start_collector(cfg: Path, log: Path) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--config", str(cfg), "--port", "0",
                             "--log", str(log)], cwd=str(ROOT), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True)
    port: list[int] = []
    ready = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port.append(int(m.group(1)))
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(60):
        proc.kill()
        raise SystemExit("the collector did not start")
    return proc, port[0]


async def run_clients(url: str, n: int, seconds: float, src: Timed, coll: psutil.Process) -> dict[str, float]:
    from gpurisk.remote import RemoteSession

    lat: list[float] = []
    clients = [RemoteSession(url) for _ in range(n)]

    def on_update(full: bool) -> None:
        if not full:
            lat.append(time.time() - src.last_answer)

    for c in clients:
        await c.connect(on_update)
    await asyncio.sleep(1.0)  # past the snapshots
    b0 = sum(c.bytes_received for c in clients)
    u0 = [c.updates for c in clients]
    lat.clear()
    req0, cpu0 = src.requests, sum(coll.cpu_times()[:2])
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    took = time.monotonic() - t0
    req, cpu = src.requests - req0, sum(coll.cpu_times()[:2]) - cpu0
    ups = min(c.updates - u for c, u in zip(clients, u0, strict=True))
    nbytes = sum(c.bytes_received for c in clients) - b0
    for c in clients:
        await c.aclose()
    return {"clients": n, "seconds": took, "requests": req, "updates": ups,
            "cpu_per_update_ms": 1000 * cpu / max(1, ups), "cpu_per_client_ms": 1000 * cpu / max(1, ups * n),
            "bytes_per_update_client": nbytes / max(1, ups * n),
            "lat_med_ms": 1000 * statistics.median(lat) if lat else float("nan"),
            "lat_max_ms": 1000 * max(lat) if lat else float("nan")}


def pty_client(url: str, src: Timed) -> tuple[float | None, float]:
    """A real `gpurisk --connect` dashboard: seconds to a frame with the collector's data,
    and the source's requests per second while it ran (the collector's alone)."""
    from ptyterm import Term

    req0, t0 = src.requests, time.monotonic()
    t = Term([sys.executable, "-m", "gpurisk", "--connect", url], 140, 40, cwd=str(ROOT),
             env={"GPURISK_LOG": "/dev/null"})
    try:
        took = t.wait_for(("via 127.0.0.1", "H100", "vastai OK"), 30)
        t.settle(5.0)
    finally:
        t.close()
    return took, (src.requests - req0) / (time.monotonic() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--clients", default="1,5,20")
    ap.add_argument("--no-pty", action="store_true")
    args = ap.parse_args()
    counts = [int(x) for x in args.clients.split(",")]
    src = Timed()
    folder = Path(tempfile.mkdtemp(prefix="bench-desk-"))
    proc, port = start_collector(src.config(folder, interval=1.0), folder / "debug.log")
    url = f"http://127.0.0.1:{port}"
    coll = psutil.Process(proc.pid)
    try:
        time.sleep(2.0)
        req0, t0 = src.requests, time.monotonic()
        time.sleep(args.seconds)
        alone = (src.requests - req0) / (time.monotonic() - t0)
        rows = [asyncio.run(run_clients(url, n, args.seconds, src, coll)) for n in counts]
        pty = None if args.no_pty else pty_client(url, src)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        src.close()
    print(f"one collector, one feed polled every 1 s (5 requests a poll), {args.seconds:g} s per row")
    print(f"collector alone: {alone:.2f} requests/s to the source")
    print(f"{'clients':>7} {'req/s':>6} {'updates':>7} {'CPU/update':>11} {'CPU/upd/client':>15} "
          f"{'bytes/upd/client':>17} {'latency med':>12} {'max':>8}")
    for r in rows:
        print(f"{r['clients']:>7} {r['requests'] / r['seconds']:>6.2f} {r['updates']:>7} "
              f"{r['cpu_per_update_ms']:>9.2f}ms {r['cpu_per_client_ms']:>13.3f}ms "
              f"{r['bytes_per_update_client']:>17.0f} "
              f"{r['lat_med_ms']:>10.1f}ms {r['lat_max_ms']:>6.1f}ms")
    if len(rows) > 1:  # what one more client costs the collector (the poll itself is in every row)
        a, z = rows[0], rows[-1]
        extra = (z["cpu_per_update_ms"] - a["cpu_per_update_ms"]) / (z["clients"] - a["clients"])
        print(f"collector CPU per update for each client beyond the first: {extra:.2f} ms")
    base = rows[0]["requests"] / rows[0]["seconds"]
    # A window cuts polls: one poll (5 requests) either way is the same schedule.
    same = all(abs(r["requests"] / r["seconds"] - base) <= 5.5 / min(r["seconds"], rows[0]["seconds"]) for r in rows)
    print(f"requests to the source with more clients: {'the same as with 1 (within one poll)' if same else 'MOVED'}")
    if pty is not None:
        took, rate = pty
        print(f"gpurisk --connect in a pty: first frame with the collector's data in "
              f"{'—' if took is None else f'{took:.2f} s'}; the source meanwhile: {rate:.2f} requests/s")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
