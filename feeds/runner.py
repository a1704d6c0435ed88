"""Poll feeds safely and keep each feed's visible state.

One implementation for every feed: whatever a poll raises becomes a state on the
feed's status line (ERROR, RATE-LIMITED, DISABLED, NO DATA) and the previous
values stay in the engine, marked STALE as they age. Values outside the sanity
band are dropped here, once, for all feeds. No Textual: the dashboard and the
headless CLI share this.

Requests are rationed here, for every caller: at most one poll in flight per feed, and
a manual refresh (``r``) is refused while the source is RATE-LIMITED (``retry_at`` in the
future) or inside its floor (``min_interval`` since the last attempt) -- see
:meth:`FeedRunner.may_poll`. Each poll runs inside its feed's deadline (``poll_deadline``,
:mod:`feeds.http_limits`). Every text kept here (``last_error``, the observations'
provider and source) has been through :func:`feeds.textsafe.safe`.

STALE has two causes: no successful fetch for three intervals, or data older than
the feed's freshness limit (:meth:`feeds.base.Feed.freshness`) even though the fetch
just worked. Data ages are judged against the runner's ``clock`` when one is given
(the demo judges its sample files as of its opening date), else against ``now``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.observations import PRICE_BAND, SKUS, TIERS, Observation, PriceQuote, RateObs

from .base import Feed, FeedError, RateLimited
from .freshness import Freshness, newest
from .http_limits import poll_deadline
from .textsafe import safe, secrets

OK, STALE, ERROR, DISABLED, RATE_LIMITED, NO_DATA, PENDING = (
    "OK", "STALE", "ERROR", "DISABLED", "RATE-LIMITED", "NO DATA", "PENDING",
)


@dataclass
class FeedStatus:
    name: str
    interval: float
    demo: bool = False
    state: str = PENDING
    last_ok: datetime | None = None  # when data last arrived
    last_as_of: datetime | None = None  # newest as_of of that data
    last_attempt: datetime | None = None
    last_error: str = ""
    n_obs: int = 0
    dropped: int = 0
    failures: int = 0  # consecutive
    retry_at: datetime | None = None
    duration: float = 0.0
    freshness: Freshness | None = None  # the limit on the age of the data (None: no limit)
    clock: Callable[[], datetime] | None = None  # what data ages are judged against; None: `now`
    floor: float = 0.0  # seconds that must pass between two requests to the source (its min_interval)
    inflight: bool = False  # a poll is running now

    def next_try(self, now: datetime | None = None) -> datetime | None:
        """The earliest moment a request may go to the source: after a RATE-LIMITED answer's
        retry time and outside the floor; None when that is now."""
        now = now or datetime.now(UTC)
        when = []
        if self.state == RATE_LIMITED and self.retry_at is not None:
            when.append(self.retry_at)
        if self.last_attempt is not None and self.floor > 0:
            when.append(self.last_attempt + timedelta(seconds=self.floor))
        t = max(when, default=None)
        return t if t is not None and t > now else None

    def age(self, now: datetime | None = None) -> float | None:
        if self.last_ok is None:
            return None
        return ((now or datetime.now(UTC)) - self.last_ok).total_seconds()

    def data_now(self, now: datetime | None = None) -> datetime:
        return self.clock() if self.clock is not None else (now or datetime.now(UTC))

    def data_stale(self, now: datetime | None = None) -> bool:
        """The newest data is older than the feed's limit (however recent the fetch)."""
        if self.freshness is None or self.last_as_of is None:
            return False
        return self.freshness.is_stale(self.last_as_of, self.data_now(now))

    def fetch_stale(self, now: datetime | None = None) -> bool:
        age = self.age(now)
        return age is not None and age > max(3 * self.interval, 60.0)

    def display_state(self, now: datetime | None = None) -> str:
        """OK turns STALE when the last fetch is older than three intervals, or when the
        data it brought is older than the feed's freshness limit."""
        if self.state == OK and (self.fetch_stale(now) or self.data_stale(now)):
            return STALE
        return self.state

    def stale_reason(self, now: datetime | None = None) -> str:
        """Why the data is STALE, e.g. ``data 2024-04-18 (limit 5 business days)``; '' if fresh."""
        if not self.data_stale(now):
            return ""
        assert self.last_as_of is not None and self.freshness is not None
        t = self.last_as_of.astimezone(UTC)
        when = t.strftime("%Y-%m-%d" if (t.hour, t.minute, t.second) == (0, 0, 0) else "%Y-%m-%d %H:%M UTC")
        return f"data {when} ({self.freshness.explain(self.last_as_of)})"

    def problem(self, now: datetime | None = None) -> str:
        """The words to show next to the state: the last error, else why the data is stale."""
        return self.last_error or self.stale_reason(now)

    @property
    def limit(self) -> str:
        """The freshness limit in words ('' when none)."""
        return self.freshness.label if self.freshness is not None else ""

    @property
    def has_data(self) -> bool:
        return self.last_ok is not None


