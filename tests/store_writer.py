"""Helper for the kill -9 test of the history store (tests/test_store.py).

Why a separate script: the test must SIGKILL a process in the middle of its
writes, which cannot be done to the test process itself. It writes batches of
``size`` observations in a loop; batch ``b`` has source ``batch/<b>`` so the
test can count each batch's rows afterwards. After each committed flush it
prints ``committed <b>`` (flushed), which the test trusts as "must be complete".

Usage: python store_writer.py DB FIRST_BATCH N_BATCHES SIZE
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.observations import PriceQuote
from gpurisk.store import HistoryStore

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def batch(b: int, size: int) -> list[PriceQuote]:
    at = T0 + timedelta(minutes=b)
    return [
        PriceQuote(
            as_of=at, fetched_at=at, source=f"batch/{b}", sku="H100 SXM", tier="marketplace",
            provider=f"p{i}", price=1.0 + (b % 1000) / 1000 + i / 1e6, n_offers=i,
        )
        for i in range(size)
    ]


def main(argv: list[str]) -> int:
    path, first, n, size = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    store = HistoryStore(path)
    for b in range(first, first + n):  # bounded: the test kills us long before the end
        store.add(batch(b, size))
        store.flush()
        print(f"committed {b}", flush=True)
    store.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
