"""What a view (the dashboard, its screens, the CLI) may ask of a session, local or remote.

:class:`SessionView` is the contract: :class:`gpurisk.session.Session` and
:class:`gpurisk.remote.RemoteSession` both satisfy it (mypy checks it where a view
takes one). What only a session fed by a collector has is in :class:`RemoteView`,
reached by the capability flag ``session.remote`` through :func:`is_remote`, never by
probing for attributes. No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, runtime_checkable

if TYPE_CHECKING:
    from engine.engine import Engine, Snapshot
    from feeds.runner import FeedStatus

    from .config import Config
    from .events import EventLog
    from .peers import PeerSession
    from .scheduler import Scheduler


class SessionView(Protocol):
    #: True for a session fed by a collector (``--connect``): it polls nothing, its
    #: feed states and alert states come from the collector (see :class:`RemoteView`).
    remote: bool
    demo: bool
    config: Config
    engine: Engine
    alerts: Any  # engine.alerts.AlertEngine, or None when alerts are off
    alert_sink: Any  # gpurisk.alerting.AlertSink, or None
    alert_events: list[Any]  # the alert events of the last poll (a new list per evaluated poll)
    events: EventLog
    scheduler: Scheduler
    history_error: str | None
    last_internal_error: str | None
    exit_note: str | None

    @property
    def snapshot(self) -> Snapshot: ...

    @property
    def status(self) -> dict[str, FeedStatus]: ...

    @property
    def peers(self) -> PeerSession: ...

    @property
    def peers_built(self) -> PeerSession | None: ...

    @property
    def history_state(self) -> Any: ...

    def feed_names(self) -> list[str]: ...

    def feed(self, name: str) -> Any: ...

    def replay_date(self) -> date | None: ...

    def data_now(self, now: datetime | None = None) -> datetime: ...

    def note_feeds(self, now: datetime | None = None) -> None: ...

    def stale_feeds(self, now: datetime | None = None) -> dict[str, str]: ...

    def stale_indicators(self, now: datetime | None = None) -> dict[str, str]: ...

    def stale_note(self, res: Any, now: datetime | None = None) -> str: ...

    def delivered(self, prefixes: tuple[str, ...]) -> list[str]: ...

    def acknowledge(self, rule: str | None = None) -> list[str]: ...

    def undo_acknowledge(self) -> list[str]: ...

    def release_held(self) -> Snapshot: ...

    def record_error(self, what: str, exc: BaseException | str) -> None: ...

    def flush(self) -> None: ...

    async def aclose(self) -> None: ...


class RemoteView(SessionView, Protocol):
    """What a session fed by a collector has beyond :class:`SessionView`: the link."""

    host: str
    connected: bool
    disconnected_since: datetime | None
    link_error: str
    last_event_at: datetime | None
    held: bool

    def hold(self, on: bool) -> None: ...

    async def connect(self, on_update: Callable[[bool], None] | None = None, wait: float = ...) -> None: ...

    async def get_text(self, path: str) -> tuple[int, str]: ...


def is_remote(session: SessionView) -> TypeGuard[RemoteView]:
    """The capability flag, typed: a remote session has the link's members."""
    return session.remote


@runtime_checkable
class HasSession(Protocol):
    """A view holding a session (the dashboard app)."""

    session: SessionView


def session_of(app: object) -> SessionView:
    """The session of ``app`` (a screen's or a widget's ``self.app``), typed."""
    if not isinstance(app, HasSession):
        raise LookupError(f"{type(app).__name__} holds no gpurisk session")
    return app.session


if TYPE_CHECKING:  # both sessions keep the contract (mypy checks this; nothing runs)
    from .remote import RemoteSession
    from .session import Session

    def _contract(local: Session, remote: RemoteSession) -> tuple[SessionView, RemoteView]:
        return local, remote


__all__ = ["HasSession", "RemoteView", "SessionView", "is_remote", "session_of"]
