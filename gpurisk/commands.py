"""Headless subcommands: snapshot, feeds, export, explain.

Every text that leaves here goes through the one sanitiser (``feeds.textsafe``):
table cells, stderr messages and every string of the JSON are redacted (configured
keys, Bearer tokens → ``***``) and inert (ESC, BEL, C1 and the OSC/CSI sequences
they start become visible ``\x1b``). Tables are ``rich.text.Text`` (never markup), so
a provider called ``[red]x`` prints literally.

One-shot commands (``feeds check``, ``snapshot``, ``explain``) poll under one overall
deadline (``--deadline``, default 60 s): a feed still polling then is cancelled and
named ("vastai: no answer within the 60 s deadline"), and the command exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from engine.observations import FinancialFact, Observation, PriceQuote
from feeds.runner import ERROR
from feeds.textsafe import inert, safe, safe_obj

from .config import Config
from .session import Session
from .view import SessionView


def _now() -> datetime:
    return datetime.now(UTC)


DEFAULT_DEADLINE = 60.0  # seconds for a whole one-shot command's polls
CLOSE_S = 5.0  # closing the feeds' connections afterwards is bounded too


def say(message: object) -> None:
    """One line on stderr, ``gpurisk: ...``, made safe (it may quote a server or the config)."""
    print(f"gpurisk: {safe(message)}", file=sys.stderr)


def _print_json(obj: object) -> None:
    import json

    json.dump(safe_obj(obj), sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")


def _deadline(args: Any) -> float:
    d = getattr(args, "deadline", None)
    return DEFAULT_DEADLINE if d is None else float(d)


async def _poll_all(session: Session, poll: Any, deadline: float, close: bool = True) -> dict[str, Any]:
    """Every feed polled at once, all within ``deadline`` seconds; then (``close``) the session is closed.

    A feed still polling at the deadline is cancelled (the runner re-raises the
    cancellation, so the session stays consistent) and marked ERROR with the deadline
    as its last error. Returns name -> what ``poll`` returned (None for a feed that ran out)."""
    names = session.feed_names()
    results: dict[str, Any] = {}

    async def one(name: str) -> None:
        try:
            results[name] = await asyncio.wait_for(poll(name), deadline)
        except TimeoutError:
            st = session.status[name]
            st.state, st.last_error, st.duration = ERROR, f"no answer within the {deadline:g} s deadline", deadline
            st.failures += 1
            results[name] = None

    try:
        await asyncio.gather(*(one(n) for n in names))
    finally:
        if close:
            await _close(session)
    return results


async def _close(session: Session) -> None:
    try:
        await asyncio.wait_for(session.aclose(), CLOSE_S)
    except (TimeoutError, Exception):
        pass


def timed_out(results: dict[str, Any]) -> list[str]:
    return [n for n, r in results.items() if r is None]


def _report_deadline(session: Session, names: list[str]) -> None:
    for n in names:
        say(f"{n}: {session.status[n].last_error}")


def _run_polls(session: Session, deadline: float) -> list[str]:
    """Poll every feed into the session's engine; the names of the feeds that ran out."""
    late = timed_out(asyncio.run(_poll_all(session, session.poll, deadline)))
    _report_deadline(session, late)
    return late


def cmd_snapshot(cfg: Config, args: argparse.Namespace) -> int:
    from .snapshot_json import SCHEMA

    if args.schema:
        _print_json(SCHEMA)
        return 0
    if args.scenario:
        from .scenario_cli import scenarios

        known = scenarios(cfg)
        if args.scenario not in known:
            say(f"unknown scenario {args.scenario!r}; known: {', '.join(known)}")
            return 2
    session = Session.from_config(cfg, history=False)
    _run_polls(session, _deadline(args))
    now = _now()
    _print_json(snapshot_document(session, cfg, args.scenario, now))
    stale = [f"{s.name} ({s.stale_reason(now)})" for s in session.status.values()
             if s.state == "OK" and s.data_stale(now)]
    if stale:  # data arrived, but old: said, not a failure of the command
        say(f"stale data: {'; '.join(stale)}")
    failed = [s.name for s in session.status.values() if s.state not in ("OK",)]
    if failed:
        say(f"feeds without data: {', '.join(failed)}")
        return 1
    if session.engine.ingested == 0:
        say("no data arrived")
        return 1
    return 0


