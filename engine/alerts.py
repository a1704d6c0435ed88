"""Alert rules and their state machine, pure and deterministic (time is passed in).

Why a state machine and not "status == alert": a value that wobbles around a
threshold must not ring the bell every refresh, and a dead feed must never look
calm nor fire. So we follow the monitoring conventions users already know
(Prometheus / Grafana): a rule must breach for ``for_s`` (*pending*) before it
*fires*, keeps firing for ``keep_firing_for_s`` after the value recovers
(hysteresis) and is then *resolved*. Missing inputs give *NO DATA* and a failed
computation gives *ERROR*; both are kept apart from firing, and a rule that was
firing when its feed died goes back to firing (without a second notification)
if the value still breaches when data returns. Side effects (log file, shell
hook, bell, state file) live in ``gpurisk.alerting``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .alert_rules import (  # noqa: F401  (re-exported: the public alert API lives here)
    _ERROR_REASONS,
    COMPARISONS,
    MODES,
    SEVERITIES,
    STATE_VERSION,
    STATES,
    AlertRule,
    State,
    default_rules,
    rules_from_config,
)
from .indicator import IndicatorResult
from .jsonable import jsonable


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A transition of one rule (``old == new == "firing"`` is a recurring re-notification)."""

    rule: str
    indicator: str
    old: str
    new: str
    at: datetime
    value: float | None
    threshold: float
    comparison: str
    severity: str
    notify: bool  # True for a new firing and for recurring repeats: ring, run the hook
    reason: str = ""
    inputs: tuple[tuple[str, Any, str | None, str], ...] = ()  # (name, value, as_of iso, source)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "indicator": self.indicator, "old": self.old, "state": self.new,
                "at": self.at.isoformat(), "value": self.value, "threshold": self.threshold,
                "comparison": self.comparison, "severity": self.severity, "notify": self.notify,
                "reason": self.reason,
                "inputs": [{"name": n, "value": v, "as_of": a, "source": s} for n, v, a, s in self.inputs]}


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """One line of the alerts panel."""

    rule: str
    indicator: str
    state: str
    since: datetime | None
    value: float | None
    condition: str
    severity: str
    acknowledged: bool
    reason: str


@dataclass(slots=True)
class _RuleState:
    state: str = "no_data"  # nothing seen yet is no data, not calm
    since: datetime | None = None
    active_since: datetime | None = None  # pending started
    clear_since: datetime | None = None  # firing but no longer breaching since
    fired_at: datetime | None = None
    last_notified: datetime | None = None
    held: str | None = None  # "firing" when the feed died while firing
    acked: bool = False
    value: float | None = None
    reason: str = ""

    _TIMES = ("since", "active_since", "clear_since", "fired_at", "last_notified")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"state": self.state, "held": self.held, "acked": self.acked,
                             "value": self.value, "reason": self.reason}
        for k in self._TIMES:
            t = getattr(self, k)
            d[k] = t.isoformat() if t else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> _RuleState:
        """Raises ValueError/TypeError/KeyError on a malformed entry (the caller drops it)."""
        st = cls(state=d["state"], held=d.get("held"), acked=bool(d.get("acked", False)),
                 value=None if d.get("value") is None else float(d["value"]), reason=str(d.get("reason", "")))
        if st.state not in STATES or st.held not in (None, "firing"):
            raise ValueError(f"bad state {st.state!r}")
        for k in cls._TIMES:
            v = d.get(k)
            t = datetime.fromisoformat(v) if v else None
            if t is not None and t.tzinfo is None:
                raise ValueError(f"{k}: naive time")
            setattr(st, k, t)
        return st


def _inputs(res: IndicatorResult | None, limit: int = 12) -> tuple[tuple[str, Any, str | None, str], ...]:
    if res is None:
        return ()
    out = []
    for ref in res.inputs[:limit]:
        v = jsonable(ref.value) if not isinstance(ref.value, (list, tuple, dict)) else str(ref.value)
        out.append((ref.name, v, ref.as_of.isoformat() if ref.as_of else None, ref.source))
    return tuple(out)


def _filing_text(f: Any) -> str:
    """'8-K 0001769628-25-000033 filed 2025-07-31 · items 1.01, 2.03' (EDGAR's own fields only)."""
    items = f" · items {', '.join(f.items)}" if getattr(f, "items", ()) else ""
    return f"{f.company} {f.form} {f.accession} filed {f.filed.isoformat()}{items}"


def _filing_inputs(f: Any) -> tuple[tuple[str, Any, str | None, str], ...]:
    return (("filing", f"{f.form} {f.accession}", f.as_of.isoformat(), str(f.source)),
            ("items", ", ".join(getattr(f, "items", ())), f.as_of.isoformat(), str(f.source)))


