"""Fixtures for the dashboard tests: the demo session, a frozen clock, the app factory."""

from __future__ import annotations

from datetime import datetime

import pytest
from frozen_clock import FROZEN, FrozenDatetime


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Every 'now' the engine, the runner and the sample feeds read is FROZEN (deterministic screens)."""
    import engine.engine
    import feeds.base
    import feeds.replay
    import feeds.runner
    import feeds.sample

    monkeypatch.setattr(engine.engine, "datetime", FrozenDatetime)
    monkeypatch.setattr(feeds.runner, "datetime", FrozenDatetime)
    monkeypatch.setattr(feeds.base, "utcnow", lambda: FROZEN)
    monkeypatch.setattr(feeds.sample, "utcnow", lambda: FROZEN)
    monkeypatch.setattr(feeds.replay, "utcnow", lambda: FROZEN)
    monkeypatch.setattr(feeds.sample, "datetime", FrozenDatetime)
    return FROZEN


@pytest.fixture
def session():  # type: ignore[no-untyped-def]
    from gpurisk.session import demo_session

    return demo_session()


@pytest.fixture
def make_app(session):  # type: ignore[no-untyped-def]
    from tui.app import Dashboard

    def make(**kw):  # type: ignore[no-untyped-def]
        kw.setdefault("autopoll", False)
        kw.setdefault("clock", lambda: FROZEN)
        return Dashboard(session, **kw)

    return make
