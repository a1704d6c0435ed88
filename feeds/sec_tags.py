"""Which XBRL tags, which taxonomy, which currency, and whose document: for :mod:`feeds.sec_select`.

Why a separate module: companyfacts answers come in two accounting languages.
Domestic filers (10-K/10-Q) tag ``us-gaap``; foreign private issuers filing
20-F/6-K under IFRS (Nebius and other peers, coreweave.md "Peers") tag
``ifrs-full``, and with the ``us-gaap`` table alone they gave no data at all.
Each canonical metric of :mod:`engine.financials` therefore has one alias list,
``us-gaap`` tags first (they win where both report the same period), then the
``ifrs-full`` ones, highest priority first within each.

IFRS choices worth knowing:

* IFRS 16 has one lessee model: every lease liability is measured like a US
  finance lease (interest in finance costs, depreciation of the right-of-use
  asset in D&A, so IFRS EBITDA is before lease costs). ``CurrentLeaseLiabilities``
  / ``NoncurrentLeaseLiabilities`` therefore map to ``finance_lease_current`` /
  ``finance_lease_noncurrent``, never to the operating-lease metrics.
* Borrowings: current = ``CurrentBorrowingsAndCurrentPortionOfNoncurrentBorrowings``
  (the IAS 1 total), else ``CurrentPortionOfLongtermBorrowings`` (a part only);
  non-current = ``NoncurrentPortionOfNoncurrentBorrowings``, else
  ``LongtermBorrowings``, else (in sec_select) ``Borrowings`` − current borrowings
  when both are reported at that date. A lone ``Borrowings`` total is not split.
* Equity is the owners' share ``EquityAttributableToOwnersOfParent`` (as us-gaap
  ``StockholdersEquity``, minorities excluded in both standards), else ``Equity``
  (incl. minorities) when that is all a filer tags.
* ``FinanceCosts`` (interest on borrowings and leases) is interest expense, then
  ``InterestExpense``; ``ProfitLoss`` (incl. minorities) is net income, then the
  owners' share; D&A is ``DepreciationAndAmortisationExpense``, then the wider
  D&A-and-impairment line.

Amounts keep the company's reporting currency (:func:`reporting_currency`): one
currency per company, never mixed, never "the first key of ``units``".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from .base import FeedError

US, IFRS = "us-gaap", "ifrs-full"
TAXONOMIES = (US, IFRS)
#: Forms whose XBRL facts are trusted: annual/quarterly reports, and the 6-K that
#: carries a foreign filer's interim (usually half-year) statements.
PERIODIC_FORMS = frozenset({"10-K", "10-Q", "20-F", "40-F", "10-KT", "10-QT", "6-K"})

#: canonical instant metric -> us-gaap tags, highest priority first.
INSTANT_TAGS: dict[str, tuple[str, ...]] = {
    "cash": ("CashAndCashEquivalentsAtCarryingValue", "Cash"),
    "receivables": ("AccountsReceivableNetCurrent",),
    "current_assets": ("AssetsCurrent",),
    "total_assets": ("Assets",),
    "ppe_net": ("PropertyPlantAndEquipmentNet",),
    "debt_current": ("DebtCurrent", "LongTermDebtCurrent"),  # totals; every debt tag: feeds.sec_debt
    "debt_noncurrent": ("LongTermDebtNoncurrent",),
    "operating_lease_current": ("OperatingLeaseLiabilityCurrent",),
    "operating_lease_noncurrent": ("OperatingLeaseLiabilityNoncurrent",),
    "finance_lease_current": ("FinanceLeaseLiabilityCurrent",),
    "finance_lease_noncurrent": ("FinanceLeaseLiabilityNoncurrent",),
    "current_liabilities": ("LiabilitiesCurrent",),
    "total_liabilities": ("Liabilities",),
    "stockholders_equity": ("StockholdersEquity",
                            "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest"),
    "retained_earnings": ("RetainedEarningsAccumulatedDeficit",),
    "rpo": ("RevenueRemainingPerformanceObligation",),
    "undrawn_facilities": ("LineOfCreditFacilityRemainingBorrowingCapacity",),
}
#: canonical duration metric -> us-gaap tags, highest priority first.
DURATION_TAGS: dict[str, tuple[str, ...]] = {
    "revenue": ("RevenueFromContractWithCustomerExcludingAssessedTax", "Revenues",
                "RevenueFromContractWithCustomerIncludingAssessedTax"),
    "operating_income": ("OperatingIncomeLoss",),
    "interest_expense": ("InterestExpenseNonoperating", "InterestExpense", "InterestExpenseDebt"),
    "net_income": ("NetIncomeLoss", "ProfitLoss"),
    # D&A: the cash-flow add-back (with depletion, then without), then with accretion, then
    # depreciation alone (filers that tag amortization apart): per period the widest one reported
    "d_and_a": ("DepreciationDepletionAndAmortization", "DepreciationAndAmortization",
                "DepreciationAmortizationAndAccretionNet", "Depreciation"),
    "capex": ("PaymentsToAcquirePropertyPlantAndEquipment", "PaymentsToAcquireProductiveAssets"),
    "cfo": ("NetCashProvidedByUsedInOperatingActivities",),
}
#: canonical instant metric -> ifrs-full tags, highest priority first (see the module notes).
IFRS_INSTANT_TAGS: dict[str, tuple[str, ...]] = {
    "cash": ("CashAndCashEquivalents", "Cash"),
    "receivables": ("TradeAndOtherCurrentReceivables", "CurrentTradeReceivables"),
    "current_assets": ("CurrentAssets",),
    "total_assets": ("Assets",),
    "ppe_net": ("PropertyPlantAndEquipment",),
    "debt_current": ("CurrentBorrowingsAndCurrentPortionOfNoncurrentBorrowings", "CurrentPortionOfLongtermBorrowings"),
    "debt_noncurrent": ("NoncurrentPortionOfNoncurrentBorrowings", "LongtermBorrowings"),
    "finance_lease_current": ("CurrentLeaseLiabilities",),        # IFRS 16: all leases are finance-like
    "finance_lease_noncurrent": ("NoncurrentLeaseLiabilities",),
    "current_liabilities": ("CurrentLiabilities",),
    "total_liabilities": ("Liabilities",),
    # owners' share first, as us-gaap StockholdersEquity (minorities are not the parent's equity)
    "stockholders_equity": ("EquityAttributableToOwnersOfParent", "Equity"),
    "retained_earnings": ("RetainedEarnings",),
    "rpo": ("TransactionPriceAllocatedToRemainingPerformanceObligations",),
}
#: canonical duration metric -> ifrs-full tags, highest priority first.
IFRS_DURATION_TAGS: dict[str, tuple[str, ...]] = {
    "revenue": ("Revenue", "RevenueFromContractsWithCustomers"),
    "operating_income": ("ProfitLossFromOperatingActivities",),
    "interest_expense": ("FinanceCosts", "InterestExpense"),
    "net_income": ("ProfitLoss", "ProfitLossAttributableToOwnersOfParent"),
    "d_and_a": ("DepreciationAndAmortisationExpense",
                "DepreciationAmortisationAndImpairmentLossReversalOfImpairmentLossRecognisedInProfitOrLoss"),
    "capex": ("PurchaseOfPropertyPlantAndEquipmentClassifiedAsInvestingActivities",
              "PurchaseOfPropertyPlantAndEquipment"),
    "cfo": ("CashFlowsFromUsedInOperatingActivities",),
}

Ref = tuple[str, str]  # (taxonomy, tag)


def aliases(metric: str) -> tuple[Ref, ...]:
    """Every (taxonomy, tag) that reports ``metric``: us-gaap first, then ifrs-full."""
    us = INSTANT_TAGS.get(metric) or DURATION_TAGS.get(metric) or ()
    ifrs = IFRS_INSTANT_TAGS.get(metric) or IFRS_DURATION_TAGS.get(metric) or ()
    return tuple((US, t) for t in us) + tuple((IFRS, t) for t in ifrs)


def instant_metrics() -> list[str]:
    return list(dict.fromkeys([*INSTANT_TAGS, *IFRS_INSTANT_TAGS]))


def duration_metrics() -> list[str]:
    return list(dict.fromkeys([*DURATION_TAGS, *IFRS_DURATION_TAGS]))


def is_periodic(form: str) -> bool:
    f = form.strip().upper()
    return f.removesuffix("/A") in PERIODIC_FORMS


# --------------------------------------------------------------------- currency
_CURRENCY = re.compile(r"[A-Z]{3}")


def _newest_end(rows: Any) -> date | None:
    """Latest ``end`` among the usable periodic rows of one unit."""
    best: date | None = None
    for r in rows if isinstance(rows, list) else ():
        if not isinstance(r, dict) or not isinstance(r.get("form"), str) or not is_periodic(r["form"]):
            continue
        val = r.get("val")
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            continue
        try:
            end = date.fromisoformat(str(r.get("end"))[:10])
        except ValueError:
            continue
        best = end if best is None or end > best else best
    return best


def _currency_ends(facts: Mapping[str, Any], refs: Iterable[Ref]) -> dict[str, date]:
    ends: dict[str, date] = {}
    for tax, tag in refs:
        table = facts.get(tax)
        node = table.get(tag) if isinstance(table, dict) else None
        units = node.get("units") if isinstance(node, dict) else None
        for unit, rows in (units.items() if isinstance(units, dict) else ()):
            if not isinstance(unit, str) or not _CURRENCY.fullmatch(unit):
                continue  # "shares", "USD/shares", "pure": not a currency
            end = _newest_end(rows)
            if end is not None and (unit not in ends or end > ends[unit]):
                ends[unit] = end
    return ends


def reporting_currency(facts: Mapping[str, Any]) -> str:
    """The currency of the newest ``Assets`` fact (USD on a tie, then alphabetical).

    Without any ``Assets`` fact, the same rule over every tag this feed reads;
    "USD" when there is nothing at all (the selection then finds nothing)."""
    ends = _currency_ends(facts, aliases("total_assets"))
    if not ends:
        every = {ref for m in (*instant_metrics(), *duration_metrics()) for ref in aliases(m)}
        ends = _currency_ends(facts, sorted(every))
    if not ends:
        return "USD"
    return max(ends, key=lambda u: (ends[u], u == "USD", [-ord(c) for c in u]))


# --------------------------------------------------------------------- identity
_MAX_NAME = 80


def clean_name(value: Any) -> str:
    """An ``entityName`` as shown: text only (control and format characters removed,
    whitespace collapsed, at most 80 characters). It is data from a server, never markup."""
    if not isinstance(value, str):
        return ""
    kept = "".join(" " if ch.isspace() else ch for ch in value
                   if ch.isspace() or not unicodedata.category(ch).startswith("C"))
    text = " ".join(kept.split())
    return text if len(text) <= _MAX_NAME else text[: _MAX_NAME - 1] + "…"


def cik_of(doc: Any) -> str | None:
    """The 10-digit CIK a companyfacts/submissions answer says it is about, or None."""
    raw = doc.get("cik") if isinstance(doc, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        return None
    text = str(raw).strip().upper().removeprefix("CIK")
    return text.zfill(10) if text.isdigit() and 0 < len(text) <= 10 and int(text) else None


def check_identity(doc: Any, cik: str, what: str) -> str:
    """The cleaned entity name when ``doc`` is about ``cik``; a FeedError naming both CIKs otherwise.

    A mirror, cache or proxy serving another company's document at this company's
    URL must never turn that company's figures into this one's."""
    got = cik_of(doc)
    raw_name = (doc.get("entityName") or doc.get("name")) if isinstance(doc, dict) else None  # submissions: "name"
    name = clean_name(raw_name)
    if got is None:
        raise FeedError(f"{what} answer for CIK {cik} carries no valid 'cik': refused, nothing ingested")
    if got != cik:
        who = f" ({name})" if name else ""
        raise FeedError(f"{what} answer is for CIK {got}{who}, not the CIK {cik} asked for: refused, nothing ingested")
    return name
