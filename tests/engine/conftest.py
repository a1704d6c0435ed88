"""Fixtures for engine tests: an engine fed hand-made CoreWeave observations."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine import Engine

from crwv_testdata import T0, full_batch


@pytest.fixture

def make_engine() -> Callable[..., Engine]:
    def build(*batches: list) -> Engine:  # type: ignore[type-arg]
        e = Engine()
        for b in batches:
            e.ingest(b, now=T0)
        return e
    return build


@pytest.fixture
def crwv(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine(full_batch())
