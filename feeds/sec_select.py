"""Pick reported figures out of SEC EDGAR ``companyfacts`` and ``submissions`` JSON.

Why a separate, pure module: the choice of *which* of the many copies of a fact to
trust is the delicate part of the SEC feed and must be testable on real recorded
documents without a network. EDGAR repeats each figure in every filing that shows
it as a comparative, labels filings with ``fy``/``fp`` that describe the filing and
not the period (Snowflake has 10-Qs marked ``fp: "FY"``), and mixes S-1 and 8-K
copies with periodic reports. So, following data-sources.md "SEC EDGAR":

* only periodic forms count (10-K, 10-Q, 20-F, 40-F, 6-K and their /A amendments);
* ``us-gaap`` and ``ifrs-full`` tags are read (us-gaap first; tables and IFRS
  mapping in :mod:`feeds.sec_tags`);
* one currency per company, the one of its newest ``Assets`` fact (USD on a tie);
  only facts in that unit are emitted, with ``unit`` set and named in the source;
* a period is identified by ``start``/``end`` only; per period the newest ``filed``
  copy wins, so a restated comparative replaces the original (ties: the later
  accession, then the later row);
* durations are classified by length, quarters missing from the filings (Q4, and
  cash-flow quarters that are only reported year-to-date) are derived as the
  difference of two year-to-date figures with the same start; half years (~182
  days, a 6-K filer's interim period) are emitted as such when no quarter ends
  there, so the engine's TTM roll-forward FY + H1 − prior H1 can use them.

No httpx, no pandas: one ``json.loads`` and plain dict/list work, fast on the
2.6 MB Snowflake document.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from engine.observations import FinancialFact

from .base import FeedError, NoDataError
from .sec_debt import debt_sides, zero_where_absent
from .sec_tags import (
    DURATION_TAGS,
    IFRS,
    INSTANT_TAGS,
    PERIODIC_FORMS,
    TAXONOMIES,
    US,
    Ref,
    aliases,
    cik_of,
    clean_name,
    duration_metrics,
    instant_metrics,
    is_periodic,
    reporting_currency,
)

#: reported as positive expenses whatever sign a filer used.
POSITIVE_METRICS = frozenset({"interest_expense", "d_and_a", "capex"})
_EQUITY_FOR_FALLBACK = ("StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest", "StockholdersEquity")
_TEMP_EQUITY = ("TemporaryEquityCarryingAmountIncludingPortionAttributableToNoncontrollingInterests",
                "TemporaryEquityCarryingAmountAttributableToParent")
#: liabilities = total − equity (− temporary equity) when no ``Liabilities`` fact:
#: (taxonomy, total, equity, temp, label)
_LIAB_FALLBACKS = (
    (US, "LiabilitiesAndStockholdersEquity", _EQUITY_FOR_FALLBACK, _TEMP_EQUITY,
     "LiabilitiesAndStockholdersEquity − StockholdersEquity"),
    (IFRS, "EquityAndLiabilities", ("Equity",), (), "EquityAndLiabilities − Equity"),
)

Period = tuple["date | None", date]


@dataclass(frozen=True, slots=True)
class Pick:
    """One chosen copy of a reported value, with where it came from."""

    value: float
    start: date | None
    end: date
    form: str
    accn: str
    filed: date
    note: str = ""  # how it was derived, when it was

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1 if self.start else 0

    @property
    def rank(self) -> tuple[date, str]:
        """Newer filing first: filed date, then accession."""
        return self.filed, self.accn

    @property
    def filing(self) -> str:
        base = f"{self.form} {self.accn} filed {self.filed.isoformat()}"
        return f"{base} {self.note}" if self.note else base

    @property
    def source(self) -> str:
        return f"SEC EDGAR companyfacts {self.filing}"


def quarters_in(days: int) -> int:
    """Length class of a duration: 1 quarter, 2 half year / 6M YTD, 3 (9M YTD), 4 (year); 0 = unusable."""
    for n, (lo, hi) in enumerate(((80, 100), (170, 195), (260, 285), (350, 380)), start=1):
        if lo <= days <= hi:
            return n
    return 0


_dates: dict[str, date] = {}


def _date(s: Any) -> date | None:
    if not isinstance(s, str):
        return None
    d = _dates.get(s)
    if d is None:
        try:
            d = date.fromisoformat(s[:10])
        except ValueError:
            return None
        if len(_dates) < 50_000:
            _dates[s] = d
    return d


def tag_series(table: Mapping[str, Any], tag: str, unit: str = "USD") -> dict[Period, Pick]:
    """Per (start, end), the copy from the newest periodic filing of ``tag`` in ``unit`` (only that unit)."""
    node = table.get(tag)
    units = node.get("units") if isinstance(node, dict) else None
    rows = units.get(unit) if isinstance(units, dict) else None
    if not isinstance(rows, list):
        return {}
    best: dict[Period, tuple[tuple[date, str, int], Pick]] = {}
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            continue
        form, val = r.get("form"), r.get("val")
        if not isinstance(form, str) or not is_periodic(form):
            continue
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
            continue
        end, filed = _date(r.get("end")), _date(r.get("filed"))
        start = _date(r.get("start")) if r.get("start") is not None else None
        if end is None or filed is None or (r.get("start") is not None and (start is None or start > end)):
            continue
        accn = str(r.get("accn") or "")
        rank = (filed, accn, i)
        key = (start, end)
        cur = best.get(key)
        if cur is None or rank > cur[0]:
            best[key] = (rank, Pick(float(val), start, end, form, accn, filed))
    return {k: p for k, (_, p) in best.items()}


def merged(facts: Mapping[str, Any], refs: Iterable[Ref], unit: str = "USD") -> dict[Period, Pick]:
    """Alias (taxonomy, tag)s merged per period: a higher-priority one wins where both report."""
    out: dict[Period, Pick] = {}
    for tax, tag in reversed(list(refs)):
        table = facts.get(tax)
        if isinstance(table, dict):
            out.update(tag_series(table, tag, unit))
    return out


def _instants(series: Mapping[Period, Pick]) -> dict[date, Pick]:
    return {e: p for (s, e), p in series.items() if s is None}


def liabilities(facts: Mapping[str, Any], unit: str = "USD") -> dict[date, Pick]:
    """``Liabilities``, else total − equity (− temporary equity), us-gaap then ifrs-full."""
    out = _instants(merged(facts, aliases("total_liabilities"), unit))
    for tax, total_tag, eq_tags, tmp_tags, label in _LIAB_FALLBACKS:
        total = _instants(merged(facts, [(tax, total_tag)], unit))
        equity = _instants(merged(facts, [(tax, t) for t in eq_tags], unit))
        temp = _instants(merged(facts, [(tax, t) for t in tmp_tags], unit))
        for end, t in total.items():
            if end in out or end not in equity:
                continue
            tmp = temp.get(end)
            value = t.value - equity[end].value - (tmp.value if tmp else 0.0)
            note = f"({label}" + (" − TemporaryEquity)" if tmp else ")")
            out[end] = Pick(value, None, end, t.form, t.accn, t.filed, note)
    return out


def debt(facts: Mapping[str, Any], unit: str = "USD") -> tuple[dict[date, Pick], dict[date, Pick]]:
    """(current, non-current) debt by date: totals, else the sum of the lines (:mod:`feeds.sec_debt`)."""
    def instants_of(refs: Iterable[Ref]) -> dict[date, Pick]:
        return _instants(merged(facts, refs, unit))

    sides = debt_sides(facts, unit, instants_of)
    sides["debt_noncurrent"] = debt_noncurrent(facts, sides["debt_current"], unit, sides["debt_noncurrent"])
    zero_where_absent(sides, instants_of, facts)
    return sides["debt_current"], sides["debt_noncurrent"]


def debt_noncurrent(facts: Mapping[str, Any], current: Mapping[date, Pick], unit: str = "USD",
                    reported: Mapping[date, Pick] | None = None) -> dict[date, Pick]:
    """Non-current debt tags, else ifrs-full ``Borrowings`` − current borrowings at the same date."""
    out = dict(reported) if reported is not None else _instants(merged(facts, aliases("debt_noncurrent"), unit))
    for end, t in _instants(merged(facts, [(IFRS, "Borrowings")], unit)).items():
        cur = current.get(end)
        if end not in out and cur is not None:
            out[end] = Pick(t.value - cur.value, None, end, t.form, t.accn, t.filed,
                            "(Borrowings − current borrowings)")
    return out


#: IFRS 16 has no operating lease liability: every lease is in the lease liabilities (read as
#: finance leases). Where an IFRS filer tags its lease liability, its operating lease lines are 0.
IFRS16_NO_OPERATING = {"operating_lease_current": "CurrentLeaseLiabilities",
                       "operating_lease_noncurrent": "NoncurrentLeaseLiabilities"}


def ifrs16_operating_zero(facts: Mapping[str, Any], lease_tag: str, unit: str) -> dict[date, Pick]:
    """Operating lease = 0 at each date an IFRS filer tags ``lease_tag``, saying why."""
    return {end: replace(p, value=0.0, note=f"(IFRS 16: no operating leases; every lease is in {lease_tag})")
            for end, p in _instants(merged(facts, [(IFRS, lease_tag)], unit)).items()}


def quarters_and_years(series: Mapping[Period, Pick]) -> tuple[dict[date, Pick], dict[date, Pick]]:
    """Discrete quarters (reported, or derived from YTD differences) and fiscal years, by end."""
    durations = [p for (s, _), p in series.items() if s is not None and quarters_in(p.days)]
    quarters: dict[date, Pick] = {}
    years: dict[date, Pick] = {}
    for p in durations:
        n = quarters_in(p.days)
        if n == 1 and (p.end not in quarters or p.rank > quarters[p.end].rank):
            quarters[p.end] = p
        elif n == 4 and (p.end not in years or p.rank > years[p.end].rank):
            years[p.end] = p
    by_start: dict[date, dict[int, Pick]] = {}
    for p in durations:
        assert p.start is not None
        slot = by_start.setdefault(p.start, {})
        n = quarters_in(p.days)
        if n not in slot or p.rank > slot[n].rank:
            slot[n] = p
    for slot in by_start.values():
        for n in (2, 3, 4):
            longer, shorter = slot.get(n), slot.get(n - 1)
            if longer is None or shorter is None or longer.end in quarters:
                continue
            start = date.fromordinal(shorter.end.toordinal() + 1)
            if quarters_in((longer.end - start).days + 1) != 1:
                continue
            label = {2: "6M", 3: "9M", 4: "FY"}[n] + " − " + {1: "3M", 2: "6M", 3: "9M"}[n - 1]
            note = f"− {shorter.form} {shorter.accn} filed {shorter.filed.isoformat()} (quarter = {label})"
            quarters[longer.end] = Pick(longer.value - shorter.value, start, longer.end,
                                        longer.form, longer.accn, longer.filed, note)
    return quarters, years


def half_years(series: Mapping[Period, Pick], quarters: Mapping[date, Pick],
               years: Mapping[date, Pick]) -> dict[date, Pick]:
    """~182-day durations ending where no quarter and no year ends (a half-year filer's H1), by end.

    Never a quarter, never a year: the engine classifies them by length as neither,
    and uses them only in its roll-forward (last FY + H1 − prior H1)."""
    out: dict[date, Pick] = {}
    for (s, e), p in series.items():
        if s is None or quarters_in(p.days) != 2 or e in quarters or e in years:
            continue
        if e not in out or p.rank > out[e].rank:
            out[e] = p
    return out


def _as_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def facts_of(doc: Any) -> Mapping[str, Any]:
    """The ``facts`` object of a companyfacts document, or a FeedError saying what is wrong."""
    if not isinstance(doc, dict) or not isinstance(doc.get("facts"), dict):
        raise FeedError("companyfacts answer has no 'facts' object")
    facts: Mapping[str, Any] = doc["facts"]
    if not any(isinstance(facts.get(t), dict) and facts.get(t) for t in TAXONOMIES):
        raise NoDataError("companyfacts has no us-gaap or ifrs-full facts")
    return facts


def source_prefix(doc: Any, unit: str) -> str:
    """'SEC EDGAR companyfacts <entityName> (CIK <cik>, <unit>)': who the figures are about, in what."""
    name, cik = clean_name(doc.get("entityName") if isinstance(doc, dict) else None), cik_of(doc)
    ident = f"CIK {cik}, {unit}" if cik else unit
    return f"SEC EDGAR companyfacts {name} ({ident})" if name else f"SEC EDGAR companyfacts ({ident})"


def select_facts(doc: Any, *, company: str, fetched_at: datetime, n_instants: int = 8,
                 n_quarters: int = 12, n_years: int = 5, n_halves: int = 6) -> list[FinancialFact]:
    """Companyfacts JSON -> FinancialFacts for the newest periods of every canonical metric,
    all in the company's reporting currency."""
    facts = facts_of(doc)
    unit = reporting_currency(facts)
    prefix = source_prefix(doc, unit)

    def fact(metric: str, p: Pick) -> FinancialFact:
        value = abs(p.value) if metric in POSITIVE_METRICS else p.value
        return FinancialFact(as_of=_as_of(p.end), fetched_at=fetched_at, source=f"{prefix} {p.filing}", company=company,
                             metric=metric, value=value, period_end=p.end, period_start=p.start, unit=unit)

    out: list[FinancialFact] = []
    debt_current, debt_long = debt(facts, unit)
    for metric in instant_metrics():
        if metric == "total_liabilities":
            inst = liabilities(facts, unit)
        elif metric == "debt_current":
            inst = debt_current
        elif metric == "debt_noncurrent":
            inst = debt_long
        elif metric in IFRS16_NO_OPERATING:
            inst = _instants(merged(facts, aliases(metric), unit))
            inst = {**ifrs16_operating_zero(facts, IFRS16_NO_OPERATING[metric], unit), **inst}
        else:
            inst = _instants(merged(facts, aliases(metric), unit))
        out.extend(fact(metric, inst[end]) for end in sorted(inst)[-n_instants:])
    for metric in duration_metrics():
        series = merged(facts, aliases(metric), unit)
        quarters, years = quarters_and_years(series)
        halves = half_years(series, quarters, years)
        for table, n in ((quarters, n_quarters), (years, n_years), (halves, n_halves)):
            out.extend(fact(metric, table[end]) for end in sorted(table)[-n:])
    if not out:
        raise NoDataError(f"companyfacts has none of the expected us-gaap or ifrs-full tags in {unit}")
    return out


__all__ = ["DURATION_TAGS", "INSTANT_TAGS", "PERIODIC_FORMS", "POSITIVE_METRICS", "Pick", "debt", "debt_noncurrent",
           "facts_of", "half_years", "is_periodic", "liabilities", "merged", "quarters_and_years", "quarters_in",
           "select_facts", "source_prefix", "tag_series"]
