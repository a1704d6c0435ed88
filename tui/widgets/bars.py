"""The one-line bars around the panels: the header, the tab strip and the feed status line.

The header says DEMO (reverse video) or LIVE, the data's as-of dates and PAUSED;
the feed line gives each feed's state, the age of its last data and its last
error in a few words. Ages are coarse, so the once-a-second tick repaints a bar
only when what it shows has changed.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from .. import format as f
from .line import Line

PANEL_NAMES = ("PRICES", "DEBT", "CUST", "RISK")


def header_text(session, paused: bool, now: datetime, width: int) -> Text:  # type: ignore[no-untyped-def]
    snap = session.snapshot
    t = f.styled(" gpurisk ", "bold")
    t.append_text(f.text(snap.company, "bold cyan"))
    t.append(" ")
    wide = width >= 100
    if session.demo:
        t.append(" DEMO ", style="bold reverse yellow")
        replay = session.replay_date()
        words = " sample data · replay " if wide else " replay "
        t.append(f"{words}{f.day(replay)}" if replay else " sample data", style="yellow")
    else:
        t.append(" LIVE ", style="bold reverse green")
    fin = snap.financials
    if fin is not None and fin.periods:
        t.append(f" · {'financials' if wide else 'fin'} {f.day(fin.periods[0])}")
    counts = {k: sum(1 for r in snap.indicators.values() if r.status == k) for k in ("alert", "watch")}
    for k in ("alert", "watch"):
        if counts[k]:
            t.append(" ")
            word = f.STATUS_WORD[k]
            t.append(f" {counts[k]} {word} ", style=f.STATUS_STYLE[k])
    if paused:
        t.append(" ")
        t.append(" PAUSED ", style="bold reverse magenta")
    clock = now.strftime("%Y-%m-%d %H:%M UTC" if wide else "%H:%M")
    pad = width - t.cell_len - len(clock) - 1
    if pad >= 1:
        t.append(" " * pad)
        t.append(clock + " ", style="dim")
    return t


def tabs_text(active: int) -> Text:
    t = Text()
    for i, name in enumerate(PANEL_NAMES):
        t.append(f" {i + 1} {name} ", style="bold reverse" if i == active else "dim")
        t.append(" ")
    t.append("←/→ switch · ? help", style="dim")
    return t


def feed_text(session, now: datetime, width: int) -> Text:  # type: ignore[no-untyped-def]
    """Every feed's state and age on one line; the room left goes to the errors' words."""
    parts: list[Text] = []
    errors: list[tuple[int, str]] = []
    for name in session.feed_names():
        st = session.status[name]
        state = st.display_state(now)
        t = f.text(name, "bold", limit=14)
        t.append(" ")
        t.append(state, style=f.FEED_STYLE.get(state, ""))
        a = st.age(now)
        if a is not None:
            t.append(f" {f.age(a)}", style="dim")
        if state not in ("OK", "PENDING") and st.last_error:
            errors.append((len(parts), st.last_error))
        parts.append(t)
    spare = width - 2 - sum(p.cell_len for p in parts) - 3 * (len(parts) - 1)
    for i, err in errors:
        room = max(12, spare // len(errors) - 1)
        parts[i].append(" ")
        parts[i].append_text(f.text(err, "italic", limit=room))
    out = Text(" ")
    for i, part in enumerate(parts):
        if i:
            out.append(" │ ", style="dim")
        out.append_text(part)
    return out


class FeedLine(Line):
    pass


class TopBar(Line):
    pass


class TabStrip(Line):
    pass
