"""The event log: what moved, when, on the data's clock. No Textual here.

The session feeds it after every poll and on the once-a-second tick; the event
screen (tui/screens/events.py) only reads it. Four kinds of events:

* ``alert``  — an alert rule's transition (pending, firing, resolved, error…) and
  acknowledgements;
* ``filing`` — a new filing (10-Q, 10-K, 8-K…) seen in a feed, once per accession;
* ``feed``   — a feed's visible state moving (OK → ERROR → STALE …);
* ``status`` — an indicator's status moving (the engine's status log).

Every event is stamped with the *data's* clock, given by the caller (the replay
date in the demo, the wall clock live). A first calm value is not an event (a feed
answering OK for the first time, an alert rule going from no data to normal, an
indicator's first OK): at start the log shows what needs reading, not 33 "OK"s.

Memory is bounded: a deque of ``maxlen`` events and, per indicator, ``points``
(value, status) changes, which answer "what was it then?" for the since view.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from feeds.sec_filings import acceleration, filing_link, item_tags, new_debt

KINDS = ("alert", "filing", "feed", "status")
KIND_LABEL = {"alert": "alerts", "filing": "filings", "feed": "feeds", "status": "status"}
CALM_ALERT = {"no_data", "normal"}
HISTORY_WINDOW = timedelta(minutes=1)  # filings read this soon after the log opened are its history


def stamp(at: datetime) -> str:
    """``2026-03-05 00:00 UTC``: always the year and the zone."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


@dataclass(frozen=True, slots=True)
class Event:
    n: int  # order of recording (newest = highest)
    at: datetime  # the data's clock
    kind: str  # one of KINDS
    subject: str  # rule, accession, feed or indicator name
    title: str  # what a person reads
    old: str
    new: str
    old_value: float | None = None
    value: float | None = None
    ref: str = ""  # the indicator (alerts, status): its unit and title
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Moved:
    """One line of a "since" view: from → to over the window, and how many steps it took."""

    kind: str
    subject: str
    title: str
    old: str
    new: str
    old_value: float | None
    value: float | None
    ref: str
    count: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Mark:
    """The start of a since window: after a time on the data's clock, or after event ``n``."""

    at: datetime | None = None
    n: int | None = None

    def before(self, at: datetime, n: int) -> bool:
        if self.n is not None:
            return n <= self.n
        return self.at is not None and at <= self.at


