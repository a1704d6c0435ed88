"""A real local HTTP server for the network feeds' tests, and the recorded bodies they serve.

In its own module (not conftest.py) so that any test imports it by a name no other module
uses (``from conftest import ...`` picks whichever conftest was imported first); in tests/,
which tests/conftest.py puts on the path for every folder.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"


@dataclass
class Reply:
    """What the server sends for one request."""

    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    truncate: int | None = None  # send only this many body bytes, then close
    content_type: str | None = None

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Seen], "Reply"]


class LocalServer:
    """Routes: (METHOD, path) -> a Reply, a list of Replies (served in turn, last repeats) or a callable."""

    Reply = Reply  # tests build replies as ``server.Reply(...)`` (no import of conftest)

    def __init__(self, fallback: Handler | None = None) -> None:
        self.routes: dict[tuple[str, str], Reply | list[Reply] | Handler] = {}
        self.fallback = fallback  # answers a path no route names (else a 404)
        self.requests: list[Seen] = []
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                seen = Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                outer.requests.append(seen)
                reply = outer._reply(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.encoded()
                try:
                    self.send_response(reply.status)
                    ctype = reply.content_type or ("application/json" if not isinstance(reply.body, (bytes, str))
                                                   else "text/plain; charset=utf-8")
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    if reply.truncate is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    if reply.truncate is not None:
                        self.wfile.write(data[: reply.truncate])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                    else:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    self.close_connection = True

            do_GET = do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, reply: Reply | list[Reply] | Handler, method: str = "GET") -> None:
        self.routes[(method.upper(), path)] = reply

    def _reply(self, seen: Seen) -> Reply:
        r = self.routes.get((seen.method, seen.path))
        if r is None:
            return self.fallback(seen) if self.fallback is not None else Reply(404, "not found")
        if isinstance(r, list):
            return r.pop(0) if len(r) > 1 else r[0]
        if callable(r):
            return r(seen)
        return r

    def hits(self, path: str) -> int:
        return sum(1 for s in self.requests if s.path == path)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class Fixtures:
    """Recorded bodies copied into tests/fixtures/feeds/."""

    dir = FIXTURES

    def bytes(self, name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    def json(self, name: str) -> Any:
        return json.loads(self.bytes(name))
