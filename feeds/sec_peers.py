"""Peers' reported figures: EDGAR companyfacts per peer (live) or sample_data/peers/ (demo).

Why a feed of its own: the peers screen sets CoreWeave beside NBIS, IREN, APLD and
ORCL, and each needs its own balance sheet and income, read exactly as
:mod:`feeds.sec_edgar` reads CoreWeave's (the same tag mapping in
:mod:`feeds.sec_tags`, the same selection in :mod:`feeds.sec_select`, the same CIK
check). Live, that is **one companyfacts request per company per poll**, hourly at
most, each waiting for the limiter :class:`~feeds.sec_edgar.SECEdgarFeed` shares with
every EDGAR request of this process (SEC: at most 10 requests per second). No
``submissions`` read: the filing events stay the main ``sec_edgar`` feed's job.

A peer whose answer fails (HTTP error, another CIK's document, no XBRL) costs only that
peer: the others still arrive, and the failure is the feed's warning ("IREN: HTTP 503");
if every peer fails, the poll fails. The companyfacts do not carry customer shares
or the useful life of GPUs: those come from ``sample_data/peers/`` (every row with its
source; ``dir = ...`` for your own), in live mode as in the demo.

TOML::

    [peers]
    companies = ["CRWV", "NBIS", "IREN", "APLD", "ORCL"]   # or "TICKER:CIK" for others
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from engine.observations import Observation
from engine.peers import UsefulLife

from .base import USER_AGENT, ConfigError, Feed, FeedContext, FeedDisabled, FeedError, NoDataError, RateLimited, utcnow
from .freshness import QUARTERLY_FILINGS, Freshness, Longest
from .http import HttpFeed
from .sample import _dir_option, default_sample_dir, parse_customers, parse_financials
from .sample_rows import _src, read_rows
from .sec_calendar import FiscalCalendar, calendar_of
from .sec_edgar import (
    CONTACT_ENV,
    NO_CONTACT,
    TICKER_CIKS,
    RateLimiter,
    SECEdgarFeed,
    clean_contact,
    normalise_cik,
)
from .sec_select import select_facts
from .sec_tags import check_identity
from .textsafe import safe

_TICKER = re.compile(r"[A-Za-z0-9.\-]{1,10}")


def parse_company(value: Any) -> tuple[str, str]:
    """("TICKER", 10-digit CIK) from "NBIS" or "ACME:0001234567"; ConfigError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("companies", f"each entry must be a ticker such as 'NBIS' or 'TICKER:CIK', got {value!r}")
    ticker, sep, cik = value.strip().partition(":")
    if not _TICKER.fullmatch(ticker):
        raise ConfigError("companies", f"{value!r}: {ticker!r} is not a ticker symbol")
    if not sep:
        if ticker.upper() not in TICKER_CIKS:
            raise ConfigError("companies", f"{value!r}: unknown ticker (known: {', '.join(TICKER_CIKS)}; "
                                           "for others write 'TICKER:CIK')")
        return ticker.upper(), TICKER_CIKS[ticker.upper()]
    return ticker.upper(), normalise_cik(cik)[0]


def parse_lives(path: Path, fetched: datetime) -> list[Observation]:
    out: list[Observation] = []
    for r in read_rows(path, ("company", "asset", "life_years", "period_end", "source", "grade")):
        end = r.day("period_end")
        years = r.num("life_years")
        assert end is not None and years is not None
        if not 0 < years <= 40:
            raise r.fail("life_years", "is not a plausible useful life in years (0–40)")
        grade = r.grade()  # shown with the source: a U (third-party report) reads as such
        out.append(UsefulLife(as_of=datetime(end.year, end.month, end.day, tzinfo=UTC), fetched_at=fetched,
                              source=_src(path, f"{r.text('source')} [{grade}]"), company=r.text("company").upper(),
                              years=years, period_end=end, asset=r.text("asset")))
    return out


def read_disclosures(directory: Path, fetched: datetime, with_financials: bool) -> list[Observation]:
    """sample_data/peers/: financials (demo only), customer shares and useful lives."""
    out: list[Observation] = []
    if with_financials:
        out.extend(parse_financials(_need(directory / "financials.csv"), fetched))
    out.extend(parse_customers(_need(directory / "customers.csv"), fetched))
    out.extend(parse_lives(_need(directory / "lives.csv"), fetched))
    return out


def _need(path: Path) -> Path:
    if not path.is_file():
        raise FeedError(f"missing file {path}")
    return path


def default_peers_dir() -> Path:
    return default_sample_dir() / "peers"


class SamplePeersFeed(Feed):
    """The demo's peer figures, each row sourced (sample_data/peers/README.md)."""

    name: ClassVar[str] = "sample_peers"
    description: ClassVar[str] = "Peers' reported figures from sample_data/peers/ (sourced rows only)"
    demo: ClassVar[bool] = True
    default_interval: ClassVar[float] = 3600.0

    def __init__(self, directory: Path | None = None, interval: float | None = None,
                 instance: str | None = None) -> None:
        super().__init__(interval, instance)
        self.directory = directory if directory is not None else default_peers_dir()

    @classmethod
    def from_config(cls, options: Mapping[str, Any], ctx: FeedContext) -> Feed:
        opts = dict(options)
        directory = _dir_option(opts.pop("dir", None), ctx) if "dir" in opts else None
        base = super().from_config(opts, ctx)
        return cls(directory, interval=base.interval, instance=base.instance)

    async def poll(self) -> Sequence[Observation]:
        return read_disclosures(self.directory, utcnow(), with_financials=True)

    def describe(self) -> str:
        return f"{self.description} ({self.directory})"


