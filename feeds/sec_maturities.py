"""Scheduled principal by year, from the debt note's tagged maturity table in ``companyfacts``.

Filers tag the ASC 470 maturity table as ``LongTermDebtMaturitiesRepaymentsOfPrincipalInNextTwelveMonths``,
``…InYearTwo`` … ``…InYearFive`` and ``…AfterYearFive`` at each balance-sheet date (the 10-K's at least).
Each becomes a :class:`~engine.observations.Maturity` labelled by the year the k-th twelve months after
the balance date finish in (at 2025-05-31: next twelve months → "2026"), the last "thereafter", in the
company's reporting currency, with the tag in its source. The maturity wall reads the newest table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.observations import Maturity

from .sec_select import _as_of, _instants, facts_of, merged, source_prefix
from .sec_tags import US, reporting_currency

#: (k-th twelve months after the balance date, 0 = after year five; tag)
MATURITY_TAGS: tuple[tuple[int, str], ...] = (
    (1, "LongTermDebtMaturitiesRepaymentsOfPrincipalInNextTwelveMonths"),
    (2, "LongTermDebtMaturitiesRepaymentsOfPrincipalInYearTwo"),
    (3, "LongTermDebtMaturitiesRepaymentsOfPrincipalInYearThree"),
    (4, "LongTermDebtMaturitiesRepaymentsOfPrincipalInYearFour"),
    (5, "LongTermDebtMaturitiesRepaymentsOfPrincipalInYearFive"),
    (0, "LongTermDebtMaturitiesRepaymentsOfPrincipalAfterYearFive"),
)


def maturity_year(end: date, k: int) -> str:
    """The year the k-th twelve months after ``end`` finish in ("thereafter" for k = 0)."""
    return "thereafter" if k == 0 else str(end.year + k)


def select_maturities(doc: Any, *, company: str, fetched_at: datetime, n_tables: int = 2) -> list[Maturity]:
    """The newest ``n_tables`` maturity tables (by balance date) as Maturity observations."""
    facts = facts_of(doc)
    unit = reporting_currency(facts)
    prefix = source_prefix(doc, unit)
    by_tag = {k: _instants(merged(facts, [(US, tag)], unit)) for k, tag in MATURITY_TAGS}
    ends = sorted({e for table in by_tag.values() for e in table})[-n_tables:]
    out: list[Maturity] = []
    tags = dict(MATURITY_TAGS)
    for end in ends:
        for k, table in by_tag.items():
            p = table.get(end)
            if p is None:
                continue
            out.append(Maturity(as_of=_as_of(end), fetched_at=fetched_at, company=company,
                                year=maturity_year(end, k), principal=p.value, period_end=end,
                                source=f"{prefix} {p.filing} ({tags[k]})"))
    return out


__all__ = ["MATURITY_TAGS", "maturity_year", "select_maturities"]
