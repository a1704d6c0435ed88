"""Generic (de)serialisation of observations for the history store.

Why generic: feeds (including third-party ones registered through the
``gpurisk.feeds`` entry point) may add Observation subclasses; the store must
persist every one of them without a hand-written mapping per class. A record is
the class name (``kind``), the common provenance columns, and a JSON ``payload``
of the remaining fields. Dates and datetimes become ISO strings, tuples become
lists; decoding uses the dataclass type hints to turn them back, so a round
trip gives an equal object.

``as_of`` and ``fetched_at`` are stored as POSIX seconds (REAL) so SQLite can
index and range-scan them; they come back as UTC-aware datetimes. A naive
datetime is taken to be UTC (observations are meant to be UTC-aware).
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import hashlib
import json
import math
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, TextIO

from engine.errors import GpuriskError
from engine.jsonable import jsonable
from engine.observations import Observation

#: Fields lifted out of the payload into their own columns.
COLUMNS: tuple[str, ...] = ("as_of", "fetched_at", "source", "feed")
#: The first of these fields present is the observation's headline value.
VALUE_FIELDS: tuple[str, ...] = ("price", "value", "share", "principal", "close")


class CodecError(GpuriskError, ValueError):
    """A stored record cannot be turned back into an observation."""


def to_ts(dt: datetime) -> float:
    """POSIX seconds; naive datetimes are UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def from_ts(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):  # before date: datetime is a date
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


@contextmanager
def gc_paused() -> Iterator[None]:
    """Building ~100k objects at once triggers many useless full collections: pause them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def headline(obs: Observation) -> float | None:
    """The value field (price/value/share/principal/close), if any, as a float."""
    for name in VALUE_FIELDS:
        v = getattr(obs, name, None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return None


class Record(NamedTuple):
    """One observation as stored, in column order: values plus canonical JSON payload."""

    kind: str
    key: str
    as_of: float
    fetched_at: float
    source: str
    feed: str
    value: float | None
    payload: str
    ident: bytes  # identity for de-duplication: kind + payload (not fetched_at/source/feed)


def _fallback(v: Any) -> Any:
    """JSON for what json does not know: numpy scalars, sets, anything else as text."""
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, (set, frozenset)):
        return sorted(_plain(x) for x in v)
    return str(v)


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_fallback)
_PAYLOAD_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALARS = (str, int, float, bool, type(None))


def _payload_fields(cls: type) -> tuple[str, ...]:
    names = _PAYLOAD_FIELDS.get(cls)
    if names is None:
        names = _PAYLOAD_FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.name not in COLUMNS)
    return names


def encode(obs: Observation) -> Record:
    payload = {}
    for name in _payload_fields(type(obs)):
        v = getattr(obs, name)
        payload[name] = v if type(v) in _SCALARS else _plain(v)
    text = _ENCODER.encode(payload)
    kind = type(obs).__name__
    ident = hashlib.blake2b(f"{kind}\0{text}".encode(), digest_size=8).digest()
    value = headline(obs)
    if value is not None and not math.isfinite(value):
        value = None
    return Record(
        kind, _utf8(obs.key), to_ts(obs.as_of), to_ts(obs.fetched_at), _utf8(obs.source), _utf8(obs.feed),
        value, text, ident,
    )


def _utf8(s: Any) -> str:
    """SQLite needs valid UTF-8: a lone surrogate (from a bad JSON escape) becomes '?'."""
    if not isinstance(s, str):
        s = str(s)
    if s.isascii():
        return s
    try:
        s.encode()
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "replace").decode()


# --- decoding --------------------------------------------------------------

Conv = Callable[[Any], Any]
_loads = json.JSONDecoder().decode


def _conv_for(hint: Any) -> Conv | None:
    """A converter from JSON back to the hinted type, or None if JSON is already right."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        convs = [c for c in (_conv_for(a) for a in inner) if c is not None]
        if not convs:
            return None
        conv = convs[0]
        return lambda v: None if v is None else conv(v)
    if hint is datetime:
        return lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v
    if hint is date:
        return lambda v: date.fromisoformat(v) if isinstance(v, str) else v
    if origin is tuple or hint is tuple:
        elem = _conv_for(args[0]) if args else None
        if elem is None:
            return lambda v: tuple(v) if isinstance(v, list) else v
        return lambda v: tuple(elem(x) for x in v) if isinstance(v, list) else v
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class _Decoder:
    cls: type[Observation]
    fields: frozenset[str]
    convs: tuple[tuple[str, Conv], ...]

    def __call__(self, as_of: datetime, fetched_at: datetime, source: str, feed: str, payload: str) -> Observation:
        kw = _loads(payload)
        if not isinstance(kw, dict):
            raise CodecError("payload is not an object")
        if not kw.keys() <= self.fields:  # fields removed from the class since: ignored
            kw = {k: v for k, v in kw.items() if k in self.fields}
        for name, conv in self.convs:
            if name in kw:
                kw[name] = conv(kw[name])
        try:
            return self.cls(as_of=as_of, fetched_at=fetched_at, source=source, feed=feed, **kw)
        except TypeError as exc:
            raise CodecError(f"{self.cls.__name__}: {exc}") from None


