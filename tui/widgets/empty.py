"""Honest empty states: what a panel with nothing to show says instead of staying blank.

"waiting for first data" while the feeds that could fill it have not answered yet;
"no data: <why>" once they have (a feed's error, or no feed delivers that kind of
data). Read from the session's feed states, so it follows them on every update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from gpurisk.text import format as f
from gpurisk.view import SessionView, session_of


def empty_reason(session: SessionView, prefixes: tuple[str, ...], what: str, now: datetime | None = None) -> str:
    """Why a panel fed by keys starting with ``prefixes`` has nothing, in a few words."""
    status = session.status
    delivered = session.delivered(prefixes)
    states = {n: st.display_state(now) for n, st in status.items()}
    trouble = [f"{n} {states[n]}" + (f": {st.problem(now)}" if st.problem(now) else "")
               for n, st in status.items() if states[n] not in ("OK", "PENDING", "STALE")
               and (not delivered or n in delivered)]
    waiting = [n for n in status if states[n] == "PENDING" and not delivered]
    if waiting:
        if len(waiting) == len(status):
            return "waiting for first data"
        more = f" · {'; '.join(trouble)}" if trouble else ""
        return f"waiting for first data from {', '.join(waiting)}{more}"
    if trouble:
        return "no data: " + "; ".join(trouble)
    if delivered:
        return f"no data: {', '.join(delivered)} delivered no {what} yet"
    return f"no data: no feed delivers {what}" + (f" (feeds: {', '.join(status)})" if status else " (no feeds)")


def empty_text(session: SessionView, prefixes: tuple[str, ...], what: str, now: datetime | None = None) -> Text:
    why = empty_reason(session, prefixes, what, now)
    return f.text(why, "dim italic" if why.startswith("waiting") else "yellow", limit=300)


def panel_empty(panel: Any, prefixes: tuple[str, ...], what: str) -> Text:
    """The empty state of ``panel`` (a mounted Panel: its app's session, its clock)."""
    session = session_of(panel.app) if panel.is_attached else None
    if session is None:
        return Text("waiting for first data", style="dim italic")
    return empty_text(session, prefixes, what, panel.now)
