"""The small SQLite helpers both store.py and store_ops.py use (so neither imports the
other's private functions)."""

from __future__ import annotations

import sqlite3


class _SchemaError(sqlite3.DatabaseError):
    """A database that is not (or no longer) a history file this gpurisk can use."""


def _rollback(db: sqlite3.Connection) -> None:
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # the connection is broken; the transaction is gone with it
