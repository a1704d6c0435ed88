"""Alert toasts and acknowledgement: light enough for the first frame's path (no
DataTable import), shared by the dashboard and the alerts screen."""

from __future__ import annotations

from typing import Any

from . import format as f

MAX_TOASTS = 2


def _unit(session: Any, indicator: str) -> str:
    res = session.snapshot.indicators.get(indicator)
    return res.unit if res is not None else ""


def _title(session: Any, indicator: str) -> str:
    res = session.snapshot.indicators.get(indicator)
    return res.title if res is not None else indicator


def describe_event(session: Any, ev: Any) -> str:
    """"Quick ratio 0.327 (rule: quick_ratio < 0.5)" — indicator, value, condition."""
    value = f.fmt_value(_unit(session, ev.indicator), ev.value)
    return f"{f.clean(_title(session, ev.indicator), 40)} {value} (rule: {f.clean(ev.indicator, 40)} {ev.comparison} {ev.threshold:g})"


def toast_events(app: Any, events: list[Any]) -> int:
    """Toast the events that notify (a new firing, a recurring repeat); returns how many.
    One toast each up to MAX_TOASTS, else one toast listing them all."""
    session = app.session
    loud = [e for e in events if e.notify or (e.new == "firing" and e.old != "firing")]
    if not loud:
        return 0
    severity = "error" if any(e.severity in ("critical", "warning") for e in loud) else "warning"
    if len(loud) <= MAX_TOASTS:
        for ev in loud:
            again = " (again)" if ev.old == ev.new == "firing" else ""
            app.notify(describe_event(session, ev), title=f"ALERT FIRING{again} · {ev.severity}", markup=False,
                       timeout=12, severity="error" if ev.severity in ("critical", "warning") else "warning")
    else:
        lines = [describe_event(session, ev) for ev in loud[:6]]
        more = f"\n+{len(loud) - 6} more" if len(loud) > 6 else ""
        app.notify("\n".join(lines) + more + "\nA: every rule · a: acknowledge", title=f"{len(loud)} ALERTS FIRING",
                   markup=False, timeout=15, severity=severity)
    return len(loud)


def acknowledge(app: Any, rule: str | None = None) -> list[str]:
    """Acknowledge one rule (or every firing one); saves the state; says what it did."""
    session = app.session
    if session.alerts is None:
        app.notify("Alerts are off in this session", severity="warning")
        return []
    try:
        done = session.acknowledge(rule)  # saves the state, so it holds across a restart
    except KeyError as exc:
        app.notify(f.clean(exc), severity="warning", markup=False)
        return []
    if done:
        app.notify(f"Acknowledged {len(done)} alert{'s' if len(done) != 1 else ''}: " + f.clean(", ".join(done), 150),
                   markup=False)
    else:
        app.notify("No firing alert to acknowledge" if rule is None else "That rule is not firing (or already acknowledged)",
                   markup=False)
    app.refresh_bars()
    return done


