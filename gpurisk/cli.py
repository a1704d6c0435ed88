"""The `gpurisk` command: the dashboard, and headless commands for scripts.

Kept light at import: Textual is imported only when the dashboard starts, httpx
only when a live feed is built, so `gpurisk snapshot --json` stays quick.
Exit codes: 0 ok, 1 a feed failed / no data / the app crashed, 2 usage or config error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .config import ConfigFileError, load_config


def _common(p: argparse.ArgumentParser, suppress: bool) -> None:
    d = argparse.SUPPRESS if suppress else None
    p.add_argument("--config", metavar="PATH", default=d, help="TOML config file (default: $GPURISK_CONFIG, else sample data)")
    p.add_argument("--live", action="store_true", default=argparse.SUPPRESS if suppress else False,
                   help="use the built-in live public feeds instead of the sample data")
    p.add_argument("--no-history", action="store_true", default=argparse.SUPPRESS if suppress else False,
                   help="do not read or write the local history database")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gpurisk",
        description="Terminal dashboard for the credit risk of GPU clouds (CoreWeave first). "
        "With no command, starts the dashboard (on the bundled sample data, marked DEMO, unless --live or a config says otherwise).",
    )
    _common(p, suppress=False)
    p.add_argument("--version", action="version", version="gpurisk 0.1.0")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    s = sub.add_parser("snapshot", help="poll every configured feed once and print the snapshot")
    _common(s, suppress=True)
    s.add_argument("--json", action="store_true", help="print JSON (the only format; schema: --schema)")
    s.add_argument("--schema", action="store_true", help="print the JSON Schema of the output and exit")
    s.add_argument("--scenario", metavar="NAME", help="add a what-if scenario (preset or from the config)")
    f = sub.add_parser("feeds", help="list feeds (built-in and plugins); `feeds check` polls each once")
    _common(f, suppress=True)
    f.add_argument("action", nargs="?", choices=["list", "check"], default="list")
    e = sub.add_parser("export", help="dump the history database as CSV or JSON")
    _common(e, suppress=True)
    e.add_argument("--since", metavar="DATE", help="ISO date or datetime (UTC)")
    e.add_argument("--format", choices=["csv", "json"], default="csv")
    e.add_argument("--demo", action="store_true", help="export the demo history instead of the live one")
    x = sub.add_parser("explain", help="formula, inputs (value, as-of, source) and thresholds of an indicator")
    _common(x, suppress=True)
    x.add_argument("name", help="indicator name (see `gpurisk snapshot --json`)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = load_config(args.config, live=args.live)
        if args.no_history:
            cfg.history = False
        cmd = args.command
        if cmd == "snapshot":
            from .commands import cmd_snapshot
            return cmd_snapshot(cfg, args)
        if cmd == "feeds":
            from .commands import cmd_feeds
            return cmd_feeds(cfg, args.action)
        if cmd == "export":
            from .commands import cmd_export
            return cmd_export(cfg, args)
        if cmd == "explain":
            from .commands import cmd_explain
            return cmd_explain(cfg, args.name)
        return run_dashboard(cfg)
    except ConfigFileError as exc:
        print(f"gpurisk: config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run_dashboard(cfg) -> int:  # type: ignore[no-untyped-def]
    from .session import Session

    session = Session.from_config(cfg)
    session.setup_alerts(bell_fn=lambda: (sys.stdout.write("\a"), sys.stdout.flush()))
    from tui.app import run_dashboard as run

    return run(session)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
