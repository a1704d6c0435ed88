"""Fixtures of the collector's tests: a stand-in live source (standin.py) and, in
serve_helpers.py, the collector run in the test's loop. Both sit beside this file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # standin.py, serve_helpers.py

from standin import StandIn


@pytest.fixture
def standin() -> Any:
    s = StandIn()
    try:
        yield s
    finally:
        s.close()
