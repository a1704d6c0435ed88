"""Small helpers tests share: wait on a condition (never a fixed sleep), fake a full disk."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any


async def until(cond: Any, seconds: float, step: float = 0.05) -> bool:
    """True as soon as ``cond()`` holds, else False after ``seconds`` (then one last look)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        await asyncio.sleep(step)
    return bool(cond())


class FullDisk:
    """A connection whose writes fail as SQLite's do on a full disk; reads go through."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    def executemany(self, *a: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")
