"""The collector's core: one Session polled as the dashboard polls it, and its updates fanned out.

Why separate from the HTTP layer (app.py): the polling, the sequence numbers, the
bounded backlog and the per-client queues are what the tests and the benchmark
measure; the server only moves their bytes. No aiohttp and no Textual here.

Polling is the Session's scheduler (gpurisk/scheduler.py), run headless: the same
cadence, floors and one poll in flight per feed as the dashboard's. Each poll that changed something
becomes ONE ``update`` event, encoded once and shared by every client: the
observations ingested (codec records, so a client's engine mirrors this one), the
indicator results and price rows that changed, the polled feed's state, alert events
and the alert rules whose state moved. Clients get a queue each, bounded: a client
that falls behind is dropped (it reconnects and is sent a snapshot) instead of
stalling the others or growing memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict, deque
from datetime import UTC, datetime
from typing import Any

from feeds.textsafe import safe_obj
from gpurisk.scheduler import PollResult

from . import wire

log = logging.getLogger("gpurisk.serve")

BACKLOG = 256  # update events kept for clients that resume with Last-Event-ID
QUEUE = 64  # events waiting for one client before it is dropped
MAX_CLIENTS = 64
#: Bytes of observation records in a new client's snapshot (about; the newest ones): the
#: rest of the kept window is fetched by range from ``/api/observations``.
SNAPSHOT_BUDGET = 2_000_000


def _dumps(obj: Any) -> str:
    from engine.jsonable import jsonable

    return json.dumps(jsonable(obj), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sse(event: str, seq: int, data: str) -> bytes:
    """One Server-Sent Event. ``data`` is one line of JSON (json.dumps escapes newlines)."""
    return f"id: {seq}\nevent: {event}\ndata: {data}\n\n".encode()


class Client:
    """One connected event stream: a bounded queue of encoded events. ``pending()`` tells
    how many bytes it has not taken yet and ``abort()`` closes its socket (the HTTP layer
    sets both; a client that never reads is evicted when the slots are full)."""

    def __init__(self, size: int = QUEUE) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=size)
        self.dropped = False
        self.pending: Any = lambda: 0
        self.abort: Any = lambda: None

    def put(self, data: bytes) -> bool:
        try:
            self.queue.put_nowait(data)
            return True
        except asyncio.QueueFull:
            self.drop()
            return False

    def drop(self) -> None:
        """Stop this client: its writer sees ``None`` (or the flag) and ends the response."""
        self.dropped = True
        while not self.queue.empty():  # free its backlog now
            self.queue.get_nowait()
        self.queue.put_nowait(None)
        self.abort()  # its socket closed now, not after a last write it may never take


class Collector:
    def __init__(self, session: Any, backlog: int = BACKLOG, window: int | None = None,
                 max_clients: int = MAX_CLIENTS, queue: int = QUEUE) -> None:
        self.session = session
        self.started = datetime.now(UTC)
        # Numbers start at the start time in ms: a client resuming with an id from an earlier
        # run of the collector is below this run's backlog, so it is sent a snapshot.
        self.seq = int(self.started.timestamp() * 1000)
        self.backlog: deque[tuple[int, bytes]] = deque(maxlen=backlog)
        # Distinct observations per key kept for a new client's engine: as many as the
        # engine itself keeps per key, so the client's engine holds what this one holds.
        self.window = window or session.engine.state.capacity
        self._buffer: dict[str, OrderedDict[tuple[Any, ...], list[Any]]] = {}
        self._pending: list[list[Any]] = []  # records ingested since the last publish
        self.clients: set[Client] = set()
        self.max_clients, self.queue_size = max_clients, queue
        self.dropped_clients = 0
        self.refused_clients, self._refused_logged = 0, -10.0
        self.updates = 0
        self.bytes_sent = 0  # update bytes queued to clients (the benchmark's figure)
        self.scheduler = session.scheduler  # headless: its polls are asyncio tasks
        self.scheduler.on_result = self._polled
        self._alert_sent: dict[str, Any] = {}
        self._feed_sent: dict[str, Any] = {}
        self._snap_seq = -1  # the engine snapshot last published (its changes are sent once)
        session.on_ingest = self._ingested

    # --- what the engine holds -------------------------------------------------------
    def seed(self, observations: list[Any]) -> None:
        """The observations the session replayed from history: new clients get them too."""
        for o in observations:
            self._keep(o.key, wire.record(o))

    def _keep(self, key: str, rec: list[Any]) -> None:
        """Keep ``rec`` among the last ``window`` distinct observations of its key: a source
        that sends the same facts every poll must not push older facts the engine still
        holds out of what a new client is given."""
        buf = self._buffer.get(key)
        if buf is None:
            buf = self._buffer[key] = OrderedDict()
        ident = (rec[0], rec[1], rec[5])  # kind, as_of, payload: not when or by whom it was fetched
        if ident in buf:
            buf.move_to_end(ident)
        buf[ident] = rec
        if len(buf) > self.window:
            buf.popitem(last=False)

    def _ingested(self, feed: str, observations: list[Any]) -> None:
        for o in observations:
            rec = wire.record(o)
            self._keep(o.key, rec)
            self._pending.append(rec)

    def held(self) -> list[list[Any]]:
        """Every kept record, oldest first (one batch: the engine keeps each day's point)."""
        out = [r for buf in self._buffer.values() for r in buf.values()]
        out.sort(key=lambda r: r[1])
        return out

    def newest_within(self, budget: int, before: float | None = None,
                      since: float | None = None) -> tuple[list[list[Any]], float | None]:
        """The newest kept records with ``since <= as_of < before`` that fit ``budget`` bytes
        (about), oldest first, and the ``as_of`` below which more are kept (None: no more).
        A cut never splits one ``as_of``: a range is whole."""
        recs = [r for r in self.held() if (before is None or r[1] < before) and (since is None or r[1] >= since)]
        total, i = 0, len(recs)
        while i > 0:
            j, t = i, recs[i - 1][1]
            while j > 0 and recs[j - 1][1] == t:
                j -= 1
            size = sum(len(r[5]) + len(r[3]) + len(r[4]) + 64 for r in recs[j:i])
            if total and total + size > budget:
                break
            total, i = total + size, j
        return recs[i:], (recs[i][1] if i > 0 else None)  # the first as_of always fits: i < len(recs)

    # --- polling ------------------------------------------------------------------------
    def start(self) -> None:
        if self.session.alerts is not None:
            self._alert_sent = self.session.alerts.to_dict().get("rules", {})
        self.scheduler.start()

    async def poll(self, name: str) -> None:
        """Poll ``name`` now (through the scheduler: never beside a poll of it in flight) and publish."""
        await self.scheduler.poll_once(name)

    def _polled(self, result: PollResult) -> None:
        """The scheduler's callback, right after a poll: its update event."""
        records, self._pending = self._pending, []
        if result.error is not None:
            self.session.record_error(f"poll of {result.name}", result.error)
            return
        try:
            self.publish(result.name, result.value, records)
        except Exception as exc:
            self.session.record_error("collector publish", exc)

    async def stop(self) -> None:
        await self.scheduler.aclose()
        for c in list(self.clients):
            c.drop()

    # --- events -------------------------------------------------------------------------
    def _alert_changes(self) -> dict[str, Any]:
        alerts = self.session.alerts
        if alerts is None:
            return {}
        now = alerts.to_dict().get("rules", {})
        moved = {n: e for n, e in now.items() if self._alert_sent.get(n) != e}
        self._alert_sent = now
        return moved

    def publish(self, feed: str | None, snap: Any, records: list[list[Any]], acked: list[str] | None = None) -> bool:
        """Make one update event of what moved; False (nothing sent) when nothing did."""
        feeds: dict[str, Any] = {}
        for name in ([feed] if feed else []):
            st = wire.status_json(self.session.status[name])
            if self._feed_sent.get(name) != st:
                feeds[name] = self._feed_sent[name] = st
        alerts = self._alert_changes()
        events = [e.to_dict() for e in (self.session.alert_events or [])] if feed else []
        if not (records or feeds or alerts or events or acked):
            return False
        changed = snap.changed if records and snap.seq != self._snap_seq else frozenset()
        self._snap_seq = snap.seq
        doc: dict[str, Any] = {"indicators": {}, "prices": []}
        if changed:
            from gpurisk.snapshot_json import snapshot_json

            now = datetime.now(UTC)
            full = snapshot_json(snap, self.session.status, self.session.demo, now, self.session.stale_indicators(now))
            doc["indicators"] = {k[4:]: full["indicators"][k[4:]] for k in changed
                                 if k.startswith("ind/") and k[4:] in full["indicators"]}
            doc["prices"] = [r for r in full["prices"] if f"price/{r['sku']}/{r['tier']}" in changed]
            doc["score"] = full["score"]
        self.seq += 1
        body = {"seq": self.seq, "feed": feed, "observations": records, "feeds": safe_obj(feeds),
                "alerts": safe_obj(events), "alert_rules": safe_obj(alerts), "acknowledged": acked or [],
                "replay_date": self._replay_date(), **doc}
        data = sse(wire.UPDATE, self.seq, _dumps(body))
        self.backlog.append((self.seq, data))
        self.updates += 1
        for c in list(self.clients):
            if c.put(data):
                self.bytes_sent += len(data)
            else:
                self.clients.discard(c)
                self.dropped_clients += 1
                log.warning("event client dropped: %d events behind", self.queue_size)
        return True

    def _replay_date(self) -> str | None:
        d = self.session.replay_date()
        return d.isoformat() if d is not None else None

    def acknowledge(self, rule: str | None, undo: list[str] | None = None) -> list[str]:
        """``POST /api/ack``: acknowledge (or undo one), then tell every client at once."""
        s = self.session
        done = s.alerts.unacknowledge(undo) if undo is not None and s.alerts is not None else s.acknowledge(rule)
        if undo is not None and done:
            from gpurisk.alerting import save_alert_state

            save_alert_state(s.alerts, s._alert_store)
        if done:
            self.publish(None, s.snapshot, [], acked=done)
        return done

    def snapshot_event(self) -> bytes:
        """The full state for a client that starts (or cannot be caught up from the backlog):
        the newest kept observations within SNAPSHOT_BUDGET bytes; ``older`` says how many
        more are kept and below which ``as_of`` (``GET /api/observations?before=...``)."""
        from gpurisk import __version__
        from gpurisk.snapshot_json import snapshot_json

        s = self.session
        now = datetime.now(UTC)
        clock = s.runner.clock() if s.demo else None  # the demo judges ages on its replay day
        recent, cut = self.newest_within(SNAPSHOT_BUDGET)
        n_older = sum(len(b) for b in self._buffer.values()) - len(recent)
        body = {
            "protocol": wire.PROTOCOL, "seq": self.seq, "version": __version__, "demo": s.demo,
            "settings": wire.settings_json(s.config, s.engine),
            "feeds": safe_obj({n: wire.status_json(st) for n, st in s.status.items()}),
            "feed_info": safe_obj({n: {"describe": s.feed(n).describe(), "demo": bool(s.feed(n).demo)}
                                   for n in s.feed_names()}),
            "alert_state": safe_obj(s.alerts.to_dict()) if s.alerts is not None else None,
            "snapshot": snapshot_json(s.snapshot, s.status, s.demo, now, s.stale_indicators(now)),
            "observations": recent,
            "older": {"count": n_older, "before": cut} if cut is not None else None,
            "replay_date": self._replay_date(),
            "data_clock": clock.isoformat() if isinstance(clock, datetime) else None,
            "history_error": s.history_error,
        }
        return sse(wire.SNAPSHOT, self.seq, _dumps(body))

    def subscribe(self, last_id: str | None, client: Client | None = None) -> tuple[Client, list[bytes]] | None:
        """A new client and what to send it first (a snapshot, or the updates it missed);
        None when there are too many clients and none of them is stuck (has bytes it does
        not take: the most stuck one gives way). Synchronous: nothing is published between
        choosing the first events and registering the queue."""
        if len(self.clients) >= self.max_clients and not self._evict_stuck():
            return None
        first = self.missed(last_id)
        if first is None:
            first = [self.snapshot_event()]
        c = client or Client(self.queue_size)
        self.clients.add(c)
        return c, first

    def missed(self, last_id: str | None) -> list[bytes] | None:
        """The updates after ``last_id`` when the backlog still holds them all, else None."""
        if last_id is None or not last_id.strip().isdigit() or len(last_id) > 18:
            return None
        n = int(last_id)
        if n > self.seq:  # a collector restarted since: its numbers started over
            return None
        if n == self.seq:
            return []
        if not self.backlog or self.backlog[0][0] > n + 1:
            return None
        return [data for seq, data in self.backlog if seq > n]

    def _evict_stuck(self) -> bool:
        stuck = [(n, c) for c in self.clients if (n := c.pending()) > 0]
        if not stuck:
            self.refused_clients += 1
            now = time.monotonic()
            if now - self._refused_logged >= 10.0:  # one line every 10 s at most, with the count
                self._refused_logged = now
                log.warning("event client refused: %d clients, all reading (%d refused so far)", self.max_clients,
                            self.refused_clients)
            return False
        n, c = max(stuck, key=lambda x: x[0])
        self.clients.discard(c)
        self.dropped_clients += 1
        log.warning("event client dropped to make room: %d bytes sent it are still not taken", n)
        c.drop()
        return True

    def unsubscribe(self, c: Client) -> None:
        self.clients.discard(c)

    def health(self) -> dict[str, Any]:
        st = self.session.status
        up = sum(1 for s in st.values() if s.display_state() == "OK")
        return {"up": True, "feeds_up": up, "feeds_total": len(st), "seq": self.seq, "demo": self.session.demo,
                "clients": len(self.clients)}
