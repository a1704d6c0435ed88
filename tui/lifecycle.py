"""How the dashboard ends: history saved on every way out, and errors kept.

Signals (SIGTERM, SIGHUP — an SSH drop — and SIGINT) are handled on the event loop
(``loop.add_signal_handler``), never in a signal frame: the handler writes the queued
history and the alert state at once, then asks Textual to exit, which restores the
terminal. The exit status is 128 + the signal number (143, 129, 130), as a shell
reports a process ended by that signal; ``q`` exits 0; a crash exits 1. When the
terminal has gone (SIGHUP) and the shutdown cannot finish, a watchdog ends the
process after :data:`EXIT_GRACE` seconds with the same status — the data is already
on disk by then. A second signal while exiting ends the process at once.

Between signals, the session's flush timer keeps the history at most 2 s behind
(gpurisk/durable.py), which bounds what a kill -9 loses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

EXIT_GRACE = 5.0  # seconds the shutdown may take after a signal before the process is ended
SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, n))

log = logging.getLogger("gpurisk.dashboard")


class Lifecycle:
    """Signal handlers and the exit watchdog of one Dashboard run."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.signal: int | None = None  # the signal that ended the run, if any
        self._installed: list[int] = []
        self._watchdog: threading.Timer | None = None

    def install(self) -> None:
        """Route the signals to :meth:`on_signal` on the running loop (main thread only;
        not in a headless run, which is a test inside another program's process)."""
        if self.app.is_headless:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for sig in SIGNALS:
            try:
                loop.add_signal_handler(sig, self.on_signal, sig)
            except (RuntimeError, ValueError, NotImplementedError):  # not the main thread, or no unix loop
                continue
            self._installed.append(sig)

    def uninstall(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for sig in self._installed:
            try:
                loop.remove_signal_handler(sig)
            except (RuntimeError, ValueError):
                pass
        self._installed.clear()

    def on_signal(self, signum: int) -> None:
        code = 128 + signum
        if self.signal is not None:  # a second signal while exiting: the data is saved, go now
            os._exit(code)
        self.signal = signum
        log.warning("%s received: saving history and exiting with status %d", signal.Signals(signum).name, code)
        self.save()
        self._watchdog = threading.Timer(EXIT_GRACE, os._exit, (code,))
        self._watchdog.daemon = True
        self._watchdog.start()
        self.app.exit(return_code=code)

    def save(self) -> None:
        """Write queued history and alert state now (signal, quit)."""
        flush = getattr(self.app.session, "flush", None)
        try:
            if flush is not None:
                flush()
        except Exception as exc:  # noqa: BLE001 - exiting must go on
            record = getattr(self.app.session, "record_error", None)
            if record is not None:
                record("history flush on exit", exc)

    def done(self) -> None:
        """The app has exited: the watchdog is no longer needed."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None


def report_error(app: Any, what: str, exc: BaseException) -> None:
    """An error inside the dashboard: to the debug log and the feeds screen (via the
    session's ``last_internal_error``) and, briefly, to the screen as a toast."""
    record = getattr(app.session, "record_error", None)
    if record is not None:
        record(what, exc)
    else:
        log.error("%s: %r", what, exc)
    from feeds.textsafe import safe

    app.notify(safe(f"{what}: {type(exc).__name__}: {exc}", limit=200), severity="error", markup=False)


def show_notices(app: Any) -> None:
    """What the user must know from start-up (history disabled), shown inside the
    dashboard: stderr is hidden once the dashboard takes the screen."""
    why = getattr(app.session, "history_error", None)
    if why:
        app.notify(f"{why} — nothing is saved this run (see f and the log)", title="History",
                   severity="warning", timeout=30, markup=False)


def internal_notes(session: Any) -> "Text":
    """Lines for the top of the feeds screen (``f``): history disabled, and the last
    error inside the dashboard with where the debug log is. Empty when all is well."""
    from rich.text import Text

    from . import format as f

    t = Text()
    for label, value in (("history", getattr(session, "history_error", None)),
                         ("last dashboard error", getattr(session, "last_internal_error", None))):
        if value:
            t.append(f"{label}: ", style="bold red")
            t.append_text(f.text(value, limit=600))
            t.append("\n")
    if t.plain:
        from gpurisk.logs import current_log

        where = current_log()
        t.append_text(f.text(f"details in the debug log: {where}" if where else "no debug log is being written",
                             "dim"))
        t.append("\n")
    return t
