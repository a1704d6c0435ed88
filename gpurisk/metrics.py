"""Prometheus metrics of a Session: what ``gpurisk serve`` answers at ``GET /metrics``.

Why a custom collector: every figure is read from the Session at scrape time (the
engine's snapshot, the runner's feed states, the alert engine), so what Prometheus
stores is exactly what the dashboard shows, with no second copy to keep in step.
Each call builds its own ``CollectorRegistry`` (never the process-global one), so
two sessions in one process (tests, the benchmark) never see each other's series.

Naming follows Prometheus's rules: a ``gpurisk_`` prefix, base units in the name
(``_seconds``, ``_usd_per_hour``), HELP and TYPE for each family. NO DATA is an
absent sample (with ``gpurisk_indicator_no_data`` = 1), never a zero. Label values
come from outside (feed and provider names, rule names from the config): they go
through ``feeds.textsafe.safe`` (redacted, inert, cut) and prometheus_client escapes
them. Nothing here may raise into the server: a family that cannot be built is left
out and the error goes to the session's error line and the debug log.

No Textual, no aiohttp: ``gpurisk serve`` imports this; so could any other view.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from feeds.textsafe import safe

#: Prometheus's classic text format: understood by every Prometheus 2.x and other scrapers.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LEVELS = {"ok": 0, "watch": 1, "alert": 2}  # gpurisk_indicator_level; no_data has no sample
FEED_STATES = ("OK", "STALE", "ERROR", "DISABLED", "RATE-LIMITED", "NO DATA", "PENDING")
LABEL_LIMIT = 200

#: Every metric family this module exposes: name -> (type, labels). The Grafana dashboard
#: and the rules under deploy/ may reference only these (tests/test_deploy.py checks).
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "gpurisk_info": ("gauge", ("version", "company", "demo")),
    "gpurisk_risk_score": ("gauge", ()),
    "gpurisk_risk_score_points": ("gauge", ("group",)),
    "gpurisk_indicator_value": ("gauge", ("indicator", "group")),
    "gpurisk_indicator_level": ("gauge", ("indicator",)),
    "gpurisk_indicator_no_data": ("gauge", ("indicator",)),
    "gpurisk_indicator_stale": ("gauge", ("indicator",)),
    "gpurisk_gpu_price_usd_per_hour": ("gauge", ("sku", "tier")),
    "gpurisk_gpu_price_sources": ("gauge", ("sku", "tier")),
    "gpurisk_feed_up": ("gauge", ("feed",)),
    "gpurisk_feed_state": ("gauge", ("feed", "state")),
    "gpurisk_feed_data_age_seconds": ("gauge", ("feed",)),
    "gpurisk_feed_data_as_of_timestamp_seconds": ("gauge", ("feed",)),
    "gpurisk_feed_stale": ("gauge", ("feed",)),
    "gpurisk_alert_firing": ("gauge", ("rule", "severity")),
    "gpurisk_alert_acknowledged": ("gauge", ("rule", "severity")),
    "gpurisk_snapshot_sequence": ("gauge", ()),
    "gpurisk_history_state": ("gauge", ("state",)),
    "gpurisk_history_pending_rows": ("gauge", ()),
}

_HELP = {
    "gpurisk_info": "The gpurisk collector: version, company watched, demo (1 = sample data, DEMO).",
    "gpurisk_risk_score": "Composite risk score, 0 (every indicator OK) to 100 (every indicator at ALERT).",
    "gpurisk_risk_score_points": "Points each indicator group adds to the composite risk score.",
    "gpurisk_indicator_value": "An indicator's value in its own unit (ratio, x, fraction for pct, USD, months, "
                               "HHI); absent when NO DATA.",
    "gpurisk_indicator_level": "An indicator's level against its thresholds: 0 OK, 1 WATCH, 2 ALERT; "
                               "absent when NO DATA or without thresholds (info), as on screen.",
    "gpurisk_indicator_no_data": "1 when the indicator has NO DATA (an input is missing), else 0.",
    "gpurisk_indicator_stale": "1 when the indicator rests on data older than its limit (STALE), else 0.",
    "gpurisk_gpu_price_usd_per_hour": "GPU rent, US dollars per GPU-hour, aggregated over providers of a tier.",
    "gpurisk_gpu_price_sources": "Number of providers quoted in the price of a SKU and tier.",
    "gpurisk_feed_up": "1 when the feed's last poll delivered data (state OK or STALE), else 0.",
    "gpurisk_feed_state": "The feed's state as the dashboard shows it: 1 for the current state, 0 for the others.",
    "gpurisk_feed_data_age_seconds": "Seconds since the feed last delivered data; absent before its first data.",
    "gpurisk_feed_data_as_of_timestamp_seconds": "Unix time of the newest data the feed delivered (its as-of).",
    "gpurisk_feed_stale": "1 when the feed's last data is STALE (older than its limit, or no new data for "
                          "three intervals), whatever its state, else 0.",
    "gpurisk_alert_firing": "1 while the dashboard's alert rule fires, else 0 (also 0 while NO DATA).",
    "gpurisk_alert_acknowledged": "1 when a firing rule has been acknowledged on the desk, else 0.",
    "gpurisk_snapshot_sequence": "Sequence number of the engine snapshot the figures come from.",
    "gpurisk_history_state": "Whether the history is kept: 1 for the current state (ok, off, readonly, full, "
                             "error, gone), 0 for the others.",
    "gpurisk_history_pending_rows": "Rows received and not yet written to the history.",
}


def _label(v: Any) -> str:
    return safe(v, limit=LABEL_LIMIT)


def _finite(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _ts(d: Any) -> float | None:
    if isinstance(d, datetime):
        return (d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp()
    return None


class _Family:
    """One gauge family; a label set already seen is not added twice (a sanitised,
    cut label value could collide, and Prometheus rejects duplicate series)."""

    def __init__(self, name: str) -> None:
        from prometheus_client.core import GaugeMetricFamily

        self.labels = FAMILIES[name][1]
        self.family = GaugeMetricFamily(name, _HELP[name], labels=self.labels)
        self._seen: set[tuple[str, ...]] = set()

    def add(self, value: Any, *labels: Any) -> None:
        v = _finite(value)
        key = tuple(_label(x) for x in labels)
        if v is None or key in self._seen:
            return
        self._seen.add(key)
        self.family.add_metric(list(key), v)


class SessionCollector:
    """A prometheus_client collector over one Session, read at each scrape.

    ``now``: the wall clock (tests pass a fixed one); the feeds' own data clock (the
    demo's replay day) still judges whether their data is stale, as on screen."""

    def __init__(self, session: Any, now: Callable[[], datetime] | None = None) -> None:
        self.session = session
        self.now = now or (lambda: datetime.now(UTC))

    def describe(self) -> list[Any]:
        return []  # families are generated at scrape time; nothing to check at registration

    def collect(self) -> Iterator[Any]:
        now = self.now()
        for build in (self._info, self._score, self._indicators, self._prices, self._feeds, self._alerts,
                      self._history):
            try:
                fams = build(now)
            except Exception as exc:
                self._error(build.__name__.lstrip("_"), exc)
                continue
            for f in fams:
                yield f.family

    def _error(self, what: str, exc: BaseException) -> None:
        try:
            self.session.record_error(f"metrics ({what})", exc)
        except Exception:
            pass

    # -- families ---------------------------------------------------------------------
    def _info(self, now: datetime) -> list[_Family]:
        from feeds.base import VERSION

        s = self.session
        info, seq = _Family("gpurisk_info"), _Family("gpurisk_snapshot_sequence")
        info.add(1, VERSION, s.snapshot.company, "1" if s.demo else "0")
        seq.add(s.snapshot.seq)
        return [info, seq]

    def _score(self, now: datetime) -> list[_Family]:
        score, points = _Family("gpurisk_risk_score"), _Family("gpurisk_risk_score_points")
        sc = self.session.snapshot.score
        if sc is not None:
            score.add(sc.score)
            for group, pts in sc.by_group:
                points.add(pts, group)
        return [score, points]

    def _indicators(self, now: datetime) -> list[_Family]:
        s = self.session
        value, level = _Family("gpurisk_indicator_value"), _Family("gpurisk_indicator_level")
        no_data, stale = _Family("gpurisk_indicator_no_data"), _Family("gpurisk_indicator_stale")
        old = s.stale_indicators(now)  # once per scrape (Session.stale_note asks it per indicator)
        for name, r in sorted(s.snapshot.indicators.items()):
            v = _finite(r.value)
            missing = r.status == "no_data" or v is None
            no_data.add(1 if missing else 0, name)
            if missing:
                continue
            value.add(v, name, r.group)
            if r.status in LEVELS and r.threshold is not None:  # info (no thresholds) has no level
                level.add(LEVELS[r.status], name)
            stale.add(1 if r.stale or old.get(name) else 0, name)  # = Session.stale_note(r) != ""
        return [value, level, no_data, stale]

    def _prices(self, now: datetime) -> list[_Family]:
        price, n = _Family("gpurisk_gpu_price_usd_per_hour"), _Family("gpurisk_gpu_price_sources")
        for row in self.session.snapshot.prices.values():
            price.add(row.price, row.sku, row.tier)
            n.add(row.n_sources, row.sku, row.tier)
        return [price, n]

    def _feeds(self, now: datetime) -> list[_Family]:
        up, state = _Family("gpurisk_feed_up"), _Family("gpurisk_feed_state")
        age = _Family("gpurisk_feed_data_age_seconds")
        as_of, stale = _Family("gpurisk_feed_data_as_of_timestamp_seconds"), _Family("gpurisk_feed_stale")
        for name, st in self.session.status.items():
            shown = st.display_state(now)
            up.add(1 if shown in ("OK", "STALE") else 0, name)
            for s in FEED_STATES:
                state.add(1 if s == shown else 0, name, s)
            a = st.age(now)
            if a is not None:
                age.add(max(0.0, a), name)
            as_of.add(_ts(st.last_as_of), name)
            stale.add(1 if st.has_data and (st.data_stale(now) or st.fetch_stale(now)) else 0, name)
        return [up, state, age, as_of, stale]

    def _alerts(self, now: datetime) -> list[_Family]:
        firing, acked = _Family("gpurisk_alert_firing"), _Family("gpurisk_alert_acknowledged")
        engine = self.session.alerts
        if engine is not None:
            for st in engine.states():
                firing.add(1 if st.state == "firing" else 0, st.rule, st.severity)
                acked.add(1 if st.acknowledged else 0, st.rule, st.severity)
        return [firing, acked]


    def _history(self, now: datetime) -> list[_Family]:
        from .history_health import STATES

        health = self.session.history_state
        if health is None:
            return []
        state, pending = _Family("gpurisk_history_state"), _Family("gpurisk_history_pending_rows")
        for s in STATES:
            state.add(1 if s == health.state else 0, s)
        pending.add(health.pending)
        return [state, pending]


def exposition(session: Any, now: Callable[[], datetime] | None = None) -> tuple[bytes, str]:
    """The body and content type for ``GET /metrics``: Prometheus text format 0.0.4,
    generated now from ``session``, in a registry of its own."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(SessionCollector(session, now))
    return generate_latest(registry), CONTENT_TYPE


__all__ = ["exposition", "SessionCollector", "FAMILIES", "CONTENT_TYPE", "LEVELS"]
