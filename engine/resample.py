"""History resampling for the chart screen: minute → hour → day by the range shown.

A live feed polled every minute leaves 43,200 points a month; an 80-column chart has
160 braille dots across. The chart therefore keeps one point per bucket — per minute
for a range of a few days, per hour up to about a month, per day beyond — and that
point is the *last observation in the bucket, at its own time*: the cursor then reads
a value a feed really sent, with its real as-of, never an average no source quoted.

pandas is imported inside :func:`resample` only: this module is loaded when the chart
screen opens, never on the way to the dashboard's first frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

#: (largest span in seconds, pandas rule, label): the first that holds the span wins.
RULES: tuple[tuple[float, str, str], ...] = (
    (3 * DAY, "min", "minute"),
    (35 * DAY, "h", "hour"),
    (float("inf"), "D", "day"),
)


def rule_for(span_s: float) -> tuple[str, str]:
    """(pandas rule, label) for a range of ``span_s`` seconds: minute up to 3 days, hour up
    to 35 days (a 1M range), day beyond."""
    for limit, rule, label in RULES:
        if span_s <= limit:
            return rule, label
    raise AssertionError("unreachable: the last rule has no limit")


def window(times: Sequence[float], values: Sequence[float], start: float | None) -> tuple[list[float], list[float]]:
    """The points at or after ``start`` (every point when ``start`` is None), oldest first;
    a value that is not a finite number is no point (it could not be drawn nor read)."""
    pairs = [(t, v) for t, v in zip(times, values, strict=False) if (start is None or t >= start) and math.isfinite(v)]
    return [t for t, _ in pairs], [v for _, v in pairs]


def resample(times: Sequence[float], values: Sequence[float], rule: str) -> tuple[list[float], list[float]]:
    """One point per ``rule`` bucket (UTC): the last observation in it, at its own time.

    ``times`` are POSIX seconds in ascending order. Empty in, empty out; NaN values are
    dropped (a missing figure is not a point)."""
    if len(times) != len(values):
        raise ValueError("times and values differ in length")
    if not len(times):
        return [], []
    import pandas as pd  # lazily: only the chart screen pays for pandas

    frame = pd.DataFrame({"t": list(times), "v": list(values)}).dropna()
    if frame.empty:
        return [], []
    stamps = pd.to_datetime(frame["t"], unit="s", utc=True)
    last = frame.groupby(stamps.dt.floor(rule).to_numpy(), sort=True).last()
    return [float(t) for t in last["t"]], [float(v) for v in last["v"]]
