"""One number parser for every value a feed reads from text (CSV cells, JSON strings).

``2,6`` is never read as 26: a comma that is not a thousands separator in its place
(``1,234.5``) is refused unless the feed declares ``decimal = ","``; NaN and infinities
are no number. Missing markers (``.``, ``NA``, ``null`` …) are None, never zero. Only
plain decimal syntax is a number: ASCII digits, one point, an optional sign and
exponent — never ``2_5`` (Python's float would read 25), hex, ``inf``/``nan`` or
other scripts' digits.

:data:`OPTION_RANGES` bounds the numeric options every feed shares (interval, timeout,
retries, ...): the config and ``from_config`` refuse a value outside them.
"""

from __future__ import annotations

import math
import re
from typing import Any

from engine.errors import GpuriskError

_MISSING = ("", ".", "-", "NA", "N/A", "#N/A", "null")
_NOT_FINITE = ("nan", "inf", "infinity")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")
_PLAIN = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")

#: key -> (lowest, highest, whole numbers only, unit): the numeric options every feed shares.
OPTION_RANGES: dict[str, tuple[float, float, bool, str]] = {
    "interval": (0.1, 2_678_400.0, False, "seconds"),  # up to 31 days between polls
    "timeout": (0.1, 3600.0, False, "seconds"),
    "deadline": (0.1, 7200.0, False, "seconds"),
    "retries": (0, 10, True, ""),
    "max_bytes": (1000, 100_000_000, True, "bytes"),
}


def range_problem(key: str, value: object) -> str | None:
    """Why ``value`` is no good for the shared option ``key`` (None: fine, or not a shared option)."""
    if key not in OPTION_RANGES:
        return None
    lo, hi, whole, unit = OPTION_RANGES[key]
    kind = "a whole number" if whole else "a number"
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if number is None or (whole and not isinstance(number, int)) or not (lo <= number <= hi):
        return f"must be {kind} from {lo:g} to {hi:g}{' ' + unit if unit else ''}, got {value!r}"
    return None


class NumberFormatError(GpuriskError, ValueError):
    """A cell that looks like a number written in another convention (``2,6``, ``2_5``)."""


def parse_number(text: str, decimal: str = ".") -> float | None:
    """A value cell as a float; None for a missing or non-numeric cell. Raises
    :class:`NumberFormatError` for a comma that is not a thousands separator (``2,6``), or,
    with ``decimal = ","``, for any thousands separator or ``.``."""
    s = text.strip().replace("$", "")
    if s in _MISSING:
        return None
    if decimal == ",":
        if "." in s or " " in s or "\u00a0" in s or "\u202f" in s or "'" in s or s.count(",") > 1:
            raise NumberFormatError(f"{text.strip()!r} has a thousands separator or a '.' (not accepted with "
                                    f"decimal = \",\")")
        s = s.replace(",", ".")
    elif "," in s:
        if not _GROUPED.fullmatch(s):
            raise NumberFormatError(f"{text.strip()!r} has a decimal comma (set decimal = \",\" for this feed)")
        s = s.replace(",", "")
    if not _PLAIN.fullmatch(s):  # float() would read 2_5 as 25, and ١٢ as 12
        if s.strip("+-").lower() in _NOT_FINITE:
            return None  # NaN and infinities: no number
        try:
            float(s)
        except ValueError:
            return None  # text, not a number
        raise NumberFormatError(f"{text.strip()!r} is not a plain decimal number")
    v = float(s)
    return v if math.isfinite(v) else None


def to_number(value: Any, decimal: str = ".") -> float | None:
    """A JSON value as a float: numbers as they are (finite only), strings through
    :func:`parse_number`; booleans, None and anything else are no number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return parse_number(value, decimal)
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return v if math.isfinite(v) else None


__all__ = ["OPTION_RANGES", "NumberFormatError", "parse_number", "range_problem", "to_number"]
