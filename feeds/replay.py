"""Replay of the bundled sample price history, so the demo dashboard moves like a market.

The history (``sample_data/gpu_prices.csv``, built from public waypoints by
``build_prices.py``) is parsed once into compact numpy arrays; each poll advances the
replay clock by ``step_days`` and returns the rows that fall inside the step — two
binary searches, so polling every second for days costs nothing and memory is flat.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import math
import re
from array import array
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from engine.observations import TIERS, FilingEvent, Observation, PriceQuote

from .base import ConfigError, Feed, FeedContext, FeedError, NoDataError, utcnow
from .sample import _EPOCH, _dir_option, default_sample_dir
from .sample_rows import _src, read_rows

#: The start of a row: its ISO date and the comma after it.
_DAY = re.compile(rb"\d{4}-\d{2}-\d{2},")


def _line_before(raw: BinaryIO, start: int, since: bytes) -> int:
    """The offset of a line start at or before the first row dated ``since`` or later, found
    by bisecting the file (it is in date order): the first frame's warm-up reads the last
    few months, not the years before them (1.7 MB, some 20 ms). Anything unexpected at a
    probe (no date there) gives ``start``: the whole file is read, as before."""
    lo, hi = start, raw.seek(0, io.SEEK_END)
    while hi - lo > 16384:
        mid = (lo + hi) // 2
        raw.seek(mid)
        raw.readline()  # the rest of the line the probe landed in
        at = raw.tell()
        head = raw.readline()[:11]
        if at >= hi or not head:
            hi = mid
            continue
        if not _DAY.fullmatch(head):
            return start
        if head[:10] < since:
            lo = at  # every row up to this one is before ``since``
        else:
            hi = mid
    return lo


#: Days of history the demo opens with: the breach probability needs 90 daily rents (engine.breach.MIN_DAYS).
WARMUP_DAYS = 120

class _PriceTape:
    """gpu_prices.csv as compact arrays sorted by day: one poll is two binary searches.

    Parsed with a fast loop (it is on the path to the first frame); any malformed row
    sends the file through the checking reader, whose error names line and column.
    """

    COLUMNS = ("date", "sku", "tier", "provider", "price", "n_offers", "source")

    def __init__(self, path: Path, since: date | None = None, until: date | None = None) -> None:
        """``since``: rows dated before it are never replayed (they precede the warm-up) and are
        skipped. ``until``: stop reading after it (the first poll needs only the warm-up; the
        file is in date order, so the rest can wait for the second poll)."""
        self.since = since.isoformat() if since else ""
        self.until = until.isoformat() if until else ""
        self.stopped_early = False
        try:
            rows = self._fast(path)
        except (ValueError, KeyError, IndexError):
            rows = self._checked(path)  # raises FeedError naming line and column
        if not rows:
            raise NoDataError(f"{path.name} has no rows" + (f" from {self.since}" if self.since else ""))
        rows.sort(key=lambda r: r[0])  # stable: same-day rows keep file order
        index: dict[tuple[str, str, str, str], int] = {}
        self.days = array("l", (r[0] for r in rows))
        self.prices = array("d", (r[2] for r in rows))
        self.offers = array("l", (r[3] for r in rows))
        self.combo = array("l", (index.setdefault(r[1], len(index)) for r in rows))
        self.keys = list(index)
        self.first, self.last = self.days[0], self.days[-1]

    def _fast(self, path: Path) -> list[tuple[int, tuple[str, str, str, str], float, int]]:
        with path.open("rb") as raw:
            header = next(csv.reader([raw.readline().decode("utf-8")]), None)
            if header is None or tuple(h.strip() for h in header[:7]) != self.COLUMNS:
                raise ValueError("header")
            start = raw.tell()
            first = raw.readline()[:11]
            self.file_first = first[:10].decode("ascii") if _DAY.fullmatch(first) else ""
            raw.seek(_line_before(raw, start, self.since.encode()) if self.since and self.file_first else start)
            fh = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            reader = csv.reader(fh)
            epoch, tiers, out, since, until = _EPOCH.toordinal(), set(TIERS), [], self.since, self.until
            for day, sku, tier, provider, price, n, source in reader:
                if not self.file_first or day < self.file_first:
                    self.file_first = day
                if until and day > until:
                    self.stopped_early = True
                    break
                if day < since:  # ISO dates compare as strings: no parsing for skipped rows
                    continue
                p = float(price)
                if tier not in tiers or not sku or not provider or not math.isfinite(p) or p <= 0:
                    raise ValueError("row")
                offers = int(n) if n else -1
                out.append((date.fromisoformat(day).toordinal() - epoch, (sku, tier, provider, source), p, offers))
        return out

    def _checked(self, path: Path) -> list[tuple[int, tuple[str, str, str, str], float, int]]:
        out = []
        self.file_first = ""
        for r in read_rows(path, self.COLUMNS):
            d = r.day("date")
            assert d is not None
            if not self.file_first or d.isoformat() < self.file_first:
                self.file_first = d.isoformat()
            if d.isoformat() < self.since:
                continue
            tier = r.text("tier")
            if tier not in TIERS:
                raise r.fail("tier", f"is not one of {', '.join(TIERS)}")
            price = r.num("price") or 0.0
            n = r.num("n_offers", required=False)
            if n is not None and (n < 0 or n != int(n)):
                raise r.fail("n_offers", "is not a whole number")
            key = (r.text("sku"), tier, r.text("provider"), r.text("source"))
            out.append(((d - _EPOCH).days, key, price, -1 if n is None else int(n)))
        return out

    def span(self, lo: float, hi: float) -> tuple[int, int]:
        """Index range of rows whose day d satisfies lo < d <= hi."""
        return bisect_right(self.days, math.floor(lo)), bisect_right(self.days, math.floor(hi))


class ReplayFeed(Feed):
    """Plays the sample price history: ``step_days`` of market time per poll, looping forward.

    The replay clock counts days since 1970-01-01 in *virtual* time: in loop ``n`` a row dated
    ``d`` is shown as of ``d + n × span`` (span = start … last day), so time never goes back.
    """

    name = "replay"
    description = "Sample GPU price history (built from public waypoints) replayed day by day"
    demo = True
    default_interval = 1.0
    min_interval = 0.05

    def __init__(self, path: Path | None = None, interval: float | None = None, instance: str | None = None, *,
                 step_days: float = 1.0, start: date = date(2026, 3, 3), warmup_days: int = WARMUP_DAYS,
                 loop: bool = True) -> None:
        super().__init__(interval, instance)
        path = path if path is not None else default_sample_dir()
        self.path = path / "gpu_prices.csv" if path.is_dir() else path
        self.step_days, self.start, self.warmup_days, self.loop = step_days, start, warmup_days, loop
        self._tape: _PriceTape | None = None
        self._clock: float | None = None  # virtual day of the last poll
        self._sources: tuple[int, list[str]] = (-1, [])
        #: CoreWeave's real filing dates (sample_data/filings.csv), replayed when the clock reaches them
        folder = self.path.parent
        self.filings_path: Path | None = folder / "filings.csv" if (folder / "filings.csv").is_file() else None
        self._filings: list[FilingEvent] | None = None

    @classmethod
    def from_config(cls, options: Mapping[str, Any], ctx: FeedContext) -> Feed:
        opts = dict(options)
        path = _dir_option(opts.pop("path", None), ctx, "path")
        step = opts.pop("step_days", 1.0)
        if isinstance(step, bool) or not isinstance(step, (int, float)) or not 0 < step <= 366:
            raise ConfigError("step_days", f"must be a number of days in (0, 366], got {step!r}")
        start_opt = opts.pop("start", "2026-03-03")
        try:
            if isinstance(start_opt, datetime):
                start_opt = start_opt.date()
            start = start_opt if isinstance(start_opt, date) else date.fromisoformat(str(start_opt))
        except ValueError:
            raise ConfigError("start", f"must be an ISO date (YYYY-MM-DD), got {start_opt!r}") from None
        warm = opts.pop("warmup_days", WARMUP_DAYS)
        if isinstance(warm, bool) or not isinstance(warm, int) or not 0 <= warm <= 3650:
            raise ConfigError("warmup_days", f"must be a whole number of days in [0, 3650], got {warm!r}")
        loop = opts.pop("loop", True)
        if not isinstance(loop, bool):
            raise ConfigError("loop", f"must be true or false, got {loop!r}")
        base = super().from_config(opts, ctx)
        return cls(path, base.interval, base.instance, step_days=float(step), start=start, warmup_days=warm, loop=loop)

    # -- clock ------------------------------------------------------------------------
    async def _load_async(self) -> _PriceTape:
        if self._tape is None:  # ~0.1 s of parsing, once: keep it off the event loop
            self._tape = await asyncio.to_thread(self._load)
        return self._tape

    def _load(self) -> _PriceTape:
        if self._tape is None:
            try:
                tape = _PriceTape(self.path, since=self.start - timedelta(days=self.warmup_days + 1))
            except NoDataError:
                raise FeedError(f"start {self.start} is outside {self.path.name} (after its last day)") from None
            if not tape.file_first <= self.start.isoformat() <= (_EPOCH + timedelta(tape.last)).isoformat():
                last = _EPOCH + timedelta(tape.last)
                raise FeedError(f"start {self.start} is outside {self.path.name} ({tape.file_first} … {last})")
            self._tape = tape
        return self._tape

    @property
    def _s(self) -> int:
        return (self.start - _EPOCH).days

    @property
    def span_days(self) -> int:
        """Days in one loop: from ``start`` to the last day in the file, inclusive."""
        return self._load().last - self._s + 1

    @property
    def loop_count(self) -> int:
        if self._clock is None:
            return 0
        return max(0, math.floor((self._clock - self._s) / self.span_days))

    @property
    def replay_date(self) -> date | None:
        """The (virtual, loop-shifted) market date the replay has reached; None before the first poll."""
        return None if self._clock is None else _EPOCH + timedelta(days=math.floor(self._clock))

    @property
    def data_date(self) -> date | None:
        """The date in the file that ``replay_date`` corresponds to."""
        if self._clock is None:
            return None
        return _EPOCH + timedelta(days=math.floor(self._clock) - self.loop_count * self.span_days)

    def _warm_tape(self) -> _PriceTape:
        """Only the warm-up window, for a quick first frame."""
        try:
            tape = _PriceTape(self.path, since=self.start - timedelta(days=self.warmup_days + 1), until=self.start)
        except NoDataError:
            raise FeedError(f"start {self.start} is outside {self.path.name} (after its last day)") from None
        if not tape.file_first <= self.start.isoformat() or not tape.stopped_early and tape.last < self._s:
            raise FeedError(f"start {self.start} is outside {self.path.name} (from {tape.file_first})")
        return tape

    # -- filings ------------------------------------------------------------------------
    def filing_events(self) -> list[FilingEvent]:
        """sample_data/filings.csv as FilingEvents, oldest first (parsed once; a bad row is a
        FeedError naming line and column). Each is dated its EDGAR filing date at 00:00 UTC
        and links to the filing's index on EDGAR."""
        if self._filings is None:
            out: list[FilingEvent] = []
            if self.filings_path is not None:
                from .sec_filings import index_url

                fetched = utcnow()
                for r in read_rows(self.filings_path,
                                   ("date", "company", "cik", "form", "accession", "items", "source")):
                    filed = r.day("date")
                    assert filed is not None
                    acc, cik = r.text("accession"), r.text("cik")
                    if not (len(acc) == 20 and acc[10] == "-" and acc[13] == "-" and acc.replace("-", "").isdigit()):
                        raise r.fail("accession", "is not an EDGAR accession number (0001769628-26-000104)")
                    if not cik.isdigit():
                        raise r.fail("cik", "is not a CIK number")
                    items = tuple(i.strip() for i in r.text("items", required=False).split(",") if i.strip())
                    at = datetime(filed.year, filed.month, filed.day, tzinfo=UTC)
                    out.append(FilingEvent(as_of=at, fetched_at=fetched, feed=self.instance,
                                           source=f"{index_url(cik, acc)} · "
                                                  f"{_src(self.filings_path, r.text('source'))}",
                                           company=r.text("company"), form=r.text("form"), accession=acc, filed=filed,
                                           items=items))
            out.sort(key=lambda e: e.filed)
            self._filings = out
        return self._filings

    def _filings_between(self, lo: float, hi: float) -> list[Observation]:
        """Filings dated in (lo, hi] (virtual days), first loop only: a filing happened once."""
        events = self.filing_events()
        if not events:
            return []
        fetched = utcnow()
        return [dataclasses.replace(e, fetched_at=fetched) for e in events
                if lo < (e.filed - _EPOCH).days <= hi]

    # -- poll -------------------------------------------------------------------------
    async def poll(self) -> Sequence[Observation]:
        s = self._s
        if self._clock is None and self._tape is None:
            warm = await asyncio.to_thread(self._warm_tape)
            self._clock = float(s)
            first = self._emit(warm, s - self.warmup_days - 1, s, 0)
            self._sources = (-1, [])  # the full tape numbers its series differently
            return first + self._filings_between(-math.inf, s)  # filed before the start: history
        tape = await self._load_async()
        span = self.span_days
        if self._clock is None:
            self._clock = float(s)
            return self._emit(tape, s - self.warmup_days - 1, s, 0) + self._filings_between(-math.inf, s)
        prev = self._clock
        if not self.loop and prev >= tape.last:
            return []
        self._clock = prev + self.step_days
        out: list[Observation] = []
        if prev < s + span:  # first loop: the filings the clock reached in this step
            out.extend(self._filings_between(math.floor(prev), math.floor(min(self._clock, s + span - 1))))
        n_lo = max(0, math.floor((prev - s) / span))
        n_hi = math.floor((self._clock - s) / span) if self.loop else 0
        for n in range(n_lo, n_hi + 1):
            lo = prev - n * span
            if n > 0:
                lo = max(lo, s - 1)
            out.extend(self._emit(tape, lo, self._clock - n * span, n))
        return out

    def _source_names(self, tape: _PriceTape, n: int) -> list[str]:
        loop_n, names = self._sources
        if loop_n != n:
            suffix = f" (replay loop {n})" if n else ""
            names = [_src(self.path, k[3]) + suffix for k in tape.keys]
            self._sources = (n, names)
        return names

    def _emit(self, tape: _PriceTape, lo: float, hi: float, n: int) -> list[Observation]:
        a, b = tape.span(lo, hi)
        if a >= b:
            return []
        fetched, names = utcnow(), self._source_names(tape, n)
        shift = n * self.span_days if n else 0  # span needs the whole file: not on the first poll
        out: list[Observation] = []
        base = datetime(1970, 1, 1, tzinfo=UTC)
        for d, price, k, c in zip(tape.days[a:b].tolist(), tape.prices[a:b].tolist(),
                                  tape.offers[a:b].tolist(), tape.combo[a:b].tolist(), strict=False):
            sku, tier, provider, _ = tape.keys[c]
            out.append(PriceQuote(
                as_of=base + timedelta(days=d + shift), fetched_at=fetched, source=names[c], feed=self.instance,
                sku=sku, tier=tier, provider=provider, price=price, n_offers=None if k < 0 else k,
            ))
        return out

    def describe(self) -> str:
        return f"{self.description}: {self.path}, {self.step_days:g} day(s) per poll from {self.start}"
