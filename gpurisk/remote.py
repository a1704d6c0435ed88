"""`gpurisk --connect URL`: the dashboard fed by a collector (`gpurisk serve`) instead of polling.

Why a Session of its own kind: the dashboard and its screens read a Session (panels,
change columns, sparklines, what-if, explain, alerts, event log). A RemoteSession has
a local Engine built with the collector's settings and ingests the very observations
the collector's engine ingested (codec records from the event stream), so every panel
and screen works unchanged — one core, mirrored. It takes feed states and alert
states from the collector: it never polls a source, never evaluates an alert, never
runs the hook and never writes history.

The stream is read with httpx in a task on the dashboard's loop. Everything the server
sends is data: a line or event over :data:`MAX_EVENT` bytes, bad JSON or wrong types
are skipped or end the connection, never the dashboard. When the collector cannot be
reached the header says ``DISCONNECTED since HH:MM:SS``, every figure is kept and
marked stale, and the client retries (1 s doubling to 30 s, with jitter); the
collector answers a reconnect with the updates missed or, if too many, a snapshot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import random
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from engine.engine import Engine, Snapshot
from engine.errors import GpuriskError
from feeds.runner import STALE, FeedStatus
from feeds.textsafe import safe

from .config import Config
from .serve import wire
from .session import Session

log = logging.getLogger("gpurisk.remote")

MAX_EVENT = 64 * 1024 * 1024  # bytes of one event (a snapshot carries what the engine holds)
BACKOFF_MIN, BACKOFF_MAX = 1.0, 30.0
READ_TIMEOUT = 45.0  # three missed heartbeats: the link is dead even if no socket said so
FIRST_WAIT = 2.0  # seconds the first frame waits for the collector's snapshot
HOLD_MAX = 2000  # events kept while paused (then a fresh snapshot at resume)
MAX_PAGES = 200  # pages of older observations fetched after a snapshot (each a few MB at most)


class EventTooBig(GpuriskError):
    """An event-stream line over MAX_EVENT bytes: the connection is dropped, never the dashboard."""


async def sse_events(chunks: AsyncIterator[bytes], limit: int = MAX_EVENT) -> AsyncIterator[tuple[str, str, str]]:
    """(event, id, data) from a Server-Sent Events byte stream; comments dropped. Raises
    EventTooBig when one event (or a line without end) exceeds ``limit`` bytes."""
    buf = b""
    event, ident, size = "message", "", 0
    data: list[str] = []
    async for chunk in chunks:
        buf += chunk
        if len(buf) > limit:
            raise EventTooBig(f"an event line over {limit} bytes")
        while True:
            cut = buf.find(b"\n")
            if cut < 0:
                break
            line, buf = buf[:cut].rstrip(b"\r"), buf[cut + 1:]
            if not line:
                if data:
                    yield event, ident, "\n".join(data)
                event, data, size = "message", [], 0
                continue
            text = line.decode("utf-8", "replace")
            if text.startswith(":"):
                continue
            field, _, value = text.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                size += len(value)
                if size > limit:
                    raise EventTooBig(f"an event over {limit} bytes")
                data.append(value)
            elif field == "event":
                event = value[:40]
            elif field == "id":
                ident = value[:40]


class _RemoteFeed:
    """What the feeds screen asks of a feed: its description and whether it is sample data."""

    def __init__(self, name: str, info: Any) -> None:
        info = info if isinstance(info, dict) else {}
        self.instance = name
        self.demo = info.get("demo") is True
        self._describe = safe(info.get("describe") or "", limit=300)

    def describe(self) -> str:
        return f"{self._describe} (polled by the collector)"


class RemoteSession(Session):
    remote = True

    def __init__(self, url: str, token: str | None = None, transport: Any = None) -> None:
        super().__init__(Config(history=False), [], store=None)
        self.url = url.rstrip("/")
        self.host = safe(urlsplit(self.url).netloc, limit=60)
        self.token = token
        self.transport = transport  # tests: an httpx transport
        self._status: dict[str, FeedStatus] = {}
        self._info: dict[str, Any] = {}
        self._alert_state: dict[str, Any] = {}
        self._replay: date | None = None
        self._data_clock: datetime | None = None
        self.connected = False
        self.disconnected_since: datetime | None = None
        self.link_error = ""
        self.last_seq: int | None = None
        self.snapshots = self.updates = self.skipped = 0
        self.bytes_received = 0
        self.on_update: Callable[[bool], None] | None = None  # (full) after each applied event
        self._task: asyncio.Task[None] | None = None
        self._first = asyncio.Event()
        self._codec: Any = None
        self._posts: set[asyncio.Task[Any]] = set()
        self.last_event_at: datetime | None = None  # the wall clock when the newest event arrived
        self.held = False  # paused: events are kept, not applied, so nothing on screen moves
        self._held: deque[tuple[str, str, Any]] = deque(maxlen=HOLD_MAX)
        self._held_over = False  # more arrived than are kept: resume asks for a fresh snapshot

    # --- what the dashboard reads instead of a runner -----------------------------------
    @property
    def status(self) -> dict[str, FeedStatus]:
        return self._status

    def feed_names(self) -> list[str]:
        return list(self._status)

    def feed(self, name: str) -> Any:
        return _RemoteFeed(name, self._info.get(name))

    def next_delay(self, name: str) -> float:
        return math.inf  # the collector polls

    async def poll(self, name: str) -> Snapshot:
        return self.engine.snapshot  # never a request to a source

    def replay_date(self) -> date | None:
        return self._replay

    def flush(self) -> None:
        """Nothing to write: the collector keeps the history and the alert state."""

    def stale_feeds(self, now: datetime | None = None) -> dict[str, str]:
        out = super().stale_feeds(now)
        if self.disconnected_since is not None:
            why = f"collector {self.host} unreachable since {self.disconnected_since:%H:%M:%S} UTC"
            out.update({n: why for n, st in self._status.items() if st.has_data})
        return out

    # --- acknowledge: at the collector, shown at once --------------------------------------
    def acknowledge(self, rule: str | None = None) -> list[str]:
        if self.alerts is None:
            return []
        done = self._log_ack(self.alerts.acknowledge(rule))  # shown now; the collector's event confirms
        if done:
            self._acked.append(done)
            del self._acked[:-20]
            self._post({"rule": rule} if rule else {})
        return done

    def undo_acknowledge(self) -> list[str]:
        if self.alerts is None or not self._acked:
            return []
        done = self.alerts.unacknowledge(self._acked.pop())
        if done:
            self._post({"undo": done})
        return done

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _client(self, read: float = 10.0) -> Any:
        import httpx

        from feeds.http import tls_options

        return httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=read), transport=self.transport,
                                 headers=self._headers(), follow_redirects=False, **tls_options(self.transport))

    def _post(self, body: dict[str, Any]) -> None:
        async def send() -> None:
            try:
                async with self._client() as c:
                    r = await c.post(f"{self.url}/api/ack", json=body)
                if r.status_code != 200:
                    raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
            except Exception as exc:
                self.record_error("acknowledge at the collector", exc)

        task = asyncio.ensure_future(send())
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)

    async def get_text(self, path: str) -> tuple[int, str]:
        """A GET on the collector's API (scenario, explain): status and body (capped)."""
        async with self._client() as c:
            r = await c.get(f"{self.url}{path}")
        return r.status_code, r.text[:1_000_000]

    # --- the event stream -------------------------------------------------------------------
    async def connect(self, on_update: Callable[[bool], None] | None = None, wait: float = FIRST_WAIT) -> None:
        """Start reading the collector's events; return once the first snapshot is applied
        (or after ``wait`` seconds: the dashboard then shows DISCONNECTED and keeps trying)."""
        self.on_update = on_update
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
        try:
            await asyncio.wait_for(self._first.wait(), wait)
        except TimeoutError:
            pass

    async def _run(self) -> None:
        import httpx

        delay = BACKOFF_MIN
        async with self._client(read=READ_TIMEOUT) as client:
            while True:
                got_event = False
                try:
                    headers = {"Accept": "text/event-stream"}
                    if self.last_seq is not None:
                        headers["Last-Event-ID"] = str(self.last_seq)
                    async with client.stream("GET", f"{self.url}/api/events", headers=headers) as resp:
                        if resp.status_code != 200:
                            raise ConnectionError(f"HTTP {resp.status_code} from the collector"
                                                  + (" (token missing or wrong)" if resp.status_code == 401 else ""))
                        async for event, ident, data in sse_events(self._count(resp.aiter_bytes()), MAX_EVENT):
                            body: Any = data
                            if event == wire.SNAPSHOT:
                                body = await self._with_older(client, data)
                            got_event = self._handle(event, ident, body) or got_event
                    raise ConnectionError("the collector closed the stream")
                except asyncio.CancelledError:
                    raise
                except (httpx.HTTPError, ConnectionError, EventTooBig, OSError) as exc:
                    self._lost(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
                except Exception as exc:
                    self.record_error("collector stream", exc)
                    self._lost(f"{type(exc).__name__}: {exc}")
                if got_event:  # it was up: the first retry comes soon
                    delay = BACKOFF_MIN
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(BACKOFF_MAX, delay * 2)

    async def _count(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for c in chunks:
            self.bytes_received += len(c)
            yield c

    def _lost(self, why: str) -> None:
        self.link_error = safe(why, limit=200)
        if self.disconnected_since is None:
            self.disconnected_since = datetime.now(UTC)
            self.connected = False
            log.warning("collector %s unreachable: %s", self.host, self.link_error)
            for st in self._status.values():  # kept, marked: old data is STALE, never OK
                if st.state == "OK":
                    st.state = STALE
            self._notify(False)

    async def _with_older(self, client: Any, data: str) -> Any:
        """A snapshot carries the newest few MB of what the collector keeps; the rest is
        fetched by range (``/api/observations``), page after page, and put before it.
        Returns the parsed snapshot (or ``data`` itself when it does not parse: skipped later)."""
        try:
            body = json.loads(data)
        except ValueError:
            return data
        older = body.get("older") if isinstance(body, dict) else None
        before = older.get("before") if isinstance(older, dict) else None
        pages: list[list[Any]] = []
        while wire._num(before) and len(pages) < MAX_PAGES and isinstance(body.get("observations"), list):
            r = await client.get(f"{self.url}/api/observations", params={"before": repr(float(before))})
            if r.status_code != 200:
                raise ConnectionError(f"HTTP {r.status_code} from the collector's /api/observations")
            if len(r.content) > MAX_EVENT:
                raise EventTooBig(f"a page of observations over {MAX_EVENT} bytes")
            page = r.json()
            recs = page.get("observations") if isinstance(page, dict) else None
            nxt = page.get("more_before") if isinstance(page, dict) else None
            if not isinstance(recs, list) or (wire._num(nxt) and nxt >= before):
                break  # not a page, or not going back: stop with what came
            pages.append(recs)
            before = nxt
        if pages:
            body["observations"] = [rec for p in reversed(pages) for rec in p] + body["observations"]
        return body

    def hold(self, on: bool) -> None:
        """Pause (``on``): the stream is still read (the link stays up, its state is still
        known) but events wait, so every figure, age and the header hold still. Resume:
        the kept events are applied in order; more than ``HOLD_MAX`` of them, and the next
        connection starts from a fresh snapshot instead."""
        self.held = on
        if on:
            return
        waiting, over = list(self._held), self._held_over
        self._held.clear()
        self._held_over = False
        if over:
            self.last_seq = None  # the backlog is gone: a snapshot brings everything
            if self._task is not None:
                self._task.cancel()
                self._task = asyncio.ensure_future(self._run())
            return
        for event, ident, data in waiting:
            self._handle(event, ident, data)

    def _handle(self, event: str, ident: str, data: Any) -> bool:
        """Apply one event (its text, or already parsed); False when it was skipped (bad
        data is never fatal)."""
        self.last_event_at = datetime.now(UTC)
        if self.held:
            if len(self._held) == self._held.maxlen:
                self._held_over = True
            self._held.append((event, ident, data))
            if self.disconnected_since is not None:
                self.disconnected_since, self.connected, self.link_error = None, True, ""
            return True
        try:
            body = json.loads(data) if isinstance(data, str) else data
            if not isinstance(body, dict):
                raise ValueError("not an object")
            if event == wire.SNAPSHOT:
                self._apply_snapshot(body)
            elif event == wire.UPDATE and self._codec is not None:
                self._apply_update(body)
            else:
                return False
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            self.skipped += 1
            if self.skipped <= 5 or self.skipped % 100 == 0:
                log.warning("skipped a %s event from the collector: %s", safe(event, limit=20), safe(exc, limit=200))
            return False
        if ident.isdigit():
            self.last_seq = int(ident)
        if self.disconnected_since is not None:
            log.info("collector %s reachable again", self.host)
        self.disconnected_since, self.connected, self.link_error = None, True, ""
        self._notify(event == wire.SNAPSHOT)
        return True

    def _notify(self, full: bool) -> None:
        if self.on_update is not None:
            try:
                self.on_update(full)
            except Exception as exc:
                self.record_error("display of a collector event", exc)

    def _apply_snapshot(self, d: dict[str, Any]) -> None:
        from gpurisk.codec import Codec

        settings = d.get("settings")
        cfg = wire.config_from(settings)
        cap = settings.get("capacity") if isinstance(settings, dict) else None
        cap = int(cap) if isinstance(cap, int) and 16 <= cap <= 100_000 else 2048
        self.config = cfg
        self.engine = Engine(company=cfg.company, thresholds=cfg.thresholds, weights=cfg.weights, capacity=cap)
        self._codec = Codec()
        self._feed_keys, self._stale_cache = {}, (frozenset(), {})
        self.demo = d.get("demo") is True
        clock = wire._dt(d.get("data_clock"))
        self._data_clock = clock
        fn = (lambda: clock) if clock is not None else None
        feeds = d.get("feeds")
        feeds = feeds if isinstance(feeds, dict) else {}
        self._status = {st.name: st for st in (wire.status_from(v, fn) for v in list(feeds.values())[:100]) if st}
        info = d.get("feed_info")
        self._info = info if isinstance(info, dict) else {}
        self._set_replay(d.get("replay_date"))
        self.history_error = safe(d["history_error"], limit=300) if isinstance(d.get("history_error"), str) else None
        alert_state = d.get("alert_state")
        self._alert_state = alert_state if isinstance(alert_state, dict) else {}
        self._build_alerts()
        self.alert_events = []
        obs = self._ingest(d.get("observations"))
        self._record_events(obs, self.engine.snapshot)
        self.snapshots += 1
        self._first.set()

    def _apply_update(self, d: dict[str, Any]) -> None:
        feeds = d.get("feeds")
        for v in (feeds.values() if isinstance(feeds, dict) else ()):
            st = wire.status_from(v, (lambda: self._data_clock) if self._data_clock is not None else None)
            if st is not None and (st.name in self._status or len(self._status) < 100):
                self._status[st.name] = st
        rules = d.get("alert_rules")
        if isinstance(rules, dict) and rules:
            saved = self._alert_state.setdefault("rules", {})
            if isinstance(saved, dict):
                saved.update(rules)
            self._build_alerts()
        events = d.get("alerts")
        evs = [e for e in (wire.alert_event_from(x) for x in (events if isinstance(events, list) else [])[:100]) if e]
        self.alert_events = evs  # a new list per update: the dashboard shows each once
        self._set_replay(d.get("replay_date"))
        obs = self._ingest(d.get("observations"))
        self._record_events(obs, self.engine.snapshot)
        self.updates += 1

    def _ingest(self, records: Any) -> list[Any]:
        obs, bad = wire.decode_records(records, self._codec)
        self.skipped += bad
        for o in obs:
            self._feed_keys.setdefault(o.feed, set()).add(o.key)
        if obs:
            self.engine.ingest(obs)
        return obs

    def _set_replay(self, v: Any) -> None:
        if isinstance(v, str) and len(v) <= 10:
            try:
                self._replay = date.fromisoformat(v)
            except ValueError:
                pass

    def _build_alerts(self) -> None:
        from engine.alerts import AlertEngine

        try:
            # The collector's rules, built as its Session.setup_alerts builds them (filing rules too, where
            # the session has them), so the states it sends fit them.
            more = getattr(self, "filing_rules", None)
            self.alerts = AlertEngine(self.alert_rules() + (more() if more is not None else []), self._alert_state)
        except (ValueError, TypeError, KeyError) as exc:  # rules this client cannot build: alerts off here
            self.alerts = None
            self.record_error("alert rules from the collector", exc)

    async def aclose(self) -> None:
        for t in [self._task, *self._posts]:
            if t is not None:
                t.cancel()
        for t in [self._task, *self._posts]:
            if t is not None:
                try:
                    await t
                except (asyncio.CancelledError, Exception):
                    pass
        self._task = None


def connected_session(url: str, token_env: str | None) -> RemoteSession | int:
    """The session a `--connect` dashboard reads (gpurisk/cli.py starts the dashboard on it), or
    2 after one line on stderr for a bad URL or a token variable that is unset."""
    if not url.startswith(("http://", "https://")) or not urlsplit(url).netloc:
        print(f"gpurisk: --connect: not an http(s) URL: {safe(url, limit=200)!r}", file=sys.stderr)
        return 2
    token = None
    if token_env:
        token = os.environ.get(token_env, "")
        if not token:
            print(f"gpurisk: --token-env {safe(token_env, limit=60)}: the variable is not set or empty",
                  file=sys.stderr)
            return 2
        from feeds.textsafe import register_secret

        register_secret(token)
    return RemoteSession(url, token)
