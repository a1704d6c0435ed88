"""Every HTTP client shares one TLS context: building one reads and parses the whole CA
bundle (about 30 ms of CPU), which eight live feeds, or a ``--connect`` view opening a
client per request, would otherwise pay again and again. Sharing must not weaken it."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from feeds.fred import FredFeed
from feeds.http import tls_context
from feeds.vastai import VastAIFeed


def _ssl_of(client: httpx.AsyncClient) -> Any:
    return client._transport._pool._ssl_context  # type: ignore[attr-defined]


async def test_feeds_and_the_remote_view_share_one_verifying_context() -> None:
    from gpurisk.remote import RemoteSession

    fred = FredFeed(base_url="https://api.stlouisfed.org", series=["DGS10"])
    vast = VastAIFeed(base_url="https://console.vast.ai")
    remote = RemoteSession("https://desk.example:8765")
    clients = [fred._get_client(), vast._get_client(), remote._client(), remote._client()]
    try:
        shared = tls_context()
        assert all(_ssl_of(c) is shared for c in clients)
        assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname  # still checks certificates
    finally:
        for c in clients:
            await c.aclose()


async def test_a_client_with_its_own_transport_builds_no_context() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    feed = FredFeed(base_url="https://api.stlouisfed.org", series=["DGS10"], transport=transport)
    client = feed._get_client()
    try:
        assert client._transport is transport  # type: ignore[attr-defined]
    finally:
        await client.aclose()
