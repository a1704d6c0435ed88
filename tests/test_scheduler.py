"""The scheduler (gpurisk/scheduler.py) on a fake clock: time moves only when the test says,
polls end only when the test lets them; nothing sleeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gpurisk.scheduler import FakeClock, PollResult, Scheduler


class Feeds:
    """Fake feeds: each poll waits until the test releases it (or answers at once when ``instant``)."""

    def __init__(self, names: list[str], interval: float = 10.0, instant: bool = True) -> None:
        self.names = names
        self.interval = dict.fromkeys(names, interval)
        self.instant = dict.fromkeys(names, instant)
        self.started: list[str] = []
        self.running: dict[str, int] = dict.fromkeys(names, 0)
        self.most: dict[str, int] = dict.fromkeys(names, 0)
        self.gates: dict[str, asyncio.Event] = {n: asyncio.Event() for n in names}

    async def poll(self, name: str) -> str:
        self.started.append(name)
        self.running[name] += 1
        self.most[name] = max(self.most[name], self.running[name])
        try:
            if not self.instant[name]:
                gate = self.gates[name]
                await gate.wait()
                gate.clear()
            return f"{name}#{self.started.count(name)}"
        finally:
            self.running[name] -= 1

    def count(self, name: str) -> int:
        return self.started.count(name)


def make(feeds: Feeds, **kw) -> tuple[Scheduler, FakeClock, list[PollResult]]:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    s = Scheduler(feeds.poll, lambda: feeds.names, lambda n: feeds.interval[n], clock=clock, **kw)
    got: list[PollResult] = []
    s.on_result = got.append
    return s, clock, got


async def settle() -> None:
    """Let every ready task run (no time passes: the clock is fake)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def run_for(clock: FakeClock, seconds: float, step: float = 0.5) -> None:
    """Move the fake clock ``seconds`` ahead in steps, letting the polls due run after each."""
    end = clock.now + seconds
    while clock.now < end - 1e-9:
        clock.advance(min(step, end - clock.now))
        await settle()


async def test_polls_each_feed_at_its_cadence() -> None:
    feeds = Feeds(["a", "b"])
    feeds.interval["b"] = 25.0
    s, clock, got = make(feeds)
    s.start()
    await settle()
    assert feeds.count("a") == feeds.count("b") == 1 and all(r.first for r in got)
    clock.advance(9.9)
    await settle()
    assert feeds.count("a") == 1
    clock.advance(0.1)
    await settle()
    assert feeds.count("a") == 2 and feeds.count("b") == 1
    await run_for(clock, 20)
    assert feeds.count("a") == 4 and feeds.count("b") == 2
    assert [r.value for r in got if r.name == "a"] == ["a#1", "a#2", "a#3", "a#4"]
    await s.aclose()


async def test_one_poll_in_flight_per_feed() -> None:
    feeds = Feeds(["slow"], interval=1.0, instant=False)
    s, clock, got = make(feeds)
    s.start()
    await settle()
    for _ in range(5):  # the cadence, a refresh, a direct launch: none starts a second poll
        clock.advance(5)
        assert s.launch("slow") is None
        started, held = s.refresh_now()
        assert started == [] and held == [("slow", "already polling")]
        await settle()
    assert feeds.count("slow") == 1 and feeds.most["slow"] == 1 and s.inflight == {"slow"}
    assert clock.pending() == []  # re-armed only when the poll has finished
    feeds.gates["slow"].set()
    await settle()
    assert len(got) == 1 and s.inflight == set() and clock.pending() == [26.0]
    await s.aclose()


async def test_a_slow_feed_does_not_delay_the_others() -> None:
    feeds = Feeds(["slow", "fast"], interval=10.0)
    feeds.instant["slow"] = False
    s, clock, got = make(feeds)
    s.start()
    await settle()
    await run_for(clock, 60)
    assert feeds.count("fast") == 7 and feeds.count("slow") == 1 and "slow" in s.inflight
    assert [r.name for r in got] == ["fast"] * 7
    await s.aclose()
    assert s.inflight == set()


async def test_the_floor_holds_a_feed_whose_cadence_is_shorter() -> None:
    feeds = Feeds(["a"], interval=0.01)
    s, clock, _ = make(feeds, floor=lambda n: 60.0)
    s.start()
    await settle()
    assert clock.pending() == [60.0]  # not 0.05 s: 60 s after the start of the last poll
    clock.advance(59.9)
    await settle()
    assert feeds.count("a") == 1
    clock.advance(0.1)
    await settle()
    assert feeds.count("a") == 2 and clock.pending() == [120.0]
    await s.aclose()


