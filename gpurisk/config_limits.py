"""Limits on what a config file may hold: nesting, the size of numbers, feed option ranges.

Why: ``interval = 1e308``, ``retries = 1000000000``, ``9223372036854775807`` or arrays
nested 5,000 deep used to end in a traceback (or a feed PENDING for ever) instead of
the one line ``file: key: problem`` and exit status 2 every other config error gets.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Config

MAX_DEPTH = 16  # tables and arrays nested deeper than this are refused (a real config uses 4)
MAX_NUMBER = 1e15  # no number in a config is larger (a year of seconds is 3e7, a debt in USD 1e11)


def check_depth(cfg: Config, data: dict[str, Any]) -> None:
    """No table or array nested deeper than MAX_DEPTH (checked without recursion, before
    anything recursive walks the file)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, key, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise cfg.error(key or "-", f"nested more than {MAX_DEPTH} levels deep")
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for k, v in items:
            if isinstance(v, (dict, list)):
                stack.append((v, f"{key}[{k}]" if isinstance(k, int) else f"{key}.{k}" if key else str(k), depth + 1))


def feed_ranges(cfg: Config, key: str, opts: dict[str, Any]) -> None:
    """The numeric options every feed shares, within their ranges (feeds.numbers.OPTION_RANGES)."""
    from feeds.numbers import range_problem

    for k, v in opts.items():
        problem = range_problem(k, v)
        if problem:
            raise cfg.error(f"{key}.{k}", problem)


def refuse_bad_numbers(cfg: Config, value: Any, key: str) -> None:
    """NaN and ±inf are refused for every number in the file, wherever it sits: a feed's
    ``interval = nan`` would poll once and never go STALE, a ``timeout = inf`` never end.
    So is any number beyond ±MAX_NUMBER (``9223372036854775807``, ``1e308``): no key
    means that, and such values overflow whatever computes with them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise cfg.error(key, f"must be a finite number, got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "feeds":  # a shared feed option: its own range says more
            feed_ranges(cfg, f"feeds.{parts[1]}", {parts[2]: value})
        raise cfg.error(key, f"must be between {-MAX_NUMBER:g} and {MAX_NUMBER:g}, got {value!r}")
    if isinstance(value, dict):
        for k, v in value.items():
            refuse_bad_numbers(cfg, v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            refuse_bad_numbers(cfg, v, f"{key}[{i}]")


__all__ = ["MAX_DEPTH", "MAX_NUMBER", "check_depth", "feed_ranges", "refuse_bad_numbers"]
