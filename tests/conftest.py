"""How the whole suite runs: in parallel when pytest-xdist is there, timing tests alone.

* ``python -m pytest`` runs two workers more than there are cores (``--dist loadgroup``) unless
  ``-n`` or ``--dist`` is given: many tests wait on a process, a pty or a socket, and two extra
  workers fill those waits (docs/testing.md has the measurements). ``-n 0`` or ``-p no:xdist``
  runs in this process (``--pdb`` too); ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still sets ``-n auto``.
* Under ``PYTHONDONTWRITEBYTECODE`` pytest would parse and rewrite every test module again in
  every worker (~6 s of CPU each), and every process a test starts would compile gpurisk again:
  the compiled files go to the user's cache folder instead (``sys.pycache_prefix``, and
  ``PYTHONPYCACHEPREFIX`` for the children), never into the tree. ``PYTHONPYCACHEPREFIX`` set by
  hand is kept.
* Hypothesis runs 100 examples a property (``HYPOTHESIS_PROFILE=thorough``: 1000), with no
  per-example deadline (a loaded machine is not a failing property).
* Long tests (``slow``, or an ``xdist_group`` one worker runs in a row) are handed out first.
* A worker ends quickly. Once the run is over, execnet gives each worker 5 s and then sends it a
  SIGINT: the ``KeyboardInterrupt`` "ignored" in a gc callback seen at the end of some runs. The
  last worker to finish needed about 7 s: 3 s for its snapshot plugin's summary (which snapshots
  went unused, every collected test matched against every snapshot file; a worker's terminal
  output is dropped anyway) and 4 s for pytest's five full garbage collections over a heap the
  whole run built. The summary is left out, and after one full collection the heap is frozen
  (``gc.freeze``), so pytest's collections look only at what is left to free: about 1 s.
* A test marked ``serial`` (it measures wall time, CPU or memory) runs while no other test does:
  in a parallel run every test holds a shared lock on one file for its setup, call and teardown,
  a serial test an exclusive one. A turnstile lock in front keeps a waiting serial test from
  being overtaken by the other workers' next tests.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs
import pytest
from hypothesis import settings

if sys.dont_write_bytecode and sys.pycache_prefix is None:
    sys.pycache_prefix = str(Path(platformdirs.user_cache_dir("gpurisk")) / "pytest-pyc")
    sys.dont_write_bytecode = False
    # The processes the tests start (gpurisk in a pty, a collector, a CLI command) share that
    # cache: each would otherwise compile every module of gpurisk again (~0.2 s of CPU a start
    # in a fresh clone, where no module was ever compiled).
    os.environ["PYTHONPYCACHEPREFIX"] = sys.pycache_prefix
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

EXTRA_WORKERS = 2  # beyond one per core: the waits on processes, ptys and sockets (docs/testing.md)


def default_workers() -> int | str:
    """One worker per usable core plus ``EXTRA_WORKERS``; ``auto`` when xdist's own variable says."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return "auto"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + EXTRA_WORKERS


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Iterator[None]:
    """Before xdist reads its options: ``-n <cores + 2> --dist loadgroup`` unless told otherwise."""
    opt = config.option
    if not os.environ.get("PYTEST_XDIST_WORKER") and hasattr(opt, "numprocesses"):
        if opt.numprocesses is None:
            opt.numprocesses = default_workers()
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


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker, after the run (and after syrupy checked its snapshots, which sets the
    exit status): no snapshot summary for a terminal nobody sees, and the heap the run built
    collected once, then frozen (see the module's docstring)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        manager = session.config.pluginmanager
        syrupy = manager.get_plugin("syrupy")
        if syrupy is not None:
            manager.unregister(syrupy)
        import gc

        gc.collect()  # what the run left to free, freed (an unraisable error in it is still reported)
        gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long tests first (``slow``, or a group that one worker runs in a row): started last, a
    long chain would run on alone after the other workers ran out of tests."""
    def late(item: pytest.Item) -> int:
        return 0 if item.get_closest_marker("slow") or item.get_closest_marker("xdist_group") else 1

    items.sort(key=late)
