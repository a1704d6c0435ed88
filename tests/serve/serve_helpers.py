"""The collector in a test's event loop (port 0 on 127.0.0.1): ``async with collector(session)``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any


class Running:
    def __init__(self, session: Any, port: int, collector: Any, stop: asyncio.Event, task: Any) -> None:
        self.session, self.port, self.collector, self.stop, self.task = session, port, collector, stop, task

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.asynccontextmanager
async def collector(session: Any, token: str | None = None, port: int = 0, **opts: Any) -> AsyncIterator[Running]:
    """``gpurisk serve`` in this loop; ``opts`` go to the Collector (backlog, queue, max_clients)."""
    from gpurisk.serve import collector as mod
    from gpurisk.serve.run import serve

    made: list[Any] = []
    real = mod.Collector

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, s: Any) -> None:
            super().__init__(s, **opts)
            made.append(self)

    mod.Collector = Spy  # serve() builds its Collector from the module
    stop = asyncio.Event()
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    try:
        task = asyncio.ensure_future(serve(session, "127.0.0.1", port, token, ready=ready.set_result, stop=stop))
        done, _ = await asyncio.wait([ready, task], timeout=10, return_when=asyncio.FIRST_COMPLETED)
        assert ready.done(), "the collector did not start"
    finally:
        mod.Collector = real
    run = Running(session, ready.result(), made[0], stop, task)
    try:
        yield run
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
