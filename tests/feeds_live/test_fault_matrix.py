"""The fault matrix: every HTTP feed × every way a server can answer badly, against a real
socket on 127.0.0.1 (issue 8, "Hardening").

Each case polls the feed twice through :class:`feeds.runner.FeedRunner`: first the
recorded (or labelled constructed) body -- state OK, values ingested into an
:class:`engine.Engine` -- then the fault. It asserts

* the **state** and a **message** naming the problem (table below);
* the message holds **no raw control character** (no ESC, BEL, C1: ``str.isprintable``),
  no ``Traceback``, and **never the secret** (every feed is configured with
  ``api_key_env = GPURISK_FAULT_KEY``; RunPod and http_json send it);
* **last-good values kept**: the engine's numbers from the good poll are unchanged after
  ingesting whatever the fault poll returned (for a failure: nothing, and no new snapshot);
  every text kept in the engine and the feed's description is printable and secret-free;
* **time bound**: each poll ends by its deadline (0.4 s per attempt, one retry, 1.2 s per
  poll: ``fault_kinds.FAST``), the whole case in under 3 s;
* **memory bound**: RSS grows less than 50 MB across the case (the over-size case serves
  1 MB without a Content-Length against ``max_bytes`` = 64 kB, 200 kB for Vast whose
  recorded answer is 74 kB).

Expected states and message words (``*`` = see the per-feed table below):

=================  =============  ==============================================================
fault              state          message contains
=================  =============  ==============================================================
slow               ERROR          "no answer" (real time, attempts; "poll deadline" when cut)
http500            ERROR          "HTTP 500"
http429            RATE-LIMITED   "HTTP 429" and "retry after 120 s"; manual refresh refused
html200            ERROR          "HTML page"
truncated          ERROR          "truncated" (Content-Length promised more than was sent)
wrong_shape        ERROR*         per feed: what was missing
oversize           ERROR          "larger than" (1 MB, no Content-Length, refused while reading)
empty              ERROR          "empty"
reset              ERROR          "connection dropped" (TCP RST, no answer)
nan                ERROR/NO DATA* per feed: the values were unusable / none usable
markup_name        OK/ERROR*      the name ``[bold red]x[/]`` kept literally, never markup
echo               ERROR          "HTTP 401" (key sent) / "HTTP 400" (key-less) with "***"
esc_body_<p>       ERROR          the server's words (``gpurisk-pwned``) with ESC/BEL made visible
esc_name_<p>       OK/ERROR*      the name kept, ESC/BEL made visible (SEC: removed)
=================  =============  ==============================================================

Per feed (``*``):

==========  ==============================  ======================  =======================
feed        wrong_shape                      nan                      names (markup, escapes)
==========  ==============================  ======================  =======================
vastai      ERROR "no 'offers' list"        ERROR "unusable prices"  n/a (skipped)
runpod      ERROR "no data.gpuTypes"         ERROR "NaN or infinite"  n/a (skipped)
azure       ERROR "no 'Items' list"          NO DATA "no Linux"       n/a (skipped)
aws         NO DATA "no P-instance" (1)      NO DATA "no P-instance"  n/a (skipped)
sec_edgar   ERROR "filings.recent"           NO DATA (2)              OK: entityName shown
sec_peers   ERROR "CRWV: …"                  NO DATA (2)              OK: entityName shown
fred        ERROR "not a FRED CSV"           NO DATA "no values"      ERROR "asked for SOFR"
equity      ERROR "unexpected chart JSON"    NO DATA "no closes"      n/a (skipped)
tiingo      ERROR "unexpected Tiingo JSON"   NO DATA "no closes"      n/a (skipped)
finra_trace ERROR "expected a JSON array"    NO DATA "no usable TRACE" n/a (skipped)
csv         ERROR "column 'publication_..."  NO DATA "no dated"       n/a (skipped)
http_json   ERROR "no 'data.rows'"           NO DATA "no priced"      OK: provider shown
==========  ==============================  ======================  =======================

(1) AWS's parser is shape-agnostic by design (the page's JSON is undocumented): a renamed
field reads as "no P-instance Linux on-demand price", NO DATA.
(2) SEC: companyfacts whose every value is NaN, after good facts: "companyfacts has none of
the expected ... tags" (the earlier facts stay in the engine).

RunPod's and Yahoo's error words arrive in-band with HTTP 200 (GraphQL ``errors``, the
chart's ``error``); every other feed's error body is an HTTP 400 text. For key-less feeds
the echo server quotes the configured key anyway (standing in for a proxy or mirror that
holds it): masking is by value, whoever sends it.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from typing import Any

import psutil
import pytest

import feeds.fred
from engine import Engine
from feeds import textsafe
from feeds.runner import ERROR, NO_DATA, OK, RATE_LIMITED, FeedRunner

from fault_kinds import (
    CSV,
    ESCAPES,
    FAST,
    JSON,
    KEY_ENV,
    MARKER,
    MARKUP,
    SECRET,
    SLOW_DELAY,
    SPECS,
    FaultReply,
    FaultServer,
    FeedSpec,
    oversize_body,
)

FRED_NOW = datetime(2026, 8, 10, 15, 0, tzinfo=UTC)  # the constructed SOFR rows are in its window
CASE_LIMIT = 3.0  # seconds per case
POLL_SLACK = 0.4  # seconds past the poll deadline for parsing and the runner's own work
RSS_LIMIT = 50 * 1024 * 1024

FAULTS = ["slow", "http500", "http429", "html200", "truncated", "wrong_shape", "oversize", "empty", "reset", "nan",
          "markup_name", "echo", *(f"esc_body_{p}" for p in ESCAPES), *(f"esc_name_{p}" for p in ESCAPES)]
NAME_FAULTS = {"markup_name", *(f"esc_name_{p}" for p in ESCAPES)}

#: (state, words the message must contain) per fault; per-feed entries override.
DEFAULT: dict[str, tuple[str, str]] = {
    "slow": (ERROR, "no answer"),
    "http500": (ERROR, "HTTP 500"),
    "http429": (RATE_LIMITED, "HTTP 429"),
    "html200": (ERROR, "HTML page"),
    "truncated": (ERROR, "truncated"),
    "oversize": (ERROR, "larger than"),
    "empty": (ERROR, "empty"),
    "reset": (ERROR, "connection dropped"),
    **{f"esc_body_{p}": (ERROR, MARKER) for p in ESCAPES},
}
EXPECT: dict[tuple[str, str], tuple[str, str]] = {
    ("vastai", "wrong_shape"): (ERROR, "no 'offers' list"),
    ("vastai", "nan"): (ERROR, "unusable prices"),
    ("runpod", "wrong_shape"): (ERROR, "no data.gpuTypes"),
    ("runpod", "nan"): (ERROR, "NaN or infinite"),
    ("azure", "wrong_shape"): (ERROR, "no 'Items' list"),
    ("azure", "nan"): (NO_DATA, "no Linux on-demand"),
    ("aws", "wrong_shape"): (NO_DATA, "no P-instance"),
    ("aws", "nan"): (NO_DATA, "no P-instance"),
    ("sec_edgar", "wrong_shape"): (ERROR, "filings.recent"),
    ("sec_edgar", "nan"): (NO_DATA, "companyfacts has none"),
    ("sec_peers", "wrong_shape"): (ERROR, "CRWV"),
    ("sec_peers", "nan"): (NO_DATA, "companyfacts has none"),
    ("fred", "wrong_shape"): (ERROR, "not a FRED CSV"),
    ("fred", "nan"): (NO_DATA, "no values"),
    ("equity", "wrong_shape"): (ERROR, "unexpected chart JSON shape"),
    ("equity", "nan"): (NO_DATA, "no closes"),
    ("tiingo", "wrong_shape"): (ERROR, "unexpected Tiingo JSON shape"),
    ("tiingo", "nan"): (NO_DATA, "no closes"),
    ("finra_trace", "wrong_shape"): (ERROR, "expected a JSON array"),
    ("finra_trace", "nan"): (NO_DATA, "no usable TRACE price"),
    ("csv", "wrong_shape"): (ERROR, "column 'publication_date' not in the CSV header"),
    ("csv", "nan"): (NO_DATA, "no dated numeric rows"),
    ("http_json", "wrong_shape"): (ERROR, "no 'data.rows'"),
    ("http_json", "nan"): (NO_DATA, "no priced items"),
    **{(f, n): (OK, "") for f in ("sec_edgar", "sec_peers", "http_json") for n in NAME_FAULTS},
    **{("fred", n): (ERROR, "asked for SOFR") for n in NAME_FAULTS},
}


def expected(feed: str, fault: str) -> tuple[str, str]:
    if (feed, fault) in EXPECT:
        return EXPECT[(feed, fault)]
    if fault == "echo":
        return ERROR, "HTTP 401" if SPECS[feed].sends_key else "HTTP 400"
    return DEFAULT[fault]


def cases() -> list[Any]:
    out = []
    for feed, spec in SPECS.items():
        for fault in FAULTS:
            marks = []
            if fault in NAME_FAULTS and spec.named is None:
                marks.append(pytest.mark.skip(reason=f"{feed} shows no free-text name from the server: "
                                                     f"{spec.notes.get('named', '')}"))
            out.append(pytest.param(feed, fault, id=f"{feed}-{fault}", marks=marks))
    return out


# ----------------------------------------------------------------------------- the server
@pytest.fixture(scope="module")
def srv():
    s = FaultServer()
    s.thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()


def serve(srv: FaultServer, bodies: dict[tuple[str, str], tuple[bytes, str]]) -> None:
    for (method, path), (body, ctype) in bodies.items():
        srv.route(path, FaultReply(200, body, content_type=ctype), method)


def echo_reply(spec: FeedSpec) -> Any:
    """401 (key sent) quoting the Authorization header received; 400 (key-less) quoting the key."""
    def handle(seen: Any) -> Any:
        auth = next((v for k, v in seen.headers.items() if k.lower() == "authorization"), "")
        if spec.sends_key:
            assert SECRET in auth  # the key really went out: this is a real echo
            return FaultReply(401, f"Invalid credentials: Authorization: {auth}; api_key={SECRET}",
                              content_type="text/plain")
        return FaultReply(400, f"Bad request: Authorization: Bearer {SECRET}; api_key={SECRET}",
                          content_type="text/plain")
    return handle


def install_fault(srv: FaultServer, spec: FeedSpec, fault: str) -> None:
    """Every route of the feed answers with the fault (a data fault: its routes, the rest good)."""
    ctype = next(iter(spec.good.values()))[1]
    if fault in ("wrong_shape", "nan"):
        serve(srv, spec.good)
        serve(srv, getattr(spec, fault))
        return
    if fault in NAME_FAULTS:
        text = MARKUP if fault == "markup_name" else f"Acme {ESCAPES[fault.removeprefix('esc_name_')]} Corp"
        assert spec.named is not None
        serve(srv, spec.named(text))
        return
    for method, path in spec.routes:
        body, _ = spec.good[(method, path)]
        reply: Any
        if fault == "slow":
            reply = FaultReply(200, body, content_type=ctype, delay=SLOW_DELAY)
        elif fault == "http500":
            reply = FaultReply(500, "Internal Server Error", content_type="text/plain")
        elif fault == "http429":
            reply = FaultReply(429, "Too Many Requests", headers={"Retry-After": "120"}, content_type="text/plain")
        elif fault == "html200":
            reply = FaultReply(200, "<!DOCTYPE html><html><body>Just a moment...</body></html>",
                               content_type="text/html")
        elif fault == "truncated":
            reply = FaultReply(200, body, content_type=ctype, truncate=len(body) // 2)
        elif fault == "oversize":
            reply = FaultReply(200, oversize_body(ctype), content_type=ctype, no_length=True)
        elif fault == "empty":
            reply = FaultReply(200, b"", content_type=ctype)
        elif fault == "reset":
            reply = FaultReply(reset=True)
        elif fault == "echo":
            reply = echo_reply(spec)
        elif fault.startswith("esc_body_"):
            words = f"Request rejected: {ESCAPES[fault.removeprefix('esc_body_')]} see docs"
            reply = spec.error_body(words) if spec.error_body else FaultReply(400, words, content_type="text/plain")
        else:
            raise AssertionError(fault)
        srv.route(path, reply, method)


# ----------------------------------------------------------------------------- what the engine holds
def numbers(eng: Engine) -> dict[str, Any]:
    """Every value the engine holds, by key (texts aside)."""
    s = eng.state
    return {
        "prices": {rid: row.price for rid, row in eng.snapshot.prices.items()},
        "rates": {k: (v.as_of, v.value) for k, v in s.rates.items()},
        "equity": {k: (v.as_of, v.close) for k, v in s.equity.items()},
        "fin": {(c, m, p): f.value for (c, m), periods in s.fin._facts.items() for p, f in periods.items()},
        "filings": {k: tuple(f.accession for f in v) for k, v in s.filings.items()},
        "bonds": {(c, n): tuple((q.as_of, q.price) for q in qs) for c, notes in s.bonds.items()
                  for n, qs in notes.items()},
    }


def texts(eng: Engine) -> list[str]:
    """Every text the engine keeps from a feed (what the dashboard and the exports show)."""
    s, out = eng.state, []
    for row in eng.snapshot.prices.values():
        out += [t for q in row.sources for t in (q.provider, q.source)]
    out += [v.source for v in s.rates.values()] + [v.source for v in s.equity.values()]
    out += [f.source for periods in s.fin._facts.values() for f in periods.values()]
    out += [f.source for v in s.filings.values() for f in v]
    out += [q.source for notes in s.bonds.values() for qs in notes.values() for q in qs]
    return out


def clean_text(t: str) -> bool:
    return t.isprintable() and "Traceback" not in t and SECRET not in t


# ----------------------------------------------------------------------------- the matrix
@pytest.mark.parametrize(("feed_name", "fault"), cases())
async def test_fault(feed_name: str, fault: str, srv: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = SPECS[feed_name]
    want_state, want_words = expected(feed_name, fault)
    monkeypatch.setenv(KEY_ENV, SECRET)
    textsafe.refresh()
    monkeypatch.setattr(feeds.fred, "utcnow", lambda: FRED_NOW)
    srv.reset_routes()
    serve(srv, spec.good)
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    t_case = time.monotonic()

    feed = spec.make(srv.url)
    feed.max_bytes = spec.max_bytes
    runner = FeedRunner([feed])
    eng = Engine()
    name = feed.instance
    try:
        # 1. a good poll from the recorded body
        t0 = time.monotonic()
        good = await runner.poll(name)
        t_good = time.monotonic() - t0
        st = runner.status[name]
        assert st.state == OK and good, st.last_error
        eng.ingest(good)
        before = numbers(eng)
        assert any(before.values()), "the good poll put nothing into the engine"
        snap = eng.snapshot
        last_ok = st.last_ok

        # 2. the fault
        srv.reset_routes()
        install_fault(srv, spec, fault)
        t0 = time.monotonic()
        bad = await runner.poll(name)
        t_bad = time.monotonic() - t0
        eng.ingest(bad)
        describe = feed.describe()
    finally:
        await runner.aclose()
    took = time.monotonic() - t_case
    st = runner.status[name]
    msg = st.last_error

    # the state and the message
    assert st.state == want_state, f"{st.state}: {msg}"
    if want_state != OK:
        assert want_words and want_words in msg, msg
        assert bad == []
    assert clean_text(msg), repr(msg)
    assert clean_text(describe), repr(describe)

    # last-good values kept (a failure publishes nothing; a good answer with a hostile name
    # carries the same numbers)
    assert numbers(eng) == before
    if want_state != OK:
        assert eng.snapshot is snap
        assert st.last_ok == last_ok  # "data received" still tells when the kept values came
    bad_texts = [t for t in texts(eng) if not clean_text(t)]
    assert not bad_texts, bad_texts[:3]

    # time and memory
    deadline = FAST["deadline"]
    assert t_good <= deadline + POLL_SLACK and t_bad <= deadline + POLL_SLACK, (t_good, t_bad)
    assert took < CASE_LIMIT, took
    grew = proc.memory_info().rss - rss0
    assert grew < RSS_LIMIT, f"RSS grew {grew / 1e6:.0f} MB"

    # what each fault must show besides
    if fault == "slow":
        assert t_bad >= FAST["timeout"]  # it really waited for the server
    elif fault == "http429":
        assert "retry after 120 s" in msg, msg
        assert len(srv.requests) == 1  # longer than retry_after_cap: not retried inside the poll
        assert st.retry_at is not None
        assert abs((st.retry_at - datetime.now(UTC)).total_seconds() - 120) < 5
        allowed, why = runner.may_poll(name, manual=True)
        assert not allowed and why.startswith("RATE-LIMITED · next try"), why  # 'r' sends nothing
    elif fault == "echo":
        assert "***" in msg, msg  # the server's words are kept, the key masked
    elif fault == "markup_name":
        shown = msg if want_state != OK else describe + " ".join(texts(eng))
        assert MARKUP in shown, shown  # literally, never interpreted or stripped
        from gpurisk.text.format import text as tui_text

        rendered = tui_text(msg or describe)
        assert rendered.plain == textsafe.safe(msg or describe) and not rendered.spans[1:]
    elif fault.startswith(("esc_body_", "esc_name_")):
        shown = msg if want_state != OK else describe + " ".join(texts(eng))
        assert MARKER in shown, shown  # the server's words are kept, inert
        assert "\x1b" not in shown and "\x07" not in shown
        sec = feed_name in ("sec_edgar", "sec_peers")  # SEC's feeds drop controls from names
        if not sec or fault.startswith("esc_body_"):
            assert "\\x1b" in shown, shown  # ESC shown as a visible escape


def test_matrix_covers_every_http_feed() -> None:
    """Every built-in feed that talks HTTP is in the matrix (a new one must be added)."""
    from feeds.http import HttpFeed
    from feeds.registry import BUILTIN, load

    http = {name for name in BUILTIN if issubclass(load(name), HttpFeed)}
    assert http == set(SPECS), http ^ set(SPECS)
    assert {ct for s in SPECS.values() for _, ct in s.good.values()} == {JSON, CSV}
    assert dataclasses.is_dataclass(FaultReply)


def test_fault_server_options(srv: FaultServer) -> None:
    """The two reply options the matrix adds do what they say, seen from a plain client."""
    import httpx

    srv.reset_routes()
    srv.route("/nolen", FaultReply(200, b"x" * 100_000, no_length=True))
    srv.route("/reset", FaultReply(reset=True))
    r = httpx.get(f"{srv.url}/nolen", timeout=2)
    assert r.headers.get("content-length") is None and r.headers.get("connection") == "close"
    assert len(r.content) == 100_000  # the body ran until the server closed
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.get(f"{srv.url}/reset", timeout=2)
    assert srv.hits("/reset") == 1  # the request was read, then the socket reset
