"""One number parser for every value a feed reads from text (CSV cells, JSON strings).

``2,6`` is never read as 26: a comma that is not a thousands separator in its place
(``1,234.5``) is refused unless the feed declares ``decimal = ","``; NaN and infinities
are no number. Missing markers (``.``, ``NA``, ``null`` …) are None, never zero.
"""

from __future__ import annotations

import math
import re
from typing import Any

_MISSING = ("", ".", "-", "NA", "N/A", "#N/A", "null")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


class NumberFormatError(ValueError):
    """A cell that looks like a number written in another convention (``2,6``)."""


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
    try:
        v = float(s)
    except ValueError:
        return None
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


__all__ = ["NumberFormatError", "parse_number", "to_number"]
