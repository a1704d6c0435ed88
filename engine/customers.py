"""One customer, one share per period: names matched across a filing's XBRL and customers.csv.

Why: the same customer arrives under several names — a filing's member
(``crwv:MicrosoftCorporationMember`` → "Microsoft Corporation"), a quoted figure in
``customers.csv`` ("Microsoft"), an anonymous member the CSV resolves ("Customer A
(Microsoft)"). Counted twice in one period, it would inflate the top-1, top-2 and HHI.
So names are compared by their keys (Member stripped, CamelCase split, Corp/Inc/LLC/Ltd
dropped, case-folded, spaces removed; a parenthesis is an alias), and per period:

* a share read from the filing's own XBRL instance (``from_filing``) wins over a CSV row
  for the same customer: the CSV row is dropped, never summed;
* among rows of the same standing, the later one replaces the earlier;
* when the filing names a customer only anonymously ("Customer B"), a CSV row naming a
  customer the filing does not could be that same customer: it is dropped too;
* stated aggregates ("Top 2 customers") are not customers and are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .observations import CustomerShare, is_aggregate_customer

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PAREN = re.compile(r"\(([^()]*)\)")
_WORDS = re.compile(r"[^\W_]+")
_QNAME = re.compile(r"[A-Za-z][\w.-]*:\S+")
#: Legal-form words that do not tell two customers apart.
LEGAL_FORMS = frozenset({"corp", "corporation", "inc", "incorporated", "llc", "ltd", "limited", "co", "plc",
                         "company", "lp", "llp", "sa", "ag", "nv", "bv", "gmbh", "the"})
_ANONYMOUS = re.compile(r"[a-z]{1,2}|\d{1,2}")


def _words(text: str) -> list[str]:
    text = text.strip()
    if _QNAME.fullmatch(text):
        text = text.split(":", 1)[1]  # 'crwv:MicrosoftMember' -> 'MicrosoftMember'
    words = [w.casefold() for w in _WORDS.findall(_CAMEL.sub(" ", text))]
    if words and words[-1] == "member":
        words.pop()
    return [w for w in words if w not in LEGAL_FORMS]


def _key(text: str) -> str:
    return "".join(_words(text))


def display_names(names: Iterable[str]) -> dict[str, str]:
    """Each name -> the last of ``names`` (oldest first) that differs from it only in form:
    'Microsoft' (CSV, FY2023) -> 'Microsoft Corporation' (the filing, FY2025), so one customer
    is one row on screen. An alias in parentheses does not merge ('Customer A (Microsoft)')."""
    last: dict[str, str] = {}
    order = list(names)
    for n in order:
        last[_key(_PAREN.sub(" ", n)) or n] = n
    return {n: last[_key(_PAREN.sub(" ", n)) or n] for n in order}


def customer_keys(name: str) -> frozenset[str]:
    """Every key a customer name goes by: 'Customer A (Microsoft)' -> {'customera', 'microsoft'};
    'crwv:MicrosoftCorporationMember', 'Microsoft Corporation' and 'Microsoft' -> {'microsoft'}."""
    keys = {_key(inner) for inner in _PAREN.findall(name)}
    keys.add(_key(_PAREN.sub(" ", name)))
    keys.discard("")
    return frozenset(keys)


def same_customer(a: str, b: str) -> bool:
    return bool(customer_keys(a) & customer_keys(b))


def is_anonymous(name: str) -> bool:
    """'Customer A', 'CustomerBMember', 'Customer 2': a customer the filer does not name."""
    words = _words(_PAREN.sub(" ", name))
    return len(words) == 2 and words[0] == "customer" and _ANONYMOUS.fullmatch(words[1]) is not None


def resolve_period(rows: Iterable[CustomerShare]) -> list[CustomerShare]:
    """One period's rows (in arrival order) -> each customer once, the filing first."""
    kept: list[CustomerShare] = []
    for r in rows:
        aggregate = is_aggregate_customer(r.customer)
        twin = next((i for i, k in enumerate(kept) if is_aggregate_customer(k.customer) == aggregate
                     and (k.customer == r.customer if aggregate else same_customer(k.customer, r.customer))), None)
        if twin is None:
            kept.append(r)
        elif r.from_filing or not kept[twin].from_filing:
            kept[twin] = r
    if any(k.from_filing and is_anonymous(k.customer) for k in kept):
        kept = [k for k in kept if k.from_filing or is_aggregate_customer(k.customer)]
    return kept


def resolve(rows: Iterable[CustomerShare]) -> dict[tuple[str, str], CustomerShare]:
    """Every row of one company (arrival order) -> the shares to count, keyed (customer, period)."""
    periods: dict[str, list[CustomerShare]] = {}
    for r in rows:
        periods.setdefault(r.period, []).append(r)
    return {(s.customer, s.period): s for group in periods.values() for s in resolve_period(group)}


__all__ = ["LEGAL_FORMS", "customer_keys", "display_names", "is_anonymous", "resolve", "resolve_period",
           "same_customer"]
