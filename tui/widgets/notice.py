"""The notice line: one fixed line, part of the layout, where the dashboard says things.

Why not Textual's toasts: they float over the panels (half the risk panel at 120×40)
and stay for seconds. This line sits between the panels and the feed line, so the
panels are one line shorter and nothing ever covers their figures. It holds one
message at a time — the newest — and clears itself after :data:`NOTICE_S` seconds
(or on ``esc``). Alert transitions that arrive while one is shown add up: the newest
is shown with "+N more (A: alerts)", which is kept in view however narrow the line.
"""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer

from .line import Line

NOTICE_S = 5.0  # seconds a notice stays
SEVERITY_STYLE = {"error": "bold reverse red", "warning": "bold reverse yellow", "information": "bold reverse cyan",
                  "good": "bold reverse green"}


class NoticeLine(Line):
    """One line; :meth:`post` a notice, :meth:`dismiss` it; empty when there is nothing to say."""

    DEFAULT_CSS = """
    NoticeLine { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None, classes: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self.parts: tuple[str, str, str] | None = None  # (label, message, severity) on screen
        self.more = 0  # earlier alert transitions of this burst (shown as "+N more")
        self.posted = 0  # notices posted (tests)
        self._timer: Timer | None = None

    @property
    def active(self) -> bool:
        return self.parts is not None

    def post(self, message: str, *, label: str = "", severity: str = "information", transition: bool = False,
             timeout: float | None = None) -> None:
        """Show ``message`` (one line of plain text) now, in place of what was there; an alert
        ``transition`` counts the transitions already on the line as "+N more"."""
        self.more = (self.more + 1) if transition and self.active and self._transition else 0
        self._transition = transition
        self.parts = (label, " ".join(message.split()), severity)
        self.posted += 1
        self._paint()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(timeout or NOTICE_S, self.dismiss)

    _transition = False

    def add_more(self, n: int) -> None:
        """``n`` more transitions arrived together with the one on the line."""
        if n > 0 and self.active:
            self.more += n
            self._paint()

    def dismiss(self) -> bool:
        """Clear the line; True when there was something to clear."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        was = self.active
        self.parts, self.more, self._transition = None, 0, False
        self.show(Text(""))
        return was

    def on_resize(self) -> None:
        if self.active:
            self._paint()

    def _paint(self) -> None:
        if self.parts is None:
            return
        label, message, severity = self.parts
        width = self.size.width or (self.app.size.width if self.is_attached else 80)
        head = Text()
        if label:
            head.append(f" {label} ", style=SEVERITY_STYLE.get(severity, "bold reverse"))
            head.append(" ")
        tail = Text()
        if self.more:
            tail.append(f"  +{self.more} more", style="bold")
            tail.append(" (A: alerts)", style="dim")
        if width >= 100:
            tail.append("  esc clears", style="dim")
        room = max(8, width - head.cell_len - tail.cell_len)
        body = message if len(message) <= room else message[: room - 1] + "…"
        t = head + Text(body) + tail
        self.show(t)
