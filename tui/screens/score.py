"""The composite risk score, broken down: every indicator's points and weight, by group.

The score (engine/scoring.py) is a weighted mean of status penalties (ok 0,
watch 0.5, alert 1) × 100, so 0 is calm and 100 is every scored indicator in
alert. Indicators left out (no data, no threshold, weight 0) are listed with why,
so a dead feed can never make the number look calm unnoticed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from gpurisk.text import format as f, level as lv
from gpurisk.view import session_of

from ..widgets.bars import score_style
from ..widgets.risk import GROUP_TITLES


def score_text(score: Any, session: Any = None, now: Any = None) -> Text:
    """``session``: each line's level and stale mark come from the indicator itself, as on the
    risk panel (one level everywhere)."""
    if score is None or score.score is None:
        return Text("No composite score yet: no indicator has a status to score.", style="dim")
    t = Text("Composite risk ")
    t.append(f" {score.score:.0f}/100 ", style=score_style(score.score))
    t.append(f"   {score.scored} indicators scored, {score.excluded} left out\n")
    t.append("0 = every scored indicator OK · 100 = every one in ALERT · points = weight × penalty "
             "(OK 0, WATCH 0.5, ALERT 1) ÷ total weight × 100\n\n", style="dim")
    t.append("By group\n", style="bold")
    for group, pts in score.by_group:
        t.append_text(f.cells([(f"  {GROUP_TITLES.get(group, f.clean(group).title())}", 18, "<"),
                               (f"{pts:5.1f}", 6, ">"), (Text(f.bar(pts / 100, 30), style="red"), 30, "<")]))
        t.append("\n")
    t.append("\n")
    t.append_text(f.cells([("Indicator", 32, "<"), ("level", 12, "<"), ("weight", 6, ">"), ("points", 7, ">")]))
    t.stylize("bold", len(t.plain) - 60)
    t.append("\n")
    for line in score.lines:
        res = session.snapshot.indicators.get(line.name) if session is not None else None
        if res is not None:
            status = lv.cell(res, session.stale_note(res, now), session.data_now(now))
        else:
            status = Text(f" {f.STATUS_WORD.get(line.status, line.status.upper())} ",
                          style=f.STATUS_STYLE.get(line.status, ""))
        if line.penalty is None:
            t.append_text(f.cells([(f.text(line.title, "dim"), 32, "<"), (status, 12, "<"),
                                   (f"{line.weight:g}", 6, ">"),
                                   (Text(f"left out: {line.excluded}", style="dim italic"), 0, "<")]))
        else:
            t.append_text(f.cells([(f.text(line.title), 32, "<"), (status, 12, "<"), (f"{line.weight:g}", 6, ">"),
                                   (Text(f"{line.points:.1f}", style="bold" if line.points else "dim"), 7, ">")]))
        t.append("\n")
    return t


class ScoreScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "Close"), ("q", "dismiss", "Close")]

    def __init__(self) -> None:
        super().__init__()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="score-box") as box:
            box.border_title = "Composite risk score"
            box.border_subtitle = "escape closes"
            app: Any = self.app
            session = session_of(app)
            yield Static(score_text(session.snapshot.score, session, app.clock()), id="score-text", markup=False)

    def on_mount(self) -> None:
        self.query_one("#score-box").focus()
