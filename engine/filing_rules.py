"""Alert rules of kind ``filing``: fire on a filing, not on an indicator's value.

Why a rule kind of its own: an 8-K reporting a new financial obligation (item 2.03)
or a triggering event that accelerates one (2.04) is credit news the day it is filed,
long before any ratio moves at the next 10-Q. It uses the same alert states, alert
log, hook and acknowledge as the indicator rules (``engine.alerts``); only the
condition differs — "a matching filing was accepted within the last
``keep_firing_for_s``" instead of "value beyond threshold".

TOML (in the same ``[[alerts.rules]]`` array as indicator rules)::

    [[alerts.rules]]
    kind = "filing"
    name = "8-K new debt or acceleration"
    forms = ["8-K"]              # base forms; amendments (8-K/A) match too
    items = ["2.03", "2.04"]     # any of them; empty or absent: any filing of those forms
    severity = "warning"
    keep_firing_for_s = 604800   # how long a filing keeps the rule firing (default 7 days)

Errors name the rule and key, as indicator rules do: ``alerts.rules[2].items: ...``.
:class:`engine.alert_rules.AlertRule` is untouched: code that reads indicator rules
(the Prometheus rules generator) keeps seeing only those.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .alert_rules import SEVERITIES, AlertRule, rules_from_config

KIND = "filing"
FORMS = ("10-K", "10-Q", "8-K", "20-F", "40-F", "6-K")
DEFAULT_KEEP_S = 7 * 86400.0
_ITEM = re.compile(r"\d{1,2}\.\d{2}")


@dataclass(frozen=True, slots=True)
class FilingRule:
    """Fire when a filing of one of ``forms`` carrying any of ``items`` (any, when empty) arrives."""

    name: str
    forms: tuple[str, ...] = ("8-K",)
    items: tuple[str, ...] = ()
    severity: str = "warning"
    keep_firing_for_s: float = DEFAULT_KEEP_S
    company: str = ""  # a ticker ("CRWV"); empty: any company

    KEYS = frozenset({"kind", "name", "forms", "items", "severity", "keep_firing_for_s", "company"})
    kind = KIND
    # what the alert screen, the event log and the alert log read from any rule
    comparison = KIND
    threshold = 0.0
    for_s = 0.0
    mode = "once"

    def matches(self, filing: Any) -> bool:
        form = str(getattr(filing, "form", "")).upper()
        base = form.removesuffix("/A")
        if base not in self.forms:
            return False
        if self.company and str(getattr(filing, "company", "")).upper() != self.company:
            return False
        return not self.items or bool(set(self.items).intersection(getattr(filing, "items", ()) or ()))

    @property
    def what(self) -> str:
        """'8-K item 2.03, 2.04', 'any 10-Q/10-K': what the rule watches for."""
        forms = "/".join(self.forms)
        return f"{forms} item {', '.join(self.items)}" if self.items else f"any {forms}"

    @property
    def indicator(self) -> str:
        """In the place of an indicator rule's indicator (alert screen, alert log): what it watches."""
        return self.what

    def describe(self) -> str:
        """The condition, starting with :attr:`indicator` as an indicator rule's does (narrow
        screens show only the rest: 'filed')."""
        return f"{self.what} filed"

    def fingerprint(self) -> str:
        return f"filing|{','.join(self.forms)}|{','.join(self.items)}|{self.company}|{self.keep_firing_for_s!r}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": KIND, "name": self.name, "forms": list(self.forms), "items": list(self.items),
                "severity": self.severity, "keep_firing_for_s": self.keep_firing_for_s, "company": self.company}

    @classmethod
    def from_dict(cls, d: Any, where: str = "alerts.rules[?]") -> FilingRule:
        if not isinstance(d, Mapping):
            raise ValueError(f"{where}: must be a table of keys; got {type(d).__name__}")
        unknown = sorted(str(k) for k in d if k not in cls.KEYS)
        if unknown:
            raise ValueError(f"{where}.{unknown[0]}: unknown key for a filing rule "
                             f"(allowed: {', '.join(sorted(cls.KEYS))})")
        forms = _strings(d, "forms", where, ["8-K"])
        forms = [f.upper().removesuffix("/A") for f in forms]
        bad = [f for f in forms if f not in FORMS]
        if bad or not forms:
            raise ValueError(f"{where}.forms: must list forms among {', '.join(FORMS)}; got {d.get('forms')!r}")
        items = _strings(d, "items", where, [])
        bad = [i for i in items if not _ITEM.fullmatch(i)]
        if bad:
            raise ValueError(f"{where}.items: must be 8-K item numbers such as \"2.03\"; got {bad[0]!r}")
        if items and "8-K" not in forms:
            raise ValueError(f"{where}.items: only 8-K filings carry items; forms is {forms!r}")
        sev = d.get("severity", "warning")
        if not isinstance(sev, str) or sev not in SEVERITIES:
            raise ValueError(f"{where}.severity: must be one of {', '.join(SEVERITIES)}; got {sev!r}")
        keep = d.get("keep_firing_for_s", DEFAULT_KEEP_S)
        if isinstance(keep, bool) or not isinstance(keep, (int, float)) or not math.isfinite(keep) or keep < 0:
            raise ValueError(f"{where}.keep_firing_for_s: must be a number of seconds >= 0; got {keep!r}")
        company = d.get("company", "")
        if not isinstance(company, str) or (company and not re.fullmatch(r"[A-Za-z0-9.\-]{1,10}", company)):
            raise ValueError(f"{where}.company: must be a ticker such as \"CRWV\"; got {company!r}")
        rule = cls(name="", forms=tuple(dict.fromkeys(forms)), items=tuple(dict.fromkeys(items)), severity=sev,
                   keep_firing_for_s=float(keep), company=company.upper())
        name = d.get("name", rule.what)
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}.name: must be a non-empty string; got {name!r}")
        return cls(name.strip(), rule.forms, rule.items, rule.severity, rule.keep_firing_for_s, rule.company)


