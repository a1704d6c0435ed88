"""Prices of the company's notes from FINRA TRACE through the FINRA Query API.

Why this feed: the market's view of the credit, the bonds' own prices, by CUSIP. FINRA's
API takes OAuth 2.0 client credentials: a token from the FIP token endpoint (HTTP Basic
with the client id and secret, ``grant_type=client_credentials``), then the dataset query
``POST /data/group/{group}/name/{dataset}`` with that bearer token. The token is kept until
shortly before ``expires_in`` and dropped on a 401. Rate limits (HTTP 429, Retry-After) are
the shared client's (:mod:`feeds.http`).

Secrets: the client id and secret come from environment variables (``FINRA_CLIENT_ID``,
``FINRA_CLIENT_SECRET`` by default); both, the Basic credential built from them and every
access token are registered for masking, so a server echoing them shows ``***``.

Which notes: ``[[bonds.notes]]`` in the config (CUSIP, coupon, maturity, seniority, calls);
the feed asks for their CUSIPs over the last ``lookback_days`` and, per note, takes the
median price of the newest trade date (TRACE prints of one day differ with size). The
dataset and its field names depend on the FINRA entitlement: they are options (no recorded
answer of a per-CUSIP TRACE dataset was available to check names against), and the feed
is DISABLED with the reason until ``dataset`` is set.

TOML::

    [feeds.finra_trace]
    dataset = "..."                     # the TRACE dataset your entitlement covers
    group = "fixedIncomeMarket"
    fields = { cusip = "cusip", date = "tradeDate", price = "price", yield = "yield" }
    lookback_days = 30
    interval = 3600
"""

from __future__ import annotations

import base64
import math
import os
import re
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from engine.observations import BondQuote

from .base import ConfigError, FeedContext, FeedDisabled, FeedError, NoDataError, utcnow
from .http import HttpFeed
from .notes import NoteSpec
from .textsafe import register_secret, register_secret_env

TOKEN_URL = "https://ews.fip.finra.org/fip/rest/ews/oauth2/access_token"
FIELDS = {"cusip": "cusip", "date": "tradeDate", "price": "price", "yield": "yield"}
LIMIT = 5000
TOKEN_SLACK = 60.0  # seconds before expiry a token is renewed
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def parse_trades(doc: Any, notes: dict[str, NoteSpec], fields: dict[str, str]) -> dict[str, tuple[date, float,
                                                                                               float | None, int]]:
    """Per CUSIP: (newest trade date, median price that day, median yield or None, trades that day)."""
    if not isinstance(doc, list):
        raise FeedError("unexpected TRACE answer: expected a JSON array of trade records")
    by: dict[str, dict[date, list[tuple[float, float | None]]]] = {}
    for rec in doc:
        if not isinstance(rec, dict):
            raise FeedError("unexpected TRACE answer: a record is not an object")
        cusip = rec.get(fields["cusip"])
        if not isinstance(cusip, str) or cusip.strip().upper() not in notes:
            continue
        raw_day, price = rec.get(fields["date"]), rec.get(fields["price"])
        try:
            day = date.fromisoformat(str(raw_day)[:10])
        except ValueError:
            continue
        if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price) \
                or not 0 < price <= 300:
            continue
        y = rec.get(fields["yield"])
        y = float(y) if isinstance(y, (int, float)) and not isinstance(y, bool) and math.isfinite(y) else None
        by.setdefault(cusip.strip().upper(), {}).setdefault(day, []).append((float(price), y))
    out = {}
    for cusip, days in by.items():
        day = max(days)
        prices = [p for p, _ in days[day]]
        ys = [y for _, y in days[day] if y is not None]
        out[cusip] = (day, statistics.median(prices), statistics.median(ys) if ys else None, len(prices))
    return out


