"""Any terminal the dashboard is started on: a size from the terminal itself, keys from
the terminal when stdin is not one, one clear line when there is no terminal at all.

* ``TERM=dumb`` (or ``unknown``): Rich reports such a console as 80×25 whatever the
  terminal's real size, and Textual lays out its first frame at that size before the
  driver's own Resize arrives. The two Resize events then chase each other through the
  screen's queue for ever (each layout re-posts its own size) without yielding to the
  event loop: a blank screen, a core spinning, no key nor signal handled.
  :func:`known_size` gives the driver the real size before anything asks for it.
* stdin closed (``0<&-``) or not a terminal (``< file``, ``| gpurisk``): keys are read
  from the controlling terminal (``/dev/tty``, as ``less`` and ``fzf`` do);
  :func:`prepare` returns the one line to print (exit 2) when there is none, or when
  stdout is not a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ADVICE = "for scripts use `gpurisk snapshot --json`"


def known_size(app: Any, driver: Any) -> None:
    """Set ``driver``'s size from the terminal (``shutil.get_terminal_size``: $COLUMNS and
    $LINES, else the tty) before the first layout asks the console for it."""
    if app.is_headless or getattr(driver, "_size", None) is not None:
        return
    get = getattr(driver, "_get_terminal_size", None)
    if get is None:
        return
    try:
        width, height = get()
    except (OSError, ValueError):
        return
    if width > 0 and height > 0:
        driver._size = (width, height)
        app.console.size = (width, height)


def _is_tty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def prepare() -> str | None:
    """Make stdin the terminal if it is not; the error line when the dashboard cannot run
    here. Nothing to do under another Textual driver (textual-serve sets TEXTUAL_DRIVER
    and talks over pipes)."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return None
    if not _is_tty(1):
        return f"the dashboard needs a terminal and stdout is not one; {ADVICE}"
    if _is_tty(0):
        return None
    fd = -1
    for path in ("/dev/tty", _tty_name(1)):
        if not path:
            continue
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
            break
        except OSError:
            continue
    if fd < 0:
        return f"the dashboard reads keys from a terminal and stdin is not one (nor is /dev/tty open); {ADVICE}"
    if fd != 0:
        os.dup2(fd, 0)
        os.close(fd)
    stdin = open(0, encoding=sys.getfilesystemencoding(), errors="replace", closefd=False)
    sys.stdin = sys.__stdin__ = stdin  # type: ignore[misc]  # Final in typeshed: replaced on purpose
    return None


def _tty_name(fd: int) -> str | None:
    try:
        return os.ttyname(fd)
    except OSError:
        return None


def repaint_on_resume(app: Any) -> None:
    """After a suspend (ctrl+z, SIGTSTP) and SIGCONT, Textual's driver enters the alternate
    screen again (a blank one) but repaints only what changes next: repaint every cell."""

    def repaint(_: Any) -> None:
        try:
            app.screen.refresh(layout=True)
        except Exception as exc:
            app.session.record_error("repaint after resume", exc)

    app.app_resume_signal.subscribe(app, repaint)


def refuse_without_terminal() -> bool:
    """:func:`prepare`; when the dashboard cannot run here, its one line on stderr and True
    (the caller exits 2)."""
    why = prepare()
    if why is not None:
        print(f"gpurisk: {why}", file=sys.stderr)
    return why is not None
