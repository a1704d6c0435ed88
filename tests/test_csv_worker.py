"""A big CSV is parsed in a worker process (keys never wait behind it), with the same
result and the same errors as the in-thread parse."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from feeds import csv_feed
from feeds.base import FeedError
from feeds.csv_feed import CSVFeed


def big_csv(path: Path, rows: int, bad_at: int | None = None) -> Path:
    lines = ["date,value"]
    for i in range(rows):
        value = '"2,6"' if i == bad_at else f"{1 + (i % 97) / 100:.2f}"  # a decimal comma, quoted
        lines.append(f"{2000 + i // 365 % 30}-{1 + i // 28 % 12:02d}-{1 + i % 28:02d},{value}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_big_file_goes_to_the_worker_and_matches_the_thread_parse(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = big_csv(tmp_path / "big.csv", 150_000)
    assert path.stat().st_size >= csv_feed.PROCESS_MIN_CHARS
    feed = CSVFeed(path=str(path), sku="H100 SXM", tier="index", provider="idx", max_rows=50)
    used: list[object] = []
    real = csv_feed.parse_elsewhere

    async def spy(args):  # type: ignore[no-untyped-def]
        used.append(args[0])
        return await real(args)

    monkeypatch.setattr(csv_feed, "parse_elsewhere", spy)
    got = asyncio.run(feed.poll())
    assert used == [path]  # the worker read the file itself: no 20 MB copy through a pipe
    want = feed.parse(path.read_text())
    assert [(o.as_of, o.price) for o in got] == [(o.as_of, o.price) for o in want] and len(got) == 50


def test_an_error_in_the_worker_reaches_the_feed_with_line_and_column(tmp_path: Path) -> None:
    path = big_csv(tmp_path / "bad.csv", 150_000, bad_at=120_000)
    feed = CSVFeed(path=str(path), sku="H100 SXM", tier="index", provider="idx")
    with pytest.raises(FeedError, match=r"bad\.csv line 120002, column 'value'"):
        asyncio.run(feed.poll())
