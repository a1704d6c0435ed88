"""One level per figure, everywhere, with its stale mark beside it.

A figure has one level — OK, WATCH, ALERT or NO DATA (a figure without thresholds is
"info": read, never judged) — and every view (risk panel, score screen, what-if,
alerts, JSON, event log) takes it from here, so it never reads WATCH in one place and
something else in another. Old data does not replace the level: it is marked beside
it, ``WATCH ◷49d`` (the data is 49 days older than it may be: older than the period the
figure is evaluated at, or than the data's clock). Thresholds and alert conditions are
written in the figure's own unit (``watch <15.0%``, ``> 75.0%``), never as raw numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.text import Text

from . import format as f

STALE = "◷"  # a clock face: in DejaVu Sans Mono and other common terminal fonts (⧗ is not)
STALE_STYLE = "bold yellow"


def level(res: Any) -> str:
    """The figure's level as a key: ok, watch, alert, no_data, or info (no thresholds)."""
    if res.status != "no_data" and res.threshold is None:
        return "info"
    return str(res.status)


def word(res: Any) -> str:
    key = level(res)
    return "info" if key == "info" else f.STATUS_WORD.get(key, key.upper())


def style(res: Any) -> str:
    key = level(res)
    return "dim" if key == "info" else f.STATUS_STYLE.get(key, "")


def _day(d: date | datetime) -> date:
    return d.date() if isinstance(d, datetime) else d


def age_text(days: int) -> str:
    """Coarse: 5d, 7w, 14mo, 2y."""
    if days < 14:
        return f"{max(0, days)}d"
    if days < 70:
        return f"{days // 7}w"
    if days < 730:
        return f"{days // 30}mo"
    return f"{days // 365}y"


def stale_mark(res: Any, note: str, now: datetime | date | None = None) -> str:
    """``◷49d`` when ``note`` says the figure rests on old data ('' when fresh): how much
    older its oldest input is than the period it is evaluated at (when its own inputs are
    old), else than ``now`` (the data's clock, when a feed went stale)."""
    if not note or res.status == "no_data":
        return ""
    as_of = res.as_of
    ref = res.period if res.stale and res.period is not None else now
    days = (_day(ref) - _day(as_of)).days if as_of is not None and ref is not None else 0
    return STALE + age_text(days) if days > 0 else STALE


def cell(res: Any, note: str = "", now: datetime | date | None = None, pad: bool = True,
         short: bool = False) -> Text:
    """The level word in its colour, then the stale mark: `` WATCH ◷7w`` (``short``: a bare ◷)."""
    sp = " " if pad else ""
    t = f.styled(f"{sp}{word(res)}{sp}", style(res))
    mark = stale_mark(res, note, now)[:1 if short else None]
    if mark:
        t.append(("" if pad else " ") + mark, style=STALE_STYLE)
    return t


def plain(res: Any, note: str = "", now: datetime | date | None = None) -> str:
    """``WATCH ◷49d``: the level and its stale mark as plain text (JSON, CSV, logs)."""
    return cell(res, note, now, pad=False).plain


def threshold(res: Any) -> str:
    """``watch <15.0% alert <0.0%`` in the figure's unit ('' without thresholds)."""
    th = res.threshold
    return th.describe(lambda v: f.fmt_value(res.unit, v)) if th is not None else ""


def condition(indicator: str, comparison: str, value: float, unit: str) -> str:
    """An alert condition in the figure's unit: ``h100_fair_pressure > 75.0%``."""
    return f"{indicator} {comparison} {f.fmt_value(unit, value)}"


def rule_condition(session: Any, status: Any) -> str:
    """A rule's condition (``engine.alerts.RuleStatus``) in its indicator's unit; the rule's
    own words when the session does not know the rule (a filing rule, a remote one)."""
    alerts = session.alerts
    rule = alerts.rules.get(status.rule) if alerts is not None else None
    res = session.snapshot.indicators.get(status.indicator)
    if rule is None or res is None or getattr(rule, "comparison", "") not in (">", ">=", "<", "<="):
        return str(status.condition)
    return condition(status.indicator, rule.comparison, rule.threshold, res.unit)
