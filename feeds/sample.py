"""Feeds that play the bundled ``sample_data/``: the demo needs no network and no key.

Why here: the dashboard must start instantly and show every panel filled, offline, with
numbers a reader can trace. Two kinds of files live in ``sample_data/``:

* real disclosures (financials, debt facilities, maturities, customers, rates), each row
  with its filing or aggregator source: read as they are, money from USD thousands to USD;
* a *sample* daily price history built from public waypoints (``build_prices.py``),
  replayed by :class:`ReplayFeed` so prices move on screen like a live market.

Files are parsed by one set of functions shared by the sample feeds and by the live
:class:`DisclosuresFeed` (dimensional facts companyfacts lacks). A bad cell raises
:class:`FeedError` naming file, line and column; a file is re-read only when its
mtime or size changed, so a hand edit shows on the next poll and an idle poll is free.
"""

from __future__ import annotations

import importlib.util
import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import feeds
from engine.financials import INSTANT_METRICS, METRICS
from engine.observations import (
    Assumption,
    CustomerShare,
    DebtFacility,
    FinancialFact,
    Maturity,
    Observation,
    RateObs,
    is_aggregate_customer,
)

from .base import ConfigError, Feed, FeedContext, FeedError, utcnow
from .filing_notes import FILE as NOTES_FILE, parse_note_fair_values
from .freshness import ANNUAL_FILINGS, DAILY, QUARTERLY_FILINGS, Freshness
from .sample_rows import GRADES, _src, _utc, read_rows

_EPOCH = date(1970, 1, 1)


def default_sample_dir() -> Path:
    """``sample_data/`` next to the source tree, else the copy inside the installed wheel."""
    here = Path(feeds.__file__).resolve().parent.parent / "sample_data"
    if here.is_dir():
        return here
    spec = importlib.util.find_spec("gpurisk")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "sample_data"
    return here


def _dir_option(value: Any, ctx: FeedContext, key: str = "dir") -> Path:
    if value is None:
        return Path(ctx.sample_dir) if ctx.sample_dir else default_sample_dir()
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, f"must be a path, got {value!r}")
    return Path(value).expanduser()


# --- one parser per file (shared by sample and live disclosure feeds) --------------
def parse_financials(path: Path, fetched: datetime) -> list[Observation]:
    out: list[Observation] = []
    for r in read_rows(path, ("company", "metric", "period_start", "period_end", "value_k", "source", "grade")):
        metric = r.text("metric")
        if metric not in METRICS:
            raise r.fail("metric", "is not a known metric (see engine/financials.py)")
        start, end = r.day("period_start", required=False), r.day("period_end")
        assert end is not None
        if metric in INSTANT_METRICS and start is not None:
            raise r.fail("period_start", f"must be empty for the instant metric {metric}")
        if metric not in INSTANT_METRICS and start is None:
            raise r.fail("period_start", f"is required for the duration metric {metric}")
        if start is not None and start > end:
            raise r.fail("period_start", "is after period_end")
        grade = r.grade()
        out.append(FinancialFact(
            as_of=_utc(end), fetched_at=fetched, source=_src(path, r.text("source"), grade), company=r.text("company"),
            metric=metric, value=(r.num("value_k") or 0.0) * 1000.0, period_end=end, period_start=start,
        ))
    return out


def parse_facilities(path: Path, fetched: datetime) -> list[Observation]:
    out: list[Observation] = []
    cols = ("company", "facility", "period_end", "principal_k", "rate_pct", "maturity", "floating", "source", "grade")
    for r in read_rows(path, cols):
        end = r.day("period_end")
        assert end is not None
        grade = r.grade()
        out.append(DebtFacility(
            as_of=_utc(end), fetched_at=fetched, source=_src(path, r.text("source"), grade), company=r.text("company"),
            facility=r.text("facility"), principal=(r.num("principal_k") or 0.0) * 1000.0, period_end=end,
            rate=r.num("rate_pct", required=False), maturity=r.text("maturity", required=False),
            floating=r.flag("floating"),
        ))
    return out


