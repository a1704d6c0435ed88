"""Heavy parsing in a worker process, so the event loop (the screen, the collector's
/healthz) never waits behind it.

Why a process and not a thread: ``json.loads`` of a 20 MB answer, and building objects
from it, hold the interpreter lock for seconds; a thread would stall the loop as surely
as running it there. One worker at a time, started on first use (``spawn``: nothing of
the parent's state is copied) and replaced after each task, so the memory a big answer
took is given back to the system at once instead of staying in an idle process.

:func:`run` returns None when no process can be had (a sandbox without ``fork``/``spawn``,
a dead worker): the caller then does the work in a thread. Exceptions raised by the
task (a FeedError naming what is wrong) come through unchanged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
from collections.abc import Callable
from typing import Any

from .textsafe import safe

log = logging.getLogger("gpurisk.worker")

_pool: concurrent.futures.ProcessPoolExecutor | None = None


def _executor() -> concurrent.futures.ProcessPoolExecutor:
    global _pool
    if _pool is None:
        import atexit

        _pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                       max_tasks_per_child=1)
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)  # before teardown, quietly
    return _pool


async def run(fn: Callable[..., Any], *args: Any) -> Any | None:
    """``fn(*args)`` in the worker process (``fn`` and the arguments must pickle); None
    when no worker can be had, after a second try with a new one (a worker can die, or
    fail to start on a loaded machine, and parsing in a thread costs the memory and the
    interpreter lock a worker spares)."""
    global _pool
    for attempt in (1, 2):
        try:
            return await asyncio.get_running_loop().run_in_executor(_executor(), fn, *args)
        except (OSError, RuntimeError, concurrent.futures.process.BrokenProcessPool) as exc:
            old, _pool = _pool, None
            if old is not None:
                old.shutdown(wait=False, cancel_futures=True)
            log.warning("worker process failed (try %d of 2): %s", attempt, safe(repr(exc), limit=200))
    return None


__all__ = ["run"]
