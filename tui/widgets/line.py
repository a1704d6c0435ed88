"""The building blocks of every panel: a line that repaints only when its text changes.

Over SSH every repaint costs bytes, so a panel is a column of small ``Static``s,
one per row. ``Line.show`` compares the new Text (characters and styles) with what
is on screen and calls ``update`` only when they differ; ``updates`` counts real
repaints so tests can check that a change touches only its own rows.

A panel also has a row cursor (↑/↓, or a click) over the rows it declares
``selectable``; ``enter`` (or a second click on the chosen row) opens the explain
view of that row. Moving the cursor only toggles a CSS class on two lines.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import events
from textual.binding import Binding
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

    def on_click(self, event: events.Click) -> None:
        panel = next((a for a in self.ancestors if isinstance(a, Panel)), None)
        if panel is not None:
            panel.clicked(self, event.chain)


class Panel(VerticalScroll):
    """A titled, focusable, maximisable panel that applies snapshots to its lines."""

    ALLOW_MAXIMIZE = True
    BINDINGS = [
        Binding("up", "cursor(-1)", "Row up", show=False),
        Binding("down", "cursor(1)", "Row down", show=False),
        Binding("enter", "explain", "Explain"),
    ]

    def __init__(self, title: str, number: int, *, id: str) -> None:
        super().__init__(id=id, classes="panel")
        self.border_title = f"{number} {title}"
        self.snap = None
        self.now: datetime | None = None
        self.cursor: str | None = None

    # --- row cursor and explain ---------------------------------------------------
    def selectable(self) -> list[tuple[str, Line]]:
        """(key, line) of the rows that can be explained, in display order."""
        return []

    def explain_for(self, key: str) -> tuple[str, Text] | None:
        """(title, text) of the explain view for ``key``, or None."""
        return None

    def visible_rows(self) -> list[tuple[str, Line]]:
        return [(k, l) for k, l in self.selectable() if l.shown is not None and l.shown.plain.strip()
                and not l.has_class("-empty")]

    def set_cursor(self, key: str | None) -> None:
        self.cursor = key
        for k, line in self.selectable():
            line.set_class(k == key, "-cursor")
            if k == key:
                line.scroll_visible(animate=False)

    def action_cursor(self, delta: int) -> None:
        keys = [k for k, _ in self.visible_rows()]
        if not keys:
            self.scroll_relative(y=delta, animate=False)
            return
        if self.cursor in keys:
            i = max(0, min(len(keys) - 1, keys.index(self.cursor) + delta))
        else:
            i = 0 if delta > 0 else len(keys) - 1
        self.set_cursor(keys[i])

    def action_explain(self) -> None:
        keys = [k for k, _ in self.visible_rows()]
        if self.cursor not in keys:
            if not keys:
                self.app.notify("Nothing to explain here yet", severity="warning")
                return
            self.set_cursor(keys[0])
        got = self.explain_for(self.cursor) if self.cursor else None
        if got is not None:
            from ..screens.explain import ExplainScreen

            key = self.cursor

            def rebuild() -> Text | None:
                again = self.explain_for(key)
                return again[1] if again is not None else None

            self.app.open_screen(ExplainScreen(*got, rebuild=rebuild))  # type: ignore[attr-defined]

    def clicked(self, line: Line, chain: int) -> None:
        key = next((k for k, l in self.selectable() if l is line), None)
        if key is None:
            return
        again = key == self.cursor
        self.focus()
        self.set_cursor(key)
        if again or chain >= 2:
            self.action_explain()

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
