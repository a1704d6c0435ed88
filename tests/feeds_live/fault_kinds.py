"""The fault matrix's parts: a local server that can also reset a connection or stream a
body without a length, the payloads, and one spec per HTTP feed (how to build it, what
its good answer is, where its wrong shapes, NaNs, names and error texts go).

Used by ``test_fault_matrix.py``. The server is the conftest's :class:`LocalServer`
(loaded privately: several ``conftest.py`` files share that module name), with two more
reply options:

* ``FaultReply(reset=True)``: the server reads the request and closes the socket with a
  TCP RST, answering nothing;
* ``FaultReply(no_length=True)``: no ``Content-Length``; the body runs until the server
  closes the connection, so a client must cap it *while* reading.

Nothing here reaches the internet: every feed's ``base_url``/``url`` is 127.0.0.1.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from local_http import LocalServer, Reply  # tests/local_http.py

from feeds.aws import AWSFeed
from feeds.azure import AzureFeed
from feeds.csv_feed import CSVFeed
from feeds.equity import EquityFeed
from feeds.finra_trace import FinraTraceFeed
from feeds.fred import FredFeed
from feeds.http import HttpFeed
from feeds.http_json import HTTPJSONFeed
from feeds.notes import NoteSpec
from feeds.runpod import RunPodFeed
from feeds.sec_edgar import RateLimiter, SECEdgarFeed
from feeds.sec_peers import SECPeersFeed
from feeds.tiingo import TiingoFeed
from feeds.vastai import VastAIFeed

HERE = Path(__file__).resolve().parent
FEEDS_FX = HERE.parent / "fixtures" / "feeds"
SEC_FX = HERE.parent / "fixtures" / "sec"


@dataclass
class FaultReply(Reply):
    reset: bool = False  # close the socket with a RST instead of answering
    no_length: bool = False  # no Content-Length: the body ends when the connection closes


class FaultServer(LocalServer):  # type: ignore[misc, valid-type]
    """:class:`LocalServer` plus ``FaultReply``'s ``reset`` and ``no_length``."""

    Reply = FaultReply

    def __init__(self) -> None:
        super().__init__()
        self._current = threading.local()  # the reply being served by this handler thread
        base = self.httpd.RequestHandlerClass
        outer = self

        class _FaultHandler(base):  # type: ignore[misc, valid-type]
            def send_response(self, code: int, message: str | None = None) -> None:
                reply = getattr(outer._current, "reply", None)
                if getattr(reply, "reset", False):
                    # SO_LINGER 0: close() sends a RST, not a FIN. The OSError is caught by _serve.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    raise ConnectionResetError("fault matrix: reset")
                super().send_response(code, message)

            def send_header(self, keyword: str, value: str) -> None:
                reply = getattr(outer._current, "reply", None)
                if getattr(reply, "no_length", False) and keyword.lower() == "content-length":
                    keyword, value = "Connection", "close"  # the body ends at the close
                super().send_header(keyword, value)

            def finish(self) -> None:
                try:
                    super().finish()
                except OSError:
                    pass

            do_GET = do_POST = base._serve

        self.httpd.RequestHandlerClass = _FaultHandler
        self.httpd.handle_error = lambda request, address: None  # a reset socket is expected here

    def _reply(self, seen: Any) -> Any:
        reply = super()._reply(seen)
        self._current.reply = reply
        return reply

    def reset_routes(self) -> None:
        self.routes.clear()
        self.requests.clear()


# ----------------------------------------------------------------------------- payloads
MARKER = "gpurisk-pwned"
#: Terminal escape payloads a hostile server may send (OSC 0 with either terminator sets the
#: window title; OSC 52 writes the clipboard; CSI recolours).
ESCAPES: dict[str, str] = {
    "osc0_bel": f"\x1b]0;{MARKER}\x07",
    "osc0_st": f"\x1b]0;{MARKER}\x1b\\",
    "osc52": "\x1b]52;c;cm0gLXJmIH4K\x1b\\" + MARKER,
    "csi": f"\x1b[31;1m{MARKER}\x1b[0m",
}
MARKUP = "[bold red]x[/]"
KEY_ENV = "GPURISK_FAULT_KEY"
SECRET = "sk_live_FAULTMATRIX_7f3a9c2e1b44"
SEC_CONTACT = "risk-desk@example.com"
ONE_MB = 1_000_000

