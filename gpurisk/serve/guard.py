"""The collector's door: how many connections it holds, from whom, and for how long.

Why its own layer under aiohttp: aiohttp (3.9, our floor) has no header-read timeout
and no connection cap, so a few hundred connections that never finish a request
(half-open, or trickling a header) used to hold every file descriptor the process
may open and take ``/healthz`` down. Here each accepted connection passes a gate:

- at most ``max_total`` open connections (below the process's file limit, read with
  ``resource.getrlimit``) and ``max_per_addr`` from one address;
- at the cap, the oldest *idle* connection (no request in progress: headers not
  complete yet, or keep-alive between requests) gives way to the new one, preferring
  one of the same address; if none is idle the new connection is closed at once;
- a connection idle for ``header_timeout`` seconds (from its start or from the end of
  its last response) is closed: headers must arrive whole within that time;
- a request body must arrive within ``body_timeout`` seconds (408 otherwise).

Every time a limit bites it is logged (at most one line per kind every 10 s, with counts).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

log = logging.getLogger("gpurisk.serve")

HEADER_TIMEOUT = 10.0  # seconds for a request's headers (also the keep-alive idle limit)
BODY_TIMEOUT = 10.0  # seconds for a request's body
MAX_CONNECTIONS = 4096  # total, before the file limit lowers it
RESERVE_FDS = 64  # descriptors kept for the history file, logs, feeds' own requests
LOG_EVERY = 10.0


def file_limit() -> int:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 1024
    return soft if soft > 0 else 1 << 20


def default_limits(nofile: int | None = None) -> tuple[int, int]:
    """(total, per address) for a process allowed ``nofile`` descriptors."""
    nofile = file_limit() if nofile is None else nofile
    reserve = max(RESERVE_FDS, nofile // 4)
    total = max(16, min(MAX_CONNECTIONS, nofile - reserve))
    return total, max(8, total // 4)


class Conn:
    __slots__ = ("transport", "addr", "since", "busy")

    def __init__(self, transport: Any, addr: str) -> None:
        self.transport, self.addr, self.since, self.busy = transport, addr, time.monotonic(), 0


class Guard:
    def __init__(self, max_total: int | None = None, max_per_addr: int | None = None,
                 header_timeout: float = HEADER_TIMEOUT, body_timeout: float = BODY_TIMEOUT) -> None:
        total, per = default_limits()
        self.max_total = max_total or total
        self.max_per_addr = max_per_addr or min(per, self.max_total)
        self.header_timeout, self.body_timeout = header_timeout, body_timeout
        self.conns: dict[Any, Conn] = {}
        self.per_addr: dict[str, int] = {}
        self.counts = {"refused": 0, "evicted": 0, "header_timeout": 0, "body_timeout": 0}
        self._logged: dict[str, float] = {}
        self._sweeper: asyncio.Task[None] | None = None

    # --- accounting ------------------------------------------------------------------------
    def _bite(self, kind: str, message: str, *args: Any) -> None:
        self.counts[kind] += 1
        now = time.monotonic()
        if now - self._logged.get(kind, -LOG_EVERY) >= LOG_EVERY:
            self._logged[kind] = now
            log.warning(message + " (%d so far; %d connections open)", *args, self.counts[kind], len(self.conns))

    def admit(self, transport: Any) -> bool:
        peer = transport.get_extra_info("peername")
        addr = str(peer[0]) if isinstance(peer, (tuple, list)) and peer else "?"
        full_addr = self.per_addr.get(addr, 0) >= self.max_per_addr
        if len(self.conns) >= self.max_total or full_addr:
            victim = self._idlest(addr if full_addr else None)
            if victim is None:
                self._bite("refused", "connection from %s refused: %s", addr,
                           f"{self.max_per_addr} open from that address" if full_addr
                           else f"{self.max_total} open in total")
                return False
            self._bite("evicted", "idle connection from %s closed to make room (limit %d in total, %d per address)",
                       victim.addr, self.max_total, self.max_per_addr)
            self._close(victim)
        self.conns[transport] = Conn(transport, addr)
        self.per_addr[addr] = self.per_addr.get(addr, 0) + 1
        return True

    def release(self, transport: Any) -> None:
        c = self.conns.pop(transport, None)
        if c is not None:
            n = self.per_addr.get(c.addr, 1) - 1
            if n > 0:
                self.per_addr[c.addr] = n
            else:
                self.per_addr.pop(c.addr, None)

    def _idlest(self, addr: str | None) -> Conn | None:
        idle = [c for c in self.conns.values() if not c.busy and (addr is None or c.addr == addr)]
        return min(idle, key=lambda c: c.since) if idle else None

    def _close(self, c: Conn) -> None:
        self.release(c.transport)
        try:
            c.transport.abort()  # frees the descriptor now, whatever is unsent
        except Exception:
            pass

    def sweep(self) -> None:
        """Close connections idle past the header timeout."""
        cut = time.monotonic() - self.header_timeout
        for c in [c for c in self.conns.values() if not c.busy and c.since < cut]:
            self._bite("header_timeout", "connection from %s closed: no complete request headers in %g s",
                       c.addr, self.header_timeout)
            self._close(c)

    async def _sweep_forever(self) -> None:
        step = max(0.05, min(1.0, self.header_timeout / 4))
        while True:
            await asyncio.sleep(step)
            self.sweep()

    def start(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.ensure_future(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            try:
                await self._sweeper
            except asyncio.CancelledError:
                pass
            self._sweeper = None

    def stats(self) -> dict[str, Any]:
        return {"open": len(self.conns), "limit": self.max_total, "per_address_limit": self.max_per_addr,
                **self.counts}

    # --- the aiohttp side -----------------------------------------------------------------------
    @web.middleware
    async def middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        """Marks the connection busy while a request is handled; reads a body within the timeout."""
        c = self.conns.get(request.transport)
        if c is not None:
            c.busy += 1
        try:
            if request.body_exists:
                try:
                    await asyncio.wait_for(request.read(), self.body_timeout)
                except TimeoutError:
                    self._bite("body_timeout", "request body from %s not received in %g s", c.addr if c else "?",
                               self.body_timeout)
                    return web.Response(status=408, text="408: the request body did not arrive in time\n",
                                        headers={"Connection": "close"})
            return await handler(request)
        finally:
            if c is not None:
                c.busy -= 1
                c.since = time.monotonic()


class _Gate(asyncio.Protocol):
    """Stands before aiohttp's protocol: admits, counts and releases the connection."""

    def __init__(self, inner: Any, guard: Guard) -> None:
        self.inner, self.guard, self.transport, self.open = inner, guard, None, False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        if not self.guard.admit(transport):
            transport.abort()
            return
        self.open = True
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.open:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.open else None

    def pause_writing(self) -> None:
        if self.open:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.open:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.release(self.transport)
        if self.open:
            self.open = False
            self.inner.connection_lost(exc)


class GuardedSite(web.TCPSite):
    """aiohttp's TCPSite with every connection passing ``guard``."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, guard: Guard) -> None:
        super().__init__(runner, host, port)
        self.guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        guard = self.guard
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Gate(server(), guard), self._host, self._port, backlog=self._backlog,
            reuse_address=self._reuse_address)
        if hasattr(self, "_bound_port") and self._server.sockets:
            self._bound_port = self._server.sockets[0].getsockname()[1]
        guard.start()


def pending_bytes(transport: Any) -> int:
    """Bytes sent to this peer and not yet taken by it: asyncio's buffer plus the kernel's
    send queue (Linux TIOCOUTQ). A client that reads keeps this near 0."""
    if transport is None or transport.is_closing():
        return 0
    n = transport.get_write_buffer_size()
    sock = transport.get_extra_info("socket")
    try:
        import fcntl
        import struct
        import termios

        n += struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    except (ImportError, OSError, AttributeError, ValueError):
        pass
    return n