def _strings(d: Mapping[str, Any], key: str, where: str, default: list[str]) -> list[str]:
    v = d.get(key, default)
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) and x.strip() for x in v):
        raise ValueError(f"{where}.{key}: must be a list of strings; got {v!r}")
    return [x.strip() for x in v]


def is_filing_rule(d: Any) -> bool:
    return isinstance(d, Mapping) and d.get("kind") == KIND


def all_rules_from_config(items: Any, where: str = "alerts.rules") -> list[AlertRule | FilingRule]:
    """Indicator rules and filing rules, in config order; names unique across both."""
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"{where}: must be a list of rule tables; got {type(items).__name__}")
    indicator = iter(rules_from_config(items, where))  # checks kinds, skips filing rules
    out: list[AlertRule | FilingRule] = []
    seen: set[str] = set()
    for i, d in enumerate(items):
        rule = FilingRule.from_dict(d, f"{where}[{i}]") if is_filing_rule(d) else next(indicator)
        if rule.name in seen:
            raise ValueError(f"{where}[{i}].name: duplicate rule name {rule.name!r}")
        seen.add(rule.name)
        out.append(rule)
    return out


def default_filing_rules() -> list[FilingRule]:
    """One default: an 8-K with item 2.03 (a new direct financial obligation) or 2.04 (a
    triggering event accelerating one) is a warning for a credit desk. 1.01 alone is left
    out: most material agreements are customer contracts and leases, not debt."""
    return [FilingRule("8-K new debt or acceleration", ("8-K",), ("2.03", "2.04"), "warning")]


def filing_rules(rules: Iterable[Any]) -> list[FilingRule]:
    return [r for r in rules if isinstance(r, FilingRule)]


__all__ = ["FilingRule", "all_rules_from_config", "default_filing_rules", "filing_rules", "is_filing_rule",
           "KIND", "FORMS", "DEFAULT_KEEP_S"]
