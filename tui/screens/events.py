"""The event log screen (``e``): what moved and when, on the data's clock.

Newest first: alert transitions and acknowledgements, new filings, feed state
changes and indicator status changes (gpurisk/events.py keeps them; the session
feeds it). ``1``–``4`` toggle the kinds shown (the bar says which are on);
``tab`` / ``s`` choose a "since" window — last hour, 24 h, since my last
acknowledge, since start — which shows only what moved in it, from → to (for
indicators: value and status then → now). Times are the data's (the replay
date in the demo, the wall clock live), always with year and zone.
"""

from __future__ import annotations

import textwrap
from datetime import timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from gpurisk.events import KIND_LABEL, KINDS, Event, Mark, Moved, stamp
from gpurisk.text import format as f
from gpurisk.text.explain import ALERT_WORD
from gpurisk.view import SessionView, session_of

from ..widgets.filter import FilterActions, FilterSort, RowFilter
from ..widgets.line import Line

VIEWS = ("log", "hour", "day", "ack", "start")
VIEW_LABEL = {"log": "log", "hour": "last hour", "day": "24 h", "ack": "since my last ack", "start": "since start"}
KIND_WORD = {"alert": "ALERT", "filing": "FILING", "feed": "FEED", "status": "STATUS"}
MAX_LINES = 500  # shown at once (the log keeps up to 2,000; filter or choose a window for the rest)
TIME_W, KIND_W = 20, 6
ARROW_W = 23  # "2025-09-30 → 2025-12-31", "FIRING → acknowledged"
DETAIL_MIN = 24  # a detail column narrower than this goes on the lines below instead
LINK_W = 70  # a filing's EDGAR link: continuation lines are at least this wide


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken at spaces, a long link split."""
    return textwrap.wrap(text, width=width, break_on_hyphens=False, break_long_words=False) or [""]


def state_text(kind: str, state: str) -> Text:
    """A state as a word with its colour (the word alone reads without colour)."""
    if kind == "alert":
        word, style = ALERT_WORD.get(state, (state.upper(), "")) if state != "acknowledged" else (state, "bold")
        return Text(word, style=style)
    if kind == "status":
        return Text(f.STATUS_WORD.get(state, state.upper()), style=f.STATUS_STYLE.get(state, "").replace("reverse", ""))
    if kind == "feed":
        return Text(state, style=f.FEED_STYLE.get(state, ""))
    return Text(state, style="bold cyan")


def arrow(kind: str, old: str, new: str) -> Text:
    if not old:
        return state_text(kind, new)
    return state_text(kind, old) + Text(" → ", style="dim") + state_text(kind, new)


def values(unit: str, old: float | None, new: float | None, both: bool) -> str:
    if both:
        return f"{f.fmt_value(unit, old)} → {f.fmt_value(unit, new)}"
    return f.fmt_value(unit, new) if new is not None else ""


class EventsScreen(FilterActions, ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", show=False),  # a filter first, then close
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close"),
        Binding("slash", "filter", "Filter", show=False),
        Binding("1", "kind('alert')", "Alerts"),
        Binding("2", "kind('filing')", "Filings"),
        Binding("3", "kind('feed')", "Feeds"),
        Binding("4", "kind('status')", "Status"),
        Binding("tab,s", "view(1)", "Since", show=False),
        Binding("shift+tab", "view(-1)", "Since back", show=False),
    ]

    def __init__(self, view: str = "log") -> None:
        super().__init__()
        self.kinds: set[str] = set(KINDS)
        self.view = view if view in VIEWS else "log"
        self._key: object = None
        self.body = Text()
        self.fs = FilterSort((), on_change=self.refilter)

    def compose(self) -> ComposeResult:
        with Vertical(id="events-box") as box:
            box.border_title = "Event log"
            box.border_subtitle = "1–4 kinds · tab since · ↑↓ pgup/pgdn · escape"
            yield Line(id="events-kinds", classes="row")
            yield Line(id="events-views", classes="row")
            yield Line(id="events-head", classes="row")
            with VerticalScroll(id="events-scroll"):
                yield Static("", id="events-body", markup=False)
            yield RowFilter(self.fs)

    def on_mount(self) -> None:
        self.call_after_refresh(self.refresh_rows)  # laid out: the real width
        self.query_one("#events-scroll").focus()
        self.set_interval(1.0, self.refresh_rows)  # feed states move on the tick, between polls

    # --- keys ------------------------------------------------------------------
    def filter_target(self):
        return self.query_one("#events-scroll")

    def refilter(self) -> None:
        self._key = None
        self.query_one("#events-box").border_title = "Event log" + self.fs.suffix()
        self.refresh_rows()

    def action_kind(self, kind: str) -> None:
        self.kinds ^= {kind}
        self.refresh_rows()

    def action_view(self, step: int) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + step) % len(VIEWS)]
        self.query_one("#events-scroll", VerticalScroll).scroll_home(animate=False)
        self.refresh_rows()

    # --- drawing ---------------------------------------------------------------
    @property
    def session(self) -> SessionView:
        return session_of(self.app)

    @property
    def cols(self) -> int:
        w = self.query_one("#events-body").size.width
        return w if w >= 30 else max(30, self.app.size.width - 5)

    def mark(self) -> Mark | None:
        """The start of the chosen window; None for the log and for "since my last ack" before any."""
        log = self.session.events
        now = self.session.data_now()
        if self.view == "hour":
            return Mark(at=now - timedelta(hours=1))
        if self.view == "day":
            return Mark(at=now - timedelta(hours=24))
        if self.view == "ack":
            return Mark(n=log.last_ack.n) if log.last_ack is not None else None
        if self.view == "start":
            return Mark(n=0)
        return None

    def refresh_rows(self) -> None:
        log = self.session.events
        key = (log.last_n, log.dropped, frozenset(self.kinds), self.view, self.cols, self.fs.query,
               self.session.snapshot.seq if self.view != "log" else None,
               self.session.data_now() if self.view in ("hour", "day") else None)
        if key == self._key:
            return
        self._key = key
        self.query_one("#events-kinds", Line).show(self.kinds_text(log.counts()))
        self.query_one("#events-views", Line).show(self.views_text())
        head, body = self.log_text(log) if self.view == "log" else self.since_text(log)
        self.query_one("#events-head", Line).show(head)
        self.body = body
        self.query_one("#events-body", Static).update(body)

    def kinds_text(self, counts: dict[str, int]) -> Text:
        t = Text("Show ", style="dim")
        for i, k in enumerate(KINDS, start=1):
            on = k in self.kinds
            t.append(f" {i} {KIND_LABEL[k]} {counts.get(k, 0) if on else 'off'} ",
                     style="bold reverse" if on else "dim strike")
            t.append(" ")
        return t

    def views_text(self) -> Text:
        t = Text("When ", style="dim")
        for v in VIEWS:
            t.append(f" {VIEW_LABEL[v]} ", style="bold reverse" if v == self.view else "dim")
            t.append(" ")
        t.append("tab next", style="dim")
        return t

    def _unit(self, ref: str) -> str:
        res = self.session.snapshot.indicators.get(ref) if ref else None
        return res.unit if res is not None else ""

    def _title(self, e: Event | Moved) -> str:
        """What moved, for a person: an alert reads as its indicator's title."""
        if e.kind == "alert" and e.ref:
            res = self.session.snapshot.indicators.get(e.ref)
            if res is not None:
                return res.title
        return e.title

    def widths(self, change_w: int) -> tuple[int, int]:
        """(title width, detail width): the title (what moved) keeps up to 30 cells before details get any."""
        room = self.cols - TIME_W - KIND_W - change_w - 3
        title = max(12, min(30, room))
        return title, max(0, room - title - 1)

    def log_text(self, log: Any) -> tuple[Text, Text]:
        events: list[Event] = [e for e in log.events(self.kinds)
                               if self.fs.match(e.subject, self._title(e), e.detail, e.kind, e.old, e.new)]
        head = Text(f"{len(events)} event{'s' if len(events) != 1 else ''}, newest first · times are the data's "
                    f"clock ({'replay date' if self.session.demo else 'wall clock'})", style="dim")
        if not self.kinds:
            return head, Text("Every kind is off: press 1–4 to show some.", style="dim")
        if not events and self.fs.query.strip():
            return head, Text(f"No event matches /{self.fs.query.strip()} (esc clears the filter).", style="dim")
        if not events:
            return head, Text("No events yet. Alert transitions, new filings, feed state changes and indicator "
                              "status changes appear here as they happen.", style="dim")
        title_w, detail_w = self.widths(ARROW_W)
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, e in enumerate(events[:MAX_LINES]):
            if i:
                out.append("\n")
            unit = self._unit(e.ref)
            detail = e.detail
            if e.kind == "alert":  # the indicator's title reads better than the rule's snake_case name
                cond, _, rest = detail.partition(" · ")
                shown = rest if cond and cond in e.subject else detail
                if e.old:  # not the first-values line, which lists its rules itself
                    detail = f"rule {e.subject}" + (f" · {shown}" if detail else "")
            if e.kind == "status":
                detail = f"{values(unit, e.old_value, e.value, e.old != 'no_data')}  {detail}"
            elif e.kind == "alert" and e.value is not None:
                detail = f"{f.fmt_value(unit, e.value)}  {detail}"
            parts: list[tuple[Text | str, int, str]] = [
                (Text(stamp(e.at), style="dim"), TIME_W, "<"), (Text(KIND_WORD[e.kind], style="bold"), KIND_W, "<"),
                (f.text(self._title(e), "bold"), title_w, "<"), (arrow(e.kind, e.old, e.new), ARROW_W, "<")]
            self._append_row(out, parts, detail, detail_w, "dim")
        rest = len(events) - MAX_LINES + log.dropped
        if rest > 0:
            out.append(f"\n… {rest} older event{'s' if rest != 1 else ''} not shown (the log keeps the newest "
                       f"2,000; turn kinds off or choose a window)", style="dim")
        return head, out

    def since_text(self, log: Any) -> tuple[Text, Text]:
        mark = self.mark()
        if mark is None:
            return (Text(VIEW_LABEL[self.view], style="bold"),
                    Text("No acknowledge yet in this session (a acknowledges every firing alert; A lists the rules).",
                         style="dim"))
        if mark.at is not None:
            when = f"since {stamp(mark.at)} ({VIEW_LABEL[self.view]} on the data's clock)"
        elif self.view == "ack" and log.last_ack is not None:
            when = f"since my last acknowledge ({stamp(log.last_ack.at)})"
        else:
            when = f"since start ({stamp(log.started)})" if log.started else "since start"
        moved: list[Moved] = log.since(mark, self.session.snapshot.indicators,
                                       tuple(k for k in KINDS if k in self.kinds))
        head = Text(f"What moved {when}: {len(moved)} · from → to", style="dim")
        if not moved:
            return head, Text("Nothing moved in this window" + ("" if self.kinds else " (every kind is off: 1–4)"),
                              style="dim")
        title_w, detail_w = self.widths(-TIME_W + ARROW_W)
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, m in enumerate(moved[:MAX_LINES]):
            if i:
                out.append("\n")
            unit = self._unit(m.ref)
            if m.kind == "status":
                detail = values(unit, m.old_value, m.value, True)
            elif m.kind == "alert":
                detail = (f"now {f.fmt_value(unit, m.value)} · " if m.value is not None else "") + f"rule {m.subject}"
            else:
                detail = m.detail
            if m.count > 1:
                detail += f"  ({m.count} changes)"
            parts: list[tuple[Text | str, int, str]] = [
                (Text(KIND_WORD[m.kind], style="bold"), KIND_W, "<"), (f.text(self._title(m), "bold"), title_w, "<"),
                (arrow(m.kind, m.old, m.new) if m.old != m.new else
                 state_text(m.kind, m.new) + Text(" unchanged", style="dim"), ARROW_W, "<")]
            self._append_row(out, parts, detail, detail_w, "")
        return head, out

    def _append_row(self, out: Text, parts: list[tuple[Text | str, int, str]], detail: str, detail_w: int,
                    style: str) -> None:
        """One event: its cells, then its detail, never cut (an accession number or a link is
        what a desk acts on): in its column when it fits there, else on the lines below,
        indented under the title, a link kept whole on one line."""
        detail = detail.strip()
        rest: list[str] = []
        if detail_w >= DETAIL_MIN and len(detail) <= detail_w:
            parts = [*parts, (f.text(detail, style), detail_w, "<")]
        elif detail:
            indent = TIME_W + 1 if parts[0][1] == TIME_W else KIND_W + 1
            if self.cols - indent < LINK_W:
                indent = 2
            rest = wrap(detail, self.cols - indent)
        out.append_text(f.cells(parts))
        for chunk in rest:
            out.append("\n" + " " * indent)
            out.append_text(f.text(chunk, style))

    @property
    def rows(self) -> list[str]:
        """One string per entry, its detail lines (indented below it) joined to it."""
        out: list[str] = []
        for line in self.body.plain.splitlines():
            if line.startswith(" ") and out:
                out[-1] = f"{out[-1].rstrip()}  {line.strip()}"
            else:
                out.append(line)
        return out

    @property
    def plain(self) -> str:
        return self.body.plain
