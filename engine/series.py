"""Bounded time series on numpy ring buffers.

A dashboard stays open for days: history per series is capped, so memory is flat
with uptime. Appends are O(1); reads return ordered copies.
"""

from __future__ import annotations

import numpy as np


class RingSeries:
    """Fixed-capacity (timestamp, value) series; oldest points fall off."""

    __slots__ = ("_t", "_v", "_n", "_head", "capacity")

    def __init__(self, capacity: int = 2048) -> None:
        if capacity < 2:
            raise ValueError("capacity must be at least 2")
        self.capacity = capacity
        self._t = np.zeros(capacity, dtype=np.float64)
        self._v = np.zeros(capacity, dtype=np.float64)
        self._n = 0
        self._head = 0  # index where the next point goes

    def __len__(self) -> int:
        return self._n

    def append(self, t: float, v: float) -> None:
        """Add a point. A point older than the last one replaces nothing: it is
        inserted in order only if it is newer; same timestamp overwrites."""
        if self._n:
            last_i = (self._head - 1) % self.capacity
            last_t = self._t[last_i]
            if t == last_t:
                self._v[last_i] = v
                return
            if t < last_t:
                return  # out-of-order late point: history is append-only
        self._t[self._head] = t
        self._v[self._head] = v
        self._head = (self._head + 1) % self.capacity
        if self._n < self.capacity:
            self._n += 1

    def _order(self) -> np.ndarray:
        start = (self._head - self._n) % self.capacity
        return (np.arange(self._n) + start) % self.capacity

    def times(self) -> np.ndarray:
        return self._t[self._order()]

    def values(self) -> np.ndarray:
        return self._v[self._order()]

    def last(self) -> tuple[float, float] | None:
        if not self._n:
            return None
        i = (self._head - 1) % self.capacity
        return float(self._t[i]), float(self._v[i])

    def previous(self) -> tuple[float, float] | None:
        """The point before the last one."""
        if self._n < 2:
            return None
        i = (self._head - 2) % self.capacity
        return float(self._t[i]), float(self._v[i])

    def value_at(self, t: float) -> float | None:
        """Value of the last point at or before ``t`` (None if none)."""
        if not self._n:
            return None
        times = self.times()
        i = int(np.searchsorted(times, t, side="right")) - 1
        if i < 0:
            return None
        return float(self.values()[i])

    def tail(self, n: int) -> np.ndarray:
        """The last ``n`` values, oldest first."""
        n = min(n, self._n)
        if n <= 0:
            return np.empty(0)
        idx = (np.arange(self._head - n, self._head)) % self.capacity
        return self._v[idx]