def parse_maturities(path: Path, fetched: datetime) -> list[Observation]:
    out: list[Observation] = []
    for r in read_rows(path, ("company", "period_end", "year", "principal_k", "source", "grade")):
        end = r.day("period_end")
        assert end is not None
        year = r.text("year").lower()
        if not (year == "thereafter" or (len(year) == 4 and year.isdigit())):
            raise r.fail("year", "is not a year (YYYY) or 'thereafter'")
        grade = r.grade()
        out.append(Maturity(
            as_of=_utc(end), fetched_at=fetched, source=_src(path, r.text("source"), grade), company=r.text("company"),
            year=year, principal=(r.num("principal_k") or 0.0) * 1000.0, period_end=end,
        ))
    return out


def parse_customers(path: Path, fetched: datetime) -> list[Observation]:
    rows: list[CustomerShare] = []
    for r in read_rows(path, ("company", "customer", "period", "period_end", "share_pct", "source", "grade")):
        end = r.day("period_end")
        assert end is not None
        pct = r.num("share_pct") or 0.0
        if not 0.0 <= pct <= 100.0:
            raise r.fail("share_pct", "is not a percentage between 0 and 100")
        grade = r.grade()
        rows.append(CustomerShare(
            as_of=_utc(end), fetched_at=fetched, source=_src(path, r.text("source"), grade), company=r.text("company"),
            customer=r.text("customer"), share=pct / 100.0, period=r.text("period"), period_end=end,
        ))
    # Rank named customers by share within (company, period); stated aggregates ("Top 2 ...") keep rank 0.
    ranked: dict[tuple[str, str], list[CustomerShare]] = {}
    for s in rows:
        if not is_aggregate_customer(s.customer):
            ranked.setdefault((s.company, s.period), []).append(s)
    rank = {id(s): i for group in ranked.values() for i, s in enumerate(sorted(group, key=lambda x: -x.share), 1)}
    return [_with_rank(s, rank.get(id(s), 0)) for s in rows]


def _with_rank(s: CustomerShare, rank: int) -> CustomerShare:
    return CustomerShare(as_of=s.as_of, fetched_at=s.fetched_at, source=s.source, company=s.company,
                         customer=s.customer, share=s.share, period=s.period, period_end=s.period_end, rank=rank)


def parse_rates(path: Path, fetched: datetime) -> list[Observation]:
    out: list[Observation] = []
    for r in read_rows(path, ("date", "series", "value", "source")):
        if r.text("value", required=False) in ("", "."):
            continue  # FRED marks a missing day with "."; absent, never zero
        d = r.day("date")
        assert d is not None
        out.append(RateObs(as_of=_utc(d), fetched_at=fetched, source=_src(path, r.text("source")),
                           series=r.text("series"), value=r.num("value") or 0.0))
    return out


