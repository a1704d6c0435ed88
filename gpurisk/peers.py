"""The session's peers: one peer feed, its runner, and the peer book, made on first use.

Why lazily: the peers screen is an analysis a desk opens now and then; the dashboard's
first frame, its feed line and its polling must not pay for four more companyfacts
documents. So the first ``P`` builds this (``session.peers``): the demo reads
``sample_data/peers/`` once; live, ``sec_peers`` asks EDGAR for each peer's
companyfacts (one request per company, through the SEC limiter shared with
``sec_edgar``), again when the screen is open or reopened and the last fetch is an hour
old. Observations go feed → runner (the same validation, cleaning, states and errors
as every feed) → :class:`engine.peers.PeerBook` → table; the main company's column is
the dashboard engine's own snapshot.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from engine.peers import DEFAULT_PEERS, PeerBook, PeerTable
from feeds.runner import FeedRunner, FeedStatus

from .config import Config

REFRESH_S = 3600.0  # companyfacts at most hourly (SEC's guidance)


def companies(config: Config) -> list[str]:
    """The tickers shown, the config's ``[peers] companies`` or the five by default, the
    main company always among them (first when the config does not place it)."""
    names = [c.partition(":")[0].upper() for c in (getattr(config, "peers", None) or DEFAULT_PEERS)]
    main = config.company.upper()
    return names if main in names else [main, *names]


class PeerSession:
    def __init__(self, session: Any, feed: Any = None) -> None:
        self.session = session
        cfg: Config = session.config
        self.companies = companies(cfg)
        main = cfg.company.upper()
        if feed is None:
            feed = self._feed(cfg, [c for c in (getattr(cfg, "peers", None) or DEFAULT_PEERS)
                                    if c.partition(":")[0].upper() != main], session.demo)
        self.feed = feed
        self.runner = FeedRunner([feed], clock=session.runner.clock if session.demo else None)
        why = ("not sourced in the demo (sample_data/peers/README.md)" if session.demo
               else "no companyfacts yet (see the peers feed's state below the table)")
        self.book = PeerBook(self.companies, main=main, thresholds=session.engine.thresholds, missing=why)
        self._fetched: datetime | None = None

    @staticmethod
    def _feed(cfg: Config, others: list[str], demo: bool) -> Any:
        if demo:
            from feeds.sec_peers import SamplePeersFeed

            return SamplePeersFeed()
        from feeds.sec_peers import SECPeersFeed

        return SECPeersFeed(companies=others, contact=cfg.contact)

    @property
    def status(self) -> FeedStatus:
        return self.runner.status[self.feed.instance]

    def due(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return self._fetched is None or (now - self._fetched).total_seconds() >= REFRESH_S

    async def refresh(self, force: bool = False) -> int:
        """Poll the peer feed when due (or ``force``); returns how many observations were taken."""
        if not (force or self.due()):
            return 0
        self._fetched = datetime.now(UTC)
        try:
            obs = await self.runner.poll(self.feed.instance, manual=force)
        finally:
            await self.feed.aclose()  # hourly at most: no connection kept open in between
        return self.book.ingest(obs)

    def table(self) -> PeerTable:
        engine = self.session.engine
        return self.book.table(engine, main_life(engine))


def main_life(engine: Any) -> tuple[float, str, date | None] | None:
    """The main company's depreciation life: the dashboard's ``life_reported_years``."""
    a = engine.state.assumptions.get("life_reported_years")
    if a is None:
        return None
    return float(a.value), a.source, None


__all__ = ["PeerSession", "REFRESH_S", "companies", "main_life"]
