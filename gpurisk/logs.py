"""The debug log: a rotated file a user can attach to a bug report.

Where: ``--log PATH``, else ``$GPURISK_LOG``, else ``gpurisk.log`` in the user log
directory (platformdirs). Rotated by size (1 MB, three old files kept), so leaving
the dashboard open for months never fills a disk. Every record is made safe on its
way out (:func:`feeds.textsafe.safe`: configured keys and secret-looking values
become ``***``, control characters visible escapes), because a log line can carry a
server's text or an echoed key. What goes there: start and exit (with the exit
status and the signal), errors inside the dashboard (history write failed, a
display error, a crash's traceback), alert-state and alert-hook trouble, feed
failures logged by the runner.

The log must never stop the program: a default location that cannot be written is
skipped quietly; an explicit ``--log``/``$GPURISK_LOG`` that cannot be written is a
usage error (exit 2, raised here as :class:`LogError`).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import sys
from pathlib import Path

from engine.errors import GpuriskError

from . import __version__

MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("httpx", "httpcore", "asyncio", "markdown_it")  # chatty libraries: warnings only

log = logging.getLogger("gpurisk")
_current: Path | None = None
_root_level: int | None = None  # the root logger's level before setup (restored by close)


class LogError(GpuriskError):
    """An explicit log path that cannot be written."""


def default_log_file() -> Path:
    from platformdirs import user_log_dir

    return Path(user_log_dir("gpurisk")) / "gpurisk.log"


def log_file(explicit: str | None = None) -> tuple[Path, bool]:
    """The log path and whether the user chose it (``--log``, then ``$GPURISK_LOG``)."""
    chosen = explicit or os.environ.get("GPURISK_LOG") or None
    return (Path(chosen).expanduser(), True) if chosen else (default_log_file(), False)


class SafeFormatter(logging.Formatter):
    """Every formatted record (message, arguments, traceback) through the output sanitiser;
    line breaks of a traceback are kept, every other control character made visible."""

    def format(self, record: logging.LogRecord) -> str:
        from feeds.textsafe import safe

        text = super().format(record)
        return "\n".join(safe(line) for line in text.split("\n"))


def setup(explicit: str | None = None, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS,
          level: int = logging.INFO) -> Path | None:
    """Attach the rotating file handler to the root logger (once); returns the path in
    use, or None when the default location cannot be written."""
    path, chosen = log_file(explicit)
    close()  # a second setup (tests) replaces the first
    root = logging.getLogger()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                                       encoding="utf-8")
    except OSError as exc:
        if chosen:
            raise LogError(f"cannot write the log {path}: {exc.strerror or exc}") from None
        return None
    handler._gpurisk = True  # type: ignore[attr-defined]
    handler.setFormatter(SafeFormatter(FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    global _current
    _current = path
    global _root_level
    if _root_level is None:
        _root_level = root.level
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return path


def current_log() -> Path | None:
    """The log file this run writes (None when there is none)."""
    return _current


def started(argv: list[str] | None = None) -> None:
    """One line per run: what ran, on what (the first lines a bug report needs)."""
    log.info("start gpurisk %s %s (python %s, %s, TERM=%s)", __version__,
             " ".join(argv if argv is not None else sys.argv[1:]),
             platform.python_version(), system(), os.environ.get("TERM", "?"))


def system() -> str:
    """``Linux-6.1.0-x86_64-with-glibc2.36``: what ``platform.platform()`` says, without
    its C library probe, which reads the Python binary through (12 ms of every start)."""
    uname = getattr(os, "uname", None)
    if uname is None:  # Windows
        return platform.platform(terse=True)
    u = uname()
    try:
        libc = (os.confstr("CS_GNU_LIBC_VERSION") or "").replace(" ", "")
    except (ValueError, OSError):  # no such name here (macOS, musl)
        libc = ""
    return "-".join(part for part in (u.sysname, u.release, u.machine, f"with-{libc}" if libc else "") if part)


def error(message: str, exc: BaseException | None = None) -> None:
    """An error inside the program: to the log, with its traceback when there is one."""
    if exc is not None and exc.__traceback__ is not None:
        log.error(message, exc_info=(type(exc), exc, exc.__traceback__))
    else:
        log.error(message)


def close() -> None:
    """Detach and close the log file (tests; a second setup does this itself)."""
    global _current, _root_level
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_gpurisk", False):
            root.removeHandler(h)
            h.close()
    if _root_level is not None:
        root.setLevel(_root_level)
        _root_level = None
    _current = None
