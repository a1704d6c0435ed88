"""The CRI method for marketplace prices, in pure Python (no textual, no httpx).

Why: a plain median of every Vast.ai offer mixes Taiwan, India and unreliable
hosts with US datacentres and sits 13-17 % below the published CRI-H100 index.
The CRI (CCIR methodology v1.1.0, CC BY 4.0, data-sources.md "The CRI-H100 daily
filter") defines a filter and a weekly figure that lenders cite in covenants;
reproducing it here makes our marketplace figure comparable with that index.

* :func:`cri_filter` -- the daily filter on Vast bundles offers (not rented, US,
  ``reliability2`` >= 0.90, ``num_gpus`` >= 1, listed within 7 days of the collection
  time, ``round(dph_total / num_gpus, 6)`` > 0), with a count per reason for dropping.
* :func:`daily_figure` -- one day's filtered per-offer prices -> median, n, IQR and
  the low-confidence mark (fewer than 10 observations).
* :func:`weekly_index` -- the trailing 7-day index: each day's observations are
  cleaned of outliers (trimmed mean of the middle 80 %, then everything more
  than 2.5 standard deviations from it is dropped), days with fewer than 8
  observations are left out, the rest are pooled and the median of the pool is
  the index. The published pipeline (``pipeline/calculate.py``) cleans each day
  before pooling, drops at least one value at each end when trimming, uses the
  sample standard deviation of the day's full series, skips the cleaning below 4
  observations, and marks a week with fewer than 3 usable days low confidence;
  so do we: on the CRI's own daily snapshots this gives the published 1.735 of
  2026-03-06 (44 obs, 4 days), and its first value, 1.6021 of 2026-03-05 (28 obs,
  2 days), with ``min_day_obs=10`` (the threshold in force that day).
* :class:`DayPool` -- the per-SKU, per-day store of filtered offers that the index is
  computed from, optionally kept in a small JSON file across restarts.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

METHOD_VERSION = "1.1.0"
WINDOW_DAYS = 7
MIN_DAY_OBS = 8  # a day with fewer observations is left out of the week
LOW_CONFIDENCE_N = 10  # a daily figure from fewer offers is marked low confidence
MIN_VALID_DAYS = 3  # a week with fewer usable days is marked low confidence
TRIM = 0.10
SIGMA = 2.5
MIN_FOR_OUTLIERS = 4
MIN_RELIABILITY = 0.90
MAX_LISTING_AGE = timedelta(days=7)  # "max_days_unchanged", on ``start_date``
#: Why offers left the daily filter, in the order the checks run (for the source text).
DROP_REASONS: tuple[tuple[str, str], ...] = (
    ("memory", "below the memory floor"), ("rented", "rented"), ("geo", "outside the US"),
    ("reliability", "reliability < 0.90"), ("malformed", "malformed"), ("stale", "not listed in the last 7 days"),
    ("unverified", "unverified"),
)


@dataclass(frozen=True, slots=True)
class DailyFigure:
    """One day's CRI figure: median of the filtered offers, their count and IQR."""

    median: float
    n: int
    p25: float
    p75: float

    @property
    def low_confidence(self) -> bool:
        return self.n < LOW_CONFIDENCE_N


@dataclass(frozen=True, slots=True)
class IndexResult:
    """The weekly figure and what it rests on."""

    value: float  # rounded to 4 places, as published
    n_obs: int  # pooled observations after outlier removal
    n_days: int  # days of the window that were used
    window_start: date
    window_end: date
    n_removed: int = 0  # outliers dropped over the used days

    @property
    def low_confidence(self) -> bool:
        return self.n_days < MIN_VALID_DAYS


