"""The scheduler's time (gpurisk/scheduler.py): the running loop's clock, or a fake one for tests."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import Protocol


class Handle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """Monotonic seconds and timers."""

    def time(self) -> float: ...

    def call_later(self, delay: float, fn: Callable[[], None]) -> Handle: ...


class LoopClock:
    """The running asyncio loop's clock (looked up at each call: a Session may be made
    before its loop runs)."""

    def time(self) -> float:
        return asyncio.get_running_loop().time()

    def call_later(self, delay: float, fn: Callable[[], None]) -> Handle:
        return asyncio.get_running_loop().call_later(delay, fn)


class _FakeHandle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock for tests: time moves only with :meth:`advance`, which runs the timers due."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._timers: list[tuple[float, int, _FakeHandle, Callable[[], None]]] = []
        self._n = itertools.count()

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, fn: Callable[[], None]) -> Handle:
        h = _FakeHandle()
        heapq.heappush(self._timers, (self.now + max(0.0, delay), next(self._n), h, fn))
        return h

    def pending(self) -> list[float]:
        """When the live timers fire, soonest first."""
        return sorted(t for t, _, h, _ in self._timers if not h.cancelled)

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        while self._timers and self._timers[0][0] <= end:
            when, _, h, fn = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            if not h.cancelled:
                fn()
        self.now = end


__all__ = ["Clock", "FakeClock", "Handle", "LoopClock"]