def parse_assumptions(path: Path, fetched: datetime) -> list[Observation]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        as_of = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        raise FeedError(f"missing file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FeedError(f"{path.name}: {exc}") from None
    stated = data.pop("as_of", None)  # when the assumptions were set; else the file's time
    if isinstance(stated, (date, datetime)):
        as_of = stated if isinstance(stated, datetime) else _utc(stated)
        as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    elif stated is not None:
        raise FeedError(f"{path.name}: as_of must be a TOML date like 2025-03-03, got {stated!r}")
    as_of = min(as_of, fetched)  # never "from the future" (clock skew, copied files)
    out: list[Observation] = []
    for name, table in data.items():
        if not isinstance(table, dict):
            raise FeedError(f"{path.name}: {name} must be a table [{name}] with value, unit, source, note")
        value = table.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise FeedError(f"{path.name} [{name}]: value {value!r} is not a number")
        src = str(table.get("source", "")).strip() or "no source given"
        g = str(table.get("grade", "P")).strip().upper()
        out.append(Assumption(as_of=as_of, fetched_at=fetched, source=_src(path, src, g if g in GRADES else "U"),
                              name=name,
                              value=float(value), unit=str(table.get("unit", "")), note=str(table.get("note", ""))))
    return out


PARSERS: dict[str, Callable[[Path, datetime], list[Observation]]] = {
    "financials.csv": parse_financials,
    "debt_facilities.csv": parse_facilities,
    "maturities.csv": parse_maturities,
    "customers.csv": parse_customers,
    "rates.csv": parse_rates,
    "assumptions.toml": parse_assumptions,
    NOTES_FILE: parse_note_fair_values,
}


# --- feeds over whole files ----------------------------------------------------------
class _FilesFeed(Feed):
    """Re-reads each of ``files`` only when its (mtime, size) changed; nothing changed → []."""

    files: ClassVar[tuple[str, ...]] = ()
    #: file name -> parser (a feed in another module adds its own files here)
    parsers: ClassVar[dict[str, Callable[[Path, datetime], list[Observation]]]] = PARSERS
    default_interval: ClassVar[float] = 300.0

    def __init__(self, directory: Path | None = None, interval: float | None = None,
                 instance: str | None = None) -> None:
        super().__init__(interval, instance)
        self.directory = directory if directory is not None else default_sample_dir()
        self._stamps: dict[str, tuple[int, int]] = {}

    @classmethod
    def from_config(cls, options: Mapping[str, Any], ctx: FeedContext) -> Feed:
        opts = dict(options)
        directory = _dir_option(opts.pop("dir", None), ctx)
        base = super().from_config(opts, ctx)
        return cls(directory, interval=base.interval, instance=base.instance)

    def _stamp(self, path: Path) -> tuple[int, int]:
        try:
            st = path.stat()
        except OSError:
            raise FeedError(f"missing file {path}") from None
        return st.st_mtime_ns, st.st_size

    async def poll(self) -> Sequence[Observation]:
        fetched = utcnow()
        out: list[Observation] = []
        stamps: dict[str, tuple[int, int]] = {}
        for name in self.files:
            path = self.directory / name
            stamp = self._stamp(path)
            if self._stamps.get(name) == stamp:
                continue
            out.extend(self.parsers[name](path, fetched))
            stamps[name] = stamp
        self._stamps.update(stamps)  # only after every changed file parsed: an error retries them all
        return out

    def describe(self) -> str:
        return f"{self.description} ({self.directory})"


class SampleFinancialsFeed(_FilesFeed):
    name = "sample_financials"
    description = "CoreWeave statements, debt table, maturities, notes' fair values and assumptions from sample_data/"
    demo = True
    files = ("financials.csv", "debt_facilities.csv", "maturities.csv", "assumptions.toml", NOTES_FILE)

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        return QUARTERLY_FILINGS  # newest period end vs the 10-Q/10-K deadlines (calendar quarters)


class SampleCustomersFeed(_FilesFeed):
    name = "sample_customers"
    description = "Disclosed customer shares from sample_data/customers.csv"
    demo = True
    files = ("customers.csv",)

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        return ANNUAL_FILINGS  # customer shares are disclosed once a year, in the 10-K


class SampleRatesFeed(_FilesFeed):
    name = "sample_rates"
    description = "10-year Treasury yield (FRED DGS10, recorded) from sample_data/rates.csv"
    demo = True
    files = ("rates.csv",)

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        return DAILY  # daily rates: 5 business days


class DisclosuresFeed(_FilesFeed):
    """Live counterpart for facts EDGAR companyfacts lacks (customer shares, facility table)."""

    name = "disclosures"
    description = "Dimensional disclosures (customers, facilities, maturities) with filing sources"
    demo = False
    default_interval = 3600.0
    files = ("customers.csv", "debt_facilities.csv", "maturities.csv")

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        return QUARTERLY_FILINGS  # the newest period end of the three files vs the 10-Q/10-K deadlines


class AssumptionsFeed(_FilesFeed):
    """The unit-economics assumptions (capex per GPU, utilisation, LTV, lives, opex,
    performance ratios) for live mode: an editable file, re-read when saved."""

    name = "assumptions"
    description = "Unit-economics assumptions (capex per GPU, utilisation, LTV, lives) from assumptions.toml"
    demo = False
    files = ("assumptions.toml",)

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        return None  # judgement, not market data: its as-of is shown, it never turns STALE


class NoteFairValueFeed(_FilesFeed):
    """The senior notes' quarter-end prices from the filings' fair-value note
    (:mod:`feeds.filing_notes`): live mode's fallback when TRACE is not configured or refuses;
    the demo reads the same file through ``sample_financials``."""

    name = "note_fair_values"
    description = "Senior notes' fair value per quarter from the filings' fair-value note (sample_data/)"
    demo = False
    default_interval = 3600.0
    files = (NOTES_FILE,)

    def freshness(self, observations: Sequence[Observation] = ()) -> Freshness | None:
        return QUARTERLY_FILINGS  # a price per quarter end, filed with the 10-Q/10-K
