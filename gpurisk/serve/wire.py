"""What the collector sends and a ``--connect`` dashboard reads: plain JSON both ways.

Why its own module: the collector (gpurisk/serve/app.py, aiohttp) and the client
(gpurisk/remote.py, httpx) must agree on one format, and the client must not import
the server's library. Everything here is pure Python (no aiohttp, no Textual).

Observations travel as codec records (``gpurisk.codec.encode``), the history store's
own format: ``[kind, as_of, fetched_at, source, feed, payload]``, so a client's engine
ingests exactly what the collector's did. Decoding never trusts the sender: anything
that is not the expected shape is skipped (and counted), never raised.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeGuard

#: The SSE ``event:`` names.
SNAPSHOT, UPDATE = "snapshot", "update"
PROTOCOL = "gpurisk.events/1"

_STATUS_TIMES = ("last_ok", "last_as_of", "last_attempt", "retry_at")
_STATUS_PLAIN = ("name", "interval", "demo", "state", "last_error", "n_obs", "dropped", "failures", "duration",
                 "floor", "inflight")


def record(obs: Any) -> list[Any]:
    """One observation as the wire's record (the codec's, minus what the receiver recomputes)."""
    from gpurisk.codec import encode

    r = encode(obs)
    return [r.kind, r.as_of, r.fetched_at, r.source, r.feed, r.payload]


def decode_records(rows: Any, codec: Any) -> tuple[list[Any], int]:
    """Observations from wire records; (observations, how many were skipped)."""
    if not isinstance(rows, list):
        return [], 0
    good, bad = [], 0
    for row in rows:
        if (isinstance(row, list) and len(row) == 6 and isinstance(row[0], str) and _num(row[1]) and _num(row[2])
                and isinstance(row[3], str) and isinstance(row[4], str) and isinstance(row[5], str)):
            good.append(row)
        else:
            bad += 1
    obs, undecodable = codec.decode_rows(good)
    return obs, bad + undecodable


def _num(v: Any) -> TypeGuard[float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) < 1e11


def _iso(v: datetime | date | None) -> str | None:
    return None if v is None else v.isoformat()


def _dt(v: Any) -> datetime | None:
    if not isinstance(v, str) or len(v) > 40:
        return None
    try:
        d = datetime.fromisoformat(v)
    except ValueError:
        return None
    return d if d.tzinfo is not None else None


# --- freshness limits -----------------------------------------------------------------
def freshness_json(fr: Any) -> dict[str, Any] | None:
    """A feed's freshness limit (feeds/freshness.py) as data; None for none or an unknown kind."""
    from feeds import freshness as F

    if fr is None:
        return None
    if isinstance(fr, F.Longest):
        parts = [freshness_json(x) for x in fr.limits]
        return None if any(p is None for p in parts) else {"kind": "Longest", "limits": parts}
    import dataclasses

    if type(fr).__name__ in ("BusinessDays", "MaxAge", "FilingDeadline") and dataclasses.is_dataclass(fr):
        return {"kind": type(fr).__name__, **{f.name: getattr(fr, f.name) for f in dataclasses.fields(fr)}}
    return None


def freshness_from(d: Any, depth: int = 0) -> Any:
    from feeds import freshness as F

    if not isinstance(d, dict) or depth > 4:
        return None
    kind = d.get("kind")
    try:
        if kind == "Longest" and isinstance(d.get("limits"), list):
            parts = [freshness_from(x, depth + 1) for x in d["limits"][:8]]
            return None if any(p is None for p in parts) else F.Longest(tuple(parts))
        if kind in ("BusinessDays", "MaxAge", "FilingDeadline"):
            cls = getattr(F, kind)
            import dataclasses

            names = {f.name for f in dataclasses.fields(cls)}
            kw = {k: v for k, v in d.items() if k in names and isinstance(v, (int, float, bool, str))
                  and not (isinstance(v, float) and not math.isfinite(v))}
            return cls(**kw)
    except (TypeError, ValueError):
        return None
    return None


# --- feed states ----------------------------------------------------------------------
def status_json(st: Any) -> dict[str, Any]:
    d: dict[str, Any] = {k: getattr(st, k) for k in _STATUS_PLAIN}
    d.update({k: _iso(getattr(st, k)) for k in _STATUS_TIMES})
    d["freshness"] = freshness_json(st.freshness)
    return d


