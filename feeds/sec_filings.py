"""SEC EDGAR ``submissions`` JSON (the filing list) -> FilingEvents.

Split from :mod:`feeds.sec_select`: a new 10-Q/10-K/20-F/6-K or a debt 8-K is news
in itself, whatever its XBRL says. Column arrays under ``filings.recent`` may be
ragged; rows that do not parse are skipped, never guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from engine.observations import FilingEvent

from .base import FeedError
from .sec_select import _as_of, _date

FILING_FORMS = frozenset({"10-K", "10-Q", "8-K", "20-F", "40-F", "6-K"})
#: 8-K items that announce new debt: 1.01 material agreement, 2.03 direct financial obligation.
DEBT_ITEMS = frozenset({"1.01", "2.03"})
#: 8-K items a credit desk reads first, with their plain names (SEC Form 8-K, General Instructions B).
ITEM_NAMES: dict[str, str] = {
    "1.01": "material agreement",
    "2.03": "new direct financial obligation",
    "2.04": "triggering event accelerating an obligation",
    "2.05": "exit or disposal costs",
}
#: 2.04: a default, covenant breach or cross-acceleration made an obligation due early.
ACCELERATION_ITEMS = frozenset({"2.04"})
_ITEM = re.compile(r"\d{1,2}\.\d{2}")
_ARCHIVE = re.compile(r"https://www\.sec\.gov/Archives/edgar/data/(\d{1,10})/(\d{18})")


def filing_url(cik: str | int, accession: str, document: str = "") -> str:
    folder = f"https://www.sec.gov/Archives/edgar/data/{int(cik)}/{accession.replace('-', '')}"
    return f"{folder}/{document}" if document else f"{folder}/{accession}-index.htm"


def index_url(cik: str | int, accession: str) -> str:
    """The filing's folder on EDGAR (its index: every document of the filing)."""
    return f"https://www.sec.gov/Archives/edgar/data/{int(cik)}/{accession.replace('-', '')}/"


def filing_link(event: Any) -> str:
    """The filing's index folder, read from its source (an EDGAR Archives address); '' when none."""
    m = _ARCHIVE.search(str(getattr(event, "source", "") or ""))
    return f"https://www.sec.gov/Archives/edgar/data/{int(m.group(1))}/{m.group(2)}/" if m else ""


def item_tags(items: Any) -> list[str]:
    """Each item with its plain name when it is one a credit desk watches: '2.03 new direct
    financial obligation', '9.01' (exhibits) as it is."""
    return [f"{i} {ITEM_NAMES[i]}" if i in ITEM_NAMES else str(i) for i in items]


def is_8k(event: Any) -> bool:
    return str(getattr(event, "form", "")).upper().startswith("8-K")


def acceleration(event: FilingEvent) -> bool:
    """An 8-K reporting a triggering event that accelerates an obligation (item 2.04)."""
    return is_8k(event) and bool(ACCELERATION_ITEMS.intersection(event.items))


def new_debt(event: FilingEvent) -> bool:
    """An 8-K whose items announce a material agreement or a new financial obligation."""
    return is_8k(event) and bool(DEBT_ITEMS.intersection(event.items))


def select_filings(doc: Any, *, company: str, fetched_at: datetime,
                   forms: frozenset[str] = FILING_FORMS) -> list[FilingEvent]:
    """Submissions JSON (column arrays under ``filings.recent``) -> FilingEvents, newest first."""
    has_filings = isinstance(doc, dict) and isinstance(doc.get("filings"), dict)
    recent = doc.get("filings", {}).get("recent") if has_filings else None
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
        # item numbers only ("2.03"): anything else in the column is dropped, never shown
        items = tuple(x for x in (p.strip() for p in items_raw.split(",")) if _ITEM.fullmatch(x)) \
            if isinstance(items_raw, str) else ()
        as_of = _as_of(filed)
        accepted = col("acceptanceDateTime", i)
        if isinstance(accepted, str):
            try:
                as_of = datetime.fromisoformat(accepted.replace("Z", "+00:00")).astimezone(UTC)
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
