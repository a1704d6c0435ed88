"""Note prices from the filings themselves: the fair value of each senior note at a quarter
end, as the 10-Q/10-K fair-value note states it (Level 2, "quoted prices ... in an
over-the-counter market on the last trading day of the reporting period").

Why: the market's view of the notes with a primary source and no key: the demo values the
notes from it, and live mode keeps it as the fallback when TRACE is not configured or
refuses. Price = fair value ÷ principal × 100 (percent of par); the filing rounds fair value
to $0.1 B, which the source text says. One row per note per quarter in
``sample_data/note_fair_values.csv`` (``company,note,cusip,seniority,coupon_pct,maturity,
principal_k,period_end,fair_value_k,source,grade``), each with its filing and grade. The
feeds that read it (``note_fair_values``, ``sample_financials``) are in :mod:`feeds.sample`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from engine.observations import BondQuote, Observation

from .notes import SENIORITIES
from .sample_rows import _src, _utc, read_rows

COLUMNS = ("company", "note", "cusip", "seniority", "coupon_pct", "maturity", "principal_k", "period_end",
           "fair_value_k", "source", "grade")
FILE = "note_fair_values.csv"


def parse_note_fair_values(path: Path, fetched: datetime) -> list[Observation]:
    out: list[Observation] = []
    seen: set[tuple[str, str, object]] = set()
    for r in read_rows(path, COLUMNS):
        company, note = r.text("company").upper(), r.text("note")
        seniority = r.text("seniority")
        if seniority not in SENIORITIES:
            raise r.fail("seniority", f"is not one of {', '.join(SENIORITIES)}")
        coupon, principal, fair = r.num("coupon_pct"), r.num("principal_k"), r.num("fair_value_k")
        maturity, end = r.day("maturity"), r.day("period_end")
        assert coupon is not None and principal is not None and fair is not None and maturity and end
        if not 0 <= coupon <= 30:
            raise r.fail("coupon_pct", "is not a coupon in percent (0 to 30)")
        if not principal > 0:
            raise r.fail("principal_k", "is not a positive principal")
        if not fair > 0:
            raise r.fail("fair_value_k", "is not a positive fair value")
        if maturity <= end:
            raise r.fail("maturity", f"is not after the period end {end}")
        if (company, note, end) in seen:
            raise r.fail("period_end", f"repeats an earlier row for {note}")
        seen.add((company, note, end))
        out.append(BondQuote(as_of=_utc(end), fetched_at=fetched, source=_src(path, r.text("source"), r.grade()),
                             company=company, note=note, cusip=r.text("cusip", required=False).upper(),
                             price=fair / principal * 100.0, coupon=coupon, maturity=maturity, seniority=seniority,
                             principal=principal * 1000.0))
    return out