class AlertEngine:
    """Evaluate rules against indicator results; keep per-rule state; report transitions."""

    def __init__(self, rules: Iterable[AlertRule], state: Mapping[str, Any] | None = None) -> None:
        self.rules: dict[str, AlertRule] = {}
        for r in rules:
            if r.name in self.rules:
                raise ValueError(f"duplicate alert rule name {r.name!r}")
            self.rules[r.name] = r
        self._st: dict[str, _RuleState] = {n: _RuleState() for n in self.rules}
        self.dropped: list[str] = []  # saved entries that could not be restored, and why
        if state:
            self._restore(state)

    # -- persistence -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"version": STATE_VERSION,
                "rules": {n: {**s.to_dict(), "rule": self.rules[n].fingerprint()} for n, s in self._st.items()}}

    @classmethod
    def from_dict(cls, rules: Iterable[AlertRule], d: Mapping[str, Any] | None) -> AlertEngine:
        return cls(rules, d)

    def _restore(self, d: Mapping[str, Any]) -> None:
        saved = d.get("rules") if isinstance(d, Mapping) and d.get("version") == STATE_VERSION else None
        if not isinstance(saved, Mapping):
            self.dropped.append("alert state: unknown format or version, starting fresh")
            return
        for name, entry in saved.items():
            rule = self.rules.get(name)
            if rule is None:
                continue  # rule removed from the config
            if not isinstance(entry, Mapping) or entry.get("rule") != rule.fingerprint():
                self.dropped.append(f"{name}: rule changed since the state was saved")
                continue
            try:
                self._st[name] = _RuleState.from_dict(entry)
            except (ValueError, TypeError, KeyError) as exc:
                self.dropped.append(f"{name}: {exc}")

    # -- operations --------------------------------------------------------------------------
    def acknowledge(self, rule_name: str | None = None) -> list[str]:
        """Silence repeats of a firing rule (all firing rules if None) until it resolves."""
        if rule_name is not None and rule_name not in self.rules:
            raise KeyError(f"no alert rule named {rule_name!r}")
        names = [rule_name] if rule_name is not None else list(self.rules)
        done = []
        for n in names:
            st = self._st[n]
            if (st.state == "firing" or st.held == "firing") and not st.acked:
                st.acked = True
                done.append(n)
        return done

    def unacknowledge(self, rule_names: Iterable[str]) -> list[str]:
        """Undo an :meth:`acknowledge`: the named rules that are still acknowledged are not
        any more (pass exactly the list ``acknowledge`` returned). A rule that resolved
        since, or was never acknowledged, is left as it is; unknown names are ignored."""
        done = []
        for n in rule_names:
            st = self._st.get(n)
            if st is not None and st.acked:
                st.acked = False
                done.append(n)
        return done

    def states(self) -> list[RuleStatus]:
        return [RuleStatus(n, r.indicator, s.state, s.since, s.value, r.describe(), r.severity, s.acked, s.reason)
                for n, r in self.rules.items() for s in (self._st[n],)]

    def state_of(self, rule_name: str) -> str:
        return self._st[rule_name].state

    def evaluate(self, indicators: Mapping[str, IndicatorResult], now: datetime) -> list[AlertEvent]:
        if now.tzinfo is None:
            raise ValueError("AlertEngine.evaluate: 'now' must be timezone-aware")
        events: list[AlertEvent] = []
        for name, rule in self.rules.items():
            if getattr(rule, "kind", "indicator") == "filing":
                continue  # stepped by filings(): they fire on filings, not on values
            ev = self._step(rule, self._st[name], indicators.get(rule.indicator), now)
            if ev is not None:
                events.append(ev)
        return events

    def filings(self, observations: Iterable[Any], now: datetime) -> list[AlertEvent]:
        """Step the filing rules (engine/filing_rules.py) with the FilingEvents of one poll
        (none: only the clock moves). ``now`` is the data's clock.

        A rule is NO DATA until a filing list has been seen, then normal; it fires (and
        notifies: log, hook, bell) when a matching filing accepted within
        ``keep_firing_for_s`` arrives, notifies again for a newer matching one, and is
        resolved once the newest is older than that. A filing that old on arrival (the
        history a first poll brings) never fires. The filing that fired is remembered by
        its acceptance time, so the same filing seen again after a restart stays quiet."""
        if now.tzinfo is None:
            raise ValueError("AlertEngine.filings: 'now' must be timezone-aware")
        seen = [o for o in observations if hasattr(o, "accession") and hasattr(o, "form")]
        seen.sort(key=lambda o: o.as_of)
        events: list[AlertEvent] = []
        for name, rule in self.rules.items():
            if getattr(rule, "kind", "indicator") != "filing":
                continue
            ev = self._filing_step(rule, self._st[name], seen, now)
            if ev is not None:
                events.append(ev)
        return events

    def _filing_step(self, rule: Any, st: _RuleState, filings: list[Any], now: datetime) -> AlertEvent | None:
        old = st.state
        if old == "no_data" and not filings:
            if st.reason:
                return None
            st.reason = "no filing list yet"
            return None
        keep = rule.keep_firing_for_s
        match = None
        for f in filings:  # oldest first: the newest matching one wins
            if rule.matches(f) and (now - f.as_of).total_seconds() < keep and \
                    (st.fired_at is None or f.as_of > st.fired_at):
                match = f
        new, notify = ("normal" if old in ("no_data", "error", "resolved") else old), False
        if match is not None:
            new, notify = "firing", True
            st.fired_at = st.last_notified = match.as_of
            st.acked = False
            st.reason = _filing_text(match)
            st.since = now if old != "firing" else st.since
        elif old == "firing" and (st.fired_at is None or (now - st.fired_at).total_seconds() >= keep):
            new = "resolved"
            st.acked = False
        elif old == "no_data":
            st.reason = ""
        if new == old and not notify:
            return None
        st.state = new
        if new != old:
            st.since = now
        if old == "resolved" and new == "normal" or old == "no_data" and new == "normal":
            return None  # calm first value / end of resolved: not an event of its own
        return AlertEvent(rule.name, rule.indicator, old, new, now, None, rule.threshold, rule.comparison,
                          rule.severity, notify, st.reason if new == "firing" else "",
                          _filing_inputs(match) if match is not None else ())

    def _step(self, rule: AlertRule, st: _RuleState, res: IndicatorResult | None, now: datetime) -> AlertEvent | None:
        old = st.state
        value = res.value if res is not None else None
        if res is None:
            return self._no_value(rule, st, res, now, "no_data", f"indicator {rule.indicator!r} not available")
        if res.status == "no_data" or value is None:
            bad = any(res.reason.startswith(p) for p in _ERROR_REASONS)
            return self._no_value(rule, st, res, now, "error" if bad else "no_data", res.reason or "no data")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return self._no_value(rule, st, res, now, "error", f"value is not a finite number: {value!r}")
        st.value, st.reason = float(value), ""
        prior = st.held if old in ("no_data", "error") and st.held else old
        st.held = None
        new, notify = prior, False
        if rule.breaches(value):
            st.clear_since = None
            if prior != "firing":
                if prior != "pending" or st.active_since is None:
                    st.active_since = now
                new = "pending"
                if (now - st.active_since).total_seconds() >= rule.for_s:
                    new, notify = "firing", True
                    st.fired_at = st.last_notified = now
                    st.acked = False
            elif st.last_notified is None:
                st.last_notified = now
            elif rule.mode == "recurring" and not st.acked and \
                    (now - st.last_notified).total_seconds() >= rule.repeat_s:
                notify = True
                st.last_notified = now
        else:
            if prior == "firing":
                st.clear_since = st.clear_since or now
                if (now - st.clear_since).total_seconds() >= rule.keep_firing_for_s:
                    new = "resolved"
                    st.clear_since = st.fired_at = st.last_notified = None
                    st.acked = False
            else:
                new = "normal"
            if new != "firing":
                st.active_since = None
        if new == old and not notify:
            return None
        st.state = new
        if new != old:
            st.since = now
        if old == "resolved" and new == "normal":
            return None  # resolved shows until the next calm evaluation; not an event of its own
        return self._event(rule, old, new, now, st, res, notify)

    def _no_value(self, rule: AlertRule, st: _RuleState, res: IndicatorResult | None, now: datetime,
                  new: str, reason: str) -> AlertEvent | None:
        old = st.state
        if old == "firing":
            st.held = "firing"  # feed died while firing: remember, but do not pretend it resolved
        st.active_since = st.clear_since = None
        st.value, st.reason = None, reason
        if new == old:
            return None
        st.state, st.since = new, now
        return self._event(rule, old, new, now, st, res, False)

    @staticmethod
    def _event(rule: AlertRule, old: str, new: str, now: datetime, st: _RuleState,
               res: IndicatorResult | None, notify: bool) -> AlertEvent:
        return AlertEvent(rule.name, rule.indicator, old, new, now, st.value, rule.threshold, rule.comparison,
                          rule.severity, notify, st.reason, _inputs(res))


__all__ = ["AlertEngine", "AlertEvent", "AlertRule", "RuleStatus", "default_rules", "rules_from_config",
           "COMPARISONS", "STATES"]
