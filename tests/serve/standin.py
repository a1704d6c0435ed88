"""A stand-in for a live source on 127.0.0.1: Vast.ai's bundles search answered from a
recorded response, every request counted (tests/serve and benchmarks/bench_desk.py).

Why threads: the collector under test may run in another process, or in the test's own
event loop; a server on its own threads answers whatever the loop is doing.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "feeds" / "vast-bundles-2026-03-05.json"


class StandIn:
    """``POST /api/v0/bundles/``: the recorded offers for the query's GPU names."""

    def __init__(self) -> None:
        self.offers: list[dict[str, Any]] = json.loads(FIXTURE.read_bytes())["offers"]
        # Recorded on 2026-03-05: listed "now" instead, or the 7-day listing filter drops them all.
        newest = max((o.get("start_date") or 0) for o in self.offers)
        shift = time.time() - 3600 - newest
        for o in self.offers:
            if isinstance(o.get("start_date"), (int, float)):
                o["start_date"] += shift
        self.requests = 0
        self.lock = threading.Lock()
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b"{}"
                with outer.lock:
                    outer.requests += 1
                try:
                    cond = json.loads(body).get("gpu_name", {})
                except ValueError:
                    cond = {}
                names = [cond["eq"]] if "eq" in cond else list(cond.get("in", []))
                data = json.dumps({"offers": [o for o in outer.offers if o.get("gpu_name") in names]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        class _Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client gone mid-answer (a cancelled poll) is not news

        self.httpd = _Server(("127.0.0.1", 0), _H)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def config(self, folder: Path, interval: float = 1.0, history: bool = False) -> Path:
        """A live config (no sample feed) whose one feed asks this server every ``interval`` s."""
        path = folder / "desk.toml"
        hist = f'history_path = "{folder / "history.db"}"\n' if history else ""
        path.write_text(f"[app]\nhistory = {'true' if history else 'false'}\n{hist}bell = false\n"
                        f'alert_log = "{folder / "alerts.jsonl"}"\n\n'
                        f'[feeds.vastai]\nbase_url = "{self.url}"\ninterval = {interval}\nretries = 0\n')
        return path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