def snapshot_document(session: SessionView, cfg: Config, scenario: str | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """The ``snapshot --json`` document (with ``scenario`` side by side when named): the
    command and the collector's ``/api/snapshot`` and ``/api/scenario/NAME`` share it."""
    from .snapshot_json import snapshot_json

    now = now or _now()
    doc = snapshot_json(session.snapshot, session.status, session.demo, now, session.stale_indicators(now),
                        session.history_state)
    if scenario:
        from .scenario_cli import scenario_json

        doc["scenario"] = scenario_json(session, cfg, scenario)
    return doc


def explain_text(session: Any, name: str) -> Any:
    """What ``gpurisk explain NAME`` prints (a Rich Text), or None for an unknown indicator;
    also the collector's ``/api/explain/NAME``."""
    res = session.snapshot.indicators.get(name)
    if res is None:
        return None
    from gpurisk.text.explain import indicator_text  # rich only: the headless path never imports Textual

    return _inert_text(indicator_text(res, session))


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
    for r in rows:  # every cell made safe: provider names and errors come from servers
        t.add_row(*(Text(safe(c.plain if isinstance(c, Text) else c)) for c in r))
    # Piped output (scripts, grep) gets one line per row, never wrapped cells.
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 400).print(t)


def cmd_feeds(cfg: Config, action: str, deadline: float = DEFAULT_DEADLINE) -> int:
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
    got = asyncio.run(_poll_all(session, session.runner.poll, deadline))
    results = []
    for name in session.feed_names():
        st = session.status[name]
        state = st.display_state()  # STALE when the data is older than the feed's limit
        obs = got.get(name)
        results.append((name, state.lower(), f"{st.duration:.2f}s", summarize(obs or []) if obs is not None else "—",
                        st.problem()))
    _table(("feed", "result", "time", "got", "error"), results)
    _report_deadline(session, timed_out(got))
    # Stale data is reported, not a failed check: the feed answered (exit 1 is for no data).
    return 0 if all(r[1] in ("ok", "stale") for r in results) else 1


def cmd_export(cfg: Config, args: argparse.Namespace) -> int:
    from .session import history_path
    from .store import HistoryFileError, StoreError, export_history

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            say(f"--since: not an ISO date: {args.since!r}")
            return 2
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
    path = history_path(cfg, args.demo)
    try:
        n = export_history(path, since, args.format, sys.stdout)
    except FileNotFoundError:
        say(f"no history yet at {path} (the dashboard writes it while live feeds run)")
        return 1
    except StoreError as exc:  # not a database, damaged, a directory, locked: a message, never a traceback
        say(f"history error: {exc}")
        return 2 if isinstance(exc, HistoryFileError) else 1
    say(f"exported {n} rows from {path}")
    return 0


def cmd_explain(cfg: Config, name: str, deadline: float = DEFAULT_DEADLINE) -> int:
    session = Session.from_config(cfg, history=False)
    late = _run_polls(session, deadline)
    text = explain_text(session, name)
    if text is None:
        known = ", ".join(sorted(session.engine.indicators))
        say(f"unknown indicator {name!r}; known: {known}")
        return 2
    from rich.console import Console

    Console(soft_wrap=True).print(text)
    return 1 if late else 0


def _inert_text(t: Any) -> Any:
    """The explain text as built (styles kept) when every line is printable; else plain, each
    line made inert — an indicator from a plugin cannot smuggle an escape through."""
    from rich.text import Text

    lines = t.plain.split("\n")
    if all(line.isprintable() for line in lines):
        return t
    return Text("\n".join(inert(line) for line in lines))
