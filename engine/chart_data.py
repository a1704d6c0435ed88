"""What the chart screen draws, worked out by the engine: pure data, no drawing.

Two kinds of chart:

* **rent** — one SKU × tier's price history, with the SKU's breakeven rent at the
  reported life (6 years) and at the technology life (3 years) *recomputed at each
  point*: the financing rate is the engine's one rate
  (:func:`engine.indicators.leverage.financing_rate`) at the balance-sheet period in
  force on that date — the newest period end at or before it — so a point in February
  2026 uses the rate of the September 2025 balance sheet, not today's. The published
  index for the SKU (tier ``index``, e.g. the CRI-H100) is drawn beside it when a feed
  delivers one.
* **indicator** — an indicator's history (:meth:`Engine.indicator_history`) with its
  watch and alert levels.

A range (1M / 3M / 1Y / ALL) ends at the last point (the data's clock, so a replay
shows replay time) and is resampled minute → hour → day (:mod:`engine.resample`).
Fewer than :data:`MIN_POINTS` points is an empty chart with its reason, never a
chart of one dot.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from .context import Context
from .indicator import NoData
from .indicators.gpu import SKU_CAPEX, _opex_name
from .indicators.leverage import financing_rate
from .indicators.unit_economics import _breakeven
from .resample import DAY, resample, rule_for, window

if TYPE_CHECKING:
    from .engine import Engine

MIN_POINTS = 3
#: (key, days back from the last point; None = every point kept).
RANGES: tuple[tuple[str, int | None], ...] = (("1M", 30), ("3M", 91), ("1Y", 365), ("ALL", None))
RANGE_KEYS = tuple(k for k, _ in RANGES)


@dataclass(frozen=True, slots=True)
class Line:
    """One drawn series. ``kind`` says what it is ("rent", "be_reported", "be_technology",
    "index", "value", "fan_median", "fan_low", "fan_high"); the screen picks marker and
    colour from it, so lines stay distinguishable without colour."""

    kind: str
    label: str
    times: tuple[float, ...]
    values: tuple[float, ...]

    def point_at(self, t: float) -> tuple[float, float] | None:
        """(time, value) of the last point at or before ``t``."""
        i = bisect_right(self.times, t) - 1
        return (self.times[i], self.values[i]) if i >= 0 else None


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal threshold: ``kind`` is "watch" or "alert"."""

    kind: str
    label: str
    value: float


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    unit: str  # "usd_h" for rents, else the indicator's unit ("ratio", "pct", "x", ...)
    range_key: str
    resolution: str  # "minute" / "hour" / "day"
    lines: tuple[Line, ...]  # the first is the main series; the cursor walks its points
    levels: tuple[Level, ...] = ()
    source: str = ""  # where the main series' last point comes from (text from feeds: screen sanitises)
    as_of: float | None = None  # time of the main series' last point
    empty: str = ""  # why nothing is drawn (too few points, no such row)
    notes: tuple[str, ...] = ()  # why a line is missing (no capex assumption, ...)
    #: (from time, what rate the breakevens use from then on), oldest first: the cursor reads it.
    rates: tuple[tuple[float, str], ...] = ()

    @property
    def main(self) -> Line | None:
        return self.lines[0] if self.lines else None

    def rate_at(self, t: float) -> str:
        i = bisect_right([r[0] for r in self.rates], t) - 1
        return self.rates[i][1] if i >= 0 else ""


def range_start(range_key: str, last_t: float) -> float | None:
    days = dict(RANGES)[range_key]
    return None if days is None else last_t - days * DAY


