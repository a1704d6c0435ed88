"""Bounds on one HTTP poll: a total deadline across its attempts, a capped body.

Why a module of its own: a source that hangs, drips or sends a compression bomb must
cost a bounded time and a bounded amount of memory, whatever the feed. Two tools:

* :func:`poll_deadline` opens a deadline for everything a poll does (every request, every
  retry, every backoff sleep); :func:`time_left` tells a request how long it still has.
  The runner opens one per poll; a request made outside a poll gets its feed's own.
* :func:`read_capped` reads a response body, decompressing ``gzip``/``deflate``
  ourselves with a bounded output per step, so a 60 kB body that inflates to 60 MB is
  refused after at most ``limit`` + one step of decompressed bytes, never held whole.

No Textual, no feed classes: plain functions over httpx responses.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .base import FeedError

if TYPE_CHECKING:  # the demo's first frame never loads httpx (it costs ~50 ms)
    import httpx

#: Decompressed bytes produced per step (the most held beyond the cap at any time).
STEP = 256 * 1024
#: What we accept: the codings :class:`_Inflater` handles (no brotli/zstd surprises).
ACCEPT_ENCODING = "gzip, deflate"

_END: contextvars.ContextVar[float | None] = contextvars.ContextVar("gpurisk_poll_deadline", default=None)


def now() -> float:
    return time.monotonic()


@contextlib.contextmanager
def poll_deadline(seconds: float | None) -> Iterator[float | None]:
    """Everything awaited inside shares one deadline ``seconds`` from now (None: none).
    A deadline already open and earlier is kept (a poll inside a command's deadline)."""
    end = None if seconds is None else now() + seconds
    outer = _END.get()
    if outer is not None and (end is None or outer < end):
        end = outer
    token = _END.set(end)
    try:
        yield end
    finally:
        _END.reset(token)


def deadline_end() -> float | None:
    """The monotonic time the current poll must end by (None: no poll deadline open)."""
    return _END.get()


def secs(x: float) -> str:
    """Seconds for a message: ``0.2``, ``4.5``, ``62``."""
    if x < 10:
        return f"{x:.1f}".rstrip("0").rstrip(".") or "0"
    return f"{x:.0f}"


def size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"


class _Inflater:
    """gzip (several members allowed) or deflate (zlib-wrapped or raw), a step at a time."""

    def __init__(self, coding: str) -> None:
        self.gzip = coding in ("gzip", "x-gzip")
        self.raw_tried = False
        self.started = False
        self.d = self._new()

    def _new(self, raw: bool = False) -> zlib._Decompress:
        if self.gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self.d.decompress(data, STEP)
            except zlib.error:
                if not self.gzip and not self.started and not self.raw_tried:  # deflate without the zlib header
                    self.raw_tried = True
                    self.d = self._new(raw=True)
                    continue
                raise
            self.started = True
            if out:
                yield out
            data = self.d.unconsumed_tail
            if self.d.eof and self.gzip and self.d.unused_data:  # the next gzip member
                data, self.d = self.d.unused_data, self._new()
                continue
            if not data and len(out) < STEP:
                return

    def finish(self) -> bytes:
        if self.started and not self.d.eof:
            raise zlib.error("stream ends before its end marker")
        return self.d.flush(STEP)


async def read_capped(resp: httpx.Response, limit: int, host: str) -> bytes:
    """The body, decoded from gzip/deflate, refused past ``limit`` bytes *while* streaming."""
    too_big = FeedError(f"response larger than {size(limit)}")
    codings = [c.strip().lower() for c in resp.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
        raise FeedError(f"unsupported content encoding {', '.join(codings)[:30]!r} from {host}")
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    inflater = _Inflater(codings[0]) if codings else None
    buf = bytearray()
    try:
        async for raw in resp.aiter_raw():
            pieces = (raw,) if inflater is None else inflater.feed(raw)
            for piece in pieces:
                if len(buf) + len(piece) > limit:
                    raise too_big
                buf += piece
        if inflater is not None:
            tail = inflater.finish()
            if len(buf) + len(tail) > limit:
                raise too_big
            buf += tail
    except zlib.error:
        raise FeedError(f"corrupt compressed body from {host}") from None
    return bytes(buf)


__all__ = ["ACCEPT_ENCODING", "deadline_end", "poll_deadline", "read_capped", "secs", "size"]