def status_from(d: Any, clock: Any = None) -> Any:
    """A FeedStatus from the collector's data; None when it is not one."""
    from feeds.runner import FeedStatus
    from feeds.textsafe import safe

    if not isinstance(d, dict) or not isinstance(d.get("name"), str):
        return None
    interval = d.get("interval")
    st = FeedStatus(name=safe(d["name"], limit=60),
                    interval=float(interval) if _num(interval) and interval > 0 else 60.0)
    st.demo = d.get("demo") is True
    st.state = safe(d.get("state"), limit=20) if isinstance(d.get("state"), str) else "PENDING"
    st.last_error = safe(d.get("last_error"), limit=1000) if isinstance(d.get("last_error"), str) else ""
    for k in ("n_obs", "dropped", "failures"):
        v = d.get(k)
        setattr(st, k, int(v) if _num(v) and v >= 0 else 0)
    for k in ("duration", "floor"):
        v = d.get(k)
        setattr(st, k, float(v) if _num(v) and v >= 0 else 0.0)
    st.inflight = d.get("inflight") is True
    for k in _STATUS_TIMES:
        setattr(st, k, _dt(d.get(k)))
    st.freshness = freshness_from(d.get("freshness"))
    st.clock = clock
    return st


# --- alert events ---------------------------------------------------------------------
def alert_event_from(d: Any) -> Any:
    """An engine.alerts.AlertEvent from its ``to_dict()``; None when it is not one."""
    from engine.alerts import AlertEvent
    from feeds.textsafe import safe

    if not isinstance(d, dict):
        return None
    at = _dt(d.get("at"))
    thr = d.get("threshold")
    if at is None or not all(isinstance(d.get(k), str) for k in ("rule", "indicator", "old", "state")) or not _num(thr):
        return None
    value = d.get("value")
    inputs = []
    for i in d.get("inputs") or [] if isinstance(d.get("inputs"), list) else []:
        if isinstance(i, dict):
            inputs.append((safe(i.get("name"), limit=80), i.get("value") if _num(i.get("value")) else None,
                           i.get("as_of") if isinstance(i.get("as_of"), str) else None,
                           safe(i.get("source"), limit=200)))
    return AlertEvent(rule=safe(d["rule"], limit=80), indicator=safe(d["indicator"], limit=80),
                      old=safe(d["old"], limit=20),
                      new=safe(d["state"], limit=20), at=at, value=float(value) if _num(value) else None,
                      threshold=float(thr), comparison=safe(d.get("comparison"), limit=10),
                      severity=safe(d.get("severity"), limit=20), notify=d.get("notify") is True,
                      reason=safe(d.get("reason"), limit=300), inputs=tuple(inputs[:12]))


# --- the settings a client's engine needs ---------------------------------------------
def settings_json(cfg: Any, engine: Any) -> dict[str, Any]:
    """What makes a client's engine and alert rules equal to the collector's: company,
    thresholds, weights, scenarios and alert rules. Never the alert command, its
    environment, feed options or paths (they may hold secrets and mean nothing remotely)."""
    from engine.jsonable import jsonable
    from gpurisk.codec import _plain

    return {
        "company": cfg.company,
        "thresholds": {n: {"watch": t.watch, "alert": t.alert, "higher_is_worse": t.higher_is_worse}
                       for n, t in cfg.thresholds.items()},
        "weights": dict(cfg.weights),
        "scenarios": jsonable(_plain(cfg.scenarios)),
        "alert_rules": jsonable(_plain(cfg.alert_rules)),
        "capacity": engine.state.capacity,
        "live": cfg.live,
    }


def config_from(d: Any) -> Any:
    """A Config holding the collector's settings (raises ValueError when they do not fit)."""
    from engine.indicator import Threshold
    from gpurisk.config import Config

    if not isinstance(d, dict):
        raise ValueError("settings are not an object")
    cfg = Config(history=False, bell=True)
    if isinstance(d.get("company"), str):
        cfg.company = d["company"][:16]
    th = d.get("thresholds")
    for n, t in (th.items() if isinstance(th, dict) else ()):
        if isinstance(t, dict) and _num(t.get("watch")) and _num(t.get("alert")):
            cfg.thresholds[str(n)] = Threshold(float(t["watch"]), float(t["alert"]),
                                               t.get("higher_is_worse") is not False)
    w = d.get("weights")
    cfg.weights = {str(k): float(v) for k, v in (w.items() if isinstance(w, dict) else ()) if _num(v)}
    if isinstance(d.get("scenarios"), dict):
        cfg.scenarios = {str(k)[:40]: v for k, v in d["scenarios"].items() if _scenario_ok(str(k), v)}
    if isinstance(d.get("alert_rules"), list):
        cfg.alert_rules = [r for r in d["alert_rules"] if isinstance(r, dict)]
    cfg.live = d.get("live") is True
    return cfg


def _scenario_ok(name: str, table: Any) -> bool:
    """A scenario table the client can build (numbers finite, texts short), else dropped."""
    from engine.scenarios import Scenario

    if not isinstance(table, dict) or not all(
            (_num(v) if k != "description" else isinstance(v, str) and len(v) < 500) for k, v in table.items()):
        return False
    try:
        Scenario(name=name, **table)
    except (TypeError, ValueError):
        return False
    return True


def names(items: Iterable[Any]) -> list[str]:
    return [str(x) for x in items]
