"""Reported financial facts by company, metric and period.

Balance-sheet figures are instants (``period_start`` is None); income figures are
durations. Durations are classified by length (quarter ~91 days, year ~365 days);
a missing fourth quarter is derived as FY − Q1 − Q2 − Q3, and TTM is the sum of
the last four quarters (or the fiscal year itself when it is the latest period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from .observations import FinancialFact

#: Canonical metrics. Instants first, then durations.
INSTANT_METRICS: dict[str, str] = {
    "cash": "Cash and cash equivalents",
    "marketable_securities": "Marketable securities",
    "cash_and_securities": "Cash, restricted cash and marketable securities",
    "receivables": "Accounts receivable, net",
    "current_assets": "Total current assets",
    "total_assets": "Total assets",
    "ppe_net": "Property and equipment, net",
    "tech_equipment_cost": "Technology equipment at cost",
    "debt_current": "Debt, current",
    "debt_noncurrent": "Debt, non-current",
    "debt_principal": "Debt principal (total)",
    "operating_lease_current": "Operating lease liabilities, current",
    "operating_lease_noncurrent": "Operating lease liabilities, non-current",
    "finance_lease_current": "Finance lease liabilities, current",
    "finance_lease_noncurrent": "Finance lease liabilities, non-current",
    "current_liabilities": "Total current liabilities",
    "total_liabilities": "Total liabilities",
    "stockholders_equity": "Equity attributable to owners of the parent",
    "retained_earnings": "Retained earnings (accumulated deficit)",
    "signed_leases_not_commenced": "Signed leases not yet commenced (off balance sheet)",
    "undrawn_facilities": "Undrawn committed facilities",
    "rpo": "Remaining performance obligations",
}
DURATION_METRICS: dict[str, str] = {
    "revenue": "Revenue",
    "operating_income": "Operating income (EBIT)",
    "interest_expense": "Interest expense, net",
    "net_income": "Net income (loss)",
    "d_and_a": "Depreciation and amortization",
    "capex": "Capital expenditure",
    "cfo": "Cash from operations",
    "adjusted_ebitda": "Adjusted EBITDA (non-GAAP)",
}
METRICS: dict[str, str] = {**INSTANT_METRICS, **DURATION_METRICS}


def metric_label(metric: str, value: float | None = None) -> str:
    """A metric's name as a reader expects it for this value: retained earnings when
    positive, accumulated deficit when negative."""
    if metric == "retained_earnings" and value is not None:
        return "Retained earnings" if value >= 0 else "Accumulated deficit"
    return METRICS.get(metric, metric)


@dataclass(frozen=True, slots=True)
class Fact:
    """A value with its provenance; derived facts list what they came from."""

    value: float
    period_end: date
    period_start: date | None
    source: str
    derived: str = ""  # formula when not reported directly
    unit: str = "USD"  # the reporting currency; a metric's facts never mix two


def _days(f: FinancialFact | Fact) -> int:
    assert f.period_start is not None
    return (f.period_end - f.period_start).days + 1


class FinancialStore:
    """Latest value per (company, metric, period)."""

    def __init__(self) -> None:
        self._facts: dict[tuple[str, str], dict[tuple[date | None, date], Fact]] = {}
        #: Derived per (company, metric): quarters and TTM ends; dropped when that metric changes.
        self._derived: dict[tuple[str, str, str], Any] = {}

    def ingest(self, f: FinancialFact) -> None:
        periods = self._facts.setdefault((f.company, f.metric), {})
        if periods and next(iter(periods.values())).unit != f.unit:
            periods.clear()  # the company now reports in another currency: never mix the two
        periods[(f.period_start, f.period_end)] = Fact(f.value, f.period_end, f.period_start, f.source, unit=f.unit)
        for kind in ("quarters", "ttm_ends"):
            self._derived.pop((kind, f.company, f.metric), None)

    # --- instants -----------------------------------------------------------
    def instant_periods(self, company: str, metric: str) -> list[date]:
        return sorted(e for (s, e) in self._facts.get((company, metric), {}) if s is None)

    def instant(self, company: str, metric: str, at: date | None = None) -> Fact | None:
        """Value at ``at`` (exactly), or the latest one when ``at`` is None."""
        periods = self._facts.get((company, metric), {})
        if at is not None:
            return periods.get((None, at))
        ends = [e for (s, e) in periods if s is None]
        return periods[(None, max(ends))] if ends else None

    def balance_periods(self, company: str) -> list[date]:
        """Period ends with a balance sheet (total assets reported), newest first."""
        return sorted(self.instant_periods(company, "total_assets"), reverse=True)

    # --- durations ----------------------------------------------------------
    def durations(self, company: str, metric: str) -> list[Fact]:
        return sorted(
            (f for (s, _), f in self._facts.get((company, metric), {}).items() if s is not None),
            key=lambda f: (f.period_end, -_days(f)),
        )

    def quarters(self, company: str, metric: str) -> dict[date, Fact]:
        """Quarterly values by period end, with Q4 derived from FY − 9 months."""
        key = ("quarters", company, metric)
        if key not in self._derived:
            self._derived[key] = self._quarters(company, metric)
        return cast("dict[date, Fact]", self._derived[key])  # the cache holds each kind's own type

    def _quarters(self, company: str, metric: str) -> dict[date, Fact]:
        facts = self.durations(company, metric)
        q = {f.period_end: f for f in facts if is_quarter(f)}
        for fy in (f for f in facts if is_year(f)):
            if fy.period_end in q:
                continue
            assert fy.period_start is not None
            inside = [x for x in q.values()
                      if x.period_start and fy.period_start <= x.period_start and x.period_end < fy.period_end]
            if len(inside) == 3:
                val = fy.value - sum(x.value for x in inside)
                start = max(x.period_end for x in inside) + timedelta(days=1)
                q[fy.period_end] = Fact(val, fy.period_end, start, fy.source, derived="FY − Q1 − Q2 − Q3")
        return dict(sorted(q.items()))

    def ttm(self, company: str, metric: str, at: date | None = None) -> Fact | None:
        """Trailing twelve months ending at ``at`` (default: the latest end that has one).

        In order: the fiscal year ending there; four consecutive quarters ending there;
        the last fiscal year + the year-to-date − the same period a year earlier (the
        usual LTM roll-forward, e.g. FY2024 + Q1-25 − Q1-24)."""
        q = self.quarters(company, metric)
        durs = self.durations(company, metric)
        fy = {f.period_end: f for f in durs if is_year(f)}
        ends = [at] if at is not None else sorted({f.period_end for f in durs} | set(q), reverse=True)
        for end in ends:
            if end in fy:
                f = fy[end]
                return Fact(f.value, end, f.period_start, f.source)
            qs = [q[e] for e in sorted(q) if e <= end][-4:]
            if len(qs) == 4 and qs[-1].period_end == end and (end - qs[0].period_end).days < 300:
                srcs = sorted({x.source for x in qs})
                return Fact(sum(x.value for x in qs), end, None, "; ".join(srcs), derived="sum of last 4 quarters")
            rolled = self._roll_forward(durs, fy, end)
            if rolled is not None:
                return rolled
        return None

    def ttm_ends(self, company: str, metric: str) -> set[date]:
        """Every period end at which :meth:`ttm` has a value."""
        key = ("ttm_ends", company, metric)
        if key not in self._derived:
            ends = {f.period_end for f in self.durations(company, metric)}
            self._derived[key] = {e for e in ends if self.ttm(company, metric, e) is not None}
        return cast("set[date]", self._derived[key])

    @staticmethod
    def _roll_forward(durs: list[Fact], fy: dict[date, Fact], end: date) -> Fact | None:
        years = [e for e in fy if e < end and (end - e).days < 366]
        if not years:
            return None
        year = fy[max(years)]
        ytd = next((f for f in durs if f.period_end == end and f.period_start == year.period_end + timedelta(days=1)),
                   None)
        if ytd is None:
            return None
        prior = next((f for f in durs if f.period_start is not None and abs((f.period_end - year_back(end)).days) <= 7
                      and abs(_days(f) - _days(ytd)) <= 3), None)
        if prior is None:
            return None
        srcs = sorted({year.source, ytd.source, prior.source})
        return Fact(year.value + ytd.value - prior.value, end, None, "; ".join(srcs),
                    derived="last FY + year-to-date − same period a year earlier")


def is_year(f: Fact | FinancialFact) -> bool:
    """A duration of about a year (fiscal years run 52–53 weeks)."""
    return f.period_start is not None and 350 <= _days(f) <= 380


def is_quarter(f: Fact | FinancialFact) -> bool:
    return f.period_start is not None and 80 <= _days(f) <= 100


def year_back(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)
