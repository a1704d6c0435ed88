"""Starting and stopping `gpurisk serve`: checks, the server, signals, history flushed.

Exit status: 0 after SIGTERM or SIGINT (history and alert state written first),
1 when the port cannot be bound, 2 for a usage problem (no token for a non-loopback
address, an empty token variable, a history file that is not usable).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger("gpurisk.serve")

CLOSE_S = 5.0  # seconds closing may take before the process goes anyway


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _say(msg: str) -> None:
    from feeds.textsafe import safe

    print(f"gpurisk serve: {safe(msg)}", file=sys.stderr, flush=True)


def check_token(host: str, token_env: str | None) -> tuple[str | None, str | None]:
    """(token, problem): a token from ``token_env``, required off loopback."""
    token = None
    if token_env:
        token = os.environ.get(token_env, "")
        if not token:
            return None, f"--token-env {token_env}: the variable is not set or empty"
        if len(token) < 16:
            return None, f"--token-env {token_env}: the token is shorter than 16 characters"
        from feeds.textsafe import register_secret

        register_secret(token)  # redacted from every log line and message by value
    if not is_loopback(host) and not token:
        return None, (f"--host {host} is not a loopback address: anyone who can reach it could read the desk's "
                      "data and acknowledge alerts; set a token with --token-env NAME (or bind to 127.0.0.1)")
    return token, None


def _stderr_log() -> None:
    from gpurisk.logs import SafeFormatter

    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    h.setLevel(logging.INFO)
    logging.getLogger("gpurisk").addHandler(h)
    if logging.getLogger().level > logging.INFO or logging.getLogger().level == logging.NOTSET:
        logging.getLogger("gpurisk").setLevel(logging.INFO)


def run_serve(cfg: Any, host: str = "127.0.0.1", port: int = 8765, token_env: str | None = None) -> int:
    token, problem = check_token(host, token_env)
    if problem:
        _say(problem)
        return 2
    from gpurisk.session import Session
    from gpurisk.store import HistoryFileError

    _stderr_log()
    try:
        session = Session.from_config(cfg)
    except HistoryFileError as exc:
        _say(f"history error: {exc} (set history_path or $GPURISK_HISTORY to another file, or --no-history)")
        return 2
    session.setup_alerts(bell_fn=None)  # the hook and the alert log run here, once for the desk
    return asyncio.run(serve(session, host, port, token))


async def serve(session: Any, host: str, port: int, token: str | None,
                ready: Callable[[int], None] | None = None, stop: asyncio.Event | None = None,
                guard: Any = None) -> int:
    """Run until SIGTERM/SIGINT (or ``stop`` is set); ``ready(port)`` once listening.
    ``guard`` (guard.Guard) holds the connection limits and timeouts; the default's
    follow the process's file limit."""
    from aiohttp import web

    from .app import make_app
    from .collector import Collector
    from .guard import Guard, GuardedSite

    guard = guard or Guard()
    collector = Collector(session)
    # event streams are connections too: leave room for /healthz, /metrics and the API
    collector.max_clients = max(1, min(collector.max_clients, guard.max_total // 2))
    if session.store is not None:  # what the engine replayed from history: new clients get it too
        try:
            collector.seed(session.store.load(limit_per_key=collector.window))
        except Exception as exc:
            session.record_error("collector history window", exc)
    runner = web.AppRunner(make_app(collector, token, guard), handle_signals=False, access_log=None)
    await runner.setup()
    site = GuardedSite(runner, host, port, guard)
    try:
        await site.start()
    except OSError as exc:
        _say(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        await runner.cleanup()
        await session.aclose()
        return 1
    server = site._server
    sockets = server.sockets if isinstance(server, asyncio.Server) else ()
    bound = sockets[0].getsockname()[1] if sockets else port
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    got: list[int] = []
    stopping = stop

    def _on_signal(sig: int) -> None:
        got.append(sig)
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, _on_signal, sig)
        except (RuntimeError, ValueError, NotImplementedError):  # not the main thread (tests)
            pass
    log.info("collector listening on http://%s:%d (%d feeds, %s, token %s; at most %d connections, %d per "
             "address, %d event clients; headers within %g s)", host, bound, len(session.feed_names()),
             "DEMO" if session.demo else "live", "required" if token else "off", guard.max_total,
             guard.max_per_addr, collector.max_clients, guard.header_timeout)
    _say(f"listening on http://{host}:{bound}")
    collector.start()
    if ready is not None:
        ready(bound)
    try:
        await stop.wait()
    finally:
        if got:
            log.info("%s received: stopping, history flushed", signal.Signals(got[0]).name)
        await collector.stop()
        await guard.stop()
        try:
            session.flush()
        except Exception as exc:
            session.record_error("history flush on exit", exc)
        try:
            await asyncio.wait_for(runner.cleanup(), CLOSE_S)
        except (TimeoutError, Exception):
            pass
        try:
            await asyncio.wait_for(session.aclose(), CLOSE_S)
        except (TimeoutError, Exception):
            pass
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.remove_signal_handler(sig)
            except (RuntimeError, ValueError, NotImplementedError):
                pass
        log.info("collector stopped")
    return 0