def _num(v: float | None) -> str:
    """A figure without its unit (the event log has no formatter): 0.487, 12.3, 4,306,526."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    a = abs(v)
    return f"{v:.3f}" if a < 10 else f"{v:.1f}" if a < 1000 else f"{v:,.0f}"


class EventLog:
    def __init__(self, maxlen: int = 2000, points: int = 512) -> None:
        self._events: deque[Event] = deque(maxlen=maxlen)
        self.dropped = 0  # events pushed out by newer ones
        self.n = 0  # bumped on every record: a screen redraws when it moves
        self.started: datetime | None = None  # the data's clock at the first record
        self._feeds: dict[str, str] = {}
        self._filings: dict[str, None] = {}  # accessions seen (ordered set, bounded)
        self._points: dict[str, deque[tuple[datetime, int, float | None, str]]] = {}
        self._maxpoints = points
        self._seen_status: Any = None  # the newest engine StatusChange already logged
        self._snap_seq: int | None = None
        self.last_ack: Event | None = None
        self.opened: datetime | None = None  # the data's clock when the first filings were read
        self._periods: dict[str, Any] = {}  # indicator -> the company period it was last evaluated at
        self._first_ev: Event | None = None  # the newest "Alerts at first value" line
        self._first_rules: dict[str, list[str]] = {}
        self._units: dict[str, str] = {}  # indicator -> its unit (thresholds and values are written in it)

    def _in_unit(self, indicator: str, v: float | None) -> str:
        """A figure in its indicator's unit (``75.0%``), else without one (``0.750``)."""
        unit = self._units.get(indicator)
        if unit is None:
            return _num(v)
        from gpurisk.text.format import fmt_value

        return fmt_value(unit, v)

    # --- recording -----------------------------------------------------------------
    def _add(self, at: datetime, kind: str, subject: str, title: str, old: str, new: str, history: bool = False,
             **kw: Any) -> Event:
        self.n += 1
        if self.started is None and not history:
            self.started = at
        if len(self._events) == self._events.maxlen:
            self.dropped += 1
        ev = Event(self.n, at, kind, subject, title, old, new, **kw)
        self._events.append(ev)
        return ev

    def alerts(self, events: Iterable[Any], at: datetime) -> None:
        """AlertEvents of one evaluation (engine/alerts.py); repeats and calm first values skipped.
        A rule's first value (from NO DATA: at start, on connect, when a late feed first
        delivers) is a baseline, not a change: those of one evaluation make one line that
        counts them and names the rules, so the real moves are not buried."""
        first: dict[str, list[str]] = {}
        for e in events:
            if e.old == e.new or {e.old, e.new} <= CALM_ALERT:
                continue
            if e.old == "no_data":
                first.setdefault(e.new, []).append(e.rule)
                continue
            if e.comparison == "filing":  # a filing rule: the filing that fired it, no threshold
                detail = f"{e.indicator} filed · {e.severity}" + (f" · {e.reason}" if e.reason else "")
            else:  # the threshold in its figure's unit, as the risk panel writes it
                detail = f"{e.comparison} {self._in_unit(e.indicator, e.threshold)} · {e.severity}" + \
                    (f" · {e.reason}" if e.reason else "")
            self._add(at, "alert", e.rule, e.rule, e.old, e.new, value=e.value, ref=e.indicator, detail=detail)
        if first:
            self._first_values(first, at)

    def _first_values(self, first: dict[str, list[str]], at: datetime) -> None:
        """One line for the rules' first values; the evaluations of one moment (the round of
        polls at start) fold into that moment's line."""
        ev = self._first_ev
        if ev is not None and ev.at == at and ev in self._events:
            for state, rules in self._first_rules.items():
                first[state] = rules + [r for r in first.get(state, []) if r not in rules]
        else:
            ev = None
        self._first_rules = first
        counts = " · ".join(f"{len(rules)} {state.upper()}" for state, rules in sorted(first.items()))
        detail = "; ".join(f"{state.upper()}: {', '.join(rules)}" for state, rules in sorted(first.items()))
        if ev is None:
            self._first_ev = self._add(at, "alert", "first values", "Alerts at first value", "", counts, detail=detail)
            return
        self._first_ev = replace(ev, new=counts, detail=detail)
        self._events[self._events.index(ev)] = self._first_ev
        self.n += 1  # a screen showing the log redraws

    def acknowledged(self, rules: Iterable[str], at: datetime, indicators: Mapping[str, str] | None = None) -> None:
        for r in rules:
            self.last_ack = self._add(at, "alert", r, r, "firing", "acknowledged", ref=(indicators or {}).get(r, ""))

    def filings(self, observations: Iterable[Any], at: datetime) -> None:
        """FilingEvent observations (engine/observations.py), once per accession.

        A filing accepted before the log opened and read in its first minute (the history
        the first round of polls brings: the sec feed's 20 newest, the demo's filings
        before its start) is stamped with its own acceptance time and reads "history", so
        the log is in the order things happened; any other is stamped ``at``, when it
        was seen (a 10-K first read days into the replay is news that day). Items carry their plain
        names (2.03 new direct financial obligation …) and the line ends with the link to
        the filing's index on EDGAR."""
        if self.opened is None:
            self.opened = at
        fresh = [o for o in observations if getattr(o, "accession", None) is not None and hasattr(o, "form")
                 and o.accession not in self._filings]
        for o in sorted(fresh, key=lambda o: o.as_of):
            acc = o.accession
            if acc in self._filings:
                continue
            self._filings[acc] = None
            if len(self._filings) > 5000:
                del self._filings[next(iter(self._filings))]
            items = f" · items {', '.join(item_tags(o.items))}" if o.items else ""
            link = filing_link(o)
            history = o.as_of < self.opened and at <= self.opened + HISTORY_WINDOW
            if acceleration(o):
                what = "ACCELERATION"  # 8-K 2.04: an obligation made due early
            elif new_debt(o):
                what = "NEW DEBT"  # 8-K 1.01 / 2.03: a new facility or obligation
            else:
                what = "history" if history else "new"
            self._add(min(at, o.as_of) if history else at, "filing", acc, f"{o.company} {o.form}", "", what,
                      detail=f"filed {o.filed.isoformat()}{items} · {acc}" + (f" · {link}" if link else ""),
                      history=history)

    def periods(self, moves: Iterable[tuple[str, str, Any, Any, Any, Any]], at: datetime) -> None:
        """The reported period moved (a new 10-Q/10-K was read): one event per move, listing
        the indicators whose value changed with it, from → to. ``moves``: (name, title,
        old period, new period, old value, new value)."""
        groups: dict[tuple[Any, Any], list[str]] = {}
        for name, title, old_p, new_p, old_v, new_v in moves:
            if _same(old_v, new_v):
                continue
            groups.setdefault((old_p, new_p), []).append(
                f"{title} {self._in_unit(name, old_v)} → {self._in_unit(name, new_v)}")
        for (old_p, new_p), changes in groups.items():
            self._add(at, "filing", "period", f"period → {new_p.isoformat()}", old_p.isoformat(), new_p.isoformat(),
                      detail=f"from {old_p.isoformat()}: " + "; ".join(changes))

    def feeds(self, states: Mapping[str, tuple[str, str]], at: datetime) -> None:
        """Each feed's (display state, problem) now; a move from the last one seen is an event.
        Every feed starts PENDING; its first OK is not an event."""
        for name, (state, problem) in states.items():
            old = self._feeds.get(name, "PENDING")
            if state == old:
                continue
            self._feeds[name] = state
            if old == "PENDING" and state == "OK":
                continue
            self._add(at, "feed", name, name, old, state, detail=problem)

    def indicators(self, snap: Any, at: datetime) -> None:
        """A snapshot (engine.engine.Snapshot): its new status changes become events, and
        each indicator whose value or status moved gets a point in its history."""
        if snap.seq == self._snap_seq:
            return
        full = self._snap_seq is None or snap.seq != self._snap_seq + 1
        self._snap_seq = snap.seq
        log = snap.status_log
        new = []
        if log and log[-1] is not self._seen_status:
            i = len(log) - 1
            while i >= 0 and log[i] is not self._seen_status:
                i -= 1
            new = list(log[i + 1:])
            self._seen_status = log[-1]
        from gpurisk.text.level import threshold

        for name, r in snap.indicators.items():
            unit = getattr(r, "unit", None)
            if unit is not None:
                self._units[name] = unit
        for ch in new:
            before = self.value_at(ch.indicator, Mark(n=self.n))
            res = snap.indicators.get(ch.indicator)
            self._add(at, "status", ch.indicator, ch.title, ch.old, ch.new, old_value=before[0], value=ch.value,
                      ref=ch.indicator, detail=threshold(res) if hasattr(res, "threshold") else ch.threshold)
        names: Iterable[str] = snap.indicators if full else \
            [k[4:] for k in snap.changed if k.startswith("ind/")]
        moves = []
        for name in names:
            res = snap.indicators.get(name)
            period = getattr(res, "period", None)
            if period is None:
                continue
            was = self._periods.get(name)
            self._periods[name] = period
            if was is not None and period > was:
                old_v = self._points[name][-1][2] if self._points.get(name) else None
                value = res.value if isinstance(res.value, (int, float)) else None
                moves.append((name, res.title, was, period, old_v, value))
        if moves:
            self.periods(moves, at)
        self.n += 1
        for name in names:
            res = snap.indicators.get(name)
            if res is None:
                continue
            pts = self._points.get(name)
            if pts is None:
                pts = self._points[name] = deque(maxlen=self._maxpoints)
            value = res.value if isinstance(res.value, (int, float)) else None
            if not pts or not _same(pts[-1][2], value) or pts[-1][3] != res.status:
                pts.append((at, self.n, value, res.status))

    # --- reading -------------------------------------------------------------------
    @property
    def last_n(self) -> int:
        """The newest event's number (0 when none): has anything been recorded since?"""
        return self._events[-1].n if self._events else 0

    def events(self, kinds: Iterable[str] | None = None, mark: Mark | None = None) -> list[Event]:
        """Newest first, of the given kinds (all when None), after ``mark`` when given."""
        want = set(KINDS if kinds is None else kinds)
        out = [e for e in reversed(self._events) if e.kind in want and (mark is None or not mark.before(e.at, e.n))]
        if self.opened is not None and any(e.at < self.opened for e in out):  # history filings: by their time
            out.sort(key=lambda e: (e.at, e.n), reverse=True)
        return out

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(KINDS, 0)
        for e in self._events:
            out[e.kind] = out.get(e.kind, 0) + 1
        return out

    def value_at(self, name: str, mark: Mark) -> tuple[float | None, str]:
        """An indicator's (value, status) as it was at ``mark``; (None, "no_data") before any."""
        pts = self._points.get(name)
        if not pts:
            return None, "no_data"
        for at, n, value, status in reversed(pts):
            if mark.before(at, n):
                return value, status
        if len(pts) == pts.maxlen:  # older points were dropped: the oldest kept is the best known
            return pts[0][2], pts[0][3]
        return None, "no_data"

    def first_value(self, name: str) -> tuple[float | None, str]:
        """An indicator's (value, status) when this log first saw it; (None, "no_data") before any."""
        pts = self._points.get(name)
        return (pts[0][2], pts[0][3]) if pts else (None, "no_data")

    def since(self, mark: Mark, indicators: Mapping[str, Any], kinds: Sequence[str] = KINDS) -> list[Moved]:
        """What moved after ``mark``: indicators (value and status then → now, from their
        history) when ``status`` is among ``kinds``, then alerts, feeds and filings (first
        from → last to of their events in the window). Unmoved things are left out."""
        out: list[Moved] = []
        if "status" in kinds:
            moved_status: list[Moved] = []
            moved_value: list[Moved] = []
            for name, res in indicators.items():
                old_v, old_s = self.value_at(name, mark)
                value = res.value if isinstance(res.value, (int, float)) else None
                if old_s == res.status and _same(old_v, value):
                    continue
                pts = self._points.get(name, ())
                steps = sum(1 for at, n, _, _ in pts if not mark.before(at, n))
                m = Moved("status", name, res.title, old_s, res.status, old_v, value, name, max(1, steps))
                (moved_status if old_s != res.status else moved_value).append(m)
            out += moved_status + moved_value
        window = [e for e in self._events if e.kind != "status" and e.kind in kinds and not mark.before(e.at, e.n)]
        for kind in ("alert", "feed", "filing"):
            groups: dict[str, list[Event]] = {}
            for e in window:
                if e.kind == kind:
                    groups.setdefault(e.subject, []).append(e)
            for subject, evs in groups.items():
                first, last = evs[0], evs[-1]
                out.append(Moved(kind, subject, last.title, first.old, last.new, first.old_value, last.value,
                                 last.ref, len(evs), last.detail))
        return out


__all__ = ["EventLog", "Event", "Moved", "Mark", "KINDS", "KIND_LABEL", "stamp"]
