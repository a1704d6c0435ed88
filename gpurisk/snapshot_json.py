"""`gpurisk snapshot --json`: the engine's snapshot as a documented JSON document.

``SCHEMA`` is the JSON Schema of the output (also printed by
``gpurisk snapshot --schema``). Every indicator carries its value, status,
threshold and each input's value, as-of date and source. Every string of the
document (keys too) is made safe (``feeds.textsafe.safe_obj``): a provider name or a
``last_error`` from a server can hold neither a control sequence nor a secret.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.engine import Snapshot
from engine.indicator import IndicatorResult
from engine.jsonable import jsonable
from feeds.runner import FeedStatus
from feeds.textsafe import safe_obj

SCHEMA_ID = "gpurisk.snapshot/1"


def _when(d: date | datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def indicator_json(r: IndicatorResult, stale: str | None = None) -> dict[str, Any]:
    """``stale``: why the result rests on old data (its inputs or a stale feed); default its own.
    ``level`` is the word every view shows (``status``, or ``info`` for a figure without
    thresholds); staleness is beside it (``stale``), never instead of it."""
    from gpurisk.text.level import level

    th = r.threshold
    return {
        "title": r.title,
        "group": r.group,
        "unit": r.unit,
        "value": jsonable(r.value),
        "status": r.status,
        "level": level(r),
        "threshold": None if th is None else {"watch": th.watch, "alert": th.alert,
                                              "higher_is_worse": th.higher_is_worse},
        "formula": r.formula,
        "reason": r.reason,
        "period": _when(r.period),
        "as_of": _when(r.as_of),
        "stale": (r.stale if stale is None else stale) or None,
        "inputs": [
            {"name": i.name, "value": jsonable(i.value), "as_of": _when(i.as_of), "source": i.source} for i in r.inputs
        ],
        "extra": {k: jsonable(v) for k, v in r.extra},
    }


def snapshot_json(snap: Snapshot, status: dict[str, FeedStatus], demo: bool, now: datetime,
                  stale: dict[str, str] | None = None, history: Any = None) -> dict[str, Any]:
    """``stale``: indicator -> why it reads a stale feed (``Session.stale_indicators``);
    ``history``: ``Session.history_state`` (is the history kept: ok, off, readonly, full, ...)."""
    doc = _document(snap, status, demo, now, stale or {})
    if history is not None:
        doc["history"] = history.as_dict()
    return safe_obj(doc)


def _document(snap: Snapshot, status: dict[str, FeedStatus], demo: bool, now: datetime,
              stale: dict[str, str]) -> dict[str, Any]:
    fin = snap.financials
    cust = snap.customers
    return {
        "schema": SCHEMA_ID,
        "generated_at": now.isoformat(),
        "company": snap.company,
        "period": _when(fin.periods[0]) if fin is not None and fin.periods else None,
        "demo": demo,
        "feeds": [
            {
                "name": s.name,
                "state": s.display_state(now),
                "age_s": s.age(now),
                "last_as_of": _when(s.last_as_of),
                "data_limit": s.limit or None,
                "data_stale": s.data_stale(now),
                "stale_reason": s.stale_reason(now) or None,
                "n_obs": s.n_obs,
                "last_error": s.last_error,
            }
            for s in status.values()
        ],
        "prices": [
            {
                "sku": r.sku,
                "tier": r.tier,
                "price": r.price,
                "change": jsonable(r.change) if r.change is not None else None,
                "change_24h": r.change_24h,
                "change_7d": jsonable(r.change_7d),
                "low": r.low,
                "high": r.high,
                "n_sources": r.n_sources,
                "as_of": r.as_of.isoformat(),
                "sources": [
                    {"provider": q.provider, "price": q.price, "as_of": q.as_of.isoformat(), "source": q.source}
                    for q in r.sources
                ],
            }
            for r in snap.prices.values()
        ],
        "score": None if snap.score is None else {
            "value": snap.score.score,
            "scored": snap.score.scored,
            "by_group": dict(snap.score.by_group),
            "lines": [{"name": ln.name, "status": ln.status, "weight": ln.weight, "points": ln.points,
                       "excluded": ln.excluded} for ln in snap.score.lines],
        },
        "indicators": {name: indicator_json(r, "; ".join(n for n in (r.stale, stale.get(name, "")) if n))
                       for name, r in sorted(snap.indicators.items())},
        "financials": None if fin is None else {
            "periods": [p.isoformat() for p in fin.periods],
            "lines": {
                ln.key: [
                    {"value": jsonable(f.value), "period_end": _when(f.period_end), "source": f.source, "note": f.note}
                    for f in ln.figures
                ]
                for ln in fin.lines
            },
            "maturities": [{"year": y, "principal": p} for y, p in fin.maturities],
            "maturities_as_of": _when(fin.maturities_as_of),
            "signed_leases": None if fin.signed_leases is None else {
                "value": fin.signed_leases.value,
                "period_end": _when(fin.signed_leases.period_end),
                "source": fin.signed_leases.source,
            },
        },
        "customers": None if cust is None else {
            "shares": [
                {"customer": p.customer, "period": p.period, "period_end": p.period_end.isoformat(), "share": p.share,
                 "source": p.source}
                for p in cust.points
            ],
            "top2_share": cust.top2_share,
            "hhi_low": cust.hhi_low,
            "hhi_high": cust.hhi_high,
            "hhi_period": cust.hhi_period,
        },
    }


_NUM = {"type": ["number", "null"]}
_STR_N = {"type": ["string", "null"]}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "type": "object",
    "required": ["schema", "generated_at", "company", "demo", "feeds", "prices", "indicators"],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "generated_at": {"type": "string"},
        "company": {"type": "string"},
        "period": _STR_N,
        "demo": {"type": "boolean"},
        "history": {  # whether what arrives is kept (gpurisk/history_health.py)
            "type": "object",
            "required": ["state", "ok", "message", "pending", "spooled"],
            "properties": {
                "state": {"enum": ["ok", "off", "readonly", "full", "error", "gone"]},
                "ok": {"type": "boolean"},
                "message": {"type": "string"},
                "pending": {"type": "integer"},  # rows received, not written yet
                "spooled": {"type": "integer"},  # rows of an earlier run waiting in a spool file
            },
        },
        "feeds": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "state", "age_s", "last_error"],
                "properties": {
                    "name": {"type": "string"},
                    "state": {"enum": ["OK", "STALE", "ERROR", "DISABLED", "RATE-LIMITED", "NO DATA", "PENDING"]},
                    "age_s": _NUM,
                    "last_as_of": _STR_N,
                    "data_limit": _STR_N,  # the feed's freshness limit in words; null = none
                    "data_stale": {"type": "boolean"},  # the data is older than that limit
                    "stale_reason": _STR_N,  # e.g. "data 2024-04-18 (limit 5 business days)"
                    "last_error": {"type": "string"},
                },
            },
        },
        "prices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku", "tier", "price", "as_of", "sources"],
                "properties": {
                    "sku": {"type": "string"},
                    "tier": {"enum": ["marketplace", "neocloud_list", "hyperscaler_list", "index"]},
                    "price": {"type": "number"},
                    "as_of": {"type": "string"},
                    "sources": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "object", "required": ["provider", "price", "as_of", "source"]},
                    },
                },
            },
        },
        "indicators": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["title", "unit", "value", "status", "threshold", "inputs", "as_of"],
                "properties": {
                    "value": _NUM,
                    "status": {"enum": ["ok", "watch", "alert", "no_data"]},
                    "level": {"enum": ["ok", "watch", "alert", "no_data", "info"]},  # as every view shows it
                    "as_of": _STR_N,
                    "period": _STR_N,
                    "stale": _STR_N,  # why an input is older than its series allows; null = fresh
                    "inputs": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "value", "as_of", "source"],
                            "properties": {"as_of": _STR_N, "source": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}
