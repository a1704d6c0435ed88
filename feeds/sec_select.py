"""Pick reported figures out of SEC EDGAR ``companyfacts`` and ``submissions`` JSON.

Why a separate, pure module: the choice of *which* of the many copies of a fact to
trust is the delicate part of the SEC feed and must be testable on real recorded
documents without a network. EDGAR repeats each figure in every filing that shows
it as a comparative, labels filings with ``fy``/``fp`` that describe the filing and
not the period (Snowflake has 10-Qs marked ``fp: "FY"``), and mixes S-1 and 8-K
copies with periodic reports. So, following data-sources.md "SEC EDGAR":

* only periodic forms count (10-K, 10-Q, 20-F, 40-F and their /A amendments);
* the unit is always ``"USD"`` (never "the first key of ``units``");
* a period is identified by ``start``/``end`` only; per period the newest ``filed``
  copy wins (ties: the later accession, then the later row);
* durations are classified by length, quarters missing from the filings (Q4, and
  cash-flow quarters that are only reported year-to-date) are derived as the
  difference of two year-to-date figures with the same start.

No httpx, no pandas: one ``json.loads`` and plain dict/list work, fast on the
2.6 MB Snowflake document.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from collections.abc import Mapping
from typing import Any

from engine.observations import FilingEvent, FinancialFact

from .base import FeedError, NoDataError

PERIODIC_FORMS = frozenset({"10-K", "10-Q", "20-F", "40-F", "10-KT", "10-QT"})
FILING_FORMS = frozenset({"10-K", "10-Q", "8-K", "20-F", "40-F", "6-K"})
#: 8-K items that announce new debt: 1.01 material agreement, 2.03 direct financial obligation.
DEBT_ITEMS = frozenset({"1.01", "2.03"})

#: canonical instant metric -> us-gaap tags, highest priority first.
INSTANT_TAGS: dict[str, tuple[str, ...]] = {
    "cash": ("CashAndCashEquivalentsAtCarryingValue", "Cash"),
    "receivables": ("AccountsReceivableNetCurrent",),
    "current_assets": ("AssetsCurrent",),
    "total_assets": ("Assets",),
    "ppe_net": ("PropertyPlantAndEquipmentNet",),
    "debt_current": ("DebtCurrent", "LongTermDebtCurrent"),
    "debt_noncurrent": ("LongTermDebtNoncurrent",),
    "operating_lease_current": ("OperatingLeaseLiabilityCurrent",),
    "operating_lease_noncurrent": ("OperatingLeaseLiabilityNoncurrent",),
    "finance_lease_current": ("FinanceLeaseLiabilityCurrent",),
    "finance_lease_noncurrent": ("FinanceLeaseLiabilityNoncurrent",),
    "current_liabilities": ("LiabilitiesCurrent",),
    "total_liabilities": ("Liabilities",),
    "stockholders_equity": ("StockholdersEquity", "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest"),
    "retained_earnings": ("RetainedEarningsAccumulatedDeficit",),
    "rpo": ("RevenueRemainingPerformanceObligation",),
}
#: canonical duration metric -> us-gaap tags, highest priority first.
DURATION_TAGS: dict[str, tuple[str, ...]] = {
    "revenue": ("RevenueFromContractWithCustomerExcludingAssessedTax", "Revenues",
                "RevenueFromContractWithCustomerIncludingAssessedTax"),
    "operating_income": ("OperatingIncomeLoss",),
    "interest_expense": ("InterestExpenseNonoperating", "InterestExpense", "InterestExpenseDebt"),
    "net_income": ("NetIncomeLoss", "ProfitLoss"),
    "d_and_a": ("DepreciationDepletionAndAmortization", "DepreciationAndAmortization"),
    "capex": ("PaymentsToAcquirePropertyPlantAndEquipment", "PaymentsToAcquireProductiveAssets"),
    "cfo": ("NetCashProvidedByUsedInOperatingActivities",),
}
#: reported as positive expenses whatever sign a filer used.
POSITIVE_METRICS = frozenset({"interest_expense", "d_and_a", "capex"})
_EQUITY_FOR_FALLBACK = ("StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest", "StockholdersEquity")
_TEMP_EQUITY = ("TemporaryEquityCarryingAmountIncludingPortionAttributableToNoncontrollingInterests",
                "TemporaryEquityCarryingAmountAttributableToParent")

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
    def source(self) -> str:
        base = f"SEC EDGAR companyfacts {self.form} {self.accn} filed {self.filed.isoformat()}"
        return f"{base} {self.note}" if self.note else base


def is_periodic(form: str) -> bool:
    f = form.strip().upper()
    return f.removesuffix("/A") in PERIODIC_FORMS


def quarters_in(days: int) -> int:
    """Length class of a duration: 1 quarter, 2/3 (YTD), 4 (year); 0 = unusable."""
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


def tag_series(gaap: Mapping[str, Any], tag: str, unit: str = "USD") -> dict[Period, Pick]:
    """Per (start, end), the copy from the newest periodic filing of ``tag`` in ``unit``."""
    node = gaap.get(tag)
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


def merged(gaap: Mapping[str, Any], tags: tuple[str, ...]) -> dict[Period, Pick]:
    """Alias tags merged per period: a higher-priority tag wins where both report."""
    out: dict[Period, Pick] = {}
    for tag in reversed(tags):
        out.update(tag_series(gaap, tag))
    return out


def _instants(series: Mapping[Period, Pick]) -> dict[date, Pick]:
    return {e: p for (s, e), p in series.items() if s is None}


def liabilities(gaap: Mapping[str, Any]) -> dict[date, Pick]:
    """``Liabilities``, else LiabilitiesAndStockholdersEquity − equity − temporary equity."""
    direct = _instants(tag_series(gaap, "Liabilities"))
    total = _instants(tag_series(gaap, "LiabilitiesAndStockholdersEquity"))
    equity = _instants(merged(gaap, _EQUITY_FOR_FALLBACK))
    temp = _instants(merged(gaap, _TEMP_EQUITY))
    out = dict(direct)
    for end, t in total.items():
        if end in out or end not in equity:
            continue
        tmp = temp.get(end)
        value = t.value - equity[end].value - (tmp.value if tmp else 0.0)
        note = "(LiabilitiesAndStockholdersEquity − StockholdersEquity" + (" − TemporaryEquity)" if tmp else ")")
        out[end] = Pick(value, None, end, t.form, t.accn, t.filed, note)
    return out


def quarters_and_years(series: Mapping[Period, Pick]) -> tuple[dict[date, Pick], dict[date, Pick]]:
    """Discrete quarters (reported, or derived from YTD differences) and fiscal years, by end."""
    durations = [p for (s, _), p in series.items() if s is not None and quarters_in(p.days)]
    quarters: dict[date, Pick] = {}
    years: dict[date, Pick] = {}
    for p in durations:
        n = quarters_in(p.days)
        if n == 1 and (p.end not in quarters or p.filed > quarters[p.end].filed):
            quarters[p.end] = p
        elif n == 4 and (p.end not in years or p.filed > years[p.end].filed):
            years[p.end] = p
    by_start: dict[date, dict[int, Pick]] = {}
    for p in durations:
        assert p.start is not None
        slot = by_start.setdefault(p.start, {})
        n = quarters_in(p.days)
        if n not in slot or p.filed > slot[n].filed:
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


def _as_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def _fact(company: str, metric: str, p: Pick, fetched_at: datetime) -> FinancialFact:
    value = abs(p.value) if metric in POSITIVE_METRICS else p.value
    return FinancialFact(as_of=_as_of(p.end), fetched_at=fetched_at, source=p.source, company=company,
                         metric=metric, value=value, period_end=p.end, period_start=p.start)


def gaap_of(doc: Any) -> Mapping[str, Any]:
    """The ``us-gaap`` table of a companyfacts document, or a FeedError saying what is wrong."""
    if not isinstance(doc, dict) or not isinstance(doc.get("facts"), dict):
        raise FeedError("companyfacts answer has no 'facts' object")
    gaap = doc["facts"].get("us-gaap")
    if not isinstance(gaap, dict) or not gaap:
        raise NoDataError("companyfacts has no us-gaap facts (foreign filer using IFRS?)")
    return gaap


def select_facts(doc: Any, *, company: str, fetched_at: datetime, n_instants: int = 8,
                 n_quarters: int = 12, n_years: int = 5) -> list[FinancialFact]:
    """Companyfacts JSON -> FinancialFacts for the newest periods of every canonical metric."""
    gaap = gaap_of(doc)
    out: list[FinancialFact] = []
    for metric, tags in INSTANT_TAGS.items():
        inst = liabilities(gaap) if metric == "total_liabilities" else _instants(merged(gaap, tags))
        for end in sorted(inst)[-n_instants:]:
            out.append(_fact(company, metric, inst[end], fetched_at))
    for metric, tags in DURATION_TAGS.items():
        quarters, years = quarters_and_years(merged(gaap, tags))
        for end in sorted(quarters)[-n_quarters:]:
            out.append(_fact(company, metric, quarters[end], fetched_at))
        for end in sorted(years)[-n_years:]:
            out.append(_fact(company, metric, years[end], fetched_at))
    if not out:
        raise NoDataError("companyfacts has none of the expected us-gaap tags in USD")
    return out


# --------------------------------------------------------------------- submissions
def filing_url(cik: str | int, accession: str, document: str = "") -> str:
    folder = f"https://www.sec.gov/Archives/edgar/data/{int(cik)}/{accession.replace('-', '')}"
    return f"{folder}/{document}" if document else f"{folder}/{accession}-index.htm"


def new_debt(event: FilingEvent) -> bool:
    """An 8-K whose items announce a material agreement or a new financial obligation."""
    return event.form.upper().startswith("8-K") and bool(DEBT_ITEMS.intersection(event.items))


def select_filings(doc: Any, *, company: str, fetched_at: datetime,
                   forms: frozenset[str] = FILING_FORMS) -> list[FilingEvent]:
    """Submissions JSON (column arrays under ``filings.recent``) -> FilingEvents, newest first."""
    recent = doc.get("filings", {}).get("recent") if isinstance(doc, dict) and isinstance(doc.get("filings"), dict) else None
    if not isinstance(recent, dict):
        raise FeedError("submissions answer has no 'filings.recent' table")
    cik = str(doc.get("cik") or "0")
    cols = {k: v for k, v in recent.items() if isinstance(v, list)}
    accns, formcol, filedcol = cols.get("accessionNumber", []), cols.get("form", []), cols.get("filingDate", [])
    n = min(len(accns), len(formcol), len(filedcol))

    def col(name: str, i: int) -> Any:
        c = cols.get(name, [])
        return c[i] if i < len(c) else None

    out: list[FilingEvent] = []
    for i in range(n):
        form, accn, filed = formcol[i], accns[i], _date(filedcol[i])
        if not isinstance(form, str) or not isinstance(accn, str) or filed is None:
            continue
        base = form.upper().removesuffix("/A")
        if base not in forms:
            continue
        items_raw = col("items", i)
        items = tuple(x.strip() for x in items_raw.split(",") if x.strip()) if isinstance(items_raw, str) else ()
        as_of = _as_of(filed)
        accepted = col("acceptanceDateTime", i)
        if isinstance(accepted, str):
            try:
                as_of = datetime.fromisoformat(accepted.replace("Z", "+00:00")).astimezone(timezone.utc)
            except ValueError:
                pass
        doc_name = col("primaryDocument", i)
        try:
            url = filing_url(cik, accn, doc_name if isinstance(doc_name, str) else "")
        except ValueError:
            url = f"SEC EDGAR {accn}"
        out.append(FilingEvent(as_of=as_of, fetched_at=fetched_at, source=url, company=company,
                               form=form, accession=accn, filed=filed, items=items))
    out.sort(key=lambda e: (e.filed, e.accession), reverse=True)
    return out
