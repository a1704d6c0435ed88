"""The Textual dashboard: four panels over one Session, updated line by line.

One path for data: a per-feed worker awaits ``session.poll(name)`` and, when it
has finished, re-arms itself with ``set_timer(session.next_delay(name))`` so a
slow source never piles up requests; pause stops the re-arming, ``r`` polls every
feed now. Each snapshot is applied to the panels, which repaint only the lines
named in ``snapshot.changed`` and only if their text differs. Ages tick once a
second, coarsely. Layout is chosen by terminal size with CSS classes (one panel
and a tab strip when small, a 2×2 grid when large); widgets are never rebuilt.
Analysis lives in screens over the dashboard (explain, what-if, alerts, score);
after each poll the alert events it raised become one line on the notice line
(never a toast over the panels; quiet for alerts firing at start) and the header badge.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker

# Screens opened on demand (help, what-if, alerts, score, explain) are imported when
# first opened: they are not needed for the first frame.
from .first_frame import FirstFrame
from .screen_actions import ScreenActions
from .widgets.bars import PANEL_NAMES as PANELS, FeedLine, TabStrip, TopBar, feed_text, header_text, tabs_text
from .widgets.customers import CustomersPanel
from .widgets.debt import DebtPanel
from .widgets.line import Panel
from .widgets.notice import NoticeLine
from .widgets.prices import PricesPanel
from .widgets.risk import RiskPanel

FIRST_WAIT = 0.5  # seconds the first paint waits for the first round of polls
#: Letter keys that act on screens too (priority), unless the screen binds the key itself.
PRIORITY_LETTERS = {"export": "x", "copy_value": "y", "nav": "jk"}
MAIN_ONLY = {"panel", "step", "scenario", "alerts", "ack", "undo_ack", "score", "projection", "help", "feeds"}


class Dashboard(FirstFrame, ScreenActions, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "gpurisk"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # below 110 a 2×2 grid cuts figures
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    ALLOW_IN_MAXIMIZED_VIEW = "TopBar, NoticeLine, FeedLine, Footer"
    BINDINGS = [
        Binding("q", "close_or_quit", "Quit", priority=True,  # priority: screens too (never while typing)
                tooltip="Close a screen; quit from the dashboard (history saved)"),
        Binding("p", "pause", "Pause", tooltip="Pause polling"),
        Binding("p", "resume", "Resume", tooltip="Resume polling"),
        Binding("r", "refresh", "Refresh", tooltip="Refresh now: poll every feed"),
        Binding("s", "scenario", "What-if", tooltip="What-if scenarios: shocks, base vs shocked"),
        Binding("A", "alerts", "Alerts", tooltip="Alert rules: state, since, value, condition; acknowledge"),
        Binding("a", "ack", "Ack", tooltip="Acknowledge every firing alert (asks first)"),
        Binding("u", "undo_ack", "Undo ack", show=False, tooltip="Undo the last acknowledge"),
        Binding("escape", "dismiss_notice", "Clear notice", show=False),
        Binding("c", "score", "Score", show=False, tooltip="Composite risk score breakdown"),
        Binding("w", "projection", "Projection", show=False, tooltip="The credit chain walked forward: eight "
                "quarters of revenue, EBITDA, debt service and liquidity (tab: under each what-if)"),
        Binding("f", "feeds", "Feeds", show=False,
                tooltip="Every feed in full: state, age, as-of, the whole last error"),
        Binding("e", "events", "Events", show=False, tooltip="Event log: alerts, filings, feed and status "
                "changes on the data's clock; 1–4 kinds, tab: since last hour / 24 h / my last ack / start"),
        Binding("g", "chart", "Chart", show=False, tooltip="Chart the row under the cursor (a rent with its "
                "breakevens, an indicator with its thresholds), else H100: [ ] range, ← → cursor"),
        Binding("P", "peers", "Peers", show=False, tooltip="Peers side by side: CRWV, NBIS, IREN, APLD, ORCL "
                "(or [peers]), aligned by period end; o sorts, enter explains a cell"),
        Binding("b", "change_base", "Δ base", show=False, tooltip="Change base of every change column: 24 h · "
                "previous close · since my last ack · since start (kept for the next start)"),
        Binding("x", "export", "Export", show=False, priority=True,
                tooltip="Export the focused panel (or this screen) as CSV "
                "plus its snapshot JSON to the user data directory; the path on the notice line"),
        Binding("y", "copy_value", "Copy", show=False, priority=True,
                tooltip="Copy the value (or link) under the cursor"),
        Binding("j", "nav('down')", "Down", show=False, priority=True, tooltip="Like ↓ in lists and tables"),
        Binding("k", "nav('up')", "Up", show=False, priority=True, tooltip="Like ↑ in lists and tables"),
        Binding("question_mark", "help", "Help"),
        Binding("1", "panel(0)", "Prices", show=False),
        Binding("2", "panel(1)", "Debt", show=False),
        Binding("3", "panel(2)", "Customers", show=False),
        Binding("4", "panel(3)", "Risk", show=False),
        Binding("left", "step(-1)", "Previous panel", show=False),
        Binding("right", "step(1)", "Next panel", show=False),
        Binding("slash", "filter", "Filter", show=False, priority=True,  # priority: the focus moves before
                tooltip="Filter the rows by text (enter keeps, esc clears)"),  # the next key is delivered
        Binding("o", "sort", "Sort", show=False, tooltip="Cycle the sort column (the title shows it)"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, tooltip="Quit like q, from any screen"),
        Binding("ctrl+z", "suspend_process", "Suspend", show=False,
                tooltip="Suspend to the shell (fg resumes, the whole screen redrawn)"),
    ]

    def __init__(self, session, clock: Callable[[], datetime] | None = None,
                 autopoll: bool = True, screenshot_dir: str | None = None, prefs: object = None) -> None:
        super().__init__()
        from .change_base import ChangeBase

        self.change_base = ChangeBase(prefs)  # b: the base of every change column (tui/change_base.py)
        self.session = session
        self.clock = clock or (lambda: datetime.now(UTC))
        self.autopoll = autopoll
        self.paused = False
        self.active = 0
        self.applied_seq: int | None = None
        self.polls = 0
        self._first: dict[str, asyncio.Future[list[object]]] = {}
        self._feed_timers: dict[str, Timer] = {}
        self._inflight: set[str] = set()
        self._events_seen: object = None
        from .lifecycle import Lifecycle
        from .startup_keys import StartupKeys
        from .toasts import Notices

        # keys typed before the first data frame: kept, then applied (nothing to wait for without polling)
        self.startup_keys = StartupKeys(self, held=autopoll)
        self.lifecycle = Lifecycle(self)
        self.notices = Notices(self)  # the notice line and the bell (tui/toasts.py)
        self.screenshot_dir = screenshot_dir

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        yield TabStrip(id="tabs")
        with Grid(id="panels"):
            yield PricesPanel()
            yield DebtPanel()
            yield CustomersPanel()
            yield RiskPanel(self.session.engine.indicators.values())
        yield NoticeLine(id="notice")
        yield FeedLine(id="feedline")
        yield Footer(compact=True)

    @property
    def panels(self) -> list[Panel]:
        if not self.screen_stack:  # shutting down: a last timer fires on no screen
            return []
        # the dashboard, even under a modal screen; by number (a very wide layout moves risk: wide_layout.py)
        return sorted(self.screen_stack[0].query(Panel), key=lambda p: p.number)

    @property
    def narrow(self) -> bool:
        return self.screen.has_class("-narrow") or self.screen.has_class("-short")

    async def on_load(self) -> None:
        """Before the first paint, give the first round of polls a short moment so that the
        first frame already shows data (one paint, not one per feed); a slow source keeps
        going and draws itself when it answers."""
        self.lifecycle.install()  # SIGTERM/SIGHUP/SIGINT: save, then exit (see tui/lifecycle.py)
        if getattr(self.session, "alert_sink", None) is not None:
            self.session.alert_sink.bell_fn = self.notices.ring  # silent for alerts firing at start
        connect = getattr(self.session, "connect", None)
        if connect is not None:  # --connect: the collector polls; its events drive the screen (gpurisk/remote.py)
            await connect(self.remote_update)
            self.notices.start()
            return
        if not self.autopoll:
            self.notices.start()
            return
        self.session.engine.hold()  # the breach simulation (numpy) waits for the first frame: _release_held
        self._first = {n: asyncio.ensure_future(self._first_poll(n)) for n in self.session.feed_names()}
        self._inflight.update(self._first)
        await asyncio.wait(list(self._first.values()), timeout=FIRST_WAIT)

    async def _first_poll(self, name: str) -> list[object]:
        """One feed's first poll; returns the alert events it raised (toasted after the first paint)."""
        try:
            await self.session.poll(name)
        except Exception as exc:  # the runner never raises; report a bug, keep going
            self.session_error(f"first poll of {name}", exc)
            return []
        return list(getattr(self.session, "alert_events", None) or [])

    def on_mount(self) -> None:
        from .terminal import repaint_on_resume

        repaint_on_resume(self)
        self.lifecycle.watch()  # the exit watchdog, once the driver says whether this run is headless
        self._breakpoints_now()
        from .wide_layout import arrange

        arrange(self)  # very wide: the risk panel gets the right half (tui/wide_layout.py)
        self._hold_first_paint()
        self._events_seen = getattr(self.session, "alert_events", None)
        self.panels[0].add_class("-active")
        self.apply(self.session.snapshot)
        self.set_interval(1.0, self.tick)
        from .startup_keys import MAX_WAIT

        self.set_timer(MAX_WAIT, self.startup_keys.release)  # no data yet: the keys act anyway
        from .lifecycle import show_notices

        show_notices(self)
        for name, task in self._first.items():
            if task.done():
                self._first_done(name, task, apply=False)
            else:
                task.add_done_callback(partial(self._first_task_done, name))

    def _first_task_done(self, name: str, task: asyncio.Future[list[object]]) -> None:
        self.call_later(self._first_done, name, task)

    def _first_done(self, name: str, task: asyncio.Future[list[object]], apply: bool = True) -> None:
        self._inflight.discard(name)
        self.polls += 1
        try:
            if not task.cancelled():
                task.result()  # its alert events are not news: they were firing at start
            if apply:
                self.apply(self.session.snapshot)
            if all(t.done() for t in self._first.values()):
                self.notices.start()  # what fired in the first round is in the badge and the log, not news
                self._events_seen = getattr(self.session, "alert_events", None)
        except Exception as exc:
            self.display_error(exc)
        finally:
            self.rearm(name)

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_bars)

    # --- polling: one path ------------------------------------------------------
    def poll_feed(self, name: str) -> Worker[None] | None:
        """Start one poll of ``name`` unless one is already running (never overlapping)."""
        if name in self._inflight:
            return None
        self._inflight.add(name)
        return self.run_worker(self._poll(name), name=f"poll:{name}", group="feeds")

    async def _poll(self, name: str) -> None:
        try:
            snap = await self.session.poll(name)
        except Exception as exc:  # the runner never raises; a bug elsewhere must not kill the screen
            self.session_error(f"poll of {name}", exc)
            snap = self.session.snapshot
        finally:
            self._inflight.discard(name)
        self.polls += 1
        try:
            self.apply(snap)
            events = getattr(self.session, "alert_events", None)
            if events and events is not self._events_seen:  # a new list per evaluated poll: toast once
                from .toasts import toast_events

                toast_events(self, events)
            self._events_seen = events
        except Exception as exc:  # a display bug must not stop the dashboard nor this feed's polling
            self.display_error(exc)
        finally:
            self.rearm(name)

    def remote_update(self, full: bool) -> None:
        """A collector's event was applied to the session (``full``: a snapshot, with a new
        engine: every line is redone); its alert transitions go to the notice line."""
        if full:
            self.applied_seq = None
        if self.paused:  # the screen holds still; the first event after resume redraws every line
            self.refresh_bars()
            return
        try:
            self.apply(self.session.snapshot)
            events = getattr(self.session, "alert_events", None)
            if events and events is not self._events_seen and not full:
                from .toasts import toast_events

                toast_events(self, events)
                if getattr(self.session.config, "bell", True):  # the collector's sink rings its own terminal
                    for _ in (e for e in events if e.notify):
                        self.notices.ring()
            self._events_seen = events
        except Exception as exc:  # a display bug must not stop the stream
            self.display_error(exc)

    def display_error(self, exc: Exception) -> None:
        """A display bug: logged (with traceback), kept for the feeds screen, toasted."""
        self.session_error("display error", exc)

    def session_error(self, what: str, exc: BaseException) -> None:
        from .lifecycle import report_error

        report_error(self, what, exc)

    def _handle_exception(self, error: Exception) -> None:
        """A crash: its traceback into the debug log, then Textual's own handling (exit 1)."""
        try:
            record = getattr(self.session, "record_error", None)
            if record is not None:
                record("crash", error)
        finally:
            super()._handle_exception(error)

    def rearm(self, name: str) -> None:
        old = self._feed_timers.pop(name, None)
        if old is not None:
            old.stop()
        if self.paused or not self.autopoll:
            return
        delay = self.session.next_delay(name)
        if math.isfinite(delay):
            self._feed_timers[name] = self.set_timer(max(0.05, delay), partial(self.poll_feed, name))

    async def poll_now(self, names: Iterable[str] | None = None) -> None:
        """Poll feeds once, in order, and apply each result (tests and scripted use)."""
        for name in list(names or self.session.feed_names()):
            await self._poll(name)

    # --- applying snapshots -----------------------------------------------------
    def apply(self, snap) -> None:
        now = self.clock()
        if self.applied_seq is not None and snap.seq == self.applied_seq:
            changed: set[str] | None = set()
        elif self.applied_seq is not None and snap.seq == self.applied_seq + 1:
            changed = set(snap.changed)
        else:
            changed = None  # first time, or snapshots were skipped: redo every line (text compare keeps it cheap)
        self.applied_seq = snap.seq
        for panel in self.panels:
            panel.apply(snap, changed, now)
        self.refresh_bars()
        self.startup_keys.applied(snap)
        for screen in self.screen_stack[1:]:  # screens over the dashboard that show live rows
            refresh_rows = getattr(screen, "refresh_rows", None)
            if refresh_rows is not None:
                refresh_rows()

    def tick(self) -> None:
        try:
            now = self.clock()
            for panel in self.panels:
                panel.tick(now)
            note_feeds = getattr(self.session, "note_feeds", None)
            if note_feeds is not None:  # a feed turning STALE by the clock alone goes into the event log
                note_feeds(now)
            self.refresh_bars()
        except Exception as exc:
            self.display_error(exc)

    def refresh_bars(self) -> None:
        now, width = self.clock(), self.size.width
        main = self.screen_stack[0] if self.screen_stack else None
        if main is None or not main.query(TopBar):  # shutting down: a late poll lands on nothing
            return
        main.query_one(TopBar).show(header_text(self.session, self.paused, now, width, self.change_base))
        main.query_one(TabStrip).show(tabs_text(self.active))
        main.query_one(FeedLine).show(feed_text(self.session, now, width))

    # --- actions ------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dashboard keys act on the dashboard only, not under a screen opened over it."""
        from .widgets.filter import refuse

        if refuse(self, action):  # a letter typed into a filter or an input is text, never an action
            return False
        if action in MAIN_ONLY and len(self.screen_stack) > 1:
            return False
        if action in PRIORITY_LETTERS and len(self.screen_stack) > 1 and (
                getattr(self.screen, "exclusive", False)
                or any(self.screen._bindings.key_to_bindings.get(k) for k in PRIORITY_LETTERS[action])):
            return False  # the screen's own key (y: yes in a confirmation) wins
        if action in ("pause", "resume"):  # one key, the footer says what it will do
            return self.paused == (action == "resume")
        return True

    def action_resume(self) -> None:
        self.action_pause()

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.refresh_bindings()
        if self.paused:
            for timer in self._feed_timers.values():
                timer.stop()
            self._feed_timers.clear()
        else:
            for name in self.session.feed_names():
                self.rearm(name)
        self.refresh_bars()

    def action_refresh(self) -> None:
        """Poll every feed now, except those the runner holds back (``FeedRunner.may_poll``):
        a RATE-LIMITED source before its retry time, a source inside its floor, a feed whose
        poll is still running. Those keep their schedule; the toast says when they try next."""
        if getattr(self.session, "remote", False):  # --connect: nothing here asks a source
            self.notify("connected to collector — it polls", timeout=3, markup=False)
            return
        runner = getattr(self.session, "runner", None)
        started, held = 0, []
        for name in self.session.feed_names():
            ok, why = runner.may_poll(name, manual=True) if runner is not None else (True, "")
            if not ok or name in self._inflight:
                held.append(f"{name}: {why or 'already polling'}")
                continue
            timer = self._feed_timers.pop(name, None)
            if timer is not None:
                timer.stop()
            self.poll_feed(name)
            started += 1
        msg = f"Refreshing {started} feed{'' if started == 1 else 's'}"
        self.notify(msg + ("\nnot now: " + "\n".join(held) if held else ""), timeout=5 if held else 2,
                    markup=False)
        self.refresh_bars()

    def action_panel(self, index: int) -> None:
        self.close_screens()  # from the palette over a modal: show the panel, not inside the modal
        panels = self.panels
        panel = panels[index]
        self.active = index
        for i, p in enumerate(panels):
            p.set_class(i == index, "-active")
        if not self.narrow:
            if self.screen.maximized is panel:
                self.screen.minimize()
            else:
                self.screen.maximize(panel, container=False)
        panel.focus()
        self.refresh_bars()

    def action_step(self, delta: int) -> None:
        index = (self.active + delta) % len(PANELS)
        if self.narrow or self.screen.maximized is not None:
            self.action_panel(index)
        else:
            self.active = index
            self.panels[index].focus()

    def action_change_base(self) -> None:
        """``b``: the next change base; every change column and its heading follow at once."""
        from .change_base import WORDS

        base = self.change_base.cycle()
        self.applied_seq = None  # every line redone against the new base
        self.apply(self.session.snapshot)
        self.notify(f"Changes against {WORDS[base]} (b: next)", timeout=3, markup=False)

    def action_nav(self, key: str) -> None:
        """``j`` / ``k``: the key ↓ / ↑, wherever the focus is (a panel, a table, a list)."""
        self.simulate_key(key)

    def action_export(self) -> None:
        from .take_away import export

        export(self)

    def action_copy_value(self) -> None:
        from .take_away import copy

        copy(self)

    def action_ack(self) -> None:
        from .toasts import ask_acknowledge_all

        ask_acknowledge_all(self)

    def action_undo_ack(self) -> None:
        from .toasts import undo_acknowledge

        undo_acknowledge(self)

    def action_dismiss_notice(self) -> None:
        self.notices.dismiss()

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every message goes to the notice line, never a toast over the panels (tui/toasts.py)."""
        from .toasts import plain

        self.notices.say(plain(message, markup), label=plain(title, False).upper(), severity=severity,
                         timeout=timeout)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Screenshots go to ``--screenshot-dir`` or the user data directory (there may be no
        ~/Downloads on an SSH host); the notice line shows the path."""
        from .toasts import screenshot_folder

        folder = screenshot_folder(self, path)
        return None if folder is None else super().deliver_screenshot(filename, folder, time_format)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from .palette import commands

        yield from super().get_system_commands(screen)
        yield from commands(self)

    async def action_filter(self) -> None:
        """`/`: the filter of the focused panel, or of the screen open over the dashboard."""
        from textual.actions import SkipAction

        from .widgets.filter import focused_panel

        if len(self.screen_stack) == 1:
            await focused_panel(self).action_filter()
        elif not await self.run_action("filter", self.screen):
            raise SkipAction()  # a screen without rows to filter: the key goes on to the focus

    def action_sort(self) -> None:
        from .widgets.filter import focused_panel

        focused_panel(self).action_sort()

    async def action_close_or_quit(self) -> None:
        """``q``: close the screen open over the dashboard, or quit from the dashboard."""
        if len(self.screen_stack) > 1:
            await self.screen.dismiss()  # its callback (a confirmation: no) runs as with esc
        else:
            await self.action_quit()

    async def on_event(self, event) -> None:
        if self.startup_keys.hold(event):  # before the first data frame (tui/startup_keys.py)
            return
        await super().on_event(event)

    def on_key(self, event) -> None:
        """Keys typed fast after `/` were queued for the rows: they are text for the filter."""
        from .widgets.filter import redirect_key

        if redirect_key(self, event):
            event.prevent_default()  # no binding (App._on_key) sees it
            event.stop()

    @property
    def escape_to_minimize(self) -> bool:
        """``esc`` clears a filter first, then restores a zoomed panel."""
        from .widgets.filter import escape_clears

        return super().escape_to_minimize and not escape_clears(self)

    async def action_quit(self) -> None:
        """``q``: write history and alert state first, then exit 0 (within EXIT_GRACE s:
        tui/lifecycle.py)."""
        self.lifecycle.save()
        self.lifecycle.arm(0)
        self.exit()

    async def on_unmount(self) -> None:
        self.lifecycle.uninstall()
        await self.session.aclose()  # flushes whatever arrived since


def run_dashboard(session, *, headless: bool = False, **options) -> int:
    """Run the dashboard; the exit status: 0 after ``q``, 128 + the signal after SIGTERM,
    SIGHUP or SIGINT, 1 when the app crashed (Textual alone would exit 0)."""
    if "prefs" not in options:  # the user's view (the change base) is kept in the user state file
        from gpurisk.alerting import JsonStateFile, default_state_path

        options["prefs"] = JsonStateFile(default_state_path())
    app = Dashboard(session, **options)
    try:
        app.run(headless=headless)
    finally:
        app.lifecycle.done()
    return int(app.return_code or 0)
