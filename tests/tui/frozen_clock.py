"""The dashboard tests' frozen clock: the instant every 'now' reads, and a datetime that says it.

In its own module (not conftest.py) so that a test imports it by a name no other test
folder uses: ``from conftest import ...`` picks whichever conftest was imported first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

FROZEN = datetime(2026, 3, 16, 14, 30, tzinfo=UTC)


def frozen_datetime(at: datetime) -> type[datetime]:
    """A ``datetime`` whose ``now()`` is ``at`` (aware) and whose file times are never after it."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return at if tz is not None else at.replace(tzinfo=None)

        @classmethod
        def fromtimestamp(cls, t, tz=None):  # type: ignore[no-untyped-def, override]
            """File times (the sample assumptions' as-of is their mtime) are never after ``at``,
            or the runner would drop them as future-dated."""
            real = datetime.fromtimestamp(t, tz)
            return min(real, at if tz is not None else at.replace(tzinfo=None))

    return Frozen



def freeze(monkeypatch: Any, at: datetime) -> datetime:
    """Every 'now' the engine, the runner, the replay and the sample feeds read is ``at``."""
    import engine.engine
    import feeds.base
    import feeds.replay
    import feeds.runner
    import feeds.sample

    frozen = frozen_datetime(at)
    for mod in (engine.engine, feeds.runner, feeds.sample):
        monkeypatch.setattr(mod, "datetime", frozen)
    for mod in (feeds.base, feeds.sample, feeds.replay):
        monkeypatch.setattr(mod, "utcnow", lambda: at)
    return at
