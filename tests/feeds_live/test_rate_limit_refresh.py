"""A manual refresh respects the source: no request while it is RATE-LIMITED or inside its
floor, never two requests of one feed at once; the status line says when the next try is.

The server counts the requests it receives: that count is what a rate-limited provider sees.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from feeds.runner import OK, RATE_LIMITED, FeedRunner, FeedStatus
from feeds.runpod import RunPodFeed

FAST = dict(timeout=2.0, retries=0, backoff=0.01, retry_after_cap=0.5)
GPUS = {"data": {"gpuTypes": [{"id": "NVIDIA H100 80GB HBM3", "displayName": "H100 SXM", "memoryInGb": 80,
                               "securePrice": 2.99, "communityPrice": 0}]}}


class QuickRunPod(RunPodFeed):
    """RunPod with a 1 s floor, so that the 429's Retry-After is what holds requests back."""

    min_interval = 1.0


def limited(server) -> None:  # type: ignore[no-untyped-def]
    server.route("/graphql", server.Reply(429, "slow down", headers={"Retry-After": "120"}), "POST")


async def test_five_refreshes_during_a_429_send_one_request(server) -> None:
    limited(server)
    feed = QuickRunPod(base_url=server.url, **FAST)
    runner = FeedRunner([feed])
    try:
        for _ in range(5):
            await runner.poll("runpod", manual=True)
    finally:
        await runner.aclose()
    assert server.hits("/graphql") == 1
    st = runner.status["runpod"]
    assert st.state == RATE_LIMITED
    ok, why = runner.may_poll("runpod", manual=True)
    assert not ok and why.startswith("RATE-LIMITED · next try ") and "UTC (in 2m0" in why
    assert 115 < (st.next_try() - datetime.now(UTC)).total_seconds() <= 120


async def test_refresh_inside_the_floor_sends_nothing(server) -> None:
    server.route("/graphql", server.Reply(body=GPUS), "POST")
    feed = RunPodFeed(base_url=server.url, **FAST)  # min_interval 900 s
    runner = FeedRunner([feed])
    try:
        assert await runner.poll("runpod", manual=True)
        assert await runner.poll("runpod", manual=True) == []
        ok, why = runner.may_poll("runpod", manual=True)
        # a scheduled poll is timed by next_delay, not held here
        assert runner.may_poll("runpod", manual=False) == (True, "")
    finally:
        await runner.aclose()
    assert server.hits("/graphql") == 1 and runner.status["runpod"].state == OK
    assert not ok and why.startswith("asked 0s ago (at most once every 900 s) · next try ")
    assert why.endswith(("(in 15m00s)", "(in 14m59s)"))


async def test_one_request_in_flight_per_feed(server) -> None:
    server.route("/graphql", server.Reply(body=GPUS, delay=0.4), "POST")
    feed = RunPodFeed(base_url=server.url, **FAST)
    runner = FeedRunner([feed])
    try:
        first = asyncio.ensure_future(runner.poll("runpod"))
        await asyncio.sleep(0.1)
        assert runner.may_poll("runpod", manual=False) == (False, "already polling")
        second = await runner.poll("runpod")  # a scheduled poll while the first runs: no request
        assert second == [] and len(await first) == 1
    finally:
        await runner.aclose()
    assert server.hits("/graphql") == 1 and not runner.status["runpod"].inflight


def test_status_line_says_when_the_next_try_is() -> None:
    from tui.widgets.bars import feed_text

    now = datetime(2026, 3, 16, 14, 30, tzinfo=UTC)
    st = FeedStatus("vastai", 120, state=RATE_LIMITED, last_error="HTTP 429 from console.vast.ai, retry after 112 s",
                    last_attempt=now - timedelta(seconds=8), retry_at=now + timedelta(seconds=112), failures=1,
                    floor=60)

    class S:
        status = {"vastai": st}
        remote = False
        history_state = None

        def feed_names(self) -> list[str]:
            return ["vastai"]

    line = feed_text(S(), now, 120).plain
    assert "vastai RATE-LIMITED · next try in 1m52s" in line and "HTTP 429" in line
    assert "next try" not in feed_text(S(), now + timedelta(seconds=200), 120).plain  # due: nothing to wait for


async def test_pressing_r_five_times_during_a_429_sends_one_request(server) -> None:
    from gpurisk.config import load_config
    from gpurisk.session import Session
    from tui.app import Dashboard
    from tui.widgets.bars import FeedLine

    limited(server)
    session = Session(load_config(None), [QuickRunPod(base_url=server.url, **FAST)])
    app = Dashboard(session, autopoll=False)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(5):
                await pilot.press("r")
                await app.workers.wait_for_complete()
                await pilot.pause(0.05)
            assert server.hits("/graphql") == 1
            assert session.status["runpod"].state == RATE_LIMITED
            app.refresh_bars()
            assert re.search(r"runpod RATE-LIMITED · next try in (2m00s|1m5\ds) HTTP 429",
                             app.query_one(FeedLine).plain)
    finally:
        await session.runner.aclose()
