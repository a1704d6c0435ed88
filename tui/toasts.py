"""Calm notifications: the notice line, the bell, acknowledging (light enough for the
first frame's path: no DataTable import; shared by the dashboard and the alerts screen).

- Alerts already firing when the dashboard starts (the first round of polls) raise
  nothing: the header badge and the alert log show them, and the bell stays silent.
- After that, each alert transition (a new firing, a recurring repeat, a resolution)
  is one line on the notice line (tui/widgets/notice.py), never a toast over the
  panels; several within a few seconds read "newest … +N more (A: alerts)".
- The bell rings once per notifying event (new firing or recurring repeat), never
  for alerts firing at start.
- Every other message of the dashboard (``app.notify``: refresh, history disabled,
  errors, screenshots) goes to the same line.
- Acknowledge-all asks first (tui/screens/confirm.py); ``u`` undoes the last acknowledge.
"""

from __future__ import annotations

from typing import Any

from gpurisk.text import format as f


def _unit(session: Any, indicator: str) -> str:
    res = session.snapshot.indicators.get(indicator)
    return res.unit if res is not None else ""


def _title(session: Any, indicator: str) -> str:
    res = session.snapshot.indicators.get(indicator)
    return res.title if res is not None else indicator


def short_event(session: Any, ev: Any) -> str:
    """"Quick ratio 0.327 < 0.5" — what the notice line has room for at 80 columns."""
    if ev.comparison == "filing":  # a filing rule (engine/filing_rules.py): the filing, not a value
        return f.clean(f"{ev.rule}: {ev.reason}" if ev.reason else ev.rule, 120)
    unit = _unit(session, ev.indicator)
    return f"{f.clean(_title(session, ev.indicator), 40)} {f.fmt_value(unit, ev.value)} {ev.comparison} " \
           f"{f.fmt_value(unit, ev.threshold)}"


def plain(message: object, markup: bool) -> str:
    """A notify() message as one line of plain text (Textual content markup resolved)."""
    text = str(message)
    if markup:
        try:
            from textual.content import Content

            text = Content.from_markup(text).plain
        except Exception:
            pass
    return " · ".join(part.strip() for part in text.splitlines() if part.strip())


class Notices:
    """What the dashboard says, and when it rings (one per app: ``app.notices``)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.started = False  # the first round of polls is over: alert transitions are news from now on
        self.bells = 0  # bells rung
        self.quiet = 0  # bells not rung: alerts firing at start
        self.log: list[tuple[str, str]] = []  # (severity, text) of every notice, newest last (tests, debugging)

    def line(self):
        """The notice line in view: the open screen's own, else the dashboard's."""
        from .widgets.notice import NoticeLine

        for screen in (self.app.screen, self.app.screen_stack[0] if self.app.screen_stack else None):
            if screen is not None:
                found = list(screen.query(NoticeLine))
                if found:
                    return found[0]
        return None

    def say(self, message: str, *, label: str = "", severity: str = "information", transition: bool = False,
            timeout: float | None = None) -> None:
        import threading

        owner = getattr(self.app, "_thread_id", None)
        if owner is not None and owner != threading.get_ident():  # from a worker thread: on the app's
            self.app.call_from_thread(self.say, message, label=label, severity=severity, transition=transition,
                                      timeout=timeout)
            return
        text = f.clean(message, 400)
        self.log.append((severity, f"{label}: {text}" if label else text))
        del self.log[:-200]
        line = self.line()
        if line is not None:
            line.post(text, label=label, severity=severity, transition=transition, timeout=timeout)

    def dismiss(self) -> bool:
        line = self.line()
        return bool(line is not None and line.dismiss())

    def ring(self) -> None:
        """The alert sink's bell: once per notifying event, silent for alerts firing at start."""
        if not self.started:
            self.quiet += 1
            return
        self.bells += 1
        self.app.bell()

    def start(self) -> None:
        self.started = True

    def events(self, events: list[Any]) -> int:
        """One notice for the alert transitions of a poll (newest, "+N more"); returns how many.
        Nothing before :meth:`start`: those alerts were firing at start."""
        if not self.started:
            return 0
        session = self.app.session
        news = [e for e in events if e.notify or (e.new == "firing" and e.old != "firing")
                or (e.new == "resolved" and e.old == "firing")]
        if not news:
            return 0
        order = {"critical": 0, "warning": 1}
        lead = min(news, key=lambda e: (e.new != "firing", order.get(e.severity, 2)))  # the worst firing first
        if lead.new == "firing":
            again = " AGAIN" if lead.old == "firing" else ""
            label = f"FIRING{again} · {lead.severity}"
            severity = "error" if lead.severity in ("critical", "warning") else "warning"
        else:
            label, severity = "RESOLVED", "good"
        self.say(short_event(session, lead), label=label, severity=severity, transition=True)
        line = self.line()
        if line is not None:
            line.add_more(len(news) - 1)
        return len(news)


