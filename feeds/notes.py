"""The company's notes as configured in ``[bonds]``: what a bond feed prices and what the
engine needs to turn a price into a yield (coupon, maturity, call schedule).

TOML::

    [bonds]
    company = "CRWV"                      # optional: the app's company

    [[bonds.notes]]
    name = "2030 senior notes"            # the same name as in sample_data/note_fair_values.csv
    cusip = "123456AB7"                   # 9 characters, check digit verified
    coupon = 9.25                         # percent
    maturity = "2030-06-01"
    seniority = "senior unsecured"        # optional
    principal = 2000000000                # optional, USD
    calls = [["2027-06-01", 104.625], ["2028-06-01", 102.3125], ["2029-06-01", 100.0]]   # optional

A problem raises :class:`~feeds.base.ConfigError` naming the key (``notes[0].cusip``);
the config loader adds the file and ``bonds.``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .base import ConfigError

_CUSIP = re.compile(r"^[0-9A-Z]{8}[0-9]$")
_KEYS = {"name", "cusip", "coupon", "maturity", "seniority", "principal", "calls"}
SENIORITIES = ("senior secured", "senior unsecured", "senior subordinated", "subordinated", "convertible")


@dataclass(frozen=True)
class NoteSpec:
    name: str
    cusip: str
    coupon: float
    maturity: date
    seniority: str = "senior unsecured"
    principal: float | None = None
    calls: tuple[tuple[date, float], ...] = ()


def cusip_ok(cusip: str) -> bool:
    """Nine characters whose last is the modulus-10 "double add double" check digit."""
    if not _CUSIP.match(cusip):
        return False
    total = 0
    for i, ch in enumerate(cusip[:8]):
        v = int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10
        if i % 2:
            v *= 2
        total += v // 10 + v % 10
    return (10 - total % 10) % 10 == int(cusip[8])


def _day(key: str, raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise ConfigError(key, f"must be a date like \"2030-06-01\", got {raw!r}")


def _num(key: str, raw: Any, lo: float, hi: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or not lo <= raw <= hi:
        raise ConfigError(key, f"must be a number from {lo:g} to {hi:g}, got {raw!r}")
    return float(raw)


def parse_note(i: int, raw: Any) -> NoteSpec:
    key = f"notes[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(key, "must be a table ([[bonds.notes]])")
    for k in raw:
        if k not in _KEYS:
            raise ConfigError(f"{key}.{k}", f"unknown key (expected: {', '.join(sorted(_KEYS))})")
    for k in ("name", "cusip", "coupon", "maturity"):
        if k not in raw:
            raise ConfigError(f"{key}.{k}", "is required")
    name = raw["name"]
    if not isinstance(name, str) or not name.strip() or len(name) > 60:
        raise ConfigError(f"{key}.name", f"must be a name of 1 to 60 characters, got {name!r}")
    cusip = raw["cusip"]
    if not isinstance(cusip, str) or not cusip_ok(cusip.strip().upper()):
        raise ConfigError(f"{key}.cusip", f"must be a 9-character CUSIP with a valid check digit, got {cusip!r}")
    coupon = _num(f"{key}.coupon", raw["coupon"], 0.0, 30.0)
    maturity = _day(f"{key}.maturity", raw["maturity"])
    seniority = raw.get("seniority", "senior unsecured")
    if seniority not in SENIORITIES:
        raise ConfigError(f"{key}.seniority", f"must be one of {', '.join(SENIORITIES)}, got {seniority!r}")
    principal = raw.get("principal")
    if principal is not None:
        principal = _num(f"{key}.principal", principal, 1.0, 1e13)
    calls_raw = raw.get("calls", [])
    if not isinstance(calls_raw, list):
        raise ConfigError(f"{key}.calls", "must be a list of [date, price] pairs")
    calls = []
    for j, c in enumerate(calls_raw):
        ck = f"{key}.calls[{j}]"
        if not isinstance(c, list) or len(c) != 2:
            raise ConfigError(ck, f"must be a [date, price] pair, got {c!r}")
        when, price = _day(ck, c[0]), _num(ck, c[1], 50.0, 150.0)
        if when >= maturity:
            raise ConfigError(ck, f"call date {when} is not before the maturity {maturity}")
        calls.append((when, price))
    if len({d for d, _ in calls}) != len(calls):
        raise ConfigError(f"{key}.calls", "repeats a call date")
    return NoteSpec(name.strip(), cusip.strip().upper(), coupon, maturity, seniority, principal,
                    tuple(sorted(calls)))


def parse_bonds(raw: Any) -> tuple[str | None, tuple[NoteSpec, ...]]:
    """``[bonds]``: (company or None, notes). Raises ConfigError(key, problem)."""
    if not isinstance(raw, dict):
        raise ConfigError("-", "must be a table with a `notes` array")
    for k in raw:
        if k not in ("company", "notes"):
            raise ConfigError(k, "unknown key (expected: company, notes)")
    company = raw.get("company")
    if company is not None and (not isinstance(company, str) or not company.strip()):
        raise ConfigError("company", f"must be a ticker, got {company!r}")
    notes_raw = raw.get("notes", [])
    if not isinstance(notes_raw, list) or len(notes_raw) > 20:
        raise ConfigError("notes", "must be an array of at most 20 tables ([[bonds.notes]])")
    notes = tuple(parse_note(i, n) for i, n in enumerate(notes_raw))
    for what in ("name", "cusip"):
        seen = [getattr(n, what) for n in notes]
        dup = next((v for v in seen if seen.count(v) > 1), None)
        if dup is not None:
            raise ConfigError("notes", f"two notes share the {what} {dup!r}")
    return (company.strip().upper() if company else None), notes


__all__ = ["NoteSpec", "SENIORITIES", "cusip_ok", "parse_bonds", "parse_note"]