class SECPeersFeed(HttpFeed):
    """One EDGAR companyfacts document per peer per poll, through the shared SEC limiter."""

    name: ClassVar[str] = "sec_peers"
    description: ClassVar[str] = "SEC EDGAR companyfacts of each peer (one request per company)"
    default_interval: ClassVar[float] = 3600.0
    min_interval: ClassVar[float] = 600.0
    default_base_url: ClassVar[str] = "https://data.sec.gov"

    def __init__(self, *, companies: Sequence[str] = ("NBIS", "IREN", "APLD", "ORCL"), contact: str = "",
                 directory: Path | None = None, **kwargs: Any) -> None:
        self.companies = [parse_company(c) for c in companies]
        self.contact = clean_contact(contact)
        kwargs["user_agent"] = f"{USER_AGENT} {self.contact}" if self.contact else USER_AGENT
        super().__init__(**kwargs)
        self.directory = directory if directory is not None else default_peers_dir()
        self.names: dict[str, str] = {}  # ticker -> entityName of its last good answer
        self.calendars: dict[str, FiscalCalendar] = {}  # ticker -> its own calendar (sec_calendar)

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness:
        """STALE only when no peer could still be on time: the most lenient of their own
        calendars (a 52/53-week or 20-F filer by its own dates), else the quarterly default."""
        cals = tuple(self.calendars.values())
        if not cals:
            return QUARTERLY_FILINGS
        return cals[0] if len(cals) == 1 else Longest(cals)

    @property
    def limiter(self) -> RateLimiter:
        """The one EDGAR limiter of the process (shared with every sec_edgar instance)."""
        return SECEdgarFeed.limiter

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "companies" in opts:
            raw = opts.pop("companies")
            if not isinstance(raw, list) or not raw:
                raise ConfigError("companies", "must be a non-empty list of tickers")
            for c in raw:
                parse_company(c)
            out["companies"] = raw
        contact = opts.pop("contact", None)
        if contact is not None and not isinstance(contact, str):
            raise ConfigError("contact", "must be a string (an e-mail address)")
        out["contact"] = contact or getattr(ctx, "contact", "") or ""
        return out

    async def _fetch_once(self, *args: Any) -> Any:
        """Every attempt (retries too) waits for the shared limiter, as close to sending as possible."""
        self._get_client()
        await self.limiter.wait()
        return await super()._fetch_once(*args)

    def describe(self) -> str:
        return f"{self.description} — {', '.join(t for t, _ in self.companies)}"

    async def poll(self) -> Sequence[Observation]:
        import os

        if not self.contact:
            self.contact = clean_contact(os.environ.get(CONTACT_ENV, ""))
            if not self.contact:
                raise FeedDisabled(NO_CONTACT)
            self.user_agent = f"{USER_AGENT} {self.contact}"
            await self.aclose()
        out: list[Observation] = []
        failed: list[str] = []
        limited: RateLimited | None = None
        nodata = 0  # peers whose document had none of the figures read (NO DATA, not an error)
        for ticker, cik in self.companies:
            try:
                doc = await self.get_json(f"/api/xbrl/companyfacts/CIK{cik}.json")
                name = check_identity(doc, cik, "companyfacts")
                out.extend(select_facts(doc, company=ticker, fetched_at=utcnow()))
                cal = calendar_of(doc)
                if cal is not None:
                    self.calendars[ticker] = cal
                self.names[ticker] = name or self.names.get(ticker, "")
            except FeedDisabled:
                raise
            except RateLimited as exc:  # SEC asks to slow down: the rest would be refused too
                limited = exc
                failed.append(safe(f"{ticker}: {exc}", limit=200))
                break
            except FeedError as exc:
                failed.append(safe(f"{ticker}: {exc}", limit=200))
                nodata += isinstance(exc, NoDataError)
            except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:
                # a document of the right CIK but of a shape no filer sends: that peer only, never a crash
                failed.append(safe(f"{ticker}: unreadable companyfacts ({type(exc).__name__}: {exc})", limit=200))
        try:
            out.extend(read_disclosures(self.directory, utcnow(), with_financials=False))
        except FeedError as exc:
            failed.append(safe(f"disclosures: {exc}", limit=200))
        self.warning = "; ".join(failed)
        if limited is not None and not any(getattr(o, "metric", None) for o in out):
            raise limited  # RATE-LIMITED with the server's Retry-After, not a plain error
        if failed and len(failed) >= len(self.companies) and not any(
                getattr(o, "metric", None) for o in out):
            raise (NoDataError if nodata == len(failed) else FeedError)(self.warning)
        return out


__all__ = ["SECPeersFeed", "SamplePeersFeed", "parse_company", "parse_lives", "read_disclosures"]
