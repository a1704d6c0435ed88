"""The building blocks of every panel: a line that repaints only when its text changes.

Over SSH every repaint costs bytes, so a panel is a column of small ``Static``s,
one per row. ``Line.show`` compares the new Text (characters and styles) with what
is on screen and calls ``update`` only when they differ; ``updates`` counts real
repaints so tests can check that a change touches only its own rows.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..format import same


class Line(Static):
    """One row of a panel (or a small block when given several lines)."""

    DEFAULT_CSS = "Line { width: 1fr; height: auto; }"

    def __init__(self, *, id: str | None = None, classes: str = "") -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.shown: Text | None = None
        self.updates = 0

    def show(self, t: Text) -> bool:
        """Put ``t`` on screen if it differs from what is there; True when it repainted."""
        if same(self.shown, t):
            return False
        self.shown = t
        self.updates += 1
        self.update(t)
        return True

    @property
    def plain(self) -> str:
        return self.shown.plain if self.shown is not None else ""


class Panel(VerticalScroll):
    """A titled, focusable, maximisable panel that applies snapshots to its lines."""

    ALLOW_MAXIMIZE = True

    def __init__(self, title: str, number: int, *, id: str) -> None:
        super().__init__(id=id, classes="panel")
        self.border_title = f"{number} {title}"
        self.snap = None
        self.now: datetime | None = None

    @property
    def cols(self) -> int:
        """Usable width in cells (a sensible guess before the first layout)."""
        w = self.scrollable_content_region.width
        return w if w >= 20 else 76

    def apply(self, snap, changed: set[str] | None, now: datetime) -> None:  # type: ignore[no-untyped-def]
        """Show ``snap``; ``changed`` is the set of ids to redo, or None for everything."""
        self.snap, self.now = snap, now
        self.render_rows(changed)

    def tick(self, now: datetime) -> None:
        """Once a second: only time-dependent text (ages) may change."""
        self.now = now

    def render_rows(self, changed: set[str] | None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_resize(self) -> None:
        if self.snap is not None:
            self.render_rows(None)

    @property
    def lines(self) -> list[Line]:
        return list(self.query(Line))