def _clean(prices: Sequence[float]) -> list[float]:
    return [float(p) for p in prices if isinstance(p, (int, float)) and not isinstance(p, bool)
            and math.isfinite(p) and p > 0]


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def cri_filter(offers: Iterable[Any], gpu_names: Sequence[str], min_ram_mb: int, now: datetime,
               verified_only: bool = False) -> tuple[dict[str, float], dict[str, int]]:
    """The CRI daily filter on Vast bundles offers: ``({offer id: per-GPU price}, counts)``.

    ``counts`` has ``returned`` (offers of these models), one entry per drop reason in
    :data:`DROP_REASONS` and ``kept``. Offers are keyed by their ``id`` so a listing
    sent twice counts once; an offer without one is kept under its position. A missing
    ``start_date`` cannot prove the listing is fresh: it is dropped as stale.
    """
    cutoff = (now - MAX_LISTING_AGE).timestamp()
    counts = dict.fromkeys(["returned", *(k for k, _ in DROP_REASONS), "kept"], 0)
    kept: dict[str, float] = {}
    for i, o in enumerate(offers):
        if not isinstance(o, Mapping) or o.get("gpu_name") not in gpu_names:
            continue
        counts["returned"] += 1
        ram, rel, start = _num(o.get("gpu_ram")), _num(o.get("reliability2")), _num(o.get("start_date"))
        dph, n = _num(o.get("dph_total")), _num(o.get("num_gpus"))
        geo = o.get("geolocation")
        if min_ram_mb and (ram is None or ram < min_ram_mb):
            reason = "memory"
        elif o.get("rentable") is False or bool(o.get("rented")):
            reason = "rented"
        elif not isinstance(geo, str) or not geo.endswith(", US"):
            reason = "geo"
        elif rel is None or rel < MIN_RELIABILITY:
            reason = "reliability"
        elif n is None or n < 1 or dph is None or round(dph / n, 6) <= 0:
            reason = "malformed"
        elif start is None or start < cutoff:
            reason = "stale"
        elif verified_only and o.get("verification") not in (None, "verified"):
            reason = "unverified"
        else:
            oid = o.get("id")
            key = str(oid) if isinstance(oid, (int, str)) and not isinstance(oid, bool) else f"#{i}"
            if key not in kept:
                counts["kept"] += 1
            kept[key] = round(dph / n, 6)
            continue
        counts[reason] += 1
    return kept, counts


def count_text(counts: Mapping[str, int]) -> str:
    """``26 returned, 18 outside the US, 8 kept`` (reasons that dropped nothing are left out)."""
    parts = [f"{counts.get('returned', 0)} returned"]
    parts += [f"{counts[k]} {label}" for k, label in DROP_REASONS if counts.get(k)]
    dup = counts.get("returned", 0) - sum(counts.get(k, 0) for k, _ in DROP_REASONS) - counts.get("kept", 0)
    if dup > 0:
        parts.append(f"{dup} duplicate{'s' if dup != 1 else ''}")
    return ", ".join(parts + [f"{counts.get('kept', 0)} kept"])


def daily_figure(prices: Sequence[float]) -> DailyFigure | None:
    """Median, n and inclusive quartiles of one day's filtered prices; None without any."""
    xs = sorted(_clean(prices))
    if not xs:
        return None
    med = statistics.median(xs)
    if len(xs) == 1:
        return DailyFigure(med, 1, xs[0], xs[0])
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return DailyFigure(med, len(xs), q1, q3)


def trimmed_mean(prices: Sequence[float], trim: float = TRIM) -> float:
    """Mean of the middle of the sorted values: ``floor(n * trim)`` (at least one) dropped
    at each end while at least one value remains; the plain mean otherwise."""
    xs = sorted(prices)
    if not xs:
        raise ValueError("trimmed mean of no values")
    k = max(1, int(len(xs) * trim))
    if len(xs) - 2 * k < 1:
        return statistics.fmean(xs)
    return statistics.fmean(xs[k:len(xs) - k])


def remove_outliers(prices: Sequence[float], sigma: float = SIGMA) -> list[float]:
    """Drop values more than ``sigma`` sample standard deviations (of the full series)
    from the trimmed mean. Fewer than 4 values, or no spread: returned unchanged."""
    xs = list(prices)
    if len(xs) < MIN_FOR_OUTLIERS:
        return xs
    sd = statistics.stdev(xs)
    if sd == 0:
        return xs
    centre = trimmed_mean(xs)
    return [p for p in xs if abs(p - centre) <= sigma * sd]


