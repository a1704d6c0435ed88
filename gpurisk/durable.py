"""The flush timer that bounds what a kill -9 loses from the history.

Why a timer: rows used to be written only when a later poll came more than 5 s after
the last write, so a feed polled every minute lost everything to a kill. Now the
first observation queued after a write arms one timer (``delay`` seconds, 2 by
default); it writes everything queued by then. Nothing pending, no timer: an idle
dashboard does no work for it. Signals and quit flush at once (tui/lifecycle.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

FLUSH_DELAY = 2.0  # at most this much history is lost to a kill -9


class FlushTimer:
    """Calls ``flush`` once, ``delay`` seconds after the first :meth:`schedule` since the last call."""

    def __init__(self, flush: Callable[[], None], delay: float = FLUSH_DELAY) -> None:
        self.flush = flush
        self.delay = delay
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def armed(self) -> bool:
        return self._handle is not None

    def schedule(self) -> None:
        """Arm the timer on the running loop unless it is armed already (a burst of polls: one write)."""
        loop = asyncio.get_running_loop()
        if self._handle is not None and self._loop is loop and not loop.is_closed():
            return
        self._loop = loop
        self._handle = loop.call_later(self.delay, self._fire)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        self.flush()
