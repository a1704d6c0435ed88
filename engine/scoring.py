"""Composite risk score 0–100 from indicator statuses (indicators.md §5).

Why statuses and not values: every indicator already has thresholds the user can
tune, so the composite stays readable ("3 alerts, 2 watches") and no unit ever has
to be compared with another. Penalty: ok 0, watch 0.5, alert 1; *no data* and
indicators without thresholds are excluded (a missing feed must not look calm, nor
alarming), and the breakdown says which were left out.

``score`` is a **risk** score: 0 = every scored indicator ok, 100 = every one in
alert; ``health`` is 100 − score. Weights: an indicator's own weight if given,
else its group's, else 1.0. Defaults below; the config file may override any key
(weight 0 drops an indicator).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .indicator import IndicatorResult

PENALTY: dict[str, float] = {"ok": 0.0, "watch": 0.5, "alert": 1.0}

#: Defaults, by group then by indicator. Liquidity and GPU economics carry the
#: thesis (can the debt be serviced if rents fall); Z'' is weak for hyper-growth
#: firms and several ratios overlap, so they count less.
DEFAULT_WEIGHTS: dict[str, float] = {
    "gpu": 1.0,
    "leverage": 1.0,
    "liquidity": 1.25,
    "concentration": 1.0,
    "market": 1.0,
    "altman_z2": 0.5,
    "h100_margin_3y": 1.5,
    "dscr": 1.5,
    "runway_months": 1.5,
    "debt_to_assets": 0.5,
    "debt_leases_to_assets": 0.5,
    "cash_ratio": 0.5,
    "quick_ratio": 0.5,
    "debt_to_ebitda": 0.5,
    "net_debt_to_ebitda": 0.75,
    "top1_trend": 0.5,
    "effective_customers": 0.5,
}


@dataclass(frozen=True, slots=True)
class ScoreLine:
    name: str
    title: str
    group: str
    status: str
    weight: float
    penalty: float | None  # None when excluded
    points: float  # share of the score, 0..100 in total
    excluded: str = ""  # why it was left out


@dataclass(frozen=True, slots=True)
class CompositeScore:
    score: float | None  # None when nothing could be scored
    scored: int
    excluded: int
    lines: tuple[ScoreLine, ...]  # largest contribution first, excluded last
    by_group: tuple[tuple[str, float], ...]  # group -> points

    @property
    def health(self) -> float | None:
        return None if self.score is None else 100.0 - self.score


def weight_for(res: IndicatorResult, weights: Mapping[str, float]) -> float:
    w = weights.get(res.name, weights.get(res.group, 1.0))
    return max(0.0, float(w))


def composite(results: Iterable[IndicatorResult] | Mapping[str, IndicatorResult],
              weights: Mapping[str, float] | None = None) -> CompositeScore:
    """Weighted mean penalty × 100 over indicators that have a status to score."""
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    w_all = {**DEFAULT_WEIGHTS, **(weights or {})}
    used: list[tuple[IndicatorResult, float, float]] = []
    skipped: list[ScoreLine] = []
    for r in items:
        w = weight_for(r, w_all)
        why = ("no data" if r.status == "no_data" else "information only (no threshold)" if r.threshold is None
               else "weight 0" if w == 0 else "")
        if why or r.status not in PENALTY:
            skipped.append(ScoreLine(r.name, r.title, r.group, r.status, w, None, 0.0, why or "unknown status"))
            continue
        used.append((r, w, PENALTY[r.status]))
    total_w = math.fsum(w for _, w, _ in used)
    lines = [ScoreLine(r.name, r.title, r.group, r.status, w, p, 100.0 * w * p / total_w if total_w else 0.0)
             for r, w, p in used]
    lines.sort(key=lambda s: (-s.points, -s.weight, s.name))
    groups: dict[str, float] = {}
    for s in lines:
        groups[s.group] = groups.get(s.group, 0.0) + s.points
    score = 100.0 * math.fsum(w * p for _, w, p in used) / total_w if total_w else None  # exact: order-free
    return CompositeScore(score, len(lines), len(skipped), tuple(lines + skipped),
                          tuple(sorted(groups.items(), key=lambda kv: -kv[1])))
