"""Bounded time series on fixed-size ring buffers.

A dashboard stays open for days: history per series is capped, so memory is flat
with uptime. Appends are O(1); a look-up by time is a binary search over the two
ordered halves of the ring. Plain ``array('d')`` rather than numpy: the series is
touched a few points at a time, and keeping numpy off the start-up path saves a
noticeable part of the time to the first frame.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from datetime import date, timedelta


def add_business_days(d: date, n: int) -> date:
    """The ``n``-th weekday after ``d`` (Saturday and Sunday do not count): how fresh a daily
    series must be (the engine judges rates and closes at a period, the feeds their data)."""
    out = d
    while n > 0:
        out += timedelta(days=1)
        if out.weekday() < 5:
            n -= 1
    return out


class RingSeries:
    """Fixed-capacity (timestamp, value) series; oldest points fall off."""

    __slots__ = ("_t", "_v", "_n", "_head", "capacity")

    def __init__(self, capacity: int = 2048) -> None:
        if capacity < 2:
            raise ValueError("capacity must be at least 2")
        self.capacity = capacity
        self._t = array("d", bytes(8 * capacity))
        self._v = array("d", bytes(8 * capacity))
        self._n = 0
        self._head = 0  # index where the next point goes

    def __len__(self) -> int:
        return self._n

    def append(self, t: float, v: float) -> None:
        """Add a point. The same timestamp overwrites the last point; an older one
        is ignored (history is append-only, so a late point cannot reorder it)."""
        if self._n:
            last_i = (self._head - 1) % self.capacity
            last_t = self._t[last_i]
            if t == last_t:
                self._v[last_i] = v
                return
            if t < last_t:
                return
        self._t[self._head] = t
        self._v[self._head] = v
        self._head = (self._head + 1) % self.capacity
        if self._n < self.capacity:
            self._n += 1

    def _segments(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The ring as two ordered index ranges [a, b), oldest first."""
        start = (self._head - self._n) % self.capacity
        if start + self._n <= self.capacity:
            return (start, start + self._n), (0, 0)
        return (start, self.capacity), (0, self._head)

    def _ordered(self, buf: array[float]) -> list[float]:
        (a, b), (c, d) = self._segments()
        return buf[a:b].tolist() + buf[c:d].tolist()

    def times(self) -> list[float]:
        return self._ordered(self._t)

    def values(self) -> list[float]:
        return self._ordered(self._v)

    def last(self) -> tuple[float, float] | None:
        if not self._n:
            return None
        i = (self._head - 1) % self.capacity
        return self._t[i], self._v[i]

    def previous(self) -> tuple[float, float] | None:
        """The point before the last one."""
        if self._n < 2:
            return None
        i = (self._head - 2) % self.capacity
        return self._t[i], self._v[i]

    def point_at(self, t: float) -> tuple[float, float] | None:
        """(time, value) of the last point at or before ``t`` (None if none)."""
        (a, b), (c, d) = self._segments()
        if d > c and t >= self._t[c]:  # in the newer half
            i = bisect_right(self._t, t, c, d) - 1
            return self._t[i], self._v[i]
        if b > a and t >= self._t[a]:
            i = bisect_right(self._t, t, a, b) - 1
            return self._t[i], self._v[i]
        return None

    def value_at(self, t: float) -> float | None:
        """Value of the last point at or before ``t`` (None if none)."""
        (a, b), (c, d) = self._segments()
        if d > c and t >= self._t[c]:  # in the newer half
            i = bisect_right(self._t, t, c, d) - 1
            return self._v[i]
        if b > a and t >= self._t[a]:
            i = bisect_right(self._t, t, a, b) - 1
            return self._v[i]
        return None

    def tail(self, n: int) -> list[float]:
        """The last ``n`` values, oldest first."""
        n = min(n, self._n)
        if n <= 0:
            return []
        start = (self._head - n) % self.capacity
        if start + n <= self.capacity:
            return self._v[start : start + n].tolist()
        return self._v[start:].tolist() + self._v[: self._head].tolist()
