"""Reading the hand-kept CSV files of ``sample_data/`` (and a user's own copies): typed cells
that name file, line and column on error, and the ``folder/file: text [grade]`` source every
value carries. Shared by the sample feeds, the live disclosure feeds and the notes' fair values.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from .base import FeedError

GRADES = ("P", "S", "D", "U")


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


class _Row:
    """One CSV record: typed getters that name file, line and column on error."""

    __slots__ = ("file", "line", "cells")

    def __init__(self, file: str, line: int, cells: dict[str, str]) -> None:
        self.file, self.line, self.cells = file, line, cells

    def fail(self, col: str, problem: str) -> FeedError:
        return FeedError(f"{self.file} line {self.line}: {col} {self.cells.get(col, '')!r} {problem}")

    def text(self, col: str, required: bool = True) -> str:
        v = self.cells.get(col, "").strip()
        if required and not v:
            raise self.fail(col, "is empty")
        return v

    def num(self, col: str, required: bool = True) -> float | None:
        v = self.text(col, required)
        if not v:
            return None
        try:
            x = float(v.replace(",", ""))
        except ValueError:
            raise self.fail(col, "is not a number") from None
        if not math.isfinite(x):
            raise self.fail(col, "is not a finite number")
        return x

    def day(self, col: str, required: bool = True) -> date | None:
        v = self.text(col, required)
        if not v:
            return None
        try:
            return date.fromisoformat(v)
        except ValueError:
            raise self.fail(col, "is not a date (YYYY-MM-DD)") from None

    def flag(self, col: str) -> bool:
        v = self.text(col, required=False).lower()
        if v in ("true", "yes", "1"):
            return True
        if v in ("false", "no", "0", ""):
            return False
        raise self.fail(col, "is not true/false")

    def grade(self) -> str:
        g = self.text("grade").upper()
        if g not in GRADES:
            raise self.fail("grade", f"is not one of {'/'.join(GRADES)}")
        return g


def read_rows(path: Path, columns: Sequence[str]) -> Iterator[_Row]:
    """Records of a CSV file; blank lines and lines starting with ``#`` are skipped."""
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise FeedError(f"missing file {path}") from None
    except OSError as exc:
        raise FeedError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise FeedError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for cells in reader:
            if not cells or not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if len(cells) > len(header):
                raise FeedError(f"{path.name} line {reader.line_num}: {len(cells)} cells for {len(header)} columns")
            yield _Row(path.name, reader.line_num, dict(zip(header, cells, strict=False)))


def _src(path: Path, text: str, grade: str = "P") -> str:
    """``folder/file: text``, with the grade marked (`[S]`, `[D]`, `[U]`) unless primary: the
    mark travels with the figure to every screen that shows its source."""
    mark = f" [{grade}]" if grade != "P" and f"[{grade}]" not in text else ""
    return f"{path.parent.name}/{path.name}: {text}{mark}"
