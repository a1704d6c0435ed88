"""A real local HTTP server for the network feeds' tests.

Why: the feeds must be tested against real sockets and real HTTP (timeouts,
truncation, Retry-After, connection refused), not against a mocked httpx. Each
test programs routes on a ``ThreadingHTTPServer`` bound to 127.0.0.1:0 and
points a feed's ``base_url`` at it. Nothing here reaches the internet.
"""

from __future__ import annotations

import socket

import pytest
from local_http import Fixtures, LocalServer


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def fx() -> Fixtures:
    return Fixtures()
