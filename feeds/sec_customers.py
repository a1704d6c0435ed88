"""Customer concentration from a 10-K/10-Q XBRL instance (``us-gaap:ConcentrationRiskPercentage1``).

Why from the instance: ``companyfacts`` keeps only facts without dimensions, and a major
customer's share is dimensional by nature: the fact sits on a context with
``srt:MajorCustomersAxis`` = the customer (``crwv:MicrosoftMember``) and
``us-gaap:ConcentrationRiskByBenchmarkAxis`` = what the share is *of*
(``us-gaap:RevenueFromContractWithCustomerMember``, ``us-gaap:AccountsReceivableMember``, ...).
A share of receivables is not a share of revenue, so each kept fact carries its benchmark:

* ``revenue`` — a benchmark member naming revenue or sales; only these are revenue shares;
* ``receivables`` — a member naming receivables;
* ``other`` — any other benchmark, or none given (never read as revenue).

Kept: facts with a customer member, a period, a value in (0, 1] (``pure``), and no other
axis than the customer, benchmark and concentration-type axes (a share within one
segment or region is not a share of the company). Customer names come from the member's
local name (``MicrosoftCorporationMember`` → "Microsoft Corporation"); like every text
from outside, they are data: control codes and markup are removed, never interpreted.

Standard library only (``xml.etree.ElementTree``; expat refuses entity expansion bombs);
an inline XBRL (.htm) document is not an instance and is refused with that reason.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from engine.observations import CustomerShare, ReceivablesShare

from .base import FeedError
from .textsafe import inert

CONCEPT = "ConcentrationRiskPercentage1"
CUSTOMER_AXIS = "MajorCustomersAxis"
BENCHMARK_AXIS = "ConcentrationRiskByBenchmarkAxis"
#: A major customer disclosed in the segment note (ASC 280-10-50-42: revenue from one customer
#: of 10% or more *of the entity's revenue*, with the segment that reports it): the share is of
#: the whole, the segment only says who books it.
SEGMENT_AXES = {"ConsolidationItemsAxis", "StatementBusinessSegmentsAxis"}
TYPE_AXIS = "ConcentrationRiskByTypeAxis"
MAX_BYTES = 100_000_000
_XBRLI = "{http://www.xbrl.org/2003/instance}"
_MARKUP = re.compile(r"<[^>]*>|\[/?(?:[a-z@#$][^\]]*)?\]", re.I)  # XML/HTML tags, Rich markup
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(frozen=True)
class Concentration:
    customer: str
    period_start: date | None
    period_end: date
    share: float
    benchmark: str  # "revenue", "receivables" or "other"
    source: str
    member: str = ""  # the customer member as tagged ('crwv:MicrosoftCorporationMember'), cleaned

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["period_start"] = self.period_start.isoformat() if self.period_start else None
        d["period_end"] = self.period_end.isoformat()
        return d


def _local(qname: str) -> str:
    """'{ns}Name' or 'prefix:Name' -> 'Name'."""
    return qname.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def clean_text(text: str, limit: int = 80) -> str:
    """Text from a filing as shown: markup removed, control codes made visible, one line."""
    t = " ".join(inert(_MARKUP.sub("", text)).split())
    return t if len(t) <= limit else t[: limit - 1] + "…"


def customer_name(member: str) -> str:
    """'crwv:MicrosoftCorporationMember' -> 'Microsoft Corporation'."""
    name = _local(member.strip())
    name = name.removesuffix("Member") or name
    return clean_text(_CAMEL.sub(" ", name))


def benchmark_of(member: str | None) -> str:
    if not member:
        return "other"
    name = _local(member).lower()
    if "receivable" in name:
        return "receivables"
    if "revenue" in name or "sales" in name:
        return "revenue"
    return "other"


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def _contexts(root: ET.Element) -> dict[str, tuple[date | None, date, dict[str, str]]]:
    out: dict[str, tuple[date | None, date, dict[str, str]]] = {}
    for ctx in root.iter(f"{_XBRLI}context"):
        cid = ctx.get("id")
        period = ctx.find(f"{_XBRLI}period")
        if not cid or period is None:
            continue
        start = _day(period.findtext(f"{_XBRLI}startDate"))
        end = _day(period.findtext(f"{_XBRLI}endDate") or period.findtext(f"{_XBRLI}instant"))
        if end is None:
            continue
        dims: dict[str, str] = {}
        for el in ctx.iter():
            if _local(el.tag) == "explicitMember" and el.get("dimension"):
                dims[_local(el.get("dimension", ""))] = (el.text or "").strip()
            elif _local(el.tag) == "typedMember" and el.get("dimension"):
                dims[_local(el.get("dimension", ""))] = ""
        out[cid] = (start, end, dims)
    return out


def parse_instance(data: bytes, source: str) -> list[Concentration]:
    """Every customer concentration fact of an XBRL instance, newest period first."""
    if len(data) > MAX_BYTES:
        raise FeedError(f"{source}: larger than {MAX_BYTES // 1_000_000} MB, not read")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(f"{source}: not an XBRL instance (XML error: {exc})") from None
    if _local(root.tag) != "xbrl":
        raise FeedError(f"{source}: not an XBRL instance (root element {_local(root.tag)!r}; "
                        "an inline XBRL .htm is not read: use the filing's *_htm.xml instance)")
    contexts = _contexts(root)
    out: list[Concentration] = []
    where = clean_text(source, 200)
    for el in root:
        if _local(el.tag) != CONCEPT:
            continue
        ctx = contexts.get(el.get("contextRef") or "")
        if ctx is None:
            continue
        start, end, dims = ctx
        customer = dims.get(CUSTOMER_AXIS)
        if not customer or set(dims) - {CUSTOMER_AXIS, BENCHMARK_AXIS, TYPE_AXIS, *SEGMENT_AXES}:
            continue  # another breakdown (a region, a product): not a share of the whole
        segment = dims.get("StatementBusinessSegmentsAxis", "")
        try:
            share = float((el.text or "").strip())
        except ValueError:
            continue
        if not 0 < share <= 1:
            continue
        out.append(Concentration(customer_name(customer), start, end, share, benchmark_of(dims.get(BENCHMARK_AXIS)),
                                 f"SEC XBRL {where} context {clean_text(el.get('contextRef') or '', 60)}"
                                 + (f" (reported by segment {customer_name(segment)})" if segment else ""),
                                 clean_text(customer, 120)))
    out.sort(key=lambda c: (c.period_end, c.benchmark == "revenue", c.share), reverse=True)
    return out


def period_label(start: date | None, end: date) -> str:
    """'FY2025' (a year), 'Q1-2025' (a quarter, by the calendar quarter it ends in), '9M-2025'
    (a year to date), '2025-12-31' (a balance date): the labels of customers.csv."""
    days = (end - start).days + 1 if start else 0
    if days > 300:
        return f"FY{end.year}"
    if 0 < days < 100:
        return f"Q{(end.month - 1) // 3 + 1}-{end.year}"
    return f"{round(days / 30.44)}M-{end.year}" if days else end.isoformat()


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def customer_shares(rows: list[Concentration], company: str, fetched_at: datetime,
                    source: Callable[[Concentration], str] | None = None) -> list[CustomerShare]:
    """Revenue-benchmark rows as the engine's CustomerShares (ranked per period, largest first),
    marked as read from the filing. ``source`` names each row's origin (default: its own)."""
    out: list[CustomerShare] = []
    ends = sorted({(r.period_end, r.period_start) for r in rows if r.benchmark == "revenue"},
                  key=lambda e: (e[0], e[1] or e[0]))
    for end, start in ends:
        same = sorted((r for r in rows if r.benchmark == "revenue" and (r.period_end, r.period_start) == (end, start)),
                      key=lambda r: -r.share)
        for rank, r in enumerate(same, start=1):
            out.append(CustomerShare(as_of=_utc(end), fetched_at=fetched_at, source=source(r) if source else r.source,
                                     company=company, customer=r.customer, share=r.share,
                                     period=period_label(start, end), period_end=end, rank=rank, from_filing=True))
    return out


def receivables_shares(rows: list[Concentration], company: str, fetched_at: datetime,
                       source: Callable[[Concentration], str] | None = None) -> list[ReceivablesShare]:
    """Receivables-benchmark rows: credit exposure to a customer, never a share of revenue."""
    return [ReceivablesShare(as_of=_utc(r.period_end), fetched_at=fetched_at, source=source(r) if source else r.source,
                             company=company, customer=r.customer, share=r.share, period_end=r.period_end)
            for r in rows if r.benchmark == "receivables"]


__all__ = ["Concentration", "benchmark_of", "clean_text", "customer_name", "customer_shares", "parse_instance",
           "period_label", "receivables_shares"]