class FinraTraceFeed(HttpFeed):
    """Note prices by CUSIP from FINRA TRACE (OAuth client credentials)."""

    name: ClassVar[str] = "finra_trace"
    description: ClassVar[str] = "Note prices by CUSIP from FINRA TRACE (Query API, OAuth client credentials)"
    default_interval: ClassVar[float] = 3600.0
    min_interval: ClassVar[float] = 300.0
    default_base_url: ClassVar[str] = "https://api.finra.org"
    api_key_env_default: ClassVar[str | None] = "FINRA_CLIENT_SECRET"

    def __init__(self, *, notes: tuple[NoteSpec, ...] = (), company: str = "CRWV", dataset: str | None = None,
                 group: str = "fixedIncomeMarket", fields: dict[str, str] | None = None, lookback_days: int = 30,
                 token_url: str = TOKEN_URL, client_id_env: str = "FINRA_CLIENT_ID", **kw: Any) -> None:
        super().__init__(**kw)
        self.notes = {n.cusip: n for n in notes}
        self.company = company
        self.dataset = dataset
        self.group = group
        self.fields = {**FIELDS, **(fields or {})}
        self.lookback_days = lookback_days
        self.token_url = token_url
        self.client_id_env = client_id_env
        register_secret_env(client_id_env)
        self._token: str | None = None
        self._token_until = 0.0

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        out: dict[str, Any] = {"notes": tuple(getattr(ctx, "notes", ()) or ()),
                               "company": getattr(ctx, "company", "CRWV") or "CRWV"}
        for key in ("dataset", "group", "client_id_env"):
            if key in opts:
                v = opts.pop(key)
                if not isinstance(v, str) or not _NAME.match(v):
                    raise ConfigError(key, f"must be a name of letters, digits and _, got {v!r}")
                out[key] = v
        if "token_url" in opts:
            v = opts.pop("token_url")
            if not isinstance(v, str) or not v.startswith(("http://", "https://")):
                raise ConfigError("token_url", "must start with http:// or https://")
            out["token_url"] = v
        if "fields" in opts:
            f = opts.pop("fields")
            if not isinstance(f, dict) or not all(k in FIELDS and isinstance(v, str) and _NAME.match(v)
                                                  for k, v in f.items()):
                raise ConfigError("fields", f"must be a table mapping {', '.join(FIELDS)} to field names")
            out["fields"] = dict(f)
        if "lookback_days" in opts:
            v = opts.pop("lookback_days")
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 366:
                raise ConfigError("lookback_days", f"must be a whole number of days from 1 to 366, got {v!r}")
            out["lookback_days"] = v
        return out

    def describe(self) -> str:
        names = ", ".join(n.name for n in self.notes.values()) or "no notes configured"
        return f"{self.description}: {names}"

    # ------------------------------------------------------------------ OAuth
    def _credentials(self) -> str:
        cid = os.environ.get(self.client_id_env, "").strip()
        secret = self.api_key
        if not cid or not secret:
            raise FeedDisabled(f"set ${self.client_id_env} and ${self.api_key_env} (FINRA API client credentials)")
        register_secret(cid)
        basic = base64.b64encode(f"{cid}:{secret}".encode()).decode("ascii")
        register_secret(basic)
        return basic

    async def token(self) -> str:
        if self._token and time.monotonic() < self._token_until:
            return self._token
        basic = self._credentials()
        doc = await self.get_json(self.token_url, method="POST", params={"grant_type": "client_credentials"},
                                  headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
        tok = doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(tok, str) or not tok.strip():
            raise FeedError("FINRA token endpoint answered without an access_token")
        register_secret(tok)
        life = doc.get("expires_in")
        life = float(life) if isinstance(life, (int, float)) and not isinstance(life, bool) and life > 0 else 1800.0
        self._token, self._token_until = tok.strip(), time.monotonic() + max(0.0, life - TOKEN_SLACK)
        return self._token

    # ------------------------------------------------------------------ poll
    def query(self) -> dict[str, Any]:
        end = utcnow().date()
        return {"limit": LIMIT,
                "domainFilters": [{"fieldName": self.fields["cusip"], "values": sorted(self.notes)}],
                "dateRangeFilters": [{"fieldName": self.fields["date"],
                                      "startDate": (end - timedelta(days=self.lookback_days)).isoformat(),
                                      "endDate": end.isoformat()}]}

    async def poll(self) -> list[BondQuote]:
        self.warning = ""
        if not self.notes:
            raise FeedDisabled("no notes to price: add [[bonds.notes]] (name, cusip, coupon, maturity) to the config")
        if not self.dataset:
            raise FeedDisabled("set dataset in [feeds.finra_trace]: the TRACE dataset your FINRA entitlement covers")
        path = f"/data/group/{self.group}/name/{self.dataset}"
        tok = await self.token()
        try:
            doc = await self.get_json(path, method="POST", json=self.query(),
                                      headers={"Authorization": f"Bearer {tok}", "Accept": "application/json"})
        except FeedError as exc:
            if "HTTP 401" in str(exc):
                self._token = None  # expired or revoked: the next poll asks for a new one
            raise
        trades = parse_trades(doc, self.notes, self.fields)
        if not trades:
            raise NoDataError(f"no usable TRACE price for {', '.join(sorted(self.notes))} "
                              f"in the last {self.lookback_days} days")
        if isinstance(doc, list) and len(doc) >= LIMIT:
            self.warning = f"partial: the answer held the {LIMIT}-record limit"
        missing = [n.name for c, n in self.notes.items() if c not in trades]
        if missing:
            self.warning = f"no trade in {self.lookback_days} days: {', '.join(missing)}"
        fetched, src = utcnow(), self.source(path)
        out = []
        for cusip, (day, price, y, n) in sorted(trades.items()):
            spec = self.notes[cusip]
            out.append(BondQuote(
                as_of=datetime(day.year, day.month, day.day, tzinfo=UTC), fetched_at=fetched,
                source=f"{src} (FINRA TRACE, CUSIP {cusip}, median of {n} trade{'s' if n != 1 else ''})",
                company=self.company, note=spec.name, cusip=cusip, price=price, coupon=spec.coupon,
                maturity=spec.maturity, seniority=spec.seniority, principal=spec.principal, yield_pct=y,
                call_dates=tuple(d for d, _ in spec.calls), call_prices=tuple(p for _, p in spec.calls)))
        return out
