"""The one-line bars around the panels: the header, the tab strip and the feed status line.

The header says DEMO (reverse video) or LIVE, the data's as-of dates and PAUSED;
the feed line gives each feed's state, the age of its last fetch, for a RATE-LIMITED
source when it is asked next ("next try in 1m52s"), and its last
error (or, for data older than the feed's limit, that data's date and the limit)
in a few words. Ages are coarse, so the once-a-second tick repaints a bar
only when what it shows has changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from feeds.runner import in_words
from gpurisk.text import format as f

from .line import Line

PANEL_NAMES = ("PRICES", "DEBT", "CUST", "RISK")


def score_style(score: float) -> str:
    return "bold reverse red" if score >= 50 else "bold yellow" if score >= 25 else "bold green"


def firing_count(session) -> int | None:
    """FIRING alert rules not yet acknowledged; None when alerts are off."""
    alerts = session.alerts
    if alerts is None:
        return None
    return sum(1 for s in alerts.states() if s.state == "firing" and not s.acknowledged)


def score_move(session: Any, wide: bool) -> Text:
    """The composite's move with its base: "▲2 24h" (worse), "▼3 24h" (better), "=0 24h"."""
    delta, base = session.engine.score_change()
    if delta is None:
        return Text("")
    d = round(delta)
    arrow, style = ("▲", "bold red") if d > 0 else ("▼", "green") if d < 0 else ("=", "dim")
    t = Text(" ")
    t.append(f"{arrow}{abs(d)}", style=style)
    if wide:
        t.append(f" {base}", style="dim")
    return t


def header_text(session, paused: bool, now: datetime, width: int, base: Any = None) -> Text:
    """Company, DEMO/LIVE, then what fits by priority: PAUSED, the firing badge, the composite
    score, the data dates, how many indicators worsened against the change ``base``
    (tui/change_base.py), the ALERT/WATCH counts, the clock (shown in that left-to-right order)."""
    snap = session.snapshot
    t = f.styled(" gpurisk ", "bold")
    t.append_text(f.text(snap.company, "bold cyan", limit=16))
    t.append(" ")
    wide = width >= 100
    opt: list[tuple[float, float, Text]] = []  # (priority, position, text)
    if session.demo:
        t.append(" DEMO ", style="bold reverse yellow")
        replay = session.replay_date()
        words = " sample data · replay " if wide else " "
        opt.append((4, 0, Text(f"{words}{f.day(replay)}" if replay else " sample data", style="yellow")))
    else:
        t.append(" LIVE ", style="bold reverse green")
    fin = snap.financials
    if fin is not None and fin.periods:
        opt.append((5, 1, Text(f" · {'financials' if wide else 'fin'} {f.day(fin.periods[0])}")))
    score = getattr(snap, "score", None)
    total = score.scored + score.excluded if score is not None else 0
    if score is not None and (score.score is not None or total):
        if score.score is None or score.scored * 2 < total:  # mostly no data: a number would mislead
            part = Text(" ") + f.styled(" risk n/a ", "bold yellow")
            part.append(f"({score.scored} of {total} scored)", style="yellow")
        else:
            part = Text(" ") + f.styled(f" risk {score.score:.0f}{'/100' if wide else ''} ", score_style(score.score))
            part.append_text(score_move(session, wide))
        opt.append((3, 2, part))
    if base is not None:
        n = base.worse_count(session, now)
        part = Text(" ") + f.styled(f"{n} worse", "bold red" if n else "dim")
        opt.append((3.2, 2.5, part + Text(f" {base.label}" if wide else "", style="dim")))
    firing = firing_count(session)
    if firing:
        opt.append((2, 3, Text(" ") + f.styled(f" {firing} FIRING ", "bold reverse red")))
    counts = {k: sum(1 for r in snap.indicators.values() if r.status == k) for k in ("alert", "watch")}
    both = Text()
    for k in ("alert", "watch"):  # both or neither: a WATCH count alone would read as the worst
        if counts[k]:
            both.append(" ")
            both.append_text(f.styled(f" {counts[k]} {f.STATUS_WORD[k]} ", f.STATUS_STYLE[k]))
    if both:
        opt.append((6, 4, both))
    if paused:
        opt.append((1, 6, Text(" ") + f.styled(" PAUSED ", "bold reverse magenta")))
    if session.remote:  # --connect: the collector's link comes first
        since = session.disconnected_since
        if since is not None:
            part = Text(" ") + f.styled(f" DISCONNECTED since {since:%H:%M:%S} ", "bold reverse red")
            opt.append((0, 5, part + f.text(f" {session.host}", "red", limit=30)))
        elif not session.connected:
            opt.append((0, 5, f.text(f" connecting to {session.host}", "yellow", limit=44)))
        else:
            opt.append((3.5, 5, f.text(f" via {session.host}", "dim", limit=34)))
    clock = now.strftime("%Y-%m-%d %H:%M UTC" if wide else "%H:%M") + " "
    opt.append((8, 99, Text(clock, style="dim")))
    room = width - t.cell_len - 1
    chosen = []
    for item in sorted(opt):
        if item[2].cell_len + (1 if item[1] == 99 else 0) <= room:
            chosen.append(item)
            room -= item[2].cell_len + (1 if item[1] == 99 else 0)
    for _, pos, part in sorted(chosen, key=lambda x: x[1]):
        if pos == 99:  # the clock sits at the right edge
            t.append(" " * max(1, width - t.cell_len - part.cell_len))
        t.append_text(part)
    return t


