"""How the whole suite runs: in parallel when pytest-xdist is there, timing tests alone.

* ``python -m pytest`` runs on every core (``-n auto --dist loadgroup``) unless ``-n`` or ``--dist``
  is given; ``-n 0`` or ``-p no:xdist`` runs in this process (``--pdb`` too).
* A test marked ``serial`` (it measures wall time, CPU or memory) runs while no other test does:
  in a parallel run every test holds a shared lock on one file for its setup, call and teardown,
  a serial test an exclusive one. A turnstile lock in front keeps a waiting serial test from
  being overtaken by the other workers' next tests.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Iterator[None]:
    """Before xdist reads its options: ``-n auto --dist loadgroup`` unless told otherwise."""
    opt = config.option
    if not os.environ.get("PYTEST_XDIST_WORKER") and hasattr(opt, "numprocesses"):
        if opt.numprocesses is None:
            opt.numprocesses = "auto"
        if opt.dist == "no" and not opt.distload and opt.numprocesses != 0:
            opt.dist = "loadgroup"
    return (yield)


def _flock(path: Path, mode: int) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, mode)
    return fd


@contextmanager
def _turn(lockdir: Path, serial: bool) -> Iterator[None]:
    gate = _flock(lockdir / "serial-gate.lock", fcntl.LOCK_EX)
    try:
        held = _flock(lockdir / "serial.lock", fcntl.LOCK_EX if serial else fcntl.LOCK_SH)
    finally:
        if not serial:  # a shared holder lets the next one in at once
            os.close(gate)
    try:
        yield
    finally:
        os.close(held)
        if serial:
            os.close(gate)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[object]:
    basetemp = item.config.option.basetemp
    if not os.environ.get("PYTEST_XDIST_WORKER") or not basetemp:
        return (yield)
    with _turn(Path(basetemp).parent, item.get_closest_marker("serial") is not None):
        return (yield)
