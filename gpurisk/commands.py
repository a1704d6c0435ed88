"""Headless subcommands: snapshot, feeds, export, explain.

Output that contains text from feeds goes through ``rich.text.Text`` (never
markup), so a provider called ``[red]x`` prints literally.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Sequence

from engine.observations import FinancialFact, Observation, PriceQuote

from .config import Config
from .session import Session


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _print_json(obj: object) -> None:
    import json

    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")


async def _poll_once(session: Session) -> None:
    try:
        await asyncio.gather(*(session.poll(n) for n in session.feed_names()))
    finally:
        await session.aclose()


def cmd_snapshot(cfg: Config, args: argparse.Namespace) -> int:
    from .snapshot_json import SCHEMA, snapshot_json

    if args.schema:
        _print_json(SCHEMA)
        return 0
    if args.scenario:
        from .scenario_cli import scenarios

        known = scenarios(cfg)
        if args.scenario not in known:
            print(f"gpurisk: unknown scenario {args.scenario!r}; known: {', '.join(known)}", file=sys.stderr)
            return 2
    session = Session.from_config(cfg, history=False)
    asyncio.run(_poll_once(session))
    now = _now()
    doc = snapshot_json(session.snapshot, session.status, session.demo, now, session.stale_indicators(now))
    if args.scenario:
        from .scenario_cli import scenario_json

        doc["scenario"] = scenario_json(session, cfg, args.scenario)
    _print_json(doc)
    stale = [f"{s.name} ({s.stale_reason(now)})" for s in session.status.values() if s.state == "OK" and s.data_stale(now)]
    if stale:  # data arrived, but old: said, not a failure of the command
        print(f"gpurisk: stale data: {'; '.join(stale)}", file=sys.stderr)
    failed = [s.name for s in session.status.values() if s.state not in ("OK",)]
    if failed:
        print(f"gpurisk: feeds without data: {', '.join(failed)}", file=sys.stderr)
        return 1
    if session.engine.ingested == 0:
        print("gpurisk: no data arrived", file=sys.stderr)
        return 1
    return 0


def summarize(obs: Sequence[Observation]) -> str:
    """What a poll got, in a few words (e.g. "H100 SXM 1.47 $/h from 26 offers")."""
    if not obs:
        return "nothing"
    quotes = [o for o in obs if isinstance(o, PriceQuote)]
    parts: list[str] = []
    if quotes:
        h100 = [q for q in quotes if q.sku == "H100 SXM"] or quotes
        q = max(h100, key=lambda q: q.as_of)  # the newest: what the dashboard shows
        offers = f" from {q.n_offers} offers" if q.n_offers else f" ({q.provider})"
        parts.append(f"{q.sku} {q.price:.2f} $/h{offers}; {len(quotes)} quotes")
    facts = [o for o in obs if isinstance(o, FinancialFact)]
    if facts:
        last = max(f.period_end for f in facts)
        parts.append(f"{len(facts)} facts to {last}")
    other = Counter(type(o).__name__ for o in obs if not isinstance(o, (PriceQuote, FinancialFact)))
    parts += [f"{n} {k}" for k, n in sorted(other.items())]
    return "; ".join(parts)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(*headers, box=None, pad_edge=False, header_style="bold")
    for r in rows:
        t.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in r))
    # Piped output (scripts, grep) gets one line per row, never wrapped cells.
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 400).print(t)


def cmd_feeds(cfg: Config, action: str) -> int:
    from feeds import registry

    if action == "list":
        known = registry.discover()
        configured = {fc.type: fc for fc in cfg.feeds}
        rows = []
        for name, info in sorted(known.items()):
            fc = configured.get(name)
            state = "configured" if fc and fc.enabled else "disabled" if fc else "available"
            try:
                desc = info.load().description
            except Exception as exc:  # a broken plugin is listed, not fatal
                desc, state = f"cannot load: {type(exc).__name__}: {exc}", "load error"
            rows.append((name, info.origin, state, desc))
        _table(("feed", "origin", "state", "description"), rows)
        return 0
    session = Session.from_config(cfg, history=False)
    results = asyncio.run(_check(session))
    _table(("feed", "result", "time", "got", "error"), results)
    # Stale data is reported, not a failed check: the feed answered (exit 1 is for no data).
    return 0 if all(r[1] in ("ok", "stale") for r in results) else 1


async def _check(session: Session) -> list[tuple[str, str, str, str, str]]:
    out = []
    try:
        for name in session.feed_names():
            obs = await session.runner.poll(name)
            st = session.status[name]
            state = st.display_state()  # STALE when the data is older than the feed's limit
            out.append((name, state.lower(), f"{st.duration:.2f}s", summarize(obs), st.problem()))
    finally:
        await session.aclose()
    return out


def cmd_export(cfg: Config, args: argparse.Namespace) -> int:
    from .session import history_path
    from .store import export_history

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            print(f"gpurisk: --since: not an ISO date: {args.since!r}", file=sys.stderr)
            return 2
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
    path = history_path(cfg, args.demo)
    try:
        n = export_history(path, since, args.format, sys.stdout)
    except FileNotFoundError:
        print(f"gpurisk: no history yet at {path} (the dashboard writes it while live feeds run)", file=sys.stderr)
        return 1
    print(f"gpurisk: exported {n} rows from {path}", file=sys.stderr)
    return 0


def cmd_explain(cfg: Config, name: str) -> int:
    session = Session.from_config(cfg, history=False)
    asyncio.run(_poll_once(session))
    res = session.snapshot.indicators.get(name)
    if res is None:
        known = ", ".join(sorted(session.engine.indicators))
        print(f"gpurisk: unknown indicator {name!r}; known: {known}", file=sys.stderr)
        return 2
    from rich.console import Console

    from tui.explain import indicator_text  # rich only: the headless path never imports Textual

    Console(soft_wrap=True).print(indicator_text(res, session))
    return 0
