"""Keys typed during start-up are kept and applied once the first data frame is on screen.

Before the first data arrives the panels have no rows: ↓ ↓ enter typed by habit while
the dashboard starts would move nothing and explain nothing, and be lost. Until the
first frame that shows data (or at most ``MAX_WAIT`` seconds, so a dead feed never holds
the keyboard), every key but ctrl+c is held, in order (at most ``LIMIT``), then posted
again, as typed, after that frame has been laid out.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import events

LIMIT = 64
MAX_WAIT = 5.0
PASS = frozenset({"ctrl+c", "ctrl+z"})  # quit and suspend act at once


def has_data(snap: Any) -> bool:
    return bool(getattr(snap, "prices", None)) or any(
        r.value is not None for r in getattr(snap, "indicators", {}).values())


class StartupKeys:
    def __init__(self, app: Any, held: bool = True) -> None:
        self.app = app
        self.open = not held
        self.held: list[events.Key] = []

    def start(self) -> None:
        """At the first paint: after ``MAX_WAIT`` the keys act anyway (no data yet, a dead feed)."""
        if not self.open:
            self.app.set_timer(MAX_WAIT, self.release)

    def hold(self, event: events.Event) -> bool:
        """True when ``event`` is a key kept for later (the caller drops it now)."""
        if self.open or not isinstance(event, events.Key) or event.key in PASS:
            return False
        if len(self.held) < LIMIT:
            self.held.append(event)
        return True

    def applied(self, snap: Any) -> None:
        """A snapshot went onto the panels: the first with data opens the keyboard once laid out."""
        if not self.open and has_data(snap):
            self.app.call_after_refresh(self.release)

    def release(self) -> None:
        if self.open:
            return
        self.open = True
        held, self.held = self.held, []
        if held:
            self.app.run_worker(self._replay(held), name="startup keys", group="startup-keys")

    async def _replay(self, held: list[events.Key]) -> None:
        """One key at a time, each after the screen has caught up with the last (as typed:
        ``4`` focuses the risk panel before the ``down`` that follows it moves its cursor)."""
        for ev in held:
            self.app.post_message(events.Key(ev.key, ev.character))
            for _ in range(2):
                done = asyncio.Event()
                self.app.call_after_refresh(done.set)
                await done.wait()