#: Small bounds so every case ends in well under 3 s: 0.4 s per attempt, one retry, a 1.2 s
#: deadline per poll, Retry-After waits above 0.5 s not sat through.
FAST: dict[str, Any] = dict(timeout=0.4, retries=1, backoff=0.01, retry_after_cap=0.5, deadline=1.2)
SLOW_DELAY = 2.5  # the "slow" server answers after this: later than any deadline above


def json_body(obj: Any) -> bytes:
    return json.dumps(obj, allow_nan=True).encode()  # NaN as the bare NaN token, as servers send it


def nan_everywhere(obj: Any, keys: set[str]) -> Any:
    """A copy of ``obj`` with every value under one of ``keys`` replaced by NaN."""
    if isinstance(obj, dict):
        return {k: (math.nan if k in keys and isinstance(v, (int, float, str)) and not isinstance(v, bool)
                    else nan_everywhere(v, keys)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [nan_everywhere(v, keys) for v in obj]
    return obj


def _fx_json(name: str, sec: bool = False) -> Any:
    return json.loads(((SEC_FX if sec else FEEDS_FX) / name).read_bytes())


# ----------------------------------------------------------------------------- feed specs
Route = tuple[str, str]  # (METHOD, path)


@dataclass
class FeedSpec:
    """How the matrix drives one HTTP feed.

    ``good``: route -> the recorded (or labelled constructed) body for a successful poll.
    ``wrong_shape``/``nan``: the body of that fault, per route (a route left out answers
    its good body). ``named``: text -> bodies carrying ``text`` where the feed takes a
    free-text name from the server (None: the feed shows no such name). ``error_body``:
    text -> the reply carrying the server's own error words (default: HTTP 400 JSON).
    ``sends_key``: the feed sends its ``api_key_env`` value to the server."""

    name: str
    make: Callable[[str], HttpFeed]
    good: dict[Route, tuple[bytes, str]]
    wrong_shape: dict[Route, tuple[bytes, str]]
    nan: dict[Route, tuple[bytes, str]]
    named: Callable[[str], dict[Route, tuple[bytes, str]]] | None = None
    error_body: Callable[[str], Any] | None = None
    sends_key: bool = False
    max_bytes: int = 64_000
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def routes(self) -> list[Route]:
        return list(self.good)


JSON, CSV = "application/json", "text/csv"

# Vast.ai: the recorded bundles answer, the H100 SXM offers (what a gpu_name = "H100 SXM" search returns).
_VAST = {"offers": [o for o in _fx_json("vast-bundles-2026-03-05.json")["offers"] if o.get("gpu_name") == "H100 SXM"]}
VAST_PATH: Route = ("POST", "/api/v0/bundles/")

_RUNPOD = _fx_json("runpod-gputypes.json")
RUNPOD_PATH: Route = ("POST", "/graphql")

_AZURE = _fx_json("azure-retail-prices-nd96isr-h100-v5-eastus.json")
AZURE_PATH: Route = ("GET", "/api/retail/prices")

_AWS = _fx_json("aws-ec2-ondemand-linux-us-east-1.CONSTRUCTED.json")
AWS_PATH: Route = ("GET", "/pricing/2.0/meteredUnitMaps/ec2/USD/current/ec2-ondemand-without-sec-sel/"
                          "US%20East%20(N.%20Virginia)/Linux/index.json")

_SEC_FACTS = _fx_json("coreweave-constructed.json", sec=True)
_SEC_SUBS = _fx_json("submissions-CIK0001769628-constructed.json", sec=True)
SEC_FACTS: Route = ("GET", "/api/xbrl/companyfacts/CIK0001769628.json")
SEC_SUBS: Route = ("GET", "/submissions/CIK0001769628.json")

#: FRED's newer header style; the feed's clock is pinned to 2026-08-10 so these are in its window.
_SOFR = (FEEDS_FX / "fred-SOFR-observation_date.CONSTRUCTED.csv").read_bytes()
FRED_PATH: Route = ("GET", "/graph/fredgraph.csv")

# Yahoo chart JSON: CONSTRUCTED in the documented shape (no recording ships; see test_equity_feed.py).
_CHART = {"chart": {"result": [{"meta": {"symbol": "CRWV"},
                                "timestamp": [1767225600, 1767312000, 1767398400, 1767484800],
                                "indicators": {"quote": [{"close": [98.5, None, 101.25, 95.0]}]}}],
                    "error": None}}
EQUITY_PATH: Route = ("GET", "/v8/finance/chart/CRWV")

# Tiingo daily prices: CONSTRUCTED in the documented shape, real CRWV closes (tests/fixtures/feeds/README.md).
_TIINGO = _fx_json("tiingo-crwv-daily.CONSTRUCTED.json")
TIINGO_PATH: Route = ("GET", "/tiingo/daily/CRWV/prices")

# FINRA: CONSTRUCTED token and TRACE answers in the documented shapes (no recording exists).
_FINRA_TOKEN = _fx_json("finra-token.CONSTRUCTED.json")
_FINRA_TRADES = _fx_json("finra-trace-trades.CONSTRUCTED.json")
FINRA_TOKEN: Route = ("POST", "/fip/rest/ews/oauth2/access_token")
FINRA_DATA: Route = ("POST", "/data/group/fixedIncomeMarket/name/traceBonds")
_FINRA_NOTES = (NoteSpec("2030 senior notes", "99999XAA0", 9.25, date(2030, 6, 1)),
                NoteSpec("2031 senior notes", "99999XAB8", 9.0, date(2031, 2, 1)))

_CRI = (FEEDS_FX / "cri-h100-index.csv").read_bytes()
CSV_PATH: Route = ("GET", "/idx.csv")

# http_json: CONSTRUCTED (the CRI-H100 values of the recorded CSV as a JSON index API).
_INDEX = {"data": {"rows": [{"date": "2026-03-05", "value": 1.6021, "provider": "OCPI"},
                            {"date": "2026-03-06", "value": 1.735, "provider": "OCPI"}]}}
INDEX_PATH: Route = ("GET", "/v1/index")


def _base(url: str) -> dict[str, Any]:
    return dict(base_url=url, api_key_env=KEY_ENV, **FAST)


def _finra(url: str) -> HttpFeed:
    # the client id and the secret both from the matrix's key variable: both must be masked
    return FinraTraceFeed(token_url=f"{url}{FINRA_TOKEN[1]}", dataset="traceBonds", client_id_env=KEY_ENV,
                          notes=_FINRA_NOTES, **_base(url))


def _vast(url: str) -> HttpFeed:
    return VastAIFeed(skus=["H100 SXM"], method="all", **_base(url))


def _sec(url: str) -> HttpFeed:
    feed = SECEdgarFeed(cik="0001769628", contact=SEC_CONTACT, **_base(url))
    feed.facts_every = 0.0  # companyfacts read on every poll, so every fault reaches both documents
    feed.limiter = RateLimiter(10, per=1.0)  # a fresh window per case (SEC's limit holds per process)
    return feed


def _sec_peers(url: str) -> HttpFeed:
    feed = SECPeersFeed(companies=["CRWV:0001769628"], contact=SEC_CONTACT, **_base(url))
    SECEdgarFeed.limiter = RateLimiter(10, per=1.0)  # the process's one EDGAR limiter, fresh per case
    return feed


def _sec_named(text: str) -> dict[Route, tuple[bytes, str]]:
    return {SEC_SUBS: (json_body({**_SEC_SUBS, "name": text}), JSON),
            SEC_FACTS: (json_body({**_SEC_FACTS, "entityName": text}), JSON)}


def _runpod_error(text: str) -> Any:  # GraphQL errors arrive with HTTP 200
    return FaultReply(200, json_body({"errors": [{"message": text}], "data": None}), content_type=JSON)


def _equity_error(text: str) -> Any:  # Yahoo's chart error object, HTTP 200
    return FaultReply(200, json_body({"chart": {"result": None, "error": {"code": "Not Found", "description": text}}}),
                      content_type=JSON)


def _csv_nan(body: bytes, column: str) -> bytes:
    lines = body.decode().splitlines(keepends=True)
    head = [h.strip() for h in lines[0].split(",")]
    i = head.index(column)
    out = [lines[0]]
    for ln in lines[1:]:
        cells = ln.rstrip("\n").split(",")
        cells[i] = "NaN"
        out.append(",".join(cells) + "\n")
    return "".join(out).encode()


SPECS: dict[str, FeedSpec] = {
    "vastai": FeedSpec(
        "vastai", _vast,
        good={VAST_PATH: (json_body(_VAST), JSON)},
        wrong_shape={VAST_PATH: (json_body({"bundles": []}), JSON)},
        nan={VAST_PATH: (json_body(nan_everywhere(_VAST, {"dph_total"})), JSON)},
        max_bytes=200_000,  # its recorded answer is 74 kB
        sends_key=True,  # the optional key goes out as a Bearer token
        notes={"named": "gpu_name is matched against a fixed list, never shown"}),
    "runpod": FeedSpec(
        "runpod", lambda url: RunPodFeed(**_base(url)),
        good={RUNPOD_PATH: (json_body(_RUNPOD), JSON)},
        wrong_shape={RUNPOD_PATH: (json_body({"data": {"pods": []}}), JSON)},
        nan={RUNPOD_PATH: (json_body(nan_everywhere(_RUNPOD, {"securePrice", "communityPrice"})), JSON)},
        error_body=_runpod_error, sends_key=True,
        notes={"named": "GPU ids are matched against a fixed map; displayName is never shown"}),
    "azure": FeedSpec(
        "azure", lambda url: AzureFeed(**_base(url)),
        good={AZURE_PATH: (json_body(_AZURE), JSON)},
        wrong_shape={AZURE_PATH: (json_body({"items": [], "count": 0}), JSON)},
        nan={AZURE_PATH: (json_body(nan_everywhere(_AZURE, {"retailPrice", "unitPrice"})), JSON)},
        notes={"named": "armSkuName/productName are matched or filtered, never shown"}),
    "aws": FeedSpec(
        "aws", lambda url: AWSFeed(**_base(url)),
        good={AWS_PATH: (json_body(_AWS), JSON)},
        # the page renamed "price" to "rate": the shape-agnostic parser finds no price
        wrong_shape={AWS_PATH: (json_body({"regions": {"US East (N. Virginia)": {
            "p5.48xlarge": {"Instance Type": "p5.48xlarge", "rate": "55.0400000000"}}}}), JSON)},
        nan={AWS_PATH: (json_body(nan_everywhere(_AWS, {"price"})), JSON)},
        notes={"named": "instance types are matched against a fixed map, never shown"}),
    "sec_edgar": FeedSpec(
        "sec_edgar", _sec,
        good={SEC_SUBS: (json_body(_SEC_SUBS), JSON), SEC_FACTS: (json_body(_SEC_FACTS), JSON)},
        wrong_shape={SEC_SUBS: (json_body({"cik": "0001769628", "name": "CoreWeave, Inc.", "filings": []}), JSON)},
        nan={SEC_FACTS: (json_body(nan_everywhere(_SEC_FACTS, {"val"})), JSON)},
        named=_sec_named),
    "sec_peers": FeedSpec(
        "sec_peers", _sec_peers,
        good={SEC_FACTS: (json_body(_SEC_FACTS), JSON)},
        wrong_shape={SEC_FACTS: (json_body({"cik": 1769628, "entityName": "CoreWeave, Inc.", "facts": []}), JSON)},
        nan={SEC_FACTS: (json_body(nan_everywhere(_SEC_FACTS, {"val"})), JSON)},
        named=lambda text: {SEC_FACTS: (json_body({**_SEC_FACTS, "entityName": text}), JSON)}),
    "fred": FeedSpec(
        "fred", lambda url: FredFeed(series=["SOFR"], **_base(url)),
        good={FRED_PATH: (_SOFR, CSV)},
        wrong_shape={FRED_PATH: (b"foo,bar\n1,2\n", CSV)},
        nan={FRED_PATH: (_csv_nan(_SOFR, "SOFR"), CSV)},
        # the series name comes back in the CSV header ("asked for SOFR, got <header>")
        named=lambda text: {FRED_PATH: (_SOFR.replace(b",SOFR", b"," + text.encode()), CSV)}),
    "equity": FeedSpec(
        "equity", lambda url: EquityFeed(ticker="CRWV", shares_outstanding=5e8, **_base(url)),
        good={EQUITY_PATH: (json_body(_CHART), JSON)},
        wrong_shape={EQUITY_PATH: (json_body({"chart": {"result": [{"timestamp": "x"}]}}), JSON)},
        nan={EQUITY_PATH: (json_body({"chart": {**_CHART["chart"], "result": [{
            **_CHART["chart"]["result"][0], "indicators": {"quote": [{"close": [math.nan] * 4}]}}]}}), JSON)},
        error_body=_equity_error,
        notes={"named": "the chart's meta.symbol is never shown (the configured ticker is)"}),
    "tiingo": FeedSpec(
        "tiingo", lambda url: TiingoFeed(ticker="CRWV", shares_outstanding=5e8, **_base(url)),
        good={TIINGO_PATH: (json_body(_TIINGO), JSON)},
        wrong_shape={TIINGO_PATH: (json_body({"bars": _TIINGO}), JSON)},
        nan={TIINGO_PATH: (json_body(nan_everywhere(_TIINGO, {"close"})), JSON)},
        sends_key=True,
        notes={"named": "the ticker shown is the configured one; no server text is shown"}),
    "finra_trace": FeedSpec(
        "finra_trace", _finra,
        good={FINRA_TOKEN: (json_body(_FINRA_TOKEN), JSON), FINRA_DATA: (json_body(_FINRA_TRADES), JSON)},
        wrong_shape={FINRA_DATA: (json_body({"data": _FINRA_TRADES}), JSON)},
        nan={FINRA_DATA: (json_body(nan_everywhere(_FINRA_TRADES, {"price"})), JSON)},
        notes={"named": "notes are named in the config; no server text is shown"}),
    "csv": FeedSpec(
        "csv", lambda url: CSVFeed(url=f"{url}{CSV_PATH[1]}", date_column="publication_date",
                                   value_column="cri_h100", sku="H100 SXM", provider="CRI-H100",
                                   api_key_env=KEY_ENV, **FAST),
        good={CSV_PATH: (_CRI, CSV)},
        wrong_shape={CSV_PATH: (b"foo,bar\n1,2\n", CSV)},
        nan={CSV_PATH: (_csv_nan(_CRI, "cri_h100"), CSV)},
        notes={"named": "column names and provider come from the config; no server text is shown"}),
    "http_json": FeedSpec(
        "http_json", lambda url: HTTPJSONFeed(url=f"{url}{INDEX_PATH[1]}", items_path="data.rows",
                                              price_path="value", date_path="date", sku="H100 SXM",
                                              provider_path="provider", api_key_env=KEY_ENV, **FAST),
        good={INDEX_PATH: (json_body(_INDEX), JSON)},
        wrong_shape={INDEX_PATH: (json_body({"rows": _INDEX["data"]["rows"]}), JSON)},
        nan={INDEX_PATH: (json_body(nan_everywhere(_INDEX, {"value"})), JSON)},
        named=lambda text: {INDEX_PATH: (json_body({"data": {"rows": [
            {**r, "provider": text} for r in _INDEX["data"]["rows"]]}}), JSON)},
        sends_key=True),
}


def oversize_body(ctype: str) -> bytes:
    """1 MB that looks like the feed's format (a JSON array or CSV rows)."""
    if ctype == CSV:
        row = b"2026-03-05,2026-02-27,2026-03-05,CRI-H100,1.6021,28,2,True,1.5,2.2,1.8,0.2,1.1.0,x\n"
        return (b"publication_date,a,b,c,cri_h100,d,e,f,g,h,i,j,k,l\n" + row * (ONE_MB // len(row) + 1))[:ONE_MB]
    item = b'{"pad": "' + b"x" * 90 + b'"},'
    return (b"[" + item * (ONE_MB // len(item) + 1))[:ONE_MB]