def _feed_part(name: str, st, now: datetime, limit: int) -> Text:
    state = st.display_state(now)
    t = f.text(name, "bold", limit=limit)
    t.append(" ")
    t.append(state, style=f.FEED_STYLE.get(state, ""))
    a = st.age(now)
    if a is not None and not st.data_stale(now):  # old data: its date follows, not the fetch's age
        t.append(f" {f.age(a)}", style="dim")
    if state == "RATE-LIMITED":  # when the source may be asked again (``r`` waits for it too)
        when = st.next_try(now) if hasattr(st, "next_try") else None
        if when is not None:
            t.append(f" · next try in {in_words((when - now).total_seconds())}", style="yellow")
    return t


_HISTORY_WORDS = {"readonly": "READ-ONLY", "full": "DISK FULL", "error": "ERROR", "gone": "FILE GONE"}


def link_part(session, now: datetime) -> Text:
    """``--connect`` with the collector unreachable: ``last event 2m ago │`` on the wall clock,
    since the feeds' own ages stand still on the collector's clock while nothing arrives."""
    if not session.remote or session.disconnected_since is None:
        return Text()
    last = session.last_event_at
    ago = f.age((now - last).total_seconds()) if last is not None else None
    words = "no event yet" if ago is None else "last event just now" if ago == "now" else f"last event {ago} ago"
    t = Text(words, style="bold yellow")
    t.append(" │ ", style="dim")
    return t


def history_part(session) -> Text:
    """``history DISK FULL (120 rows waiting) │`` when the history is not being kept; else empty."""
    health = session.history_state
    if health is None or health.ok:
        return Text()
    t = Text("history ", style="bold")
    t.append(_HISTORY_WORDS.get(health.state, health.state.upper()), style="bold reverse red")
    if health.pending:
        t.append(f" ({health.pending} rows waiting)", style="red")
    t.append(" │ ", style="dim")
    return t


def feed_text(session, now: datetime, width: int) -> Text:
    """Every feed's state and age on ONE line (it never wraps); the room left goes to the
    errors' words. When the line is too narrow, names shorten, then healthy feeds fold
    into a count so that the feeds with a problem stay in view."""
    names = session.feed_names()
    status = session.status
    if not names and session.remote:  # --connect before the collector's first answer
        t = f.text(f" waiting for the collector at {session.host}", "yellow", limit=width - 2)
        if session.link_error:
            t.append_text(f.text(f": {session.link_error}", "dim", limit=max(0, width - 2 - t.cell_len)))
        return t
    bad = [n for n in names if status[n].display_state(now) not in ("OK", "PENDING")]
    # Full names when all is well; when a feed fails, its error text gets the room first.
    levels = ((14, False), (10, False), (10, True), (6, True))
    probs = [status[n].problem(now) for n in bad if status[n].problem(now)]
    tried: list[tuple[list[str], list[Text], int]] = []
    for limit, fold in (((30, False),) if not bad else ()) + levels:
        shown = [n for n in names if not fold or n in bad]
        parts = [_feed_part(n, status[n], now, limit) for n in shown]
        if fold and len(shown) < len(names):
            parts.insert(0, Text(f"{len(names) - len(shown)} OK", style="green"))
        tried.append((shown, parts, width - 2 - sum(p.cell_len for p in parts) - 3 * (len(parts) - 1)))
    # The first (widest) level where every problem gets its words (up to 36 cells), else
    # where each gets a readable start (12 cells), else the first that fits at all.
    for cap in (36, 12, 0):
        need = sum(min(len(p), cap) + 2 for p in probs) if cap else 0
        pick = next((t for t in tried if t[2] >= need), None)
        if pick is not None:
            break
    shown, parts, spare = pick or tried[-1]
    # The words: the last error, else why the data is STALE ("data 2024-04-18 (limit 5 business days)").
    errs = [(i, status[n].problem(now)) for i, n in enumerate(shown, start=len(parts) - len(shown))
            if n in bad and status[n].problem(now)]
    for i, err in errs:
        room = spare // len(errs) - 1
        if room >= 8:
            parts[i].append(" ")
            parts[i].append_text(f.text(err, "italic", limit=room))
    out = Text(" ", no_wrap=True, overflow="ellipsis")
    out.append_text(link_part(session, now))  # --connect, link down: how old everything is, first
    out.append_text(history_part(session))  # a history not kept comes first: it outweighs a feed
    for i, part in enumerate(parts):
        if i:
            out.append(" │ ", style="dim")
        out.append_text(part)
    out.truncate(max(1, width - 1), overflow="ellipsis")
    return out


class FeedLine(Line):
    pass


class TopBar(Line):
    pass


class TabStrip(Line):
    pass
