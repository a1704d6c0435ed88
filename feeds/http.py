"""One HTTP client behaviour shared by every network feed.

Why one place: timeouts, size limits, retries with backoff, ``Retry-After`` and
the wording of failures must be identical for Vast.ai, RunPod, Azure, FRED, SEC
and third-party feeds, and secrets must be redacted everywhere. A feed subclasses
:class:`HttpFeed`, calls :meth:`get_json` / :meth:`get_text` with a path relative
to ``base_url`` (so tests, mirrors and proxies can point anywhere) and turns the
answer into observations. Every failure arrives as a :class:`FeedError` with a
short reason ("timeout after 20 s", "HTTP 404 from host") that never contains a
query string, a header value or a key.

Bounds (:mod:`feeds.http_limits`): every poll has a total deadline (``deadline``,
default 2 × ``timeout`` + the longest backoff or Retry-After wait) across its requests,
retries and sleeps, and a timeout message gives the real time and attempts ("no answer
from host after 62 s (3 attempts, 20 s timeout each)"). Bodies are capped at
``max_bytes`` *after* decompression, while streaming. An API key is registered with
:mod:`feeds.textsafe` when read, so a server echoing it back shows ``***``.
"""

from __future__ import annotations

import asyncio
import functools
import json as _json
import math
import os
import random
import socket
import ssl
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from .base import (
    USER_AGENT,
    ConfigError,
    Feed,
    FeedContext,
    FeedDisabled,
    FeedError,
    RateLimited,
    utcnow,
)
from .http_limits import ACCEPT_ENCODING, deadline_end, now as limits_now, read_capped, secs
from .numbers import range_problem
from .textsafe import redact as redact_text, register_secret, register_secret_env, safe

_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body")
_DNS_HINTS = ("name or service", "nodename", "name resolution", "getaddrinfo", "no address associated", "errno -2",
              "errno -3", "errno -5", "errno 8", "11001")
#: Longest wait we accept from a Retry-After header (a day); beyond is nonsense.
_MAX_RETRY_AFTER = 86400.0
#: An attempt needs at least this long before the deadline to be worth starting.
MIN_ATTEMPT = 0.1
#: Bodies above this are decoded / parsed off the event loop (keys stay responsive).
OFF_LOOP_BYTES = 256 * 1024


