"""The Textual dashboard: four panels over one Session, updated line by line.

One path for data: the Session's scheduler (gpurisk/scheduler.py) decides when each
feed is polled (cadence, floors, one poll in flight per feed, pause, refresh-now);
here each poll runs as a Textual worker whose result is posted as a
:class:`SnapshotReady` message. Each snapshot is applied to the panels, which repaint
only the lines named in ``snapshot.changed`` and only if their text differs. Ages tick once a
second, coarsely. Layout is chosen by terminal size with CSS classes (one panel
and a tab strip when small, a 2×2 grid when large); widgets are never rebuilt.
Analysis lives in screens over the dashboard (explain, what-if, alerts, score);
after each poll the alert events it raised become one line on the notice line
(never a toast over the panels; quiet for alerts firing at start) and the header badge.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime
from typing import Any

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Grid
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker

from gpurisk.config_layout import Layout
from gpurisk.scheduler import PollResult
from gpurisk.view import SessionView, is_remote

# Screens opened on demand (help, what-if, alerts, score, explain) are imported when
# first opened: they are not needed for the first frame.
from .first_frame import FirstFrame
from .layout import tabs_text
from .screen_actions import ScreenActions
from .widgets.bars import FeedLine, TabStrip, TopBar, feed_text, header_text
from .widgets.customers import CustomersPanel
from .widgets.debt import DebtPanel
from .widgets.keybar import KeyBar
from .widgets.line import Panel
from .widgets.notice import NoticeLine
from .widgets.prices import PricesPanel
from .widgets.risk import RiskPanel

FIRST_WAIT = 0.5  # seconds the first paint waits for the first round of polls
#: Letter keys that act on screens too (priority), unless the screen binds the key itself.
PRIORITY_LETTERS = {"export": "x", "copy_value": "y", "nav": "jk"}


class SnapshotReady(Message):
    """A feed's poll finished (posted from its worker): show the session's new snapshot."""

    def __init__(self, result: PollResult) -> None:
        super().__init__()
        self.result = result


MAIN_ONLY = {"panel", "step", "scenario", "alerts", "ack", "undo_ack", "score", "projection", "help", "feeds"}


class Dashboard(FirstFrame, ScreenActions, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "gpurisk"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # below 110 a 2×2 grid cuts figures
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    ALLOW_IN_MAXIMIZED_VIEW = "TopBar, NoticeLine, FeedLine, KeyBar"
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

    def __init__(self, session: SessionView, clock: Callable[[], datetime] | None = None,
                 autopoll: bool = True, screenshot_dir: str | None = None, prefs: object = None,
                 layout: Layout | None = None) -> None:
        super().__init__()
        from .change_base import ChangeBase
        from .layout import configured, first

        self.change_base = ChangeBase(prefs)  # b: the base of every change column (tui/change_base.py)
        self.session = session
        self.clock = clock or (lambda: datetime.now(UTC))
        self.autopoll = autopoll
        self.panel_layout = configured(session, layout)  # [layout]: panel order and sizes (tui/layout.py)
        self.active = first(self.panel_layout)
        self.applied_seq: int | None = None
        self.polls = 0
        self.scheduler = session.scheduler  # when each feed is polled; its polls run as workers here
        self.scheduler.spawn = self._spawn
        self.scheduler.on_result = self._polled
        self._first_round = False  # the first polls of every feed: what fires then is not news
        self._shown = False  # on_mount has painted: results from now on are applied as they come
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
        yield KeyBar(id="keys")

    @property
    def panels(self) -> list[Panel]:
        if not self.screen_stack:  # shutting down: a last timer fires on no screen
            return []
        # the dashboard, even under a modal screen; by number ([layout] and a very wide terminal move them)
        return sorted(self.screen_stack[0].query(Panel), key=lambda p: p.number)

    @property
    def narrow(self) -> bool:
        return self.screen.has_class("-narrow") or self.screen.has_class("-short")

    @property
    def paused(self) -> bool:
        return self.scheduler.paused

    async def on_load(self) -> None:
        """Before the first paint, give the first round of polls a short moment so that the
        first frame already shows data (one paint, not one per feed); a slow source keeps
        going and draws itself when it answers."""
        self.lifecycle.install()  # SIGTERM/SIGHUP/SIGINT: save, then exit (see tui/lifecycle.py)
        if self.session.alert_sink is not None:
            self.session.alert_sink.bell_fn = self.notices.ring  # silent for alerts firing at start
        if is_remote(self.session):  # --connect: the collector polls; its events drive the screen (gpurisk/remote.py)
            await self.session.connect(self.remote_update)
            self.notices.start()
            return
        if not self.autopoll:
            self.notices.start()
            return
        self.session.engine.hold()  # the breach simulation (numpy) waits for the first frame: _release_held
        self._first_round = True
        self.scheduler.start()
        await self.scheduler.settle(FIRST_WAIT)

    def on_mount(self) -> None:
        from .terminal import repaint_on_resume

        repaint_on_resume(self)
        self.lifecycle.watch()  # the exit watchdog, once the driver says whether this run is headless
        self._breakpoints_now()
        from .layout import arrange

        arrange(self)  # the panels placed for this size and the config's [layout] (tui/layout.py)
        self._hold_first_paint()
        self._events_seen = self.session.alert_events
        self.panels[self.active].add_class("-active")
        self.panels[self.active].focus()  # the first panel of [layout] order (Textual's would be the first child)
        self.apply(self.session.snapshot)
        self._shown = True
        self.set_interval(1.0, self.tick)
        self.startup_keys.start()  # keys typed before the first data frame: applied after it
        from .lifecycle import show_notices

        show_notices(self)
        self._first_round_over()

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_bars)

    # --- polling: the session's scheduler, its polls run as workers ------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> Worker[Any]:
        return self.run_worker(coro, name=f"poll:{name}", group="feeds")

    def _polled(self, result: PollResult) -> None:
        """The scheduler's callback, in the polling worker: the app handles it in turn."""
        self.post_message(SnapshotReady(result))

    @on(SnapshotReady)
    def _snapshot_ready(self, message: SnapshotReady) -> None:
        self.show_result(message.result)

    def show_result(self, result: PollResult) -> None:
        """One finished poll on screen: its snapshot applied (changed lines only), its alert
        events on the notice line (not those of the first round: they were firing at start)."""
        self.polls += 1
        if result.error is not None:  # the runner never raises; report a bug, keep going
            self.session_error(f"{'first poll' if result.first else 'poll'} of {result.name}", result.error)
        try:
            if self._shown:  # before the first paint, on_mount applies what has come
                self.apply(self.session.snapshot)  # the newest: results are handled after the poll, in turn
                events = self.session.alert_events
                if not self._first_round and events and events is not self._events_seen:
                    from .toasts import toast_events  # a new list per evaluated poll: shown once

                    toast_events(self, events)
                self._events_seen = events
        except Exception as exc:  # a display bug must not stop the dashboard nor this feed's polling
            self.display_error(exc)
        finally:
            self._first_round_over()

    def _first_round_over(self) -> None:
        """Every feed has answered once: alert transitions are news from now on."""
        if self._first_round and all(self.scheduler.polls.get(n) for n in self.session.feed_names()):
            self._first_round = False
            self.notices.start()  # what fired in the first round is in the badge and the log, not news
            self._events_seen = self.session.alert_events

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
            events = self.session.alert_events
            if events and events is not self._events_seen and not full:
                from .toasts import toast_events

                toast_events(self, events)
                if self.session.config.bell:  # the collector's sink rings its own terminal
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
            self.session.record_error("crash", error)
        finally:
            super()._handle_exception(error)

    async def poll_now(self, names: Iterable[str] | None = None) -> None:
        """Poll feeds once, in order, and apply each result (tests and scripted use)."""
        for name in list(names or self.session.feed_names()):
            result = await self.scheduler.poll_once(name, notify=False)
            if result is not None:
                self.show_result(result)

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
            self.session.note_feeds(now)  # a feed turning STALE by the clock alone goes into the event log
            self.refresh_bars()
        except Exception as exc:
            self.display_error(exc)

    def refresh_bars(self) -> None:
        now, width = self.clock(), self.size.width
        main = self.screen_stack[0] if self.screen_stack else None
        if main is None or not main.query(TopBar):  # shutting down: a late poll lands on nothing
            return
        main.query_one(TopBar).show(header_text(self.session, self.paused, now, width, self.change_base))
        main.query_one(TabStrip).show(tabs_text(self.active, self.panel_layout))
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
        if self.scheduler.paused:
            self.scheduler.resume()
        else:
            self.scheduler.pause()
        if is_remote(self.session):  # --connect: the collector's events wait, so nothing moves
            self.session.hold(self.scheduler.paused)
        self.refresh_bindings()
        self.refresh_bars()

    def action_refresh(self) -> None:
        """Poll every feed now, except those the runner holds back (``FeedRunner.may_poll``):
        a RATE-LIMITED source before its retry time, a source inside its floor, a feed whose
        poll is still running. Those keep their schedule; the toast says when they try next."""
        if self.session.remote:  # --connect: nothing here asks a source
            self.notify("connected to collector — it polls", timeout=3, markup=False)
            return
        started, held = self.scheduler.refresh_now()
        msg = f"Refreshing {len(started)} feed{'' if len(started) == 1 else 's'}"
        self.notify(msg + ("\nnot now: " + "\n".join(f"{n}: {why}" for n, why in held) if held else ""),
                    timeout=5 if held else 2, markup=False)
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
        from .layout import step

        index = step(self, delta)  # in the layout's order
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
        self.scheduler.stop()  # its timers are the loop's, not the app's: none may fire on a closed app
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
