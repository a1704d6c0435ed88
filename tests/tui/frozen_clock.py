"""The dashboard tests' frozen clock: the instant every 'now' reads, and a datetime that says it.

In its own module (not conftest.py) so that a test imports it by a name no other test
folder uses: ``from conftest import ...`` picks whichever conftest was imported first.
"""

from __future__ import annotations

from datetime import UTC, datetime

FROZEN = datetime(2026, 3, 16, 14, 30, tzinfo=UTC)


class FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return FROZEN if tz is not None else FROZEN.replace(tzinfo=None)

    @classmethod
    def fromtimestamp(cls, t, tz=None):  # type: ignore[no-untyped-def, override]
        """File times (the sample assumptions' as-of is their mtime) are never after FROZEN,
        or the runner would drop them as future-dated."""
        real = datetime.fromtimestamp(t, tz)
        frozen = FROZEN if tz is not None else FROZEN.replace(tzinfo=None)
        return min(real, frozen)
