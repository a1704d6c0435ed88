"""How the dashboard ends: history saved on every way out, and errors kept.

Signals (SIGTERM, SIGHUP — an SSH drop — and SIGINT) are handled on the event loop
(the signal handler only arms the watchdog and hands the signal over), never in a
signal frame: the loop writes the queued history and the alert state at once, then
asks Textual to exit, which restores the terminal. The exit status is 128 + the signal
number (143, 129, 130), as a shell reports a process ended by that signal; ``q`` exits
0; a crash exits 1. Whatever the shutdown meets (a terminal that has gone, a writer
blocked on a terminal nobody reads), a watchdog ends the process :data:`EXIT_GRACE`
seconds after ``q`` or the signal with the same status, the terminal's modes restored
first — the data is already on disk by then (but for a signal caught while the loop
itself is blocked: then as for a kill -9). A second signal while exiting ends the
process at once.

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
    pass

EXIT_GRACE = 1.2  # seconds the shutdown may take after q or a signal before the process is ended
#: What Textual's driver turns off on exit (alternate screen, mouse, focus and paste reports,
#: the kitty keyboard, hidden cursor, no autowrap), for the watchdog to turn off itself.
RESTORE = ("\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1004l\x1b[?2004l"
           "\x1b[?7h\x1b[?1049l\x1b[?25h")
SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, n))

log = logging.getLogger("gpurisk.dashboard")


class Lifecycle:
    """Signal handlers and the exit watchdog of one Dashboard run."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.signal: int | None = None  # the signal that ended the run, if any
        self._installed: list[tuple[int, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._code = 0
        self._armed = threading.Event()  # the shutdown has begun: the watchdog counts
        self._finished = threading.Event()  # the app has exited: the watchdog stands down
        self._watchdog: threading.Thread | None = None

    def install(self) -> None:
        """Route the signals to :meth:`on_signal` on the running loop (main thread only;
        not in a headless run, which is a test inside another program's process).

        The handler itself (:meth:`_caught`) only arms the watchdog and hands the signal to
        the loop: it runs even while the loop is blocked (a writer waiting on a terminal
        nobody reads), which ``loop.add_signal_handler`` would not."""
        if self.app.is_headless:
            return
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for sig in SIGNALS:
            try:
                previous = signal.signal(sig, self._caught)
            except (ValueError, OSError):  # not the main thread
                continue
            self._installed.append((sig, previous))

    def watch(self) -> None:
        """Start the watchdog thread (idle until :meth:`arm`). Called once the driver exists:
        at ``on_load`` a headless run (a test inside another program's process, which the
        watchdog must never end) does not look headless yet."""
        if self.app.is_headless or self._watchdog is not None:
            return
        self._watchdog = threading.Thread(target=self._watch, name="gpurisk-exit-watchdog", daemon=True)
        self._watchdog.start()

    def uninstall(self) -> None:
        for sig, previous in self._installed:
            try:
                signal.signal(sig, previous)
            except (ValueError, OSError, TypeError):
                pass
        self._installed.clear()

    def _caught(self, signum: int, frame: Any) -> None:
        """In the main thread between two bytecodes, wherever it was: thread-safe steps only."""
        code = 128 + signum
        if self.signal is not None:  # a second signal while exiting: the data is saved, go now
            os._exit(code)
        self.signal = signum
        self.arm(code)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._shut_down, signum)

    def on_signal(self, signum: int) -> None:
        code = 128 + signum
        if self.signal is not None:  # a second signal while exiting: the data is saved, go now
            os._exit(code)
        self.signal = signum
        self.arm(code)
        self._shut_down(signum)

    def _shut_down(self, signum: int) -> None:
        code = 128 + signum
        log.warning("%s received: saving history and exiting with status %d", signal.Signals(signum).name, code)
        self.save()
        self.app.exit(return_code=code)

    def arm(self, code: int) -> None:
        """End the process with ``code`` if the shutdown has not ended it within :data:`EXIT_GRACE` s
        (when :meth:`watch` has started the watchdog)."""
        if not self._armed.is_set():
            self._code = code
            self._armed.set()

    def _watch(self) -> None:
        self._armed.wait()
        if not self._finished.wait(EXIT_GRACE):
            self._overdue(self._code)

    def _overdue(self, code: int) -> None:
        log.error("shutdown not done %.1f s after it began: ending the process (status %d)", EXIT_GRACE, code)
        restore = threading.Thread(target=self._restore_terminal, daemon=True)
        restore.start()
        restore.join(0.2)  # a write to a stalled terminal must not keep the process
        os._exit(code)

    def _restore_terminal(self) -> None:
        """Best effort: the modes Textual's driver set turned off, the tty's settings back."""
        try:
            os.write(2, RESTORE.encode())
        except OSError:  # the terminal has gone
            pass
        driver = getattr(self.app, "_driver", None)
        attrs = getattr(driver, "attrs_before", None)
        if driver is None or attrs is None:
            return
        try:
            import termios

            termios.tcsetattr(driver.fileno, termios.TCSANOW, attrs)
        except Exception:
            pass

    def save(self) -> None:
        """Write queued history and alert state now (signal, quit)."""
        try:
            self.app.session.flush()
        except Exception as exc:
            self.app.session.record_error("history flush on exit", exc)

    def done(self) -> None:
        """The app has exited: the watchdog is no longer needed."""
        self._finished.set()
        self._armed.set()  # the watchdog thread ends


def report_error(app: Any, what: str, exc: BaseException) -> None:
    """An error inside the dashboard: to the debug log and the feeds screen (via the
    session's ``last_internal_error``) and, briefly, to the screen as a toast."""
    app.session.record_error(what, exc)
    from feeds.textsafe import safe

    app.notify(safe(f"{what}: {type(exc).__name__}: {exc}", limit=200), severity="error", markup=False)


def show_notices(app: Any) -> None:
    """What the user must know from start-up (history disabled), shown inside the
    dashboard: stderr is hidden once the dashboard takes the screen."""
    why = app.session.history_error
    if why:
        app.notify(f"{why} — nothing is saved this run (see f and the log)", title="History",
                   severity="warning", timeout=30, markup=False)