def weekly_index(days: Mapping[date, Sequence[float]], end: date, window: int = WINDOW_DAYS,
                 min_day_obs: int = MIN_DAY_OBS) -> IndexResult | None:
    """The index for the ``window`` days ending on ``end`` (inclusive); None when no day
    in the window has enough observations."""
    start = end - timedelta(days=window - 1)
    pool: list[float] = []
    used = removed = 0
    for day in sorted(days):
        if not start <= day <= end:
            continue
        raw = _clean(days[day])
        if len(raw) < min_day_obs:
            continue
        kept = remove_outliers(raw)
        if not kept:
            continue
        pool.extend(kept)
        used += 1
        removed += len(raw) - len(kept)
    if not pool:
        return None
    return IndexResult(value=round(statistics.median(pool), 4), n_obs=len(pool), n_days=used,
                       window_start=start, window_end=end, n_removed=removed)


class DayPool:
    """Per SKU and UTC day, the latest poll's filtered offers (``{offer id: price}``).

    A later poll on the same day replaces that day's set, so polling every two
    minutes does not count an offer 700 times. At most ``max_days`` days are kept per
    SKU (the newest). With a ``path`` the pool is a small JSON file written atomically
    (temporary file + ``os.replace``) so that it survives a restart; a missing,
    corrupt or unreadable file is ignored and the pool starts empty.
    """

    VERSION = 1

    def __init__(self, path: str | os.PathLike[str] | None = None, max_days: int = WINDOW_DAYS + 1) -> None:
        self.path = Path(path) if path is not None else None
        self.max_days = max(1, int(max_days))
        self.days: dict[str, dict[date, dict[str, float]]] = {}
        self.error = ""  # the last load/save problem, for the feed's description
        if self.path is not None:
            self._load()

    def record(self, sku: str, day: date, offers: Mapping[str, float]) -> None:
        per_sku = self.days.setdefault(sku, {})
        per_sku[day] = {str(k): float(v) for k, v in offers.items()}
        for old in sorted(per_sku)[:-self.max_days]:
            del per_sku[old]

    def prices(self, sku: str) -> dict[date, list[float]]:
        return {d: list(o.values()) for d, o in self.days.get(sku, {}).items()}

    def _load(self) -> None:
        assert self.path is not None
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError, UnicodeDecodeError, RecursionError) as exc:
            self.error = f"state file ignored ({type(exc).__name__})"
            return
        skus = raw.get("skus") if isinstance(raw, dict) and raw.get("version") == self.VERSION else None
        if not isinstance(skus, dict):
            self.error = "state file ignored (unknown format)"
            return
        for sku, days in skus.items():
            if not isinstance(days, dict):
                continue
            for day, offers in days.items():
                try:
                    d = date.fromisoformat(day)
                except (TypeError, ValueError):
                    continue
                if isinstance(offers, dict):
                    good = {str(k): v for k, v in offers.items() if _clean([v])}
                    self.record(str(sku), d, good)

    def save(self) -> bool:
        """Write the pool (no-op without a path). False, with ``error`` set, when it fails."""
        if self.path is None:
            return True
        doc: dict[str, Any] = {"version": self.VERSION, "method": f"CRI v{METHOD_VERSION} daily filtered offers",
                               "skus": {sku: {d.isoformat(): offers for d, offers in sorted(days.items())}
                                        for sku, days in self.days.items()}}
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError as exc:
            self.error = f"cannot write state file ({type(exc).__name__})"
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            return False
        self.error = ""
        return True


__all__ = ["DailyFigure", "DayPool", "IndexResult", "METHOD_VERSION", "count_text", "cri_filter", "daily_figure",
           "remove_outliers", "trimmed_mean", "weekly_index"]
