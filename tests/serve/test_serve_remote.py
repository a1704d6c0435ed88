"""The --connect client reads a server's bytes as data: bad JSON, wrong types, unknown
events, oversized events and garbage records never crash it; a valid snapshot mirrors
the collector's engine."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from gpurisk import remote
from gpurisk.remote import EventTooBig, RemoteSession, sse_events
from gpurisk.serve.collector import Collector
from gpurisk.session import demo_session


async def chunks(*parts: bytes):  # type: ignore[no-untyped-def]
    for p in parts:
        yield p


async def collect(gen):  # type: ignore[no-untyped-def]
    return [e async for e in gen]


async def test_sse_parser_fields_comments_and_split_chunks():
    got = await collect(sse_events(chunks(b": ping\n\nid: 7\nevent: up", b"date\ndata: {\"a\":\r\ndata: 1}\n\n",
                                          b"data: x\n\n")))
    assert got == [("update", "7", '{"a":\n1}'), ("message", "7", "x")]  # the last id persists (the SSE rule)
    with pytest.raises(EventTooBig):
        await collect(sse_events(chunks(b"data: " + b"x" * 2000), limit=1000))
    with pytest.raises(EventTooBig):
        await collect(sse_events(chunks(*[b"data: " + b"x" * 400 + b"\n"] * 5), limit=1000))


async def demo_snapshot_event() -> tuple[bytes, object]:
    s = demo_session(interval=3600)
    s.setup_alerts()
    c = Collector(s)
    for n in s.feed_names():
        await c.poll(n)
    data = c.snapshot_event()
    await s.aclose()
    return data, s


def stream_of(body: bytes, status: int = 200) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/events":
            return httpx.Response(status, content=body, headers={"content-type": "text/event-stream"})
        return httpx.Response(404)

    return httpx.MockTransport(handler)


async def test_garbage_around_a_valid_snapshot_is_skipped_never_fatal():
    good, s = await demo_snapshot_event()
    bad = [
        b"event: update\ndata: {\"observations\": []}\n\n",  # an update before any snapshot: ignored
        b"event: snapshot\ndata: {bad json\n\n",
        b"event: snapshot\ndata: [1, 2]\n\n",
        b"event: weird\ndata: {}\n\n",
    ]
    after = [
        b"id: 99\nevent: update\ndata: " + json.dumps({
            "observations": "x", "feeds": [1], "alerts": {"a": 1}, "alert_rules": 5,
            "replay_date": 12}).encode() + b"\n\n",
        b"id: 100\nevent: update\ndata: " + json.dumps({
            "observations": [[1, 2, 3], ["PriceQuote", "nan", 0, "s", "f", "{}"],
                             ["NoSuchKind", 1.0, 1.0, "s", "f", "{}"],
                             ["PriceQuote", 1.0, 1.0, "s", "f", "[]"]],
            "feeds": {"x": {"name": 5}, "y": {"name": "y", "interval": "fast", "state": ["OK"], "last_ok": "yesterday",
                                             "n_obs": -4, "freshness": {"kind": "Longest", "limits": [{"kind": "?"}]}}},
            "alerts": [{"rule": "r", "at": "never"}, 3],
            "alert_rules": {"current_ratio < 0.5": {"state": 7}},
        }).encode() + b"\n\n",
    ]
    r = RemoteSession("http://collector.test", transport=stream_of(b"".join(bad) + good + b"".join(after)))
    await r.connect(wait=5)
    await asyncio.sleep(0.2)
    assert r.snapshots == 1 and r.skipped >= 5
    # The mirror equals the collector's engine.
    for name, res in s.snapshot.indicators.items():
        assert r.snapshot.indicators[name].value == res.value, name
    assert set(r.snapshot.prices) == set(s.snapshot.prices)
    assert r.status["y"].interval == 60.0 and r.status["y"].n_obs == 0 and r.status["y"].last_ok is None
    assert r.alerts is not None and r.demo is True
    await r.aclose()


async def test_oversized_event_disconnects_and_retries(monkeypatch):
    monkeypatch.setattr(remote, "MAX_EVENT", 10_000)
    monkeypatch.setattr(remote, "BACKOFF_MIN", 0.05)
    body = b"event: snapshot\ndata: " + b"x" * 50_000 + b"\n\n"
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers.get("authorization"))
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    r = RemoteSession("http://collector.test", token="tok-0123456789abcdef", transport=httpx.MockTransport(handler))
    await r.connect(wait=0.5)
    await asyncio.sleep(0.5)
    assert r.disconnected_since is not None and "EventTooBig" in r.link_error
    assert len(calls) >= 2 and calls[0] == "Bearer tok-0123456789abcdef"  # it retries, with the token
    await r.aclose()


async def test_401_is_disconnected_with_the_reason():
    r = RemoteSession("http://collector.test", transport=stream_of(b"", status=401))
    await r.connect(wait=0.3)
    assert r.disconnected_since is not None and "401" in r.link_error and "token" in r.link_error
    await r.aclose()


def test_connect_refuses_a_bad_url_and_a_missing_token(capsys, monkeypatch):
    from gpurisk.cli import main

    assert main(["--connect", "file:///etc/passwd"]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    assert main(["--connect", "http://127.0.0.1:1", "--token-env", "NO_SUCH_TOKEN"]) == 2
    assert "NO_SUCH_TOKEN" in capsys.readouterr().err


async def test_a_connected_dashboard_rings_for_a_new_alert_not_for_one_firing_at_start():
    """The collector's sink rings its own terminal; a ``--connect`` dashboard rings through
    Textual (``App.bell``) for the notifying alert events it receives after it started."""
    from tui.app import Dashboard

    good, _ = await demo_snapshot_event()

    def alert(notify: bool, n: int) -> bytes:
        ev = {"rule": "current_ratio < 0.5", "indicator": "current_ratio", "old": "pending", "state": "firing",
              "at": "2026-03-04T00:00:00+00:00", "value": 0.48, "threshold": 0.5, "comparison": "<",
              "severity": "critical", "notify": notify, "reason": ""}
        return f"id: {n}\nevent: update\ndata: ".encode() + json.dumps({"alerts": [ev]}).encode() + b"\n\n"

    async def body():  # the snapshot, then (the dashboard up and started) two alert updates
        yield good
        await asyncio.sleep(0.8)
        yield alert(True, 901) + alert(False, 902)
        await asyncio.sleep(5)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})

    r = RemoteSession("http://collector.test", transport=httpx.MockTransport(handler))
    app = Dashboard(r)
    rang: list[int] = []
    app.bell = lambda: rang.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(60):
            await pilot.pause(0.05)
            if r.updates >= 2:
                break
        await pilot.pause(0.1)
        assert r.updates >= 2
        # one notifying event, one bell; the repeat without notify is quiet
        assert app.notices.bells == 1 and rang == [1]
    await r.aclose()