def looks_like_html(body: bytes | str, content_type: str = "") -> bool:
    """True for an HTML page (a login wall, an error page, a captcha)."""
    head = body[:512]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    head = head.lstrip().lower()
    if head.startswith(_HTML_START):
        return True
    # a JSON body mislabelled text/html is still JSON
    return "html" in content_type.lower() and not head.startswith((b"{", b"["))


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        secs = float(value)
    except ValueError:
        pass
    else:
        return None if math.isnan(secs) else min(max(0.0, secs), _MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        return None
    return min(max(0.0, (when - utcnow()).total_seconds()), _MAX_RETRY_AFTER)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context (httpx's default: certifi's CA bundle, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR``) for every client: each client would otherwise build its own, reading
    and parsing the whole CA bundle (about 30 ms of CPU: a live start with eight feeds, or a
    ``--connect`` view that opens a client per request). A context is made to be shared."""
    return httpx.create_ssl_context()


def tls_options(transport: Any = None) -> dict[str, Any]:
    """``verify=`` the shared context, unless a transport of its own (tests) makes TLS moot."""
    return {} if transport is not None else {"verify": tls_context()}


class HttpFeed(Feed):
    """Base for feeds that poll an HTTP API. Subclasses implement ``poll``.

    Subclasses add their own TOML options by overriding :meth:`config_options`,
    which pops its keys from ``opts`` and returns constructor keyword arguments.
    """

    default_base_url: ClassVar[str] = ""
    api_key_env_default: ClassVar[str | None] = None
    key_required: ClassVar[bool] = False
    #: Seconds of the first retry delay (doubles each retry, with jitter).
    backoff_base: ClassVar[float] = 0.5
    #: Longest ``Retry-After`` we wait for inside one poll; longer -> RateLimited.
    retry_after_cap: ClassVar[float] = 5.0

    def __init__(
        self,
        *,
        base_url: str | None = None,
        interval: float | None = None,
        instance: str | None = None,
        timeout: float = 20.0,
        max_bytes: int = 20_000_000,
        retries: int = 2,
        headers: Mapping[str, str] | None = None,
        api_key_env: str | None = None,
        user_agent: str = USER_AGENT,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float | None = None,
        retry_after_cap: float | None = None,
        deadline: float | None = None,
    ) -> None:
        super().__init__(interval=interval, instance=instance)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = float(timeout)
        self.max_bytes = int(max_bytes)
        self.retries = max(0, int(retries))
        self.headers = dict(headers or {})
        self.api_key_env = api_key_env if api_key_env is not None else self.api_key_env_default
        self.user_agent = user_agent
        self.backoff = self.backoff_base if backoff is None else float(backoff)
        self.max_retry_after = self.retry_after_cap if retry_after_cap is None else float(retry_after_cap)
        #: Seconds one poll may take across every attempt, retry and backoff sleep
        #: (default: two timeouts plus the longest backoff or Retry-After wait we sit through).
        self.poll_deadline = float(deadline) if deadline is not None else \
            2 * self.timeout + max(self.max_retry_after, self.backoff * 2 ** self.retries)
        register_secret_env(self.api_key_env)
        self.needs_key: bool = self.key_required  # an instance may require a key its class does not
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    # ------------------------------------------------------------------ config
    @classmethod
    def from_config(cls, options: Mapping[str, Any], ctx: FeedContext) -> Feed:
        opts = dict(options)
        kwargs: dict[str, Any] = {"user_agent": getattr(ctx, "user_agent", None) or USER_AGENT}
        for key, kind in (("interval", float), ("timeout", float), ("max_bytes", int), ("retries", int),
                          ("deadline", float)):
            if key in opts:
                val = opts.pop(key)
                problem = range_problem(key, val)  # bounded: timeout = 1e300 would leave a feed PENDING for ever
                if problem:
                    raise ConfigError(key, problem)
                kwargs[key] = kind(val)
        for key, target in (("name", "instance"), ("base_url", "base_url"), ("api_key_env", "api_key_env")):
            if key in opts:
                val = opts.pop(key)
                if not isinstance(val, str) or not val:
                    raise ConfigError(key, f"must be a non-empty string, got {val!r}")
                kwargs[target] = val
        if "base_url" in kwargs and not kwargs["base_url"].startswith(("http://", "https://")):
            raise ConfigError("base_url", "must start with http:// or https://")
        kwargs.update(cls.config_options(opts, ctx))
        if opts:
            raise ConfigError(next(iter(opts)), f"unknown option for feed {cls.name!r}")
        return cls(**kwargs)

    @classmethod
    def config_options(cls, opts: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
        """Hook: pop this feed's own options from ``opts``; return constructor kwargs."""
        return {}

    # ------------------------------------------------------------------ keys
    @property
    def api_key(self) -> str | None:
        """The key from the environment, read at call time. Never log it."""
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env, "").strip()
        if value:
            register_secret(value)  # masked in every text shown, stored or logged from now on
        return value or None

    def require_key(self) -> str:
        key = self.api_key
        if key is None:
            raise FeedDisabled(f"set ${self.api_key_env or 'API key'}")
        return key

    # ------------------------------------------------------------------ plumbing
    def url(self, url_or_path: str) -> str:
        if url_or_path.startswith(("http://", "https://")):
            return url_or_path
        if not self.base_url:
            raise FeedDisabled("no base_url configured")
        return f"{self.base_url}/{url_or_path.lstrip('/')}"

    def source(self, url_or_path: str) -> str:
        """The URL to cite as an observation's source: no query string, no secrets."""
        return self.redact(self.url(url_or_path).split("?", 1)[0])

    def redact(self, text: str) -> str:
        key = self.api_key
        if key:
            text = text.replace(key, "***")
        return redact_text(text)

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                headers={"User-Agent": self.user_agent, "Accept-Encoding": ACCEPT_ENCODING, **self.headers},
                transport=self._transport,
                follow_redirects=True,
                **tls_options(self._transport),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _sleep_for(self, attempt: int) -> float:
        base = self.backoff * (2**attempt)
        return random.uniform(base / 2, base)

    def _transport_error(self, exc: Exception, url: httpx.URL) -> FeedError:
        host = url.host or "?"
        if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
            return FeedError(f"timeout after {self.timeout:g} s ({host})")
        chain: list[BaseException] = []
        cur: BaseException | None = exc
        while cur is not None and len(chain) < 6:
            chain.append(cur)
            cur = cur.__cause__ or cur.__context__
        text = " ".join(str(e) for e in chain).lower()
        if isinstance(exc, httpx.ConnectError):
            if any(isinstance(e, socket.gaierror) for e in chain):
                return FeedError(f"DNS lookup failed for {host}")
            if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
                port = url.port or (443 if url.scheme == "https" else 80)
                return FeedError(f"connection refused ({host}:{port})")
            if any(s in text for s in _DNS_HINTS):
                return FeedError(f"DNS lookup failed for {host}")
            if "ssl" in text or "certificate" in text:
                return FeedError(f"TLS error talking to {host}")
            return FeedError(f"cannot connect to {host}")
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
            return FeedError(f"connection dropped by {host} (truncated response)")
        return FeedError(f"network error talking to {host} ({type(exc).__name__})")

    async def _fetch_once(self, method: str, url: str, params: Any, json: Any, headers: Any,
                          timeout: float) -> httpx.Response:
        client = self._get_client()
        host = httpx.URL(url).host or "?"
        async with asyncio.timeout(timeout + 0.05):  # httpx times each read; this bounds the whole answer
            async with client.stream(method, url, params=params, json=json, headers=headers,
                                     timeout=httpx.Timeout(timeout)) as resp:
                body = await read_capped(resp, self.max_bytes, host)
                # the body is already decoded: drop the headers that describe the wire form
                drop = ("content-encoding", "content-length", "transfer-encoding")
                hdrs = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in drop]
                return httpx.Response(resp.status_code, headers=hdrs, content=body, request=resp.request)

    def _no_answer(self, host: str, elapsed: float, tries: int, cut: bool) -> FeedError:
        """A timeout in words with the real time spent: one attempt, several, or the deadline."""
        if tries == 0:
            return FeedError(f"poll deadline ({self.poll_deadline:g} s) reached before asking {host}")
        if tries <= 1 and not cut:
            return FeedError(f"timeout after {secs(elapsed)} s ({host})")
        why = f"{tries} attempt{'s' if tries != 1 else ''}, {self.timeout:g} s timeout each"
        if cut:
            why += f", {self.poll_deadline:g} s deadline" if self.poll_deadline else ", poll deadline"
        return FeedError(f"no answer from {host} after {secs(elapsed)} s ({why})")

    def _error_excerpt(self, resp: httpx.Response) -> str:
        """The server's own words for a 4xx (\"Invalid credentials\"), short and made safe."""
        body = resp.content[:400]
        if not body.strip() or looks_like_html(body, resp.headers.get("content-type", "")):
            return ""
        words = " ".join(body.decode("utf-8", "replace").split())
        return ": " + safe(words, limit=120) if words else ""

    # ------------------------------------------------------------------ public API
    async def request(self, method: str, url_or_path: str, *, params: Any = None, json: Any = None,
                      headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One call with retries, all inside the poll's deadline (:mod:`feeds.http_limits`).
        Returns a 2xx/3xx response or raises a FeedError."""
        if self.needs_key:
            self.require_key()
        url = self.url(url_or_path)
        target = httpx.URL(url)
        host = target.host or "?"
        attempts = self.retries + 1
        self._get_client()  # built before the clock starts: its TLS setup is not the server's time
        t0 = limits_now()
        end = t0 + self.poll_deadline if self.poll_deadline else math.inf
        outer = deadline_end()
        if outer is not None:
            end = min(end, outer)
        last: FeedError = FeedError(f"no answer from {host}")
        tries, timed_out, shortened = 0, False, False

        async def pause(seconds: float) -> bool:
            """Sleep before the next attempt; False when the deadline leaves no room for one."""
            if limits_now() + seconds + MIN_ATTEMPT > end:
                return False
            await asyncio.sleep(seconds)
            return True

        for attempt in range(attempts):
            final = attempt == attempts - 1
            left = end - limits_now()
            if left < MIN_ATTEMPT:
                break
            tries += 1
            shortened = left < self.timeout
            try:
                resp = await self._fetch_once(method, url, params, json, headers, min(self.timeout, left))
            except FeedError:
                raise
            except (httpx.HTTPError, TimeoutError) as exc:
                timed_out = isinstance(exc, (httpx.TimeoutException, TimeoutError))
                last = self._transport_error(exc, target)
                if isinstance(exc, httpx.ConnectError) and last.args[0].startswith("DNS"):
                    raise last from None
                if not final and await pause(self._sleep_for(attempt)):
                    continue
                break
            timed_out = False
            status = resp.status_code
            if status < 400:
                return resp
            if status in (429, 503):
                wait = parse_retry_after(resp.headers.get("retry-after"))
                if wait is not None or status == 429:
                    msg = f"HTTP {status} from {host}" + (f", retry after {wait:g} s" if wait is not None else "")
                    if final or (wait is not None and wait > self.max_retry_after):
                        raise RateLimited(msg, wait)
                    if not await pause(wait if wait is not None else self._sleep_for(attempt)):
                        raise RateLimited(msg, wait)
                    continue
            if status >= 500:
                last = FeedError(f"HTTP {status} from {host}" + (f" after {tries} attempts" if tries > 1 else ""))
                if not final and await pause(self._sleep_for(attempt)):
                    continue
                raise last
            hint = ""
            if status in (401, 403) and self.api_key_env:
                hint = f" (check ${self.api_key_env})"
            excerpt = self._error_excerpt(resp) if status in (400, 401, 403, 422) else ""
            raise FeedError(f"HTTP {status} from {host}{hint}{excerpt}")
        elapsed = limits_now() - t0
        if timed_out or tries == 0:
            raise self._no_answer(host, elapsed, tries, cut=tries < attempts or shortened)
        if tries < attempts:  # the deadline left no room for the remaining attempts
            raise FeedError(f"{last} ({tries} of {attempts} attempts in {secs(elapsed)} s before the deadline)")
        raise last

    async def get_text(self, url_or_path: str, *, params: Any = None, headers: Mapping[str, str] | None = None,
                       expect: str = "text") -> str:
        """Body as text. ``expect`` other than "text"/"html" rejects an HTML page.
        A large body is decoded off the event loop."""
        resp = await self.request("GET", url_or_path, params=params, headers=headers)
        if expect not in ("text", "html") and looks_like_html(resp.content, resp.headers.get("content-type", "")):
            raise FeedError(f"HTML page where {expect.upper() if expect == 'csv' else expect} was expected")
        if expect not in ("text", "html") and not resp.content[:1024].strip() and not resp.content.strip():
            raise FeedError(f"empty body from {resp.url.host or '?'}")  # not "no DATE column"
        body, encoding = resp.content, resp.encoding or "utf-8"
        del resp

        def decode() -> str:
            try:
                return body.decode(encoding, errors="replace")
            except LookupError:
                return body.decode("utf-8", errors="replace")

        return await asyncio.to_thread(decode) if len(body) > OFF_LOOP_BYTES else decode()

    async def get_json_body(self, url_or_path: str, *, method: str = "GET", params: Any = None, json: Any = None,
                            headers: Mapping[str, str] | None = None) -> bytes:
        """The raw body of a JSON answer (for a feed that parses it elsewhere, see
        feeds/worker.py); HTML pages and empty bodies become FeedErrors."""
        resp = await self.request(method, url_or_path, params=params, json=json, headers=headers)
        body = resp.content
        if looks_like_html(body, resp.headers.get("content-type", "")):
            raise FeedError("HTML page where JSON was expected")
        if not body.strip():
            raise FeedError(f"empty body from {httpx.URL(self.url(url_or_path)).host}")
        return body

    async def get_json(self, url_or_path: str, *, method: str = "GET", params: Any = None, json: Any = None,
                       headers: Mapping[str, str] | None = None) -> Any:
        """Body parsed as JSON (off the event loop when large); HTML pages and broken JSON
        become FeedErrors."""
        body = await self.get_json_body(url_or_path, method=method, params=params, json=json, headers=headers)
        host = httpx.URL(self.url(url_or_path)).host
        return await asyncio.to_thread(load_json, body, host) if len(body) > OFF_LOOP_BYTES else load_json(body, host)


def load_json(body: bytes | str, host: str) -> Any:
    """``json.loads`` with its failures as FeedErrors: broken, or nested too deeply (the
    parser's recursion limit, about 1,000 levels, is the nesting limit of an answer)."""
    try:
        return _json.loads(body)
    except RecursionError:
        raise FeedError(f"JSON from {host} is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise FeedError(f"truncated or invalid JSON from {host}") from None


__all__ = ["HttpFeed", "load_json", "looks_like_html", "parse_retry_after", "secs"]
