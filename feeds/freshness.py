"""How old a feed's *data* may be before the dashboard calls it STALE.

A fetch that just succeeded can still carry old data (a FRED series that stopped in
2024, a CSV nobody updated, last year's balance sheet). So every feed has a limit on
the age of its newest ``as_of`` — not of the fetch — expressed as the moment that
data expires:

* :class:`BusinessDays` — daily rates and daily index values: fresh through the
  ``n``-th weekday after their date (a Friday value with n = 5 is fresh through the
  next Friday, STALE from the Saturday after). Holidays are not known, hence 5.
* :class:`MaxAge` — live prices: ``as_of`` plus a duration (2 × the poll interval).
* :class:`Longest` — the later of several limits (a daily price index polled hourly).
* :class:`FilingDeadline` — reported financials: STALE once the filing for a newer
  period end was due (10-Q 45 days after a quarter end, 10-K 90 days after the fiscal
  year end) and the data still ends before that period.

No Textual, no network: pure functions of ``as_of`` and ``now``, easy to test.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from engine.observations import (
    Assumption,
    CustomerShare,
    DebtFacility,
    EquityQuote,
    FilingEvent,
    FinancialFact,
    Maturity,
    Observation,
    PriceQuote,
    RateObs,
)
from engine.series import add_business_days

_END_OF_DAY = time(23, 59, 59, 999999)


def _end_of(d: date) -> datetime:
    return datetime.combine(d, _END_OF_DAY, tzinfo=UTC)


class Freshness:
    """A limit on the age of data. Subclasses define :meth:`expires` and ``label``."""

    @property
    def label(self) -> str:
        return ""

    def expires(self, as_of: datetime) -> datetime | None:
        """The last moment data dated ``as_of`` counts as fresh; None = never stale."""
        raise NotImplementedError

    def is_stale(self, as_of: datetime, now: datetime) -> bool:
        end = self.expires(as_of)
        return end is not None and now > end

    def explain(self, as_of: datetime) -> str:
        """What the limit is, for the status line: ``limit 5 business days``."""
        return f"limit {self.label}"


@dataclass(frozen=True)
class BusinessDays(Freshness):
    days: int = 5

    @property
    def label(self) -> str:
        return f"{self.days} business day{'s' if self.days != 1 else ''}"

    def expires(self, as_of: datetime) -> datetime | None:
        return _end_of(add_business_days(as_of.astimezone(UTC).date(), self.days))


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0 or seconds >= 10 * size:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


@dataclass(frozen=True)
class MaxAge(Freshness):
    seconds: float

    @property
    def label(self) -> str:
        return _duration(self.seconds)

    def expires(self, as_of: datetime) -> datetime | None:
        return as_of + timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Longest(Freshness):
    """The most lenient of several limits (each one alone would be too strict for some data)."""

    limits: tuple[Freshness, ...]

    @property
    def label(self) -> str:
        return " or ".join(x.label for x in self.limits) + ", whichever is later"

    def expires(self, as_of: datetime) -> datetime | None:
        ends = [x.expires(as_of) for x in self.limits]
        return None if any(e is None for e in ends) else max(e for e in ends if e is not None)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class FilingDeadline(Freshness):
    """Reported figures: fresh until the filing for the next period end was due.

    Period ends are the fiscal quarter ends (month ends, every 3 months from the fiscal
    year end month; calendar quarters by default), or only fiscal year ends when
    ``annual``. Deadlines count calendar days; one that falls on a weekend moves to the
    Monday, as SEC's does (public holidays are not known)."""

    fiscal_year_end_month: int = 12
    quarter_days: int = 45  # 10-Q
    annual_days: int = 90  # 10-K
    annual: bool = False
    annual_form: str = "10-K"  # "20-F" for a foreign private issuer

    @property
    def label(self) -> str:
        if self.annual:
            return f"{self.annual_form} {self.annual_days} days after fiscal year end"
        return f"10-Q {self.quarter_days} days after quarter end, 10-K {self.annual_days} days after year end"

    def period_ends_after(self, d: date) -> date:
        """The first (fiscal quarter or year) period end strictly after ``d``."""
        step = 12 if self.annual else 3
        months = sorted({(self.fiscal_year_end_month - 1 - k * step) % 12 + 1 for k in range(12 // step)})
        year = d.year
        while True:
            for m in months:
                end = _month_end(year, m)
                if end > d:
                    return end
            year += 1

    def due(self, period_end: date) -> date:
        is_year_end = period_end.month == self.fiscal_year_end_month
        d = period_end + timedelta(days=self.annual_days if is_year_end else self.quarter_days)
        while d.weekday() >= 5:
            d += timedelta(days=1)
        return d

    def next_due(self, as_of: datetime) -> tuple[date, date]:
        nxt = self.period_ends_after(as_of.astimezone(UTC).date())
        return nxt, self.due(nxt)

    def expires(self, as_of: datetime) -> datetime | None:
        return _end_of(self.next_due(as_of)[1])

    def explain(self, as_of: datetime) -> str:
        nxt, due = self.next_due(as_of)
        form = self.annual_form if nxt.month == self.fiscal_year_end_month else "10-Q"
        return f"limit: the {nxt.isoformat()} {form} was due {due.isoformat()}"


DAILY = BusinessDays(5)
QUARTERLY_FILINGS = FilingDeadline()
ANNUAL_FILINGS = FilingDeadline(annual=True)


def dated(observations: Iterable[Observation]) -> list[Observation]:
    """The observations whose ``as_of`` is the data's date. An assumption has no market
    date and a filing event is dated when it was filed; a financial fact, facility,
    maturity or customer share is dated at its period end (their ``as_of``)."""
    return [o for o in observations if not isinstance(o, (Assumption, FilingEvent))]


def is_daily(observations: Iterable[Observation]) -> bool:
    """True when every value is dated at midnight UTC: a date, not a time (daily data)."""
    obs = list(observations)
    return bool(obs) and all(o.as_of.astimezone(UTC).time() == time(0) for o in obs)


def price_freshness(interval: float, observations: Iterable[Observation] = ()) -> Freshness:
    """Prices: 2 × the poll interval; values that carry only a date (a daily index, the
    replayed history) get at least 5 business days, so a daily index is not STALE at noon."""
    limit = MaxAge(2.0 * interval)
    if not is_daily(observations):
        return limit
    return DAILY if limit.seconds <= 5 * 86400 else Longest((limit, DAILY))


def by_kind(observations: Iterable[Observation], interval: float) -> Freshness | None:
    """The default limit, from what a feed returned (the most common kind of dated value)."""
    obs = dated(observations)
    if not obs:
        return None
    kind = Counter(type(o) for o in obs).most_common(1)[0][0]
    if issubclass(kind, PriceQuote):
        return price_freshness(interval, obs)
    if issubclass(kind, (RateObs, EquityQuote)):
        return DAILY
    if issubclass(kind, CustomerShare):
        return ANNUAL_FILINGS
    if issubclass(kind, (FinancialFact, DebtFacility, Maturity)):
        return QUARTERLY_FILINGS
    return None


def newest(observations: Iterable[Observation]) -> datetime | None:
    """Newest data date among the observations (see :func:`dated`)."""
    dates = [o.as_of for o in dated(observations)]
    return max(dates) if dates else None


__all__ = ["ANNUAL_FILINGS", "BusinessDays", "DAILY", "FilingDeadline", "Freshness", "Longest", "MaxAge",
           "QUARTERLY_FILINGS", "add_business_days", "by_kind", "dated", "is_daily", "newest", "price_freshness"]
