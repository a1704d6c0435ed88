"""The `gpurisk` command: the dashboard, and headless commands for scripts.

Kept light at import: Textual is imported only when the dashboard starts, httpx
only when a live feed is built, so `gpurisk snapshot --json` stays quick.
Exit codes: 0 ok, 1 a feed failed / no data / the app crashed, 2 usage or config error.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from .config import ConfigFileError, load_config


def _common(p: argparse.ArgumentParser, suppress: bool) -> None:
    d = argparse.SUPPRESS if suppress else None
    p.add_argument("--config", metavar="PATH", default=d,
                   help="TOML config file (default: $GPURISK_CONFIG, else sample data)")
    p.add_argument("--live", action="store_true", default=argparse.SUPPRESS if suppress else False,
                   help="use the built-in live public feeds instead of the sample data")
    p.add_argument("--no-history", action="store_true", default=argparse.SUPPRESS if suppress else False,
                   help="do not read or write the local history database")
    p.add_argument("--log", metavar="PATH", default=d,
                   help="debug log file, rotated at 1 MB (default: $GPURISK_LOG, else gpurisk.log in the user log dir)")


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (0 < v < 86400):  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be between 0 and 86400 seconds, got {text!r}")
    return v


def _deadline_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deadline", metavar="S", type=_seconds, default=60.0,
                   help="end within S seconds whatever the sources do, naming each feed that ran out "
                        "(exit 1); default 60")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gpurisk",
        description="Terminal dashboard for the credit risk of GPU clouds (CoreWeave first). "
        "With no command, starts the dashboard "
        "(on the bundled sample data, marked DEMO, unless --live or a config says otherwise).",
    )
    _common(p, suppress=False)
    p.add_argument("--version", action="version", version=f"gpurisk {__version__}")
    p.add_argument("--screenshot-dir", metavar="DIR", default=None,
                   help="where the dashboard saves screenshots (palette: Screenshot); "
                        "default: screenshots/ in the user data dir")
    p.add_argument("--connect", metavar="URL", default=None,
                   help="show a collector's data (`gpurisk serve`) instead of polling the sources")
    p.add_argument("--token-env", metavar="NAME", default=None,
                   help="with --connect or serve: the environment variable holding the collector's token")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    v = sub.add_parser("serve", help="run the collector: poll once for a desk, serve the API and events")
    _common(v, suppress=True)
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; "
                   "any other needs --token-env)")
    v.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    v.add_argument("--token-env", metavar="NAME", default=argparse.SUPPRESS,
                   help="environment variable holding the token clients must send (Bearer)")
    s = sub.add_parser("snapshot", help="poll every configured feed once and print the snapshot")
    _common(s, suppress=True)
    s.add_argument("--json", action="store_true", help="print JSON (the only format; schema: --schema)")
    s.add_argument("--schema", action="store_true", help="print the JSON Schema of the output and exit")
    s.add_argument("--scenario", metavar="NAME", help="add a what-if scenario (preset or from the config)")
    _deadline_arg(s)
    f = sub.add_parser("feeds", help="list feeds (built-in and plugins); `feeds check` polls each once")
    _common(f, suppress=True)
    f.add_argument("action", nargs="?", choices=["list", "check"], default="list")
    _deadline_arg(f)
    e = sub.add_parser("export", help="dump the history database as CSV or JSON")
    _common(e, suppress=True)
    e.add_argument("--since", metavar="DATE", help="ISO date or datetime (UTC)")
    e.add_argument("--format", choices=["csv", "json"], default="csv")
    e.add_argument("--demo", action="store_true", help="export the demo history instead of the live one")
    x = sub.add_parser("explain", help="formula, inputs (value, as-of, source) and thresholds of an indicator")
    _common(x, suppress=True)
    x.add_argument("name", help="indicator name (see `gpurisk snapshot --json`)")
    _deadline_arg(x)
    from .customers_cli import add_parser as add_customers
    from .web import add_parser as add_web

    add_customers(sub, _common)
    add_web(sub, _common)
    return p


def _quiet_closed_stdout(run: Callable[..., int]) -> Callable[..., int]:
    """A reader that stops early (``gpurisk snapshot --json | head -1``) ends the command
    quietly: no BrokenPipeError traceback, exit status 141 (128 + SIGPIPE, as a shell
    reports for other tools cut off by a closed pipe)."""

    @functools.wraps(run)
    def wrapper(*a: Any, **kw: Any) -> int:
        try:
            code = run(*a, **kw)
            sys.stdout.flush()  # inside the guard: the last buffered bytes meet the closed pipe here
            return code
        except BrokenPipeError:
            try:  # the interpreter's final flush must not fail again
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            return 141

    return wrapper


def _std_fds_open() -> None:
    """A closed stdin, stdout or stderr (``0<&-``) reopened on the null device: otherwise the
    next file opened (the debug log, the history) takes its number, and whatever is meant
    for the terminal lands in it (or, for stdin, the dashboard's terminal replaces the log)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


@_quiet_closed_stdout
def main(argv: Sequence[str] | None = None) -> int:
    _std_fds_open()
    args = build_parser().parse_args(argv)
    from .logs import LogError, setup as setup_log, started

    try:
        setup_log(getattr(args, "log", None))
    except LogError as exc:
        print(f"gpurisk: {exc}", file=sys.stderr)
        return 2
    started(list(argv) if argv is not None else None)
    try:
        cfg = load_config(args.config, live=args.live)
        if args.no_history:
            cfg.history = False
        cmd = args.command
        if cmd == "serve":
            from .serve.run import run_serve
            return run_serve(cfg, args.host, args.port, args.token_env)
        if args.connect and cmd is None:
            from .remote import connected_session

            remote = connected_session(args.connect, args.token_env)
            if isinstance(remote, int):  # a bad URL or token variable, said on stderr
                return remote
            from tui.app import run_dashboard as run_remote
            from tui.terminal import refuse_without_terminal

            if refuse_without_terminal():  # stdin closed or not a terminal: keys from /dev/tty
                return 2
            return run_remote(remote, screenshot_dir=args.screenshot_dir, layout=cfg.layout)  # the local [layout]
        if cmd == "snapshot":
            from .commands import cmd_snapshot
            return cmd_snapshot(cfg, args)
        if cmd == "feeds":
            from .commands import cmd_feeds
            return cmd_feeds(cfg, args.action, args.deadline)
        if cmd == "export":
            from .commands import cmd_export
            return cmd_export(cfg, args)
        if cmd == "explain":
            from .commands import cmd_explain
            return cmd_explain(cfg, args.name, args.deadline)
        if cmd == "customers":
            from .customers_cli import cmd_customers
            return cmd_customers(cfg, args)
        if cmd == "web":
            from .web import cmd_web
            return cmd_web(args)
        return run_dashboard(cfg, screenshot_dir=args.screenshot_dir, check_terminal=True)
    except ConfigFileError as exc:
        print(f"gpurisk: config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _no_bell_yet() -> None:
    """The alert sink's bell before the dashboard replaces it with ``Notices.ring``."""


def run_dashboard(cfg, screenshot_dir: str | None = None, check_terminal: bool = False) -> int:
    """The dashboard. Exit status: 0 after ``q``; 128 + the signal after SIGTERM (143),
    SIGHUP (129) or SIGINT (130), history and alert state saved first; 1 on a crash;
    2 when the history path is not a usable database (and, from :func:`main`, when there
    is no terminal to show it on: tui/terminal.py)."""
    import logging

    from .session import Session
    from .store_errors import HistoryFileError

    try:
        session = Session.from_config(cfg)
    except HistoryFileError as exc:
        from feeds.textsafe import safe

        print(f"gpurisk: history error: {safe(exc)} (set history_path or $GPURISK_HISTORY "
              "to another file, or run with --no-history)", file=sys.stderr)
        return 2
    from tui.terminal import refuse_without_terminal

    # After the history is checked (a bad history file is named first, exit 2), before the app
    # starts: stdin closed or not a terminal reads keys from /dev/tty; no terminal at all: exit 2.
    if check_terminal and refuse_without_terminal():
        if session.store is not None:
            session.store.close()
        return 2
    # The app rings the bell (App.bell, through its driver): a raw BEL on stdout would land
    # outside Textual's output, and under textual-serve before its start marker. Until the
    # app installs its own (tui/app.py on_load), the bell is silent.
    session.setup_alerts(bell_fn=_no_bell_yet)
    from tui.app import run_dashboard as run

    code = run(session, screenshot_dir=screenshot_dir)
    if session.exit_note:  # rows a full disk could not take: how many, and the spool that keeps them
        print(f"gpurisk: {session.exit_note}", file=sys.stderr)
    logging.getLogger("gpurisk").info("dashboard exit status %d", code)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