def toast_events(app: Any, events: list[Any]) -> int:
    """Alert transitions of a poll → the notice line (the name is kept from the toast days)."""
    return app.notices.events(events)


def _say(app: Any, message: str, severity: str = "information") -> None:
    notices = getattr(app, "notices", None)
    if notices is not None:
        notices.say(message, severity=severity)
    else:
        app.notify(message, severity=severity, markup=False)


def unacked_firing(session: Any) -> list[str]:
    if session.alerts is None:
        return []
    return [s.rule for s in session.alerts.states() if (s.state == "firing") and not s.acknowledged]


def ask_acknowledge_all(app: Any, then: Any = None) -> None:
    """``a``: ask before acknowledging every firing alert; ``y`` acknowledges, anything else does not."""
    ask_acknowledge(app, None, then)


def ask_acknowledge(app: Any, rule: str | None = None, then: Any = None) -> None:
    """Ask, with the same question on every screen, before acknowledging ``rule`` (every
    firing alert when None); ``y`` acknowledges, anything else does not."""
    session = app.session
    if session.alerts is None:
        _say(app, "Alerts are off in this session", "warning")
        return
    rules = [r for r in unacked_firing(session) if rule is None or r == rule]
    if not rules:
        _say(app, "No firing alert to acknowledge" if rule is None else f"{f.clean(rule, 40)} is not firing "
             "unacknowledged: nothing to acknowledge")
        if then is not None:
            then()
        return
    from .screens.confirm import ConfirmScreen

    n = len(rules)
    question = f"Acknowledge {n} firing alert{'s' if n != 1 else ''}?"
    detail = ", ".join(f.clean(r, 40) for r in rules[:6]) + (f" and {n - 6} more" if n > 6 else "")
    detail += "\nRepeats are silenced until each resolves; u undoes."

    def answer(yes: bool | None) -> None:
        if yes:
            acknowledge(app, rule)
        else:
            _say(app, "Nothing acknowledged")
        if then is not None:
            then()

    app.push_screen(ConfirmScreen(question, detail), answer)


def acknowledge(app: Any, rule: str | None = None) -> list[str]:
    """Acknowledge one rule (or every firing one); saves the state; says what it did."""
    session = app.session
    if session.alerts is None:
        _say(app, "Alerts are off in this session", "warning")
        return []
    try:
        done = session.acknowledge(rule)  # saves the state, so it holds across a restart
    except KeyError as exc:
        _say(app, f.clean(exc), "warning")
        return []
    if done:
        _say(app, f"Acknowledged {len(done)} alert{'s' if len(done) != 1 else ''} (u undoes): "
             + f.clean(", ".join(done), 150))
    else:
        _say(app, "No firing alert to acknowledge" if rule is None
             else "That rule is not firing (or already acknowledged)")
    app.refresh_bars()
    return done


def undo_acknowledge(app: Any) -> list[str]:
    """``u``: the last acknowledge undone, exactly the rules it acknowledged; saved."""
    session = app.session
    if session.alerts is None:
        _say(app, "Alerts are off in this session", "warning")
        return []
    done = session.undo_acknowledge()
    if done:
        _say(app, f"Unacknowledged {len(done)} alert{'s' if len(done) != 1 else ''}: " + f.clean(", ".join(done), 150))
    else:
        _say(app, "Nothing to undo")
    app.refresh_bars()
    return done


def screenshot_folder(app: Any, path: str | None = None) -> str | None:
    """Where a screenshot goes: ``path``, else ``--screenshot-dir``, else
    ``<user data dir>/screenshots``; made if missing. None (and a notice) when it cannot be."""
    from pathlib import Path

    if path:
        folder = Path(path).expanduser()
    elif getattr(app, "screenshot_dir", None):
        folder = Path(app.screenshot_dir).expanduser()
    else:
        import platformdirs

        folder = platformdirs.user_data_path("gpurisk") / "screenshots"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _say(app, f"Screenshot not saved: cannot use {folder}: {exc.strerror or exc} (see --screenshot-dir)", "error")
        return None
    return str(folder)