def _ts(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()


def period_in_force(periods: Sequence[date], t: float) -> date | None:
    """The newest balance-sheet period end at or before ``t`` (``periods`` ascending)."""
    i = bisect_right([_ts(p) for p in periods], t) - 1
    return periods[i] if i >= 0 else None


@dataclass(frozen=True, slots=True)
class Breakeven:
    period: date | None
    reported: float  # at life_reported_years
    technology: float  # at life_technology_years
    rate_pct: float
    basis: str


def breakeven_at(engine: Engine, sku: str, period: date | None) -> Breakeven | None:
    """The SKU's two breakeven rents with the financing rate of ``period`` (None: the
    engine's current rule); None when the SKU has no capex assumption or an input is missing."""
    if sku not in SKU_CAPEX:
        return None
    slug, capex = SKU_CAPEX[sku]
    ctx = Context(engine.state, engine.company, at=period)
    try:
        rate, basis = financing_rate(ctx)
        opex = _opex_name(ctx, slug)
        rep = _breakeven(ctx, "life_reported_years", capex, opex, rate)
        tech = _breakeven(ctx, "life_technology_years", capex, opex, rate)
    except (NoData, ValueError, ZeroDivisionError):
        return None
    return Breakeven(period, rep, tech, rate, basis)


def _life(engine: Engine, name: str, default: str) -> str:
    a = engine.state.assumptions.get(name)
    return f"{a.value:g}y" if a is not None else default


def _cut(times: list[float], values: list[float],
         range_key: str) -> tuple[list[float], list[float], str, str, float | None]:
    """Window to the range (ending at the last point) and resample by the range's span:
    (times, values, pandas rule, resolution label, start)."""
    start = range_start(range_key, times[-1])
    t, v = window(times, values, start)
    rule, label = rule_for(times[-1] - (start if start is not None else times[0]))
    t, v = resample(t, v, rule)
    return t, v, rule, label, start


def _too_few(n: int, range_key: str, total: int) -> str:
    more = "; history fills as the feed polls" if total < MIN_POINTS else "; ] widens the range"
    return f"{n} point{'' if n == 1 else 's'} in {range_key} — the chart needs {MIN_POINTS}{more}"


def rent_chart(engine: Engine, sku: str, tier: str, range_key: str = "1Y") -> Chart:
    """One SKU × tier rent over the range, its breakevens at each point, its index."""
    title = f"{sku} · {tier} rent, $/GPU-h"
    times, values = engine.price_history(sku, tier)
    if not times:
        return Chart(title, "usd_h", range_key, "", (),
                     empty=f"no {sku} {tier} price yet; history fills as the feed polls")
    t, v, rule, res, start = _cut(times, values, range_key)
    row = engine.snapshot.price(sku, tier)
    source = "; ".join(f"{q.provider} via {q.feed}: {q.source}" for q in row.sources) if row is not None else ""
    main = Line("rent", f"{sku} {tier}", tuple(t), tuple(v))
    if len(t) < MIN_POINTS:
        return Chart(title, "usd_h", range_key, res, (main,), source=source, as_of=t[-1] if t else None,
                     empty=_too_few(len(t), range_key, len(times)))
    lines = [main]
    notes: list[str] = []
    rates: tuple[tuple[float, str], ...] = ()
    periods = sorted(engine.state.fin.balance_periods(engine.company))
    cache: dict[date | None, Breakeven | None] = {}
    be_t: list[float] = []
    rep: list[float] = []
    tech: list[float] = []
    for ti in t:
        p = period_in_force(periods, ti) if periods else None
        if periods and p is None:
            continue  # before the first balance sheet: no rate in force, no breakeven
        if p not in cache:
            cache[p] = breakeven_at(engine, sku, p)
        be = cache[p]
        if be is not None:
            be_t.append(ti)
            rep.append(be.reported)
            tech.append(be.technology)
    if be_t:
        lines.append(Line("be_reported", f"breakeven @{_life(engine, 'life_reported_years', 'reported life')}",
                          tuple(be_t), tuple(rep)))
        lines.append(Line("be_technology", f"breakeven @{_life(engine, 'life_technology_years', 'tech life')}",
                          tuple(be_t), tuple(tech)))
        rates = tuple((_ts(p) if p is not None else float("-inf"), f"rate {be.rate_pct:.2f}% ({p or 'now'})")
                      for p, be in sorted(cache.items(), key=lambda kv: kv[0] or date.min) if be is not None)
        notes.extend(f"rate at {p or 'now'}: {be.basis}" for p, be in cache.items() if be is not None)
    elif sku not in SKU_CAPEX:
        notes.append(f"no breakeven: no capex assumption for {sku}")
    else:
        notes.append("no breakeven: an input is missing (capex, life, utilisation, LTV, rate)")
    if tier != "index":
        it, iv = engine.price_history(sku, "index")
        if it:
            it, iv = window(it, iv, start)
            it, iv = resample(it, iv, rule)
            if it:
                lines.append(Line("index", f"{sku} index", tuple(it), tuple(iv)))
    band, why = fan_lines(engine, sku, tier, range_key)
    if band and be_t:  # the breakevens carried over the band at the last rate: what a breach is measured against
        end = band[0].times[-1]
        lines[1:3] = [Line(ln.kind, ln.label, ln.times + (end,), ln.values + (ln.values[-1],)) for ln in lines[1:3]]
    lines.extend(band)
    if why:
        notes.append(why)
    return Chart(title, "usd_h", range_key, res, tuple(lines), source=source, as_of=t[-1], notes=tuple(notes),
                 rates=rates)


#: Months of simulated rent drawn after the last point, by range: as far ahead as the range looks back.
FAN_MONTHS = {"1M": 1, "3M": 3, "1Y": 12, "ALL": 36}


def fan_lines(engine: Engine, sku: str, tier: str, range_key: str) -> tuple[tuple[Line, ...], str]:
    """The breach simulation's median path and 5–95% band (engine/breach.py ``fan``) after
    the last point, as far ahead as the range looks back; drawn on the tier the simulation
    reads. ((), why) when there is none (too little history, another tier, no module)."""
    try:
        from .breach import fan
    except ImportError:  # the simulation is not installed: no band, nothing to say
        return (), ""
    try:
        fn = fan(engine, sku=sku, months=FAN_MONTHS.get(range_key, 36))
    except NoData as exc:
        return (), f"no breach band: {exc}"
    except (KeyError, ValueError) as exc:
        return (), f"no breach band: {exc}"
    if fn.tier != tier:
        return (), f"breach band on the {fn.tier} chart"
    when = tuple(_ts(d) for d in fn.dates)
    return (Line("fan_median", "simulated median", when, tuple(fn.median)),
            Line("fan_low", "5%", when, tuple(fn.p5)),
            Line("fan_high", "95%", when, tuple(fn.p95))), ""


def indicator_chart(engine: Engine, name: str, range_key: str = "1Y") -> Chart:
    """One indicator's history over the range, with its watch and alert levels."""
    ind = engine.indicators.get(name)
    if ind is None:
        return Chart(name, "", range_key, "", (), empty=f"no indicator {name}")
    res = engine.snapshot.indicators.get(name)
    title = ind.title
    times, values, what = engine.indicator_history(name)
    th = (res.threshold if res is not None else None) or engine.thresholds.get(name) or ind.threshold
    levels: tuple[Level, ...] = ()
    if th is not None:
        op = ">" if th.higher_is_worse else "<"
        levels = (Level("watch", f"watch {op}", th.watch), Level("alert", f"alert {op}", th.alert))
    source = f"engine ({name}): {ind.formula}" + (f"; {what}" if what else "")
    if not times:
        why = what if what.startswith("no history") else "no value yet; history fills as the feeds poll"
        return Chart(title, ind.unit, range_key, "", (), levels, source=source, empty=why)
    t, v, _, resolution, _ = _cut(times, values, range_key)
    main = Line("value", ind.title, tuple(t), tuple(v))
    empty = _too_few(len(t), range_key, len(times)) if len(t) < MIN_POINTS else ""
    return Chart(title, ind.unit, range_key, resolution, (main,), levels, source=source,
                 as_of=t[-1] if t else None, empty=empty)
