"""Alert rules: what a rule says, how it is read from the config, and the defaults.

Kept apart from the state machine (``engine.alerts``) so the config loader can check
rules without building an engine. Errors name the rule and key, as the config error
messages do: ``alerts.rules[3].comparison: must be one of >, >=, <, <=; got '=>'``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

State = Literal["normal", "pending", "firing", "resolved", "no_data", "error"]
STATES: tuple[str, ...] = ("normal", "pending", "firing", "resolved", "no_data", "error")
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
MODES = ("once", "recurring")
SEVERITIES = ("info", "warning", "critical")
_ERROR_REASONS = ("cannot compute", "result is not a finite number")  # see Indicator.evaluate
STATE_VERSION = 1


def _num(d: Mapping[str, Any], key: str, where: str, default: float | None = None,
         minimum: float | None = None) -> float:
    if key not in d:
        if default is None:
            raise ValueError(f"{where}.{key}: required")
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"{where}.{key}: must be a number; got {v!r}")
    if not math.isfinite(v):
        raise ValueError(f"{where}.{key}: must be finite; got {v!r}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{where}.{key}: must be >= {minimum:g}; got {v!r}")
    return float(v)


def _choice(d: Mapping[str, Any], key: str, where: str, options: tuple[str, ...], default: str | None) -> str:
    v = d.get(key, default)
    if v is None:
        raise ValueError(f"{where}.{key}: required")
    if not isinstance(v, str) or v not in options:
        raise ValueError(f"{where}.{key}: must be one of {', '.join(options)}; got {v!r}")
    return v


@dataclass(frozen=True, slots=True)
class AlertRule:
    """Fire when ``indicator <comparison> threshold`` holds for ``for_s`` seconds."""

    name: str
    indicator: str
    comparison: str
    threshold: float
    for_s: float = 0.0
    keep_firing_for_s: float = 0.0
    mode: str = "once"  # "recurring": notify again every repeat_s while firing (until acknowledged)
    repeat_s: float = 3600.0
    severity: str = "warning"

    KEYS = frozenset({"name", "indicator", "comparison", "threshold", "for_s", "keep_firing_for_s",
                      "mode", "repeat_s", "severity"})

    def breaches(self, value: float) -> bool:
        return COMPARISONS[self.comparison](value, self.threshold)

    def describe(self) -> str:
        return f"{self.indicator} {self.comparison} {self.threshold:g}"

    def fingerprint(self) -> str:
        """What the state depends on: if this changes, a saved state is discarded."""
        return f"{self.indicator}|{self.comparison}|{self.threshold!r}"

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("name", "indicator", "comparison", "threshold", "for_s",
                                               "keep_firing_for_s", "mode", "repeat_s", "severity")}

    @classmethod
    def from_dict(cls, d: Any, where: str = "alerts.rules[?]") -> AlertRule:
        if not isinstance(d, Mapping):
            raise ValueError(f"{where}: must be a table of keys; got {type(d).__name__}")
        unknown = sorted(str(k) for k in d if k not in cls.KEYS)
        if unknown:
            raise ValueError(f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(sorted(cls.KEYS))})")
        ind = d.get("indicator")
        if not isinstance(ind, str) or not ind.strip():
            raise ValueError(f"{where}.indicator: required, a non-empty indicator name; got {ind!r}")
        comp = _choice(d, "comparison", where, tuple(COMPARISONS), None)
        threshold = _num(d, "threshold", where)
        name = d.get("name", f"{ind.strip()} {comp} {threshold:g}")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}.name: must be a non-empty string; got {name!r}")
        return cls(
            name=name.strip(), indicator=ind.strip(), comparison=comp, threshold=threshold,
            for_s=_num(d, "for_s", where, 0.0, minimum=0.0),
            keep_firing_for_s=_num(d, "keep_firing_for_s", where, 0.0, minimum=0.0),
            mode=_choice(d, "mode", where, MODES, "once"),
            repeat_s=_num(d, "repeat_s", where, 3600.0, minimum=1.0),
            severity=_choice(d, "severity", where, SEVERITIES, "warning"),
        )


KINDS = ("indicator", "filing")


def _indicator_table(d: Any, where: str) -> Any:
    """``kind = "indicator"`` is the default and may be written; any other kind is an error here."""
    if not isinstance(d, Mapping) or "kind" not in d:
        return d
    if d["kind"] != "indicator":
        raise ValueError(f"{where}.kind: must be one of {', '.join(KINDS)}; got {d['kind']!r}")
    return {k: v for k, v in d.items() if k != "kind"}


def rules_from_config(items: Any, where: str = "alerts.rules") -> list[AlertRule]:
    """Parse a list of rule tables; errors name the index and key; names must be unique.
    Indicator rules only: tables with ``kind = "filing"`` are left to
    :func:`engine.filing_rules.all_rules_from_config`."""
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"{where}: must be a list of rule tables; got {type(items).__name__}")
    rules = [AlertRule.from_dict(_indicator_table(d, f"{where}[{i}]"), f"{where}[{i}]")
             for i, d in enumerate(items) if not (isinstance(d, Mapping) and d.get("kind") == "filing")]
    seen: set[str] = set()
    for i, r in enumerate(rules):
        if r.name in seen:
            raise ValueError(f"{where}[{i}].name: duplicate rule name {r.name!r}")
        seen.add(r.name)
    return rules


def _r(name: str, comp: str, thr: float, sev: str = "warning", for_s: float = 0.0) -> AlertRule:
    return AlertRule(f"{name} {comp} {thr:g}", name, comp, thr, for_s=for_s, keep_firing_for_s=3600.0,
                     severity=sev)


_CORE = (
    _r("liabilities_to_assets", ">", 0.9, "critical"), _r("current_ratio", "<", 0.5, "critical"),
    _r("quick_ratio", "<", 0.5), _r("interest_coverage", "<", 1.0, "critical"), _r("hhi", ">", 2500.0),
    # prices move hourly: ask for an hour of breach before firing
    _r("h100_margin_3y", "<", 0.0, for_s=3600.0), _r("h100_margin_6y", "<", 0.0, "critical", for_s=3600.0),
)
_OPTIONAL = (  # indicators another module may provide (engine/indicators/credit.py, market.py)
    _r("altman_z2", "<", 1.10), _r("dscr", "<", 1.0, "critical"), _r("net_debt_to_ebitda", ">", 6.0),
    _r("runway_months", "<", 12.0, "critical"), _r("funding_gap_12m", ">", 0.0),
    _r("distance_to_default", "<", 2.0, "critical", for_s=3600.0),
)


def default_rules(available: Iterable[str] | None = None,
                  thresholds: Mapping[str, Any] | None = None) -> list[AlertRule]:
    """The core rules, plus the optional ones whose indicator exists in ``available``
    (default: the engine's indicator catalogue). ``thresholds`` (indicator name →
    engine.indicator.Threshold, e.g. the config's) move each default rule to that
    indicator's alert level, so the risk panel and the alerts never disagree."""
    if available is None:
        from .indicators import default_indicators
        available = [i.name for i in default_indicators()]
    names = set(available)
    rules = [*_CORE, *(r for r in _OPTIONAL if r.indicator in names)]
    out = []
    for r in rules:
        th = (thresholds or {}).get(r.indicator)
        if th is not None:
            comp = ">" if th.higher_is_worse else "<"
            r = _r(r.indicator, comp, float(th.alert), r.severity, r.for_s)
        out.append(r)
    return out
