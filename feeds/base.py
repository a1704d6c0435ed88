"""The Feed interface and the errors a feed may report.

A feed is a small object with a ``name``, an ``interval`` (seconds between polls,
never below ``min_interval``) and an async ``poll()`` that returns typed
observations. It raises one of the errors below to say why it has nothing; the
runner turns that into the feed's visible state. A feed never needs to catch
everything itself: anything else it raises is reported as ERROR too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from engine._version import __version__
from engine.errors import GpuriskError
from engine.indicator import NoData
from engine.observations import Observation

from .freshness import Freshness, by_kind, newest


class FeedError(GpuriskError):
    """The poll failed; ``str(exc)`` is a short reason for the status line."""

    state = "ERROR"


class FeedDisabled(FeedError):
    """The feed cannot run as configured (missing key, missing contact...)."""

    state = "DISABLED"


class RateLimited(FeedError):
    """The source asked us to slow down; ``retry_after`` is in seconds."""

    state = "RATE-LIMITED"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NoDataError(FeedError, NoData):
    """The source answered but had nothing usable (empty result, all filtered): a feed's
    NO DATA, and the engine's (one meaning, one root)."""

    state = "NO DATA"


class ConfigError(GpuriskError):
    """A feed option is wrong. ``key`` names the option."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


VERSION = __version__
USER_AGENT = f"gpurisk/{VERSION}"


@dataclass(frozen=True)
class FeedContext:
    """What a feed may need from the application (no Textual, no globals)."""

    sample_dir: Any = None  # pathlib.Path of the bundled sample data
    user_agent: str = USER_AGENT
    contact: str = ""  # e-mail for SEC's User-Agent rule
    demo: bool = False
    company: str = "CRWV"  # whose notes [bonds] lists
    notes: tuple[Any, ...] = ()  # feeds.notes.NoteSpec per [[bonds.notes]]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Feed:
    """Base class. Subclasses set ``name`` and implement :meth:`poll`.

    ``from_config`` builds a feed from its TOML table; it raises
    :class:`ConfigError` for a bad option.
    """

    name: ClassVar[str] = "feed"
    description: ClassVar[str] = ""
    default_interval: ClassVar[float] = 60.0
    min_interval: ClassVar[float] = 1.0
    demo: ClassVar[bool] = False  # True for sample/replay feeds

    def __init__(self, interval: float | None = None, instance: str | None = None) -> None:
        self.interval = max(float(interval if interval is not None else self.default_interval), self.min_interval)
        self.instance = instance or self.name
        #: A problem the last successful poll had but survived (one series of several failed):
        #: the runner shows it as the feed's last error while the state stays OK.
        self.warning = ""

    @classmethod
    def from_config(cls, options: Mapping[str, Any], ctx: FeedContext) -> Feed:
        opts = dict(options)
        interval = opts.pop("interval", None)
        if interval is not None and (isinstance(interval, bool) or not isinstance(interval, (int, float))
                                     or interval <= 0):
            raise ConfigError("interval", f"must be a positive number of seconds, got {interval!r}")
        name = opts.pop("name", None)
        if opts:
            raise ConfigError(next(iter(opts)), f"unknown option for feed {cls.name!r}")
        return cls(interval=interval, instance=name)

    async def poll(self) -> Sequence[Observation]:
        raise NotImplementedError

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        """How old this feed's *data* (its newest ``as_of``) may be before it is STALE;
        None = no limit. ``observations`` is what the last poll returned.

        The default goes by what the feed returns (feeds/freshness.py): prices 2 × the
        interval (at least 5 business days for date-only values), rates and equity
        closes 5 business days, financial facts the 10-Q/10-K deadline, customer shares
        the 10-K deadline, assumptions none. Override it when the feed knows better."""
        return by_kind(observations, self.interval)

    def data_as_of(self, observations: Sequence[Observation]) -> datetime | None:
        """The date :meth:`freshness` judges: the newest ``as_of`` of the values that carry
        a data date (not assumptions, not filing events; a fact's is its period end).
        None when the poll brought no such value (the previous date is kept)."""
        return newest(observations)

    async def aclose(self) -> None:
        """Release connections. Called once when the app stops."""

    def describe(self) -> str:
        return self.description
