"""Fixtures for the dashboard tests: the demo session, a frozen clock, the app factory."""

from __future__ import annotations

from datetime import datetime

import pytest
from frozen_clock import FROZEN, freeze


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Every 'now' the engine, the runner and the sample feeds read is FROZEN (deterministic screens)."""
    return freeze(monkeypatch, FROZEN)


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
