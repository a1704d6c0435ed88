"""Debt as a credit analyst reads it from ``companyfacts``: totals, else the sum of the lines.

Why a module of its own: a filer's debt is rarely one tag. Large filers show commercial
paper and other short-term borrowings beside the current portion of long-term debt; a
small filer may carry nothing but convertible notes. Reading only ``DebtCurrent`` /
``LongTermDebtNoncurrent`` left the first short of its commercial paper and the second
without any debt at all. The rule, per balance-sheet date:

* **a total tag first** (``DebtCurrent``, which already includes short-term borrowings
  and commercial paper; ``LongTermDebtNoncurrent``; the IFRS borrowing totals);
* **else the sum of slots**, each slot one kind of debt, taking its first reported
  alternative (an alternative is one tag, or the parts of that kind summed);
* **a zero only where the filing says so**: a balance sheet (same filing, same date)
  that reports current liabilities and one side of debt but no tag of the other side
  has none of it, and that side is 0 with the reason in its source.

Every figure names the tags it was made of in its source (``(LongTermDebtCurrent +
CommercialPaper)``), so ``gpurisk explain`` shows each choice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from .sec_tags import IFRS, US, Ref

Alternative = tuple[Ref, ...]  # tags summed (those reported at the date)
Slot = tuple[str, tuple[Alternative, ...]]  # (kind of debt, alternatives in priority order)


def _us(*tags: str) -> Alternative:
    return tuple((US, t) for t in tags)


def _ifrs(*tags: str) -> Alternative:
    return tuple((IFRS, t) for t in tags)


#: side -> total tags (first reported wins), then the slots summed when no total is reported.
DEBT_TOTALS: dict[str, tuple[Ref, ...]] = {
    "debt_current": (*_us("DebtCurrent"), *_ifrs("CurrentBorrowingsAndCurrentPortionOfNoncurrentBorrowings")),
    "debt_noncurrent": (*_us("LongTermDebtNoncurrent"),
                        *_ifrs("NoncurrentPortionOfNoncurrentBorrowings", "LongtermBorrowings")),
}
DEBT_SLOTS: dict[str, tuple[Slot, ...]] = {
    "debt_current": (
        ("current portion of long-term debt", (
            _us("LongTermDebtCurrent"),
            _us("ConvertibleDebtCurrent", "SeniorNotesCurrent", "OtherLongTermDebtCurrent"),
            _us("ConvertibleNotesPayableCurrent"),
            _ifrs("CurrentPortionOfLongtermBorrowings"))),
        ("short-term borrowings", (
            _us("ShortTermBorrowings"),
            _us("CommercialPaper", "OtherShortTermBorrowings", "LinesOfCreditCurrent"),
            _ifrs("ShorttermBorrowings"))),
    ),
    "debt_noncurrent": (
        ("convertible notes", (_us("ConvertibleDebtNoncurrent"), _us("ConvertibleLongTermNotesPayable"))),
        ("notes", (_us("SeniorLongTermNotes"), _us("LongTermNotesPayable"))),
        ("credit lines", (_us("LongTermLineOfCredit"),)),
        ("other long-term debt", (_us("OtherLongTermDebtNoncurrent"),)),
    ),
}
#: current liabilities: a balance sheet is there, so an absent debt line is an absent debt.
_CURRENT_LIABILITIES: tuple[Ref, ...] = ((US, "LiabilitiesCurrent"), (IFRS, "CurrentLiabilities"))


def debt_tags(side: str) -> tuple[Ref, ...]:
    """Every tag read for ``side`` (totals, then slot tags in order)."""
    out = list(DEBT_TOTALS[side])
    for _, alts in DEBT_SLOTS[side]:
        for alt in alts:
            out.extend(alt)
    return tuple(dict.fromkeys(out))


def _composed(instants: Mapping[Ref, Mapping[date, Any]], side: str, end: date) -> Any:
    """The slot sum at ``end`` as a Pick, or None when no slot reports there."""
    parts: list[tuple[str, Any]] = []
    for _, alts in DEBT_SLOTS[side]:
        for alt in alts:
            got = [(tag, instants[(tax, tag)][end]) for tax, tag in alt if end in instants.get((tax, tag), {})]
            if got:
                parts.extend(got)
                break
    if not parts:
        return None
    newest = max((p for _, p in parts), key=lambda p: p.rank)
    note = "(" + " + ".join(tag for tag, _ in parts) + ")"
    return replace(newest, value=sum(p.value for _, p in parts), note=note)


def debt_sides(facts: Mapping[str, Any], unit: str, instants_of: Any) -> dict[str, dict[date, Any]]:
    """{"debt_current": {end: Pick}, "debt_noncurrent": {...}} by the module's rule.

    ``instants_of(refs)`` returns {end: Pick} for one (taxonomy, tag) list merged by priority."""
    every = {ref for side in DEBT_TOTALS for ref in debt_tags(side)}
    instants = {ref: instants_of([ref]) for ref in every}
    out: dict[str, dict[date, Any]] = {}
    for side in DEBT_TOTALS:
        series: dict[date, Any] = {}
        for ref in reversed(DEBT_TOTALS[side]):  # higher priority wins
            for end, p in instants[ref].items():
                series[end] = replace(p, note=f"({ref[1]})")
        ends = {e for ref in debt_tags(side) for e in instants[ref]}
        for end in ends - set(series):
            pick = _composed(instants, side, end)
            if pick is not None:
                series[end] = pick
        out[side] = series
    return out


#: A tag that may hold borrowings this module does not read (a custom split, a lease-inclusive
#: total): its presence in the filing forbids reading an absent side as zero.
_DEBTLIKE = re.compile(r"Debt|Borrowing|NotesPayable|LoansPayable|LineOfCredit|LinesOfCredit|CommercialPaper"
                       r"|SeniorNotes|ConvertibleNotes")
_NOT_A_BALANCE = re.compile(r"Interest|Fair|Proceeds|Repayment|Issuance|Amorti|Percent|Rate|Covenant|Maturit"
                            r"|Capacity|Term\b|Fee|Discount|Premium|Cost|Gain|Loss|Expense|Extinguish|Increase"
                            r"|Decrease|Conversion|Converted|Face|Principal|Weighted|Number|Shares")


def _other_debt_tags(facts: Mapping[str, Any], side: str, accn: str, end: date) -> list[str]:
    """Unread tags of ``side`` (current: named "Current"; non-current: not) that look like debt
    and are reported, non-zero, in filing ``accn`` at ``end``."""
    read = {tag for _, tag in debt_tags("debt_current") + debt_tags("debt_noncurrent")}
    out: list[str] = []
    for tax in (US, IFRS):
        table = facts.get(tax)
        for tag, node in (table.items() if isinstance(table, dict) else ()):
            if tag in read or not _DEBTLIKE.search(tag) or _NOT_A_BALANCE.search(tag):
                continue
            current = "Current" in tag.replace("Noncurrent", "")
            if current != (side == "debt_current"):
                continue
            units = node.get("units") if isinstance(node, dict) else None
            for rows in (units.values() if isinstance(units, dict) else ()):
                if any(isinstance(r, dict) and r.get("accn") == accn and str(r.get("end"))[:10] == end.isoformat()
                       and "start" not in r and r.get("val") not in (0, None) for r in rows):
                    out.append(tag)
                    break
    return out


def zero_where_absent(sides: dict[str, dict[date, Any]], instants_of: Any, facts: Mapping[str, Any]) -> None:
    """A balance sheet (current liabilities in the same filing, at the same date) with one side
    of debt and no tag of the other has none of the other: that side is 0, saying why. Not when
    that filing reports, there, another tag that looks like debt of that side (left missing)."""
    liab = instants_of(list(_CURRENT_LIABILITIES))
    for side, other in (("debt_current", "debt_noncurrent"), ("debt_noncurrent", "debt_current")):
        for end, p in list(sides[other].items()):
            cl = liab.get(end)
            if end in sides[side] or cl is None or cl.accn != p.accn or p.value == 0:
                continue
            if _other_debt_tags(facts, side, p.accn, end):
                continue
            what = "current" if side == "debt_current" else "non-current"
            sides[side][end] = replace(p, value=0.0, note=f"(no {what} debt line in this balance sheet: 0)")


__all__ = ["DEBT_SLOTS", "DEBT_TOTALS", "debt_sides", "debt_tags", "zero_where_absent"]
