"""The indicator framework: declared inputs, thresholds, results with provenance.

An indicator is a pure function of a :class:`Context`. Every value it reads goes
through the context, which records it (value, as-of, source) so the result can
explain itself, and raises :class:`NoData` when an input is missing, so a missing
feed shows as *no data*, never as a calm zero. ``inputs`` are key patterns
(``fin/*/total_assets``, ``price/H100 SXM/*``): the engine recomputes an indicator
only when an observation with a matching key arrives.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Literal

from .errors import GpuriskError

if TYPE_CHECKING:
    from .context import Context

Status = Literal["ok", "watch", "alert", "no_data"]
STATUS_ORDER: dict[str, int] = {"no_data": 0, "ok": 1, "watch": 2, "alert": 3}


class NoData(GpuriskError):
    """An input is missing or unusable; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Threshold:
    """``watch`` and ``alert`` levels; ``higher_is_worse`` sets the direction."""

    watch: float
    alert: float
    higher_is_worse: bool = True

    def status(self, value: float) -> Status:
        """Strictly past a level, as the words say ("watch >5%"); a value within rounding
        noise of a level (67% − 62% = 0.05000000000000004) is not past it."""
        def past(level: float) -> bool:
            tol = 1e-9 * max(1.0, abs(level))
            return value > level + tol if self.higher_is_worse else value < level - tol

        return "alert" if past(self.alert) else "watch" if past(self.watch) else "ok"

    def band(self, margin: float) -> float:
        """The hysteresis band: ``margin`` of the larger of the alert level and the gap between
        the two levels (so a level of zero still gets a band in its own unit)."""
        return margin * max(abs(self.alert), abs(self.watch - self.alert))

    def held(self, value: float, prev: str, margin: float) -> Status:
        """The status with hysteresis: a worse status applies at once; a better one only when the
        value is past the level it left by the band (``margin`` = 0: no hysteresis). Monotone in
        ``value`` for a given ``prev``, so a worse value never reads a better status."""
        raw = self.status(value)
        if margin <= 0 or prev not in ("watch", "alert") or STATUS_ORDER[raw] >= STATUS_ORDER[prev]:
            return raw
        was: Status = "alert" if prev == "alert" else "watch"  # prev is one of the two here
        b = self.band(margin)
        shift = -b if self.higher_is_worse else b
        relaxed = Threshold(self.watch + shift, self.alert + shift, self.higher_is_worse).status(value)
        keep = was if STATUS_ORDER[was] <= STATUS_ORDER[relaxed] else relaxed
        return keep if STATUS_ORDER[keep] > STATUS_ORDER[raw] else raw

    def describe(self, fmt: Callable[[float], str] = "{:g}".format) -> str:
        op = ">" if self.higher_is_worse else "<"
        return f"watch {op}{fmt(self.watch)} alert {op}{fmt(self.alert)}"


@dataclass(frozen=True, slots=True)
class InputRef:
    """One input an indicator read: what, value, as of when, from where."""

    name: str
    value: Any
    as_of: date | datetime | None
    source: str


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    name: str
    title: str
    group: str
    unit: str  # "ratio", "x", "pct", "usd_h", "hhi", "usd", "months", "score"
    value: float | None
    status: Status
    threshold: Threshold | None
    formula: str
    inputs: tuple[InputRef, ...] = ()
    reason: str = ""  # why no data, or a note
    extra: tuple[tuple[str, Any], ...] = ()  # e.g. (("upper", 4278.0),)
    #: The company period the figure was evaluated at (balance-sheet date; flows are TTM
    #: to it), None for figures that do not read the company's financials.
    period: date | None = None
    #: Why an input is older than its series allows (empty: fresh). Old data is STALE, never OK.
    stale: str = ""

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)

    @property
    def as_of(self) -> date | datetime | None:
        """The *oldest* input's date: a figure is only as fresh as its stalest input
        (the newest would hide a stale one)."""
        dates = [i.as_of for i in self.inputs if i.as_of is not None]
        if not dates:
            return None
        return min(dates, key=lambda d: (d.date() if isinstance(d, datetime) else d))


