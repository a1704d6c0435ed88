"""Is the history being kept? One answer for the status line, the snapshot, /healthz and /metrics.

States: ``ok`` (rows are written), ``off`` (no history by choice: ``--no-history``,
``history = false``, the demo), ``readonly`` (loaded, nothing new saved), ``full`` (the
disk is full: rows wait in memory, then in the spool at exit), ``error`` (writes fail
for another reason, or the history could not be opened), ``gone`` (the file was
removed while running: what is written goes nowhere).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .session import Session

STATES = ("ok", "off", "readonly", "full", "error", "gone")


@dataclass(frozen=True)
class HistoryHealth:
    state: str
    message: str = ""
    pending: int = 0  # rows received, not written yet
    spooled: int = 0  # rows of an earlier run waiting in a spool file

    @property
    def ok(self) -> bool:
        """True when nothing received is at risk (``ok``, or history off by choice)."""
        return self.state in ("ok", "off")

    def __post_init__(self) -> None:  # paths and SQLite messages come from outside: shown inert
        from feeds.textsafe import safe

        object.__setattr__(self, "message", safe(self.message, limit=300))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def history_health(session: Session) -> HistoryHealth:
    """The history state of a Session."""
    store = session.store
    if store is None:
        why = session.history_error
        if why:
            return HistoryHealth("error", why)
        return HistoryHealth("off", "demo: history not kept" if session.demo else "history off")
    pending, spooled = int(getattr(store, "pending", 0)), int(getattr(store, "spooled", 0))
    waiting = f"; {pending} rows waiting" if pending else ""
    path = getattr(store, "path", None)
    if path is not None and not path.exists():
        return HistoryHealth("gone", f"history file {path} is gone: new data is not saved{waiting}", pending, spooled)
    err = getattr(store, "last_error", None)
    if err and getattr(store, "full", False):
        return HistoryHealth("full", f"disk full: history not written{waiting} (kept in a spool at exit)",
                             pending, spooled)
    if getattr(store, "readonly", False):
        return HistoryHealth("readonly", f"history {path} is read-only: loaded, new data not saved{waiting} "
                             "(kept in a spool at exit)", pending, spooled)
    if err:
        return HistoryHealth("error", f"history write failing: {err}{waiting}", pending, spooled)
    return HistoryHealth("ok", "", pending, spooled)


__all__ = ["STATES", "HistoryHealth", "history_health"]
