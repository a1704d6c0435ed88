"""When each feed is polled: one scheduler for the dashboard and the collector.

No Textual and no I/O here: the scheduler is given a ``poll(name)`` coroutine function
(``Session.poll``), a ``next_delay(name)`` (the runner's cadence: the interval, or later
after failures and a Retry-After) and a ``may_poll(name)`` (the runner's rationing of a
manual refresh), and it decides when to call them:

- each feed is re-armed with ``next_delay`` only when its previous poll has finished, so
  a slow source never piles up requests and never delays another feed;
- at most one poll in flight per feed, whatever asks (timer, refresh, a test);
- a feed's floor (``min_interval``) is kept between two starts of its polls;
- pause cancels every timer (polls in flight finish, nothing new starts); resume re-arms;
- refresh-now polls every feed the runner lets through (not a RATE-LIMITED source before
  its Retry-After, not inside its floor, not one already polling) and says why the others
  were held;
- a poll that overruns its deadline is cancelled and reported as a ``TimeoutError``.

Time comes from a :class:`Clock` (the running loop's by default): tests pass
:class:`FakeClock` and move time by hand, without sleeping. How a poll runs is
``spawn`` (an asyncio task by default; the dashboard runs it as a Textual worker) and
what happens with its result is ``on_result``, called in the polling task right after
the poll returns (nothing else runs in between).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from .clock import Clock, FakeClock, Handle, LoopClock

log = logging.getLogger("gpurisk.scheduler")

MIN_DELAY = 0.05  # seconds: the shortest wait between two polls of one feed


@dataclass(frozen=True)
class PollResult:
    """One finished poll: what ``poll`` returned (None after an error), the error, and
    whether it was the feed's first poll."""

    name: str
    value: Any
    error: BaseException | None
    first: bool


Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]