MAX_FUTURE = timedelta(days=1)  # clock skew allowance: a later as_of is a parsing error
MAX_NAME = 60  # provider names longer than this are cut (remote text, shown on screen)


def _valid(obs: Observation) -> bool:
    """Sane, finite, dated values only: a remote server must not be able to pin a row
    with a date in 2099, create rows for SKUs the dashboard has no place for, or crash
    a comparison with a naive datetime."""
    as_of, fetched = obs.as_of, obs.fetched_at
    if as_of.tzinfo is None or fetched.tzinfo is None or as_of > fetched + MAX_FUTURE:
        return False
    if isinstance(obs, PriceQuote):
        return (obs.sku in SKUS and obs.tier in TIERS and bool(obs.provider)
                and math.isfinite(obs.price) and PRICE_BAND[0] <= obs.price <= PRICE_BAND[1])
    if isinstance(obs, RateObs):
        return math.isfinite(obs.value) and -5.0 < obs.value < 100.0
    value = getattr(obs, "value", None)
    return value is None or (isinstance(value, (int, float)) and math.isfinite(value))


def _clean(obs: Observation, feed: str, known: list[str] | None = None,
           seen: dict[tuple[str, bool], str] | None = None) -> Observation:
    """The feed's name filled in; every text field (provider, source, series...) made safe:
    secrets masked, control codes visible; provider names cut to ``MAX_NAME``. ``seen``:
    the texts of this answer already made safe (a sample file repeats one source on
    thousands of rows)."""
    changes: dict[str, Any] = {}
    if not obs.feed:
        changes["feed"] = feed
    seen = {} if seen is None else seen
    for name in _field_names(type(obs)):
        value = getattr(obs, name)
        if isinstance(value, str) and value:
            key = (value, name == "provider")
            clean = seen.get(key)
            if clean is None:
                clean = seen[key] = safe(value, limit=MAX_NAME if key[1] else None, known=known)
            if clean != value:
                changes[name] = clean
    return dataclasses.replace(obs, **changes) if changes else obs


_FIELDS: dict[type, tuple[str, ...]] = {}
#: Field types that never hold text in the built-in observations (typed and checked by mypy):
#: their values are not looked at. Every field of a plugin's own class is.
_NOT_TEXT = frozenset(f"{t}{o}" for t in ("datetime", "date", "float", "int", "bool") for o in ("", " | None"))


def _field_names(cls: type) -> tuple[str, ...]:
    """The names of an observation class's fields that may hold text (``dataclasses.fields``
    builds them on every call; a built-in quote's dates and numbers are not looked at)."""
    names = _FIELDS.get(cls)
    if names is None:
        ours = cls.__module__ == Observation.__module__
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls)
                                     if not (ours and isinstance(f.type, str) and f.type in _NOT_TEXT))
    return names


def in_words(seconds: float, up: bool = True) -> str:
    """``45s``, ``1m52s``, ``2h05m``: a wait (rounded up) or, ``up=False``, an age."""
    s = max(0, math.ceil(seconds) if up else int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def next_try_text(when: datetime, now: datetime) -> str:
    """``next try 14:32:05 UTC (in 1m52s)``."""
    t = when.astimezone(UTC)
    return f"next try {t.strftime('%H:%M:%S')} UTC (in {in_words((when - now).total_seconds())})"


def backoff(failures: int, interval: float, cap: float = 900.0) -> float:
    """Exponential backoff with full jitter, never shorter than the interval."""
    base = min(cap, interval * (2 ** max(0, failures - 1)))
    return max(interval, random.uniform(base / 2, base))


GRACE = 2.0  # seconds past a feed's deadline before the runner itself gives up on the poll


def _floor(feed: Feed) -> float:
    v = getattr(feed, "min_interval", 0.0)
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) and v > 0 else 0.0


def _deadline(feed: Feed) -> float | None:
    v = getattr(feed, "poll_deadline", None)
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) and v > 0 else None


def _freshness(feed: Feed, observations: Sequence[Observation]) -> Freshness | None:
    try:
        return feed.freshness(observations)
    except Exception:  # a plugin's bug must not stop the poll; no limit then
        return None


