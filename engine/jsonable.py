"""One helper for values that leave as JSON (snapshot, export, alert log, saved state).

JSON has no NaN or infinity and no dates: a non-finite float becomes null (a missing
value, never a number that is not one), dates and datetimes ISO text, tuples lists, and
anything else its text. Pure Python.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any


def jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    return str(v)


__all__ = ["jsonable"]
