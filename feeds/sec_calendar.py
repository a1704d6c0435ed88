"""A filer's own fiscal calendar, read from the period ends and forms of its filings.

Why: the generic :class:`~feeds.freshness.FilingDeadline` assumes quarters end on month
ends. A 52/53-week filer's quarters end on a weekday (2025-12-27, 2026-04-26), so the
"next quarter end" it computed was a month end the filer never reports, and its current
figures turned STALE. Here the calendar is the filer's own:

* each periodic filing in ``companyfacts`` gives one period: the newest balance-sheet
  date (``Assets``) it reports, with its form (10-Q, 10-K, 20-F, 6-K, 40-F);
* the next period end after a date is the next known one, else projected from the last
  known: one quarter on (three months for a month-end filer, 14 weeks for a week-based one,
  the longest quarter a 53-week year has), or one year on for an annual filer;
* it is due ``deadline`` days after its end: 45 days for a 10-Q, 90 for a 10-K, 120 for a
  20-F or 40-F (the longest SEC periods, so a filer is never STALE while its filing could
  still be on time); a due date on a weekend moves to the Monday. A period is annual when
  the filing a year before it (within a week) was an annual report.

Pure: dates in, dates out.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from .freshness import Freshness
from .sec_tags import IFRS, US, is_periodic

ANNUAL_FORMS = frozenset({"10-K", "10-KT", "20-F", "40-F"})
FOREIGN_ANNUAL = frozenset({"20-F", "40-F"})
DEADLINE_DAYS = {"10-Q": 45, "10-K": 90, "20-F": 120, "40-F": 120}
_END_OF_DAY = time(23, 59, 59, 999999)


def _month_end(d: date) -> bool:
    return (d + timedelta(days=1)).day == 1


def _add_months(d: date, months: int) -> date:
    """The month end ``months`` after the month end ``d``."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, calendar.monthrange(y, m)[1])


def form_of(form: str) -> str:
    return form.strip().upper().removesuffix("/A")


@dataclass(frozen=True)
class FiscalCalendar(Freshness):
    """Period ends (ascending) with the form that reported each, from the filer's filings."""

    periods: tuple[tuple[date, str], ...]

    @property
    def foreign(self) -> bool:
        return any(form in FOREIGN_ANNUAL for _, form in self.periods)

    @property
    def week_based(self) -> bool:
        return any(not _month_end(end) for end, _ in self.periods)

    @property
    def annual_form(self) -> str:
        forms = [form for _, form in self.periods if form in ANNUAL_FORMS]
        return forms[-1] if forms else "10-K"

    @property
    def label(self) -> str:
        kind = "52/53-week" if self.week_based else "month-end"
        if self.foreign:
            return f"{self.annual_form} {DEADLINE_DAYS.get(self.annual_form, 120)} days after its fiscal year end " \
                   f"({kind} calendar from its filings)"
        return f"10-Q 45 days after quarter end, 10-K 90 days after year end ({kind} calendar from its filings)"

    def _tracked(self) -> list[tuple[date, str]]:
        """The periods that have a deadline: every one, or only annual ones for a foreign filer."""
        if self.foreign:
            return [(e, f) for e, f in self.periods if f in ANNUAL_FORMS]
        return [(e, f) for e, f in self.periods if f in ANNUAL_FORMS or f in ("10-Q", "10-QT")]

    def _form_at(self, end: date) -> str:
        """The form due for a period ending at ``end``: annual when a year before it (within a
        week) was an annual report's period, else 10-Q (a foreign filer: its annual form)."""
        if self.foreign:
            return self.annual_form
        for e, f in self.periods:
            if f in ANNUAL_FORMS and (e == end or abs((end - e).days - 364) <= 8):
                return self.annual_form
        return "10-Q"

    def period_after(self, d: date) -> tuple[date, str]:
        """The first period end strictly after ``d`` with the form due for it: the next known
        one, or the one projected from the last known on or before ``d`` when that is sooner
        (a quarter the filings do not show yet)."""
        tracked = self._tracked()
        later = [e for e, _ in tracked if e > d]
        before = [e for e, _ in tracked if e <= d]
        nxt = before[-1] if before else d
        while nxt <= d:
            if self.week_based:
                nxt = nxt + timedelta(weeks=53 if self.foreign else 14)
            elif _month_end(nxt):
                nxt = _add_months(nxt, 12 if self.foreign else 3)
            else:
                nxt = nxt + timedelta(days=366 if self.foreign else 92)
        if later and later[0] <= nxt:
            return later[0], dict(tracked)[later[0]]
        return nxt, self._form_at(nxt)

    @staticmethod
    def due(end: date, form: str) -> date:
        d = end + timedelta(days=DEADLINE_DAYS.get(form, 90))
        while d.weekday() >= 5:
            d += timedelta(days=1)
        return d

    def next_due(self, as_of: datetime) -> tuple[date, str, date]:
        end, form = self.period_after(as_of.astimezone(UTC).date())
        return end, form, self.due(end, form)

    def expires(self, as_of: datetime) -> datetime | None:
        return datetime.combine(self.next_due(as_of)[2], _END_OF_DAY, tzinfo=UTC)

    def explain(self, as_of: datetime) -> str:
        end, form, due = self.next_due(as_of)
        if end in dict(self.periods) or not self.week_based:
            return f"limit: the {end.isoformat()} {form} was due {due.isoformat()}"
        # projected on a 52/53-week calendar: the latest the period can end
        return f"limit: the {form} for the period ending by {end.isoformat()} was due {due.isoformat()}"


def _periods(facts: Mapping[str, Any]) -> dict[str, tuple[date, str]]:
    """accession -> (its newest balance-sheet date, its form), from ``Assets`` rows."""
    out: dict[str, tuple[date, str]] = {}
    for tax in (US, IFRS):
        table = facts.get(tax)
        node = table.get("Assets") if isinstance(table, dict) else None
        units = node.get("units") if isinstance(node, dict) else None
        for rows in (units.values() if isinstance(units, dict) else ()):
            for r in rows if isinstance(rows, list) else ():
                if not isinstance(r, dict) or not isinstance(r.get("form"), str) or not is_periodic(r["form"]):
                    continue
                accn = str(r.get("accn") or "")
                try:
                    end = date.fromisoformat(str(r.get("end"))[:10])
                except ValueError:
                    continue
                if accn and (accn not in out or end > out[accn][0]):
                    out[accn] = (end, form_of(r["form"]))
    return out


def calendar_of(doc: Any) -> FiscalCalendar | None:
    """The filer's calendar from a companyfacts document; None when it shows no periodic balance sheet."""
    facts = doc.get("facts") if isinstance(doc, dict) else None
    if not isinstance(facts, dict):
        return None
    ends: dict[date, str] = {}
    for end, form in _periods(facts).values():
        # an annual report and a 10-Q at one date (never in practice): the annual form wins
        if end not in ends or form in ANNUAL_FORMS:
            ends[end] = form
    return FiscalCalendar(tuple(sorted(ends.items()))) if ends else None


__all__ = ["DEADLINE_DAYS", "FiscalCalendar", "calendar_of"]
