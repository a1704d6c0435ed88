"""SEC EDGAR: CoreWeave's (or a peer's) reported balance sheet, income and filings.

Why this feed: leverage, liquidity and coverage indicators need the company's own
reported figures, and a new 10-Q, 10-K or debt 8-K is itself news. EDGAR serves
them key-less as JSON, but only to clients that identify themselves: SEC answers
HTTP 403 without a User-Agent carrying a contact e-mail and blocks for 10 minutes
above 10 requests per second. So this feed refuses to run without a contact, sends
``gpurisk/<version> <contact>``, and paces every request through one limiter shared by
all its instances. Which copy of a figure to trust is decided in
:mod:`feeds.sec_select` (pure, tested on a real companyfacts document), which
tags and which currency in :mod:`feeds.sec_tags` (us-gaap and IFRS filers).

Every answer must be about the CIK asked for: a companyfacts or submissions
document whose ``cik`` differs (a mirror or cache serving another company's
file at this URL) fails the poll with an error naming both CIKs and the
``entityName`` received, and nothing of it is ingested. A good answer's
``entityName`` (cleaned: text only) is shown in :meth:`describe` and in every
figure's source.

Each poll reads ``submissions`` (the filing list) and, when due (first poll, an
hour since the last read, or a new 10-Q/10-K/20-F/6-K seen — then at every poll until
companyfacts shows that filing's figures, for EDGAR's XBRL API lags the filing),
``companyfacts``. New filings
are emitted once as FilingEvents (seen accessions are remembered in memory). Customer
shares come from each new 10-K/10-Q's XBRL instance in EDGAR's Archives
(:mod:`feeds.sec_instance`); a failure there is a note on the status line, never a failed poll.

TOML::

    [sec]
    contact = "you@example.com"      # or $GPURISK_SEC_CONTACT

    [feeds.sec_edgar]
    cik = "CRWV"                      # or a CIK: "0001769628"
    interval = 3600                   # seconds, at least 600
    archive_url = "https://www.sec.gov"   # filing indexes and instances (default; base_url if that is set)
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar

from engine.observations import FilingEvent, Observation

from .base import USER_AGENT, ConfigError, FeedContext, FeedDisabled, FeedError, NoDataError, utcnow
from .freshness import QUARTERLY_FILINGS, FilingDeadline, Freshness
from .http import HttpFeed
from .sec_calendar import FiscalCalendar, calendar_of
from .sec_filings import select_filings
from .sec_instance import InstanceReader
from .sec_maturities import select_maturities
from .sec_select import select_facts
from .sec_tags import check_identity, is_periodic

#: Ticker shortcuts (coreweave.md "Peers").
TICKER_CIKS: dict[str, str] = {
    "CRWV": "0001769628",
    "NBIS": "0001513845",
    "IREN": "0001878848",
    "APLD": "0001144879",
    "ORCL": "0001341439",
}
CONTACT_ENV = "GPURISK_SEC_CONTACT"
NO_CONTACT = "SEC requires a User-Agent with a contact e-mail: set [sec] contact = ... or GPURISK_SEC_CONTACT"
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


class RateLimiter:
    """At most ``rate`` requests in any ``per`` seconds (a sliding window of pass times).

    No lock and no loop binding: the check-and-append runs without an ``await`` in
    between, so it is atomic under asyncio and works from any event loop.
    """

    def __init__(self, rate: int, per: float = 1.0) -> None:
        self.rate = max(1, int(rate))
        self.per = float(per)
        self._times: deque[float] = deque()

    async def wait(self) -> None:
        while True:
            now = time.monotonic()
            while self._times and now - self._times[0] >= self.per:
                self._times.popleft()
            if len(self._times) < self.rate:
                self._times.append(now)
                return
            await asyncio.sleep(self._times[0] + self.per - now + 0.001)


def normalise_cik(value: Any) -> tuple[str, str | None]:
    """(10-digit CIK, ticker if ``value`` was a known ticker) or ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError("cik", f"must be a CIK number or one of {', '.join(TICKER_CIKS)}, got {value!r}")
    text = str(value).strip().upper()
    if text in TICKER_CIKS:
        return TICKER_CIKS[text], text
    digits = text.removeprefix("CIK")
    if not digits.isdigit() or not 0 < len(digits) <= 10 or int(digits) == 0:
        raise ConfigError("cik", f"must be up to 10 digits or one of {', '.join(TICKER_CIKS)}, got {value!r}")
    return digits.zfill(10), None