class FeedRunner:
    """``clock``: a callable returning an aware UTC datetime against which data ages are
    judged (default: the wall clock, i.e. the ``now`` the screen passes)."""

    def __init__(self, feeds: Iterable[Feed], clock: Callable[[], datetime] | None = None) -> None:
        self.feeds: dict[str, Feed] = {f.instance: f for f in feeds}
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.status: dict[str, FeedStatus] = {
            name: FeedStatus(name, f.interval, demo=f.demo, freshness=_freshness(f, ()), clock=clock,
                             floor=_floor(f))
            for name, f in self.feeds.items()
        }

    def may_poll(self, name: str, manual: bool = True, now: datetime | None = None) -> tuple[bool, str]:
        """Whether a request may go to ``name`` now, and if not why (with the next try).

        Never two polls of one feed at once. A manual refresh also waits for a RATE-LIMITED
        source's retry time and for the floor (``min_interval`` since the last attempt); a
        scheduled poll is already timed by :meth:`next_delay`."""
        st = self.status[name]
        if st.inflight:
            return False, "already polling"
        if not manual:
            return True, ""
        now = now or datetime.now(UTC)
        when = st.next_try(now)
        if when is None:
            return True, ""
        if st.state == RATE_LIMITED and st.retry_at is not None and st.retry_at > now:
            return False, f"RATE-LIMITED · {next_try_text(when, now)}"
        ago = (now - st.last_attempt).total_seconds() if st.last_attempt else 0.0
        return False, (f"asked {in_words(ago, up=False)} ago (at most once every {st.floor:g} s) · "
                       f"{next_try_text(when, now)}")

    async def poll(self, name: str, manual: bool = False) -> list[Observation]:
        """Poll one feed once, if :meth:`may_poll` allows (else nothing happens and nothing
        is sent). Never raises: failures land in ``status[name]``."""
        if not self.may_poll(name, manual)[0]:
            return []
        st = self.status[name]
        st.inflight = True
        try:
            return await self._poll(name)
        finally:
            st.inflight = False

    async def _poll(self, name: str) -> list[Observation]:
        feed, st = self.feeds[name], self.status[name]
        now = datetime.now(UTC)
        st.last_attempt = now
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        deadline = _deadline(feed)
        try:
            with poll_deadline(deadline):
                # the requests end by the deadline themselves; this also bounds the parsing and plugins
                async with asyncio.timeout(None if deadline is None else deadline + GRACE):
                    raw: Sequence[Observation] = await feed.poll()
        except asyncio.CancelledError:
            raise
        except TimeoutError as exc:
            if deadline is not None and loop.time() - t0 >= deadline:
                return self._fail(st, ERROR, f"no answer within the {deadline:g} s poll deadline")
            return self._fail(st, ERROR, f"TimeoutError: {exc}"[:200] if str(exc) else "TimeoutError")
        except RateLimited as exc:
            return self._fail(st, exc.state, str(exc), exc.retry_after)
        except FeedError as exc:
            return self._fail(st, exc.state, str(exc) or type(exc).__name__)
        except Exception as exc:  # a feed bug or an unforeseen answer: report, never crash
            return self._fail(st, ERROR, f"{type(exc).__name__}: {exc}"[:200])
        finally:
            st.duration = loop.time() - t0
        if not isinstance(raw, (list, tuple)):
            return self._fail(st, ERROR, f"feed returned {type(raw).__name__}, not a list of observations")
        good = [o for o in raw if isinstance(o, Observation) and _valid(o)]
        st.dropped = len(raw) - len(good)
        if raw and not good:
            return self._fail(st, ERROR, f"all {len(raw)} values outside the sanity band")
        if not good:
            st.failures = 0
            if not st.has_data:
                st.state, st.last_error = NO_DATA, "no data in the answer"
            return []
        known = secrets()
        seen: dict[tuple[str, bool], str] = {}
        tagged = [_clean(o, name, known, seen) for o in good]
        st.state, st.failures, st.retry_at = OK, 0, None
        st.last_error = safe(getattr(feed, "warning", "") or "", limit=300)
        st.last_ok = datetime.now(UTC)
        # The data's date: not an assumption's (no market date) nor a filing event's (filing day).
        try:
            as_of = feed.data_as_of(good)
        except Exception:  # a plugin's bug: fall back to the newest dated value
            as_of = newest(good)
        if as_of is not None:
            st.last_as_of, st.freshness = as_of, _freshness(feed, good)
        st.n_obs = len(tagged)
        return tagged

    def _fail(self, st: FeedStatus, state: str, message: str, retry_after: float | None = None) -> list[Observation]:
        st.state, st.last_error = state, safe(message, limit=300)
        st.failures += 1
        delay = retry_after if retry_after is not None else backoff(st.failures, st.interval)
        st.retry_at = datetime.fromtimestamp(datetime.now(UTC).timestamp() + delay, UTC)
        return []

    def give_up_after(self, name: str) -> float | None:
        """Seconds after which the runner itself ends a poll of ``name`` (its deadline plus
        GRACE); None for a feed without a deadline."""
        deadline = _deadline(self.feeds[name])
        return None if deadline is None else deadline + GRACE

    def next_delay(self, name: str) -> float:
        """Seconds until the next poll: the interval, or later after failures."""
        st = self.status[name]
        if st.state == DISABLED:
            return math.inf
        if st.retry_at is not None and st.failures:
            return max(st.interval, (st.retry_at - datetime.now(UTC)).total_seconds())
        return st.interval

    async def poll_all(self) -> list[Observation]:
        results = await asyncio.gather(*(self.poll(n) for n in self.feeds))
        return [o for batch in results for o in batch]

    async def aclose(self) -> None:
        for f in self.feeds.values():
            try:
                await f.aclose()
            except Exception:
                pass


__all__ = ["FeedRunner", "FeedStatus", "backoff", "in_words", "next_try_text", "OK", "STALE", "ERROR", "DISABLED",
           "RATE_LIMITED", "NO_DATA", "PENDING"]