def _task(coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
    return asyncio.ensure_future(coro)


class Scheduler:
    def __init__(self, poll: Callable[[str], Awaitable[Any]], names: Callable[[], Iterable[str]],
                 next_delay: Callable[[str], float], *,
                 may_poll: Callable[[str], tuple[bool, str]] | None = None,
                 floor: Callable[[str], float] | None = None,
                 deadline: Callable[[str], float | None] | None = None,
                 clock: Clock | None = None) -> None:
        self.poll, self.names, self.next_delay = poll, names, next_delay
        self.may_poll = may_poll or (lambda name: (True, ""))
        self.floor = floor or (lambda name: 0.0)
        self.deadline = deadline or (lambda name: None)
        self.clock: Clock = clock or LoopClock()
        self.spawn: Spawn = _task
        self.on_result: Callable[[PollResult], None] | None = None
        self.started = False
        self.paused = False
        self.inflight: set[str] = set()
        self.polls: dict[str, int] = {}  # finished polls per feed
        self._timers: dict[str, Handle] = {}
        self._started_at: dict[str, float] = {}
        self._running: dict[str, Any] = {}  # what spawn returned, for stop()
        self._done: dict[str, asyncio.Future[None]] = {}

    # --- control ------------------------------------------------------------------------
    def start(self) -> None:
        """Poll every feed now, then each on its own cadence."""
        self.started = True
        for name in self.names():
            self.launch(name)

    def pause(self) -> None:
        self.paused = True
        for h in self._timers.values():
            h.cancel()
        self._timers.clear()

    def resume(self) -> None:
        self.paused = False
        for name in self.names():
            if name not in self.inflight:
                self.rearm(name)

    def refresh_now(self) -> tuple[list[str], list[tuple[str, str]]]:
        """Poll every feed now that the runner lets through; the feeds started, and those
        held with why (they keep their schedule)."""
        started, held = [], []
        for name in self.names():
            ok, why = self.may_poll(name)
            if not ok or name in self.inflight:
                held.append((name, why or "already polling"))
                continue
            self.launch(name)
            started.append(name)
        return started, held

    def launch(self, name: str) -> Any:
        """Start one poll of ``name`` unless one is running (what ``spawn`` returned, or None)."""
        if name in self.inflight:
            return None
        self._begin(name)
        handle = self.spawn(self._run(name, notify=True), name)
        if name in self.inflight:  # spawn may have run it to the end already
            self._running[name] = handle
        return handle

    async def poll_once(self, name: str, notify: bool = True) -> PollResult | None:
        """Poll ``name`` now in this task and return the result (None when a poll of it was
        already running: this waits for that one instead)."""
        if name in self.inflight:
            done = self._done.get(name)
            if done is not None:
                await asyncio.shield(done)
            return None
        self._begin(name)
        return await self._run(name, notify)

    async def settle(self, timeout: float | None = None) -> bool:
        """Wait (at most ``timeout`` s of the loop's time) until no poll is in flight; True if none is."""
        pending = [f for f in self._done.values() if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        return not self.inflight

    def stop(self) -> list[Any]:
        """No more polls: timers cancelled and polls in flight cancelled; returns what was running."""
        self.started = False
        for h in self._timers.values():
            h.cancel()
        self._timers.clear()
        running = list(self._running.values())
        for r in running:
            r.cancel()
        for name in list(self.inflight):  # a task cancelled before it began never reaches its own _end
            self._end(name)
        return running

    async def aclose(self) -> None:
        for r in self.stop():
            if isinstance(r, asyncio.Future):
                try:
                    await r
                except (asyncio.CancelledError, Exception):
                    pass

    # --- one poll -------------------------------------------------------------------------
    def _begin(self, name: str) -> None:
        self.inflight.add(name)
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        self._started_at[name] = self.clock.time()
        self._done[name] = asyncio.get_running_loop().create_future()

    async def _run(self, name: str, notify: bool) -> PollResult:
        value: Any = None
        error: BaseException | None = None
        try:
            value = await self._bounded(name)
        except asyncio.CancelledError:
            self._end(name)
            raise
        except Exception as exc:  # the runner never raises; a bug elsewhere is reported, not fatal
            error = exc
        self._end(name)
        self.polls[name] = self.polls.get(name, 0) + 1
        result = PollResult(name, value, error, self.polls[name] == 1)
        try:
            if notify and self.on_result is not None:
                self.on_result(result)
        except Exception as exc:  # a display or publish bug must not stop this feed's polling
            log.exception("after the poll of %s: %s", name, exc)
        finally:
            self.rearm(name)
        return result

    async def _bounded(self, name: str) -> Any:
        limit = self.deadline(name)
        if limit is None:
            return await self.poll(name)
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = self.clock.call_later(limit, expire)
        try:
            return await self.poll(name)
        except asyncio.CancelledError:
            if not expired:
                raise
            task.uncancel()
            raise TimeoutError(f"no answer within the {limit:g} s poll deadline") from None
        finally:
            timer.cancel()

    def _end(self, name: str) -> None:
        self.inflight.discard(name)
        self._running.pop(name, None)
        done = self._done.get(name)
        if done is not None and not done.done():
            done.set_result(None)

    def rearm(self, name: str) -> None:
        """Arm ``name``'s next poll: ``next_delay`` from now, and not before its floor since
        its last start. Nothing while paused, before :meth:`start` or once the schedule ends."""
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        if self.paused or not self.started:
            return
        delay = self.next_delay(name)
        if not math.isfinite(delay):
            log.info("feed %s: no further polls (its schedule ends)", name)
            return
        last = self._started_at.get(name)
        if last is not None:
            delay = max(delay, self.floor(name) - (self.clock.time() - last))
        self._timers[name] = self.clock.call_later(max(MIN_DELAY, delay), lambda: self._due(name))

    def _due(self, name: str) -> None:
        self._timers.pop(name, None)
        if not self.paused and self.started:
            self.launch(name)

    def armed(self) -> set[str]:
        """Feeds with a poll waiting on a timer."""
        return set(self._timers)


__all__ = ["Clock", "FakeClock", "LoopClock", "PollResult", "Scheduler", "MIN_DELAY"]
