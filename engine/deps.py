"""Which indicators read an input key: the engine's "recompute what depends on it".

Each indicator declares its inputs as patterns (``fin/*/total_debt``, ``price/H100 SXM/*``).
Matching every pattern against every new key is most of a first ingest (about 50
indicators, 250 patterns, a few hundred keys), so the patterns are filed by their first
path segment (``fin``, ``price``...) and a key is matched only against its own
segment's patterns; the answer is kept per key. A key's dependents are the same for
every engine built on the same indicators (a what-if, a peer, a reconnect), so that
memo is shared by them.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain
from typing import Any

from .indicator import Indicator, _glob, moves_period

_WILD = frozenset("*?[")


class Dependents:
    """``deps(key)``: the names of the indicators whose inputs match ``key``, in catalogue
    order; the same answer as asking each ``Indicator.depends_on`` in turn."""

    def __init__(self, indicators: Mapping[str, Indicator]) -> None:
        self._indicators = indicators
        self._order = {name: i for i, name in enumerate(indicators)}
        self._memo: dict[str, tuple[str, ...]] = {}
        self._by_segment: dict[str, list[tuple[str, str]]] = {}  # "fin" -> [(pattern, name)]
        self._anywhere: list[tuple[str, str]] = []  # patterns with a wildcard in their first segment
        self._periodic: list[str] = []  # a new balance sheet moves the period they are evaluated at
        self._custom: list[str] = []  # a class with its own depends_on: asked
        for name, ind in indicators.items():
            if type(ind).depends_on is not Indicator.depends_on:
                self._custom.append(name)
                continue
            if ind.periodic:
                self._periodic.append(name)
            for pattern in ind.inputs:
                segment = pattern.partition("/")[0]
                if _WILD.isdisjoint(segment):
                    self._by_segment.setdefault(segment, []).append((pattern, name))
                else:
                    self._anywhere.append((pattern, name))

    def __call__(self, key: str) -> tuple[str, ...]:
        deps = self._memo.get(key)
        if deps is None:
            found: set[str] = set()
            for pattern, name in chain(self._by_segment.get(key.partition("/")[0], ()), self._anywhere):
                if name not in found and _glob(pattern, key):
                    found.add(name)
            if moves_period(key):
                found.update(self._periodic)
            found.update(n for n in self._custom if self._indicators[n].depends_on(key))
            deps = self._memo[key] = tuple(sorted(found, key=self._order.__getitem__))
        return deps


#: One :class:`Dependents` per set of indicators and inputs, shared by the engines built
#: on it. Bounded: a handful of indicator sets at most.
_SHARED: dict[tuple[Any, ...], Dependents] = {}
_SETS = 8


def shared_dependents(indicators: Mapping[str, Indicator]) -> Dependents:
    # What ``Indicator.depends_on`` reads (and the class, should one override it). An engine's
    # indicators are fixed once it is built: the memo is bound to them.
    sig = tuple((n, type(i), i.inputs, i.periodic) for n, i in indicators.items())
    deps = _SHARED.get(sig)
    if deps is None:
        if len(_SHARED) >= _SETS:
            _SHARED.clear()
        deps = _SHARED[sig] = Dependents(indicators)
    return deps