async def test_pause_stops_polls_and_resume_rearms() -> None:
    feeds = Feeds(["a", "b"], interval=5.0)
    feeds.instant["b"] = False
    s, clock, got = make(feeds)
    s.start()
    await settle()
    s.pause()
    assert clock.pending() == []
    feeds.gates["b"].set()  # the poll in flight finishes; nothing new is armed
    await settle()
    await run_for(clock, 3600, step=60)
    assert feeds.count("a") == feeds.count("b") == 1 and len(got) == 2 and clock.pending() == []
    s.resume()
    assert s.armed() == {"a", "b"}
    clock.advance(5)
    await settle()
    assert feeds.count("a") == 2
    await s.aclose()


async def test_a_schedule_that_ends_arms_nothing() -> None:
    feeds = Feeds(["a"])
    feeds.interval["a"] = float("inf")  # DISABLED
    s, clock, got = make(feeds)
    s.start()
    await settle()
    assert len(got) == 1 and clock.pending() == []
    await s.aclose()


async def test_a_poll_past_its_deadline_is_cancelled_and_reported() -> None:
    feeds = Feeds(["hang", "ok"], interval=30.0)
    feeds.instant["hang"] = False
    s, clock, got = make(feeds, deadline=lambda n: 12.0)
    s.start()
    await settle()
    clock.advance(12)
    await settle()
    (late,) = [r for r in got if r.name == "hang"]
    assert isinstance(late.error, TimeoutError) and "12 s poll deadline" in str(late.error)
    assert late.value is None and feeds.running["hang"] == 0 and "hang" not in s.inflight
    assert "hang" in s.armed()  # it keeps its schedule
    await s.aclose()


async def test_a_failing_poll_or_callback_keeps_the_feed_scheduled() -> None:
    async def poll(name: str) -> str:
        raise RuntimeError("a bug")

    clock = FakeClock()
    s = Scheduler(poll, lambda: ["a"], lambda n: 5.0, clock=clock)
    got: list[PollResult] = []

    def on_result(r: PollResult) -> None:
        got.append(r)
        raise ValueError("display bug")

    s.on_result = on_result
    s.start()
    await settle()
    clock.advance(5)
    await settle()
    assert len(got) == 2 and isinstance(got[0].error, RuntimeError) and s.armed() == {"a"}
    await s.aclose()


async def test_poll_once_waits_for_the_poll_in_flight_instead_of_a_second() -> None:
    feeds = Feeds(["a"], instant=False)
    s, _, got = make(feeds)
    s.launch("a")
    await settle()
    waiting = asyncio.ensure_future(s.poll_once("a"))
    await settle()
    assert not waiting.done()
    feeds.gates["a"].set()
    assert await waiting is None
    assert feeds.count("a") == 1 and len(got) == 1
    feeds.instant["a"] = True
    result = await s.poll_once("a", notify=False)
    assert result is not None and result.value == "a#2" and not result.first and len(got) == 1
    await s.aclose()


# --- through a Session: the runner's rationing (Retry-After, floor) ----------------------------


class LimitedFeed:
    """Answers 429 with Retry-After: 120 (a feed as feeds/base.py defines it, no network)."""

    name = instance = "limited"
    interval = 30.0
    min_interval = 0.0
    demo = False
    poll_deadline = None

    def __init__(self) -> None:
        self.calls = 0

    async def poll(self) -> list[object]:
        from feeds.base import RateLimited

        self.calls += 1
        raise RateLimited("HTTP 429, retry after 120 s", retry_after=120.0)

    def freshness(self, observations: object) -> None:
        return None

    def data_as_of(self, observations: object) -> None:
        return None

    async def aclose(self) -> None:
        pass


@pytest.fixture
def limited_session():  # type: ignore[no-untyped-def]
    from gpurisk.config import load_config
    from gpurisk.session import Session

    feed = LimitedFeed()
    session = Session(load_config(None), [feed])  # type: ignore[list-item]
    session.scheduler.clock = FakeClock()
    return session, feed


async def test_refresh_now_respects_retry_after(limited_session) -> None:  # type: ignore[no-untyped-def]
    session, feed = limited_session
    s = session.scheduler
    s.start()
    await settle()
    assert feed.calls == 1 and session.status["limited"].state == "RATE-LIMITED"
    for _ in range(5):  # r pressed five times: the source is asked nothing more
        started, held = s.refresh_now()
        await settle()
        assert started == [] and held[0][0] == "limited" and held[0][1].startswith("RATE-LIMITED · next try ")
    assert feed.calls == 1
    # the schedule waits for the Retry-After too, not the 30 s interval
    (due,) = s.clock.pending()  # type: ignore[attr-defined]
    assert 115 < due <= 120
    # once the retry time has passed, refresh asks again
    session.status["limited"].retry_at = datetime.now(UTC) - timedelta(seconds=1)
    started, held = s.refresh_now()
    await settle()
    assert started == ["limited"] and held == [] and feed.calls == 2
    await s.aclose()
