"""The XBRL instance of each new 10-K/10-Q: customer shares for the ``sec_edgar`` feed.

Why apart from companyfacts: a major customer's share is a dimensional fact, which
``companyfacts`` never carries (:mod:`feeds.sec_customers`). So for each new 10-K/10-Q
(on the first poll: the newest 10-K and the 10-Qs filed since) the feed reads the
filing's ``index.json`` in EDGAR's Archives, picks its instance (the ``*_htm.xml``, else
the one ``.xml`` that is not a linkbase or a viewer file) and parses it:

* revenue-benchmark shares become CustomerShares read from the filing (primary; they win
  over ``customers.csv`` for the same customer and period, see :mod:`engine.customers`),
  their source naming the form, the accession and the fact's member;
* receivables shares become ReceivablesShares: credit exposure, never a revenue share.

Bounded: each accession is read once (a failure is retried at most ``tries`` times in
all), at most ``per_poll`` filings per poll, through the feed's own limits (User-Agent
with the contact, the shared 10 requests/s limiter, timeouts, body cap). A failure
never fails the poll: it becomes a note on the feed's status line, and the shares
already known stay.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from engine.observations import FilingEvent, Observation

from .base import FeedError
from .sec_customers import (
    Concentration,
    clean_text,
    customer_shares,
    parse_instance,
    period_label,
    receivables_shares,
)

INSTANCE_FORMS = frozenset({"10-K", "10-Q"})
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}")
_NOT_INSTANCE = re.compile(r"_(cal|def|lab|pre|ref)\.xml$|^FilingSummary\.xml$|^R\d+\.xml$|^primary_doc\.xml$|"
                           r"^MetaLinks", re.I)
_ACCESSION = re.compile(r"\d{10}-\d{2}-\d{6}")
_DATED = re.compile(r"[a-z0-9-]+-\d{8}\.xml", re.I)  # 'crwv-20251231.xml', the pre-inline instance name


class _Client(Protocol):
    async def get_json(self, url_or_path: str) -> Any: ...

    async def request(self, method: str, url_or_path: str) -> Any: ...

    def source(self, url_or_path: str) -> str: ...


def is_instance_form(form: str) -> bool:
    return form.upper().removesuffix("/A") in INSTANCE_FORMS


def instance_name(index: Any) -> str | None:
    """The instance's file name from a filing's ``index.json`` (None when it lists none)."""
    directory = index.get("directory") if isinstance(index, dict) else None
    items = directory.get("item") if isinstance(directory, dict) else None
    if not isinstance(items, list):
        raise FeedError("filing index has no 'directory.item' list")
    names: list[str] = [i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)
             and _SAFE_NAME.fullmatch(i["name"])]
    inline = [n for n in names if n.lower().endswith("_htm.xml")]
    if inline:
        return inline[0]
    xml = [n for n in names if n.lower().endswith(".xml") and not _NOT_INSTANCE.search(n)]
    dated = [n for n in xml if _DATED.fullmatch(n)]
    return (dated or xml)[0] if xml else None


def first_batch(events: Sequence[FilingEvent], limit: int) -> list[FilingEvent]:
    """On the first poll: the newest 10-K and the 10-Qs filed after it (newest first)."""
    out: list[FilingEvent] = []
    for e in events:
        if not is_instance_form(e.form):
            continue
        out.append(e)
        if e.form.upper().startswith("10-K") or len(out) >= limit:
            break
    return out


class InstanceReader:
    """Which filings' instances to read, and reading them (state for one feed instance)."""

    per_poll = 2
    tries = 2
    first_filings = 4

    def __init__(self, archive_url: str) -> None:
        self.archive_url = archive_url.rstrip("/")
        self.pending: dict[str, FilingEvent] = {}  # accession -> filing, in queue order
        self.failures: dict[str, int] = {}
        self.done: set[str] = set()
        #: period label -> filing date of the newest filing that gave its revenue shares
        self.newest: dict[str, date] = {}
        self.note = ""  # the last failure, until an instance is read again

    def queue(self, events: Sequence[FilingEvent], first: bool) -> None:
        chosen = first_batch(events, self.first_filings) if first else [e for e in events if is_instance_form(e.form)]
        for e in chosen:  # an accession is part of a URL path: its exact form only
            if _ACCESSION.fullmatch(e.accession) and e.accession not in self.done:
                self.pending.setdefault(e.accession, e)

    def folder(self, cik: str, accession: str) -> str:
        return f"{self.archive_url}/Archives/edgar/data/{int(cik)}/{accession.replace('-', '')}"

    async def read(self, client: _Client, cik: str, company: str, fetched_at: datetime) -> list[Observation]:
        out: list[Observation] = []
        for accession in list(self.pending)[: self.per_poll]:
            event = self.pending[accession]
            try:
                out.extend(await self._read_one(client, cik, event, company, fetched_at))
            except FeedError as exc:
                n = self.failures[accession] = self.failures.get(accession, 0) + 1
                again = "; tried again at the next poll" if n < self.tries else ""
                self.note = (f"customer shares: XBRL instance of {event.form} {accession} not read "
                             f"({clean_text(str(exc), 160)}){again}")
                if n < self.tries:
                    continue
            else:
                self.note = ""
            del self.pending[accession]
            self.done.add(accession)
        return out

    async def _read_one(self, client: _Client, cik: str, event: FilingEvent, company: str,
                        fetched_at: datetime) -> list[Observation]:
        folder = self.folder(cik, event.accession)
        name = instance_name(await client.get_json(f"{folder}/index.json"))
        if name is None:
            raise FeedError("the filing index lists no XBRL instance")
        url = f"{folder}/{name}"
        body = (await client.request("GET", url)).content
        rows = await asyncio.to_thread(parse_instance, body, name) if len(body) > 256 * 1024 \
            else parse_instance(body, name)
        where = client.source(url)
        rows = self._not_older(rows, event.filed)

        def source(r: Concentration) -> str:
            return f"SEC XBRL {event.form} {event.accession} {r.member} ({r.benchmark}) {where}"

        return [*customer_shares(rows, company, fetched_at, source),
                *receivables_shares(rows, company, fetched_at, source)]

    def _not_older(self, rows: list[Concentration], filed: date) -> list[Concentration]:
        """Drop revenue rows of periods a newer filing already gave (its comparatives may be restated)."""
        kept = [r for r in rows if r.benchmark != "revenue"
                or self.newest.get(period_label(r.period_start, r.period_end), filed) <= filed]
        for r in kept:
            if r.benchmark == "revenue":
                label = period_label(r.period_start, r.period_end)
                self.newest[label] = max(self.newest.get(label, filed), filed)
        return kept


__all__ = ["INSTANCE_FORMS", "InstanceReader", "first_batch", "instance_name", "is_instance_form"]