@dataclass(frozen=True, slots=True)
class Computed:
    """What a compute function returns when it wants to add extras."""

    value: float
    extra: dict[str, Any] = field(default_factory=dict)


ComputeFn = Callable[["Context"], "float | Computed"]


def _once(used: list[InputRef]) -> tuple[InputRef, ...]:
    """Each input once (shared intermediates replay theirs), in the order first read."""
    try:
        return tuple(dict.fromkeys(used))
    except TypeError:  # an unhashable value: keep them all
        return tuple(used)


def _glob(pattern: str, key: str) -> bool:
    """``fnmatchcase(key, pattern)`` for patterns whose only wildcard is ``*`` (every input
    pattern of the built-in indicators), without compiling a regex: 51 patterns compiled
    cost some 30 ms of start-up."""
    if "?" in pattern or "[" in pattern:
        return fnmatchcase(key, pattern)
    first, *rest = pattern.split("*")
    if not rest:
        return key == pattern
    last = rest.pop()
    if len(key) < len(first) + len(last) or not key.startswith(first) or not key.endswith(last):
        return False
    pos, end = len(first), len(key) - len(last)
    for part in rest:  # the leftmost match of each middle part leaves the most room for the rest
        i = key.find(part, pos, end)
        if i < 0:
            return False
        pos = i + len(part)
    return True


def moves_period(key: str) -> bool:
    """A new balance sheet: it moves the period every periodic indicator is evaluated at."""
    return key.startswith("fin/") and key.endswith("/total_assets")


@dataclass(frozen=True, slots=True)
class Indicator:
    name: str
    title: str
    group: str  # "gpu", "leverage", "liquidity", "concentration", "market"
    unit: str
    formula: str
    inputs: tuple[str, ...]
    compute: ComputeFn
    threshold: Threshold | None = None
    #: Costly to evaluate (a simulation with numpy): the dashboard holds it back until
    #: after its first frame (:meth:`engine.engine.Engine.hold`).
    heavy: bool = False
    #: None: periodic when it reads company or market data (see :attr:`periodic`); False: always
    #: the latest inputs (a market figure that dates its own inputs, like a note's price).
    period_bound: bool | None = None

    def depends_on(self, key: str) -> bool:
        if self.periodic and moves_period(key):
            return True
        return any(_glob(p, key) for p in self.inputs)

    @property
    def periodic(self) -> bool:
        """Reads the company's reported figures (balance sheet, flows, debt, or market
        data dated to them): evaluated at one balance-sheet period. Concentration
        figures follow their own disclosure period."""
        if self.period_bound is not None:
            return self.period_bound
        return self.group != "concentration" and any(
            p.startswith(("fin/", "debt/", "maturity/", "equity/", "rate/")) for p in self.inputs)

    def evaluate(self, ctx: Context, threshold: Threshold | None = None) -> IndicatorResult:
        """Run ``compute``; never raises for bad data (the reason is reported)."""
        th = threshold or self.threshold
        ctx.begin()
        try:
            out = self.compute(ctx)
        except NoData as exc:
            return self._result(None, "no_data", th, ctx, reason=str(exc))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError, ArithmeticError) as exc:
            return self._result(None, "no_data", th, ctx, reason=f"cannot compute: {exc}")
        value, extra = (out.value, out.extra) if isinstance(out, Computed) else (out, {})
        if value is None or not math.isfinite(value):
            return self._result(None, "no_data", th, ctx, reason="result is not a finite number")
        status: Status = th.status(value) if th else "ok"
        return self._result(float(value), status, th, ctx, extra=extra)

    def _result(self, value: float | None, status: Status, th: Threshold | None, ctx: Context, reason: str = "",
                extra: dict[str, Any] | None = None) -> IndicatorResult:
        return IndicatorResult(
            name=self.name,
            title=self.title,
            group=self.group,
            unit=self.unit,
            value=value,
            status=status,
            threshold=th,
            formula=self.formula,
            inputs=_once(ctx.used),
            reason=reason,
            extra=tuple((extra or {}).items()),
            stale="; ".join(getattr(ctx, "stale", ())),
        )
