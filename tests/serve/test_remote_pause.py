"""``--connect`` pause: the collector's events wait while paused (nothing on screen moves,
the link stays read), and are applied in order at resume; a backlog too long for the hold
becomes a fresh snapshot."""

from __future__ import annotations

from conditions import until

from gpurisk.remote import RemoteSession
from gpurisk.session import demo_session

from serve_helpers import collector


def demo():  # type: ignore[no-untyped-def]
    s = demo_session(interval=3600)  # the first poll only: the test makes the updates
    s.setup_alerts()
    return s


async def test_held_events_wait_and_apply_in_order_at_resume() -> None:
    async with collector(demo()) as c:
        r = RemoteSession(c.url)
        try:
            await r.connect(wait=10)
            assert await until(lambda: r.snapshots == 1 and r.replay_date() is not None, 10)
            day, seq, updates = r.replay_date(), r.snapshot.seq, r.updates
            r.hold(True)
            await c.collector.poll("replay")  # the collector moves on: a new day, new prices
            await c.collector.poll("replay")
            assert c.session.replay_date() > day
            assert await until(lambda: len(r._held) >= 2, 10)  # received, kept, not applied
            assert (r.replay_date(), r.snapshot.seq, r.updates) == (day, seq, updates)
            assert r.last_event_at is not None and r.connected
            r.hold(False)
            assert r.replay_date() == c.session.replay_date() and r.updates == updates + 2
            assert r.snapshot.seq > seq and not r._held
        finally:
            await r.aclose()


async def test_a_backlog_longer_than_the_hold_resumes_from_a_fresh_snapshot() -> None:
    async with collector(demo()) as c:
        r = RemoteSession(c.url)
        r._held = type(r._held)(maxlen=1)  # a hold of one event
        try:
            await r.connect(wait=10)
            assert await until(lambda: r.snapshots == 1, 10)
            r.hold(True)
            for _ in range(3):
                await c.collector.poll("replay")
            assert await until(lambda: r._held_over, 10)
            r.hold(False)
            assert await until(lambda: r.snapshots == 2, 10)  # everything again, from a snapshot
            assert r.replay_date() == c.session.replay_date()
        finally:
            await r.aclose()
