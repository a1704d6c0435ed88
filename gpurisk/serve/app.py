"""`gpurisk serve`: the collector's HTTP API (aiohttp.web).

Why aiohttp: one well-kept asyncio server that streams (Server-Sent Events) and runs on
the loop the Session already uses; it is imported only by this command.

Read-only except ``POST /api/ack``. No endpoint runs a command or reads a path it is
given: scenario and explain names are looked up among the known ones (else 404).
With a token every request but ``/healthz`` needs ``Authorization: Bearer <token>``
(compared in constant time; the scheme in any case). Request bodies are capped
(``client_max_size``), event clients are capped (503 beyond, unless one that does not
read gives way), and each client's queue is bounded (collector.py). Connections, header
and body time limits: guard.py. A new client's snapshot is bounded; older observations
come by range from ``/api/observations``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
from typing import Any

from aiohttp import web

from feeds.textsafe import safe, safe_obj

from .collector import Collector

log = logging.getLogger("gpurisk.serve")

HEARTBEAT = 15.0  # seconds between ": ping" comments on an idle event stream
WRITE_TIMEOUT = 10.0  # a client that cannot take one event in this long is dropped
MAX_BODY = 4096  # bytes: the only body is an ack's {"rule": name}

COLLECTOR: web.AppKey[Collector] = web.AppKey("collector", Collector)
TOKEN: web.AppKey[str] = web.AppKey("token", str)
GUARD: web.AppKey[Any] = web.AppKey("guard", object)


def _json(obj: Any, status: int = 200) -> web.Response:
    from engine.jsonable import jsonable

    body = json.dumps(jsonable(safe_obj(obj)), ensure_ascii=False, allow_nan=False, indent=1)
    return web.Response(text=body, status=status, content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


@web.middleware
async def auth(request: web.Request, handler: Any) -> web.StreamResponse:
    token = request.app[TOKEN]
    if token and request.path != "/healthz":
        scheme, _, got = request.headers.get("Authorization", "").strip().partition(" ")
        ok = scheme.lower() == "bearer"  # the scheme is case-insensitive (RFC 7235); the token is not
        if not (hmac.compare_digest(got.strip().encode("utf-8", "replace"), token.encode()) and ok):
            return web.Response(status=401, text="401: a token is needed (Authorization: Bearer ...)\n",
                                headers={"WWW-Authenticate": 'Bearer realm="gpurisk"'})
    return await handler(request)


async def snapshot(request: web.Request) -> web.Response:
    from gpurisk.commands import snapshot_document

    c = request.app[COLLECTOR]
    return _json(snapshot_document(c.session, c.session.config))


async def observations(request: web.Request) -> web.Response:
    """Kept observations by range of ``as_of`` (seconds): ``?before=T[&since=S]`` gives the
    newest ones below T (and at or above S) within the snapshot's budget, oldest first, and
    ``more_before`` to ask for the next page (null: none left)."""
    from .collector import SNAPSHOT_BUDGET, _dumps

    bounds: dict[str, float | None] = {}
    for key in ("before", "since"):
        raw = request.query.get(key)
        try:
            v = float(raw) if raw is not None and len(raw) < 40 else None
        except ValueError:
            v = None
        if raw is not None and (v is None or not math.isfinite(v)):
            return _error(400, f"{key} must be a number (seconds since the epoch)")
        bounds[key] = v
    recs, more = request.app[COLLECTOR].newest_within(SNAPSHOT_BUDGET, bounds["before"], bounds["since"])
    # the records as the snapshot carries them (codec payloads; the client decodes them as data)
    return web.Response(text=_dumps({"observations": recs, "more_before": more}), content_type="application/json")


async def scenario(request: web.Request) -> web.Response:
    from gpurisk.commands import snapshot_document
    from gpurisk.scenario_cli import scenarios

    c = request.app[COLLECTOR]
    name = request.match_info["name"]
    if name not in scenarios(c.session.config):
        return _error(404, f"unknown scenario {safe(name, limit=60)!r}")
    return _json(snapshot_document(c.session, c.session.config, name))


async def explain(request: web.Request) -> web.Response:
    from gpurisk.commands import explain_text

    c = request.app[COLLECTOR]
    name = request.match_info["name"]
    if name not in c.session.engine.indicators:
        return _error(404, f"unknown indicator {safe(name, limit=60)!r}")
    text = explain_text(c.session, name)
    if text is None:
        return _error(404, f"no result for {safe(name, limit=60)!r}")
    return web.Response(text="\n".join(safe(line) for line in text.plain.split("\n")) + "\n",
                        content_type="text/plain")


async def metrics(request: web.Request) -> web.Response:
    try:
        from gpurisk.metrics import exposition  # another module's work: optional until it exists
    except ImportError:
        return web.Response(status=503, text="metrics not available\n")
    body, ctype = exposition(request.app[COLLECTOR].session)
    resp = web.Response(body=body)
    resp.headers["Content-Type"] = ctype
    return resp


async def healthz(request: web.Request) -> web.Response:
    doc, history = request.app[COLLECTOR].health(), request.app[COLLECTOR].session.history_state
    doc.update(history=history.as_dict(), status="ok" if history.ok else f"degraded: history {history.state}")
    guard = request.app.get(GUARD)
    if guard is not None:
        doc["connections"] = guard.stats()
    return _json(doc)


async def ack(request: web.Request) -> web.Response:
    c = request.app[COLLECTOR]
    try:
        body = await request.json() if request.body_exists else {}  # read already (guard.py)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "body is not JSON")
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object: {} or {\"rule\": name}")
    rule, undo = body.get("rule"), body.get("undo")
    if rule is not None and not isinstance(rule, str):
        return _error(400, "rule must be a string")
    if undo is not None and not (isinstance(undo, list) and all(isinstance(x, str) for x in undo)):
        return _error(400, "undo must be a list of rule names")
    if c.session.alerts is None:
        return _error(409, "alerts are off")
    if rule is not None and rule not in c.session.alerts.rules:
        return _error(404, f"unknown rule {safe(rule, limit=60)!r}")
    done = c.acknowledge(rule, undo[:100] if undo is not None else None)
    log.info("%s via API: %s", "undo acknowledge" if undo is not None else "acknowledge", ", ".join(done) or "nothing")
    return _json({"acknowledged" if undo is None else "unacknowledged": done})


async def events(request: web.Request) -> web.StreamResponse:
    from .collector import Client
    from .guard import pending_bytes

    c = request.app[COLLECTOR]
    transport = request.transport
    client = Client(c.queue_size)
    client.pending = lambda: pending_bytes(transport)
    client.abort = lambda: transport.abort() if transport is not None else None
    sub = c.subscribe(request.headers.get("Last-Event-ID"), client)
    if sub is None:
        return _error(503, f"too many event clients (limit {c.max_clients})")
    client, first = sub
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                       "X-Accel-Buffering": "no"})
    try:
        await resp.prepare(request)
        for chunk in first:
            await asyncio.wait_for(resp.write(chunk), WRITE_TIMEOUT)
        while not client.dropped:
            try:
                data = await asyncio.wait_for(client.queue.get(), HEARTBEAT)
            except TimeoutError:
                left = client.pending()
                if left:  # a reader takes what it is sent at once, not within a whole heartbeat
                    log.warning("event client dropped: %d bytes not taken in %g s", left, HEARTBEAT)
                    client.drop()
                    break
                data = b": ping\n\n"
            if data is None:
                break
            await asyncio.wait_for(resp.write(data), WRITE_TIMEOUT)
    except (TimeoutError, ConnectionError, asyncio.CancelledError) as exc:
        if isinstance(exc, asyncio.TimeoutError):
            log.warning("event client dropped: could not take an event in %g s", WRITE_TIMEOUT)
            client.drop()  # closes its socket: the response's end would wait for it forever
        if isinstance(exc, asyncio.CancelledError):
            c.unsubscribe(client)
            raise
    finally:
        c.unsubscribe(client)
    return resp


def make_app(collector: Collector, token: str | None = None, guard: Any = None) -> web.Application:
    mws = ([guard.middleware] if guard is not None else []) + [auth]  # the guard times the body, before auth
    app = web.Application(middlewares=mws, client_max_size=MAX_BODY)
    app[COLLECTOR] = collector
    app[TOKEN] = token or ""
    if guard is not None:
        app[GUARD] = guard
    app.router.add_get("/api/snapshot", snapshot)
    app.router.add_get("/api/events", events)
    app.router.add_get("/api/observations", observations)
    app.router.add_get("/api/scenario/{name}", scenario)
    app.router.add_get("/api/explain/{name}", explain)
    app.router.add_post("/api/ack", ack)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app