def clean_contact(value: Any) -> str:
    """The contact as sent in the User-Agent: printable, one line; '' when unusable."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    return text if _EMAIL.search(text) and text.isprintable() else ""


def filing_deadline(subs: Any, events: Sequence[FilingEvent]) -> FilingDeadline:
    """The filing calendar from submissions: ``fiscalYearEnd`` ("1231", "0531") and whether
    the company files 20-F annual reports (a foreign filer: annual, due 4 months after year end)."""
    fye = subs.get("fiscalYearEnd") if isinstance(subs, dict) else None
    month = int(fye[:2]) if isinstance(fye, str) and re.fullmatch(r"(0[1-9]|1[0-2])\d\d", fye) else 12
    if any(e.form.startswith("20-F") for e in events):
        return FilingDeadline(fiscal_year_end_month=month, annual=True, annual_days=120, annual_form="20-F")
    return FilingDeadline(fiscal_year_end_month=month)


class SECEdgarFeed(HttpFeed):
    """companyfacts -> FinancialFacts; submissions -> FilingEvents for new filings."""

    name: ClassVar[str] = "sec_edgar"
    description: ClassVar[str] = ("SEC EDGAR companyfacts and filings "
                                  "(balance sheet, income, new 10-Q/10-K/20-F/6-K/8-K)")
    default_interval: ClassVar[float] = 3600.0
    min_interval: ClassVar[float] = 600.0
    default_base_url: ClassVar[str] = "https://data.sec.gov"
    #: EDGAR's Archives (filing indexes and XBRL instances); a base_url pointing elsewhere serves them too
    default_archive_url: ClassVar[str] = "https://www.sec.gov"
    #: Shared by every instance: SEC's limit is 10 requests/s for all of a user's clients.
    limiter: ClassVar[RateLimiter] = RateLimiter(10, per=1.0)
    #: companyfacts at most hourly (SEC's guidance); submissions on every poll.
    facts_every: ClassVar[float] = 3600.0
    first_events: ClassVar[int] = 20  # filings emitted on the first poll (newest first)

    def __init__(self, *, cik: Any = "0001769628", ticker: str | None = None, contact: str = "",
                 archive_url: str | None = None, **kwargs: Any) -> None:
        self.cik, known = normalise_cik(cik)
        if ticker is None:
            ticker = known or next((t for t, c in TICKER_CIKS.items() if c == self.cik), None)
        if not ticker:
            raise ConfigError("ticker", f"needed for CIK {self.cik} (not one of {', '.join(TICKER_CIKS)})")
        self.ticker = ticker.strip().upper()
        self.contact = clean_contact(contact) or clean_contact(os.environ.get(CONTACT_ENV, ""))
        kwargs["user_agent"] = f"{USER_AGENT} {self.contact}" if self.contact else USER_AGENT
        super().__init__(**kwargs)
        if archive_url is None:
            archive_url = self.default_archive_url if self.base_url == self.default_base_url else self.base_url
        #: customer shares from each new 10-K/10-Q's XBRL instance (feeds.sec_instance)
        self.instances = InstanceReader(archive_url)
        self._seen: set[str] | None = None  # None until the first successful poll
        self._facts_at: float | None = None  # monotonic start of the poll that last read companyfacts
        #: new periodic filings whose figures companyfacts does not show yet -> when first seen (monotonic)
        self._awaited: dict[str, float] = {}
        self.entity_name = ""  # entityName of the last answer that passed the CIK check (cleaned)
        self.deadline: Freshness = QUARTERLY_FILINGS  # refined from submissions: fiscal year end, 20-F filer
        #: the filer's own calendar (period ends and forms of its filings), once companyfacts was read
        self.calendar: FiscalCalendar | None = None

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness:
        """Reported figures are STALE once the next 10-Q/10-K (or 20-F) was due and is missing:
        by the filer's own calendar once companyfacts was read, else by its fiscal year end."""
        return self.deadline

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "cik" in opts:
            out["cik"] = opts.pop("cik")
            normalise_cik(out["cik"])
        if "ticker" in opts:
            t = opts.pop("ticker")
            if not isinstance(t, str) or not re.fullmatch(r"[A-Za-z0-9.\-]{1,10}", t.strip()):
                raise ConfigError("ticker", f"must be a ticker symbol such as 'CRWV', got {t!r}")
            out["ticker"] = t
        if "archive_url" in opts:
            url = opts.pop("archive_url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ConfigError("archive_url", f"must start with http:// or https://, got {url!r}")
            out["archive_url"] = url
        contact = opts.pop("contact", None)
        if contact is not None and not isinstance(contact, str):
            raise ConfigError("contact", "must be a string (an e-mail address)")
        out["contact"] = contact or getattr(ctx, "contact", "") or ""
        return out

    def describe(self) -> str:
        who = f" ({self.entity_name})" if self.entity_name else ""
        return f"{self.description} — {self.ticker} CIK {self.cik}{who}"

    async def _fetch_once(self, *args: Any) -> Any:
        """Every attempt (retries too) waits for the shared limiter, as close to sending as possible."""
        self._get_client()  # building the client can block the loop; do it before taking a slot
        await self.limiter.wait()
        return await super()._fetch_once(*args)

    async def request(self, method: str, url_or_path: str, **kwargs: Any) -> Any:
        try:
            return await super().request(method, url_or_path, **kwargs)
        except FeedError as exc:
            if str(exc).startswith("HTTP 403"):
                raise FeedError(f"{exc}: SEC refused the request (check the contact in the User-Agent, "
                                "and stay under 10 requests/s)") from None
            raise

    async def poll(self) -> Sequence[Observation]:
        if not self.contact:
            self.contact = clean_contact(os.environ.get(CONTACT_ENV, ""))
            if not self.contact:
                raise FeedDisabled(NO_CONTACT)
            self.user_agent = f"{USER_AGENT} {self.contact}"
            await self.aclose()  # the client carries the old User-Agent
        started = time.monotonic()
        subs = await self.get_json(f"/submissions/CIK{self.cik}.json")
        name = check_identity(subs, self.cik, "submissions")
        events = select_filings(subs, company=self.ticker, fetched_at=utcnow())
        self.deadline = self.calendar or filing_deadline(subs, events)
        fresh = self._new_events(events)
        out: list[Observation] = []
        periodic = [e.accession for e in fresh if self._seen is not None and is_periodic(e.form)]
        self._awaited.update((a, started) for a in periodic)
        # an hour on, the hourly read takes over (a filing without XBRL never shows)
        self._awaited = {a: t for a, t in self._awaited.items() if started - t < self.facts_every}
        due = (self._facts_at is None or started - self._facts_at >= self.facts_every * 0.98
               or bool(periodic) or bool(self._awaited))
        no_facts: FeedError | None = None
        if due:
            try:
                doc = await self.get_json(f"/api/xbrl/companyfacts/CIK{self.cik}.json")
                name = check_identity(doc, self.cik, "companyfacts") or name
                facts = select_facts(doc, company=self.ticker, fetched_at=utcnow())
                out.extend(facts)
                out.extend(select_maturities(doc, company=self.ticker, fetched_at=utcnow()))
                self.calendar = calendar_of(doc) or self.calendar
                self.deadline = self.calendar or self.deadline
                self._facts_at = started
                # companyfacts lags a new 10-Q/10-K by minutes: until its figures are in, read
                # again at the next poll instead of waiting for the hourly slot
                self._awaited = {a: t for a, t in self._awaited.items() if not any(a in f.source for f in facts)}
            except NoDataError as exc:
                no_facts = exc
            except FeedError as exc:
                if not str(exc).startswith("HTTP 404"):
                    raise
                no_facts = NoDataError(f"no XBRL financial data on EDGAR for CIK {self.cik}")
        self.instances.queue(events if self._seen is None else fresh, first=self._seen is None)
        self._remember(events)
        self.entity_name = name or self.entity_name
        out.extend(fresh)
        # last, so companyfacts never waits on it; a failure is a note, never a failed poll
        out.extend(await self.instances.read(self, self.cik, self.ticker, utcnow()))
        if not out and no_facts is not None:
            raise no_facts  # nothing usable arrived: say why (the engine keeps earlier facts)
        # filings arrived but companyfacts, usable before, was not: keep that in view
        notes = [str(no_facts) if no_facts is not None and self._facts_at is not None else "", self.instances.note]
        self.warning = "; ".join(n for n in notes if n)
        return out

    def _new_events(self, events: list[FilingEvent]) -> list[FilingEvent]:
        if self._seen is None:
            return events[: self.first_events]
        return [e for e in events if e.accession not in self._seen]

    def _remember(self, events: list[FilingEvent]) -> None:
        seen = self._seen if self._seen is not None else set()
        seen.update(e.accession for e in events)
        self._seen = seen


__all__ = ["NO_CONTACT", "TICKER_CIKS", "RateLimiter", "SECEdgarFeed", "clean_contact", "normalise_cik"]