def _all_subclasses(cls: type) -> list[type]:
    out: list[type] = []
    sub: type
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


class Codec:
    """Decoders per observation class, built once from type hints."""

    def __init__(self) -> None:
        self._decoders: dict[str, _Decoder | None] = {}  # None: kind unknown (cached)
        self._times: dict[float, datetime] = {}  # rows of one batch share timestamps

    def _dt(self, ts: float) -> datetime:
        dt = self._times.get(ts)
        if dt is None:
            if len(self._times) > 50_000:
                self._times.clear()
            dt = self._times[ts] = from_ts(ts)
        return dt

    def _build(self, kind: str) -> _Decoder:
        if kind in self._decoders:
            raise CodecError(f"unknown observation kind {kind!r}")
        classes = {c.__name__: c for c in _all_subclasses(Observation)}
        cls = classes.get(kind)
        if cls is None:
            self._decoders[kind] = None
            raise CodecError(f"unknown observation kind {kind!r}")
        hints = typing.get_type_hints(cls)
        names = frozenset(f.name for f in dataclasses.fields(cls) if f.name not in COLUMNS)
        convs = tuple((n, c) for n in sorted(names) if (c := _conv_for(hints.get(n))) is not None)
        dec = self._decoders[kind] = _Decoder(cls, names, convs)
        return dec

    def decode(self, kind: str, as_of: float, fetched_at: float, source: str, feed: str, payload: str) -> Observation:
        """Raises CodecError when the record no longer fits its class (or the class is gone)."""
        dec = self._decoders.get(kind) or self._build(kind)
        try:
            return dec(self._dt(as_of), self._dt(fetched_at), source, feed, payload)
        except CodecError:
            raise
        except (ValueError, TypeError) as exc:
            raise CodecError(f"{kind}: {exc}") from None

    def decode_rows(self, rows: Iterable[Sequence[Any]]) -> tuple[list[Observation], int]:
        """Decode (kind, as_of, fetched_at, source, feed, payload) rows; returns the
        observations and how many rows were skipped as undecodable."""
        out: list[Observation] = []
        bad = 0
        decode = self.decode
        for row in rows:
            try:
                out.append(decode(*row))
            except CodecError:
                bad += 1
        return out, bad


# --- export ----------------------------------------------------------------

EXPORT_FIELDS: tuple[str, ...] = ("kind", "key", "as_of", "fetched_at", "source", "feed", "value", "payload")
EXPORT_FORMATS: tuple[str, ...] = ("csv", "json")


def write_export(rows: Iterable[Sequence[Any]], fmt: str, out: TextIO) -> int:
    """Write rows shaped like EXPORT_FIELDS (times as POSIX seconds, payload as JSON text)
    as CSV or as a strict JSON array (NaN/inf become null); returns the row count."""
    n = 0
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(EXPORT_FIELDS)
    else:
        out.write("[")
    for kind, key, as_of, fetched, source, feed, value, payload in rows:
        as_of_s, fetched_s = from_ts(as_of).isoformat(), from_ts(fetched).isoformat()
        if writer is not None:
            writer.writerow((kind, key, as_of_s, fetched_s, source, feed, value, payload))
        else:
            body = _loads(payload)
            if "NaN" in payload or "Infinity" in payload:
                body = jsonable(body)
            row = dict(zip(EXPORT_FIELDS, (kind, key, as_of_s, fetched_s, source, feed, value, body), strict=True))
            out.write(("\n" if n == 0 else ",\n") + json.dumps(row, ensure_ascii=False, allow_nan=False))
        n += 1
    if writer is None:
        out.write("\n]\n" if n else "]\n")
    return n
