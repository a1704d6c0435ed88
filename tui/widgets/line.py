"""The building blocks of every panel: rows that repaint only when their text changes.

Over SSH every repaint costs bytes, so a panel draws its rows with the line API
(rows.py: one ``PanelBody`` widget per panel, each row a model). ``Row.show`` compares
the new Text (characters and styles) with what is on screen and repaints that row's
lines only when they differ; ``updates`` counts real repaints so tests can check that
a change touches only its own rows. ``Line`` is the same idea as a ``Static``, for the
one-line bars and the screens over the dashboard.

A panel also has a row cursor (↑/↓, or a click) over the rows it declares
``selectable``; ``enter`` (or a second click on the chosen row) opens the explain
view of that row. Moving the cursor only toggles a CSS class on two lines.

``/`` filters the rows by text and ``o`` cycles the sort column (see filter.py): a
panel names its rows (``filter_rows``), the heads that go when all their rows are
filtered out (``filter_heads``) and its sort columns (``sort_keys``, applied to the
groups of ``sort_groups``); hidden rows get the ``-filtered`` class and the title
shows the filter and the sort. Both are applied again after every update.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Static

from gpurisk.text.format import same
from gpurisk.view import HasSession, SessionView

from ..change_base import ChangeBase
from .filter import FilterSort, RowFilter, SortKey
from .rows import PanelBody, Row

if TYPE_CHECKING:
    from engine.engine import Snapshot


class Line(Static):
    """One row of a panel (or a small block when given several lines)."""

    DEFAULT_CSS = "Line { width: 1fr; height: auto; } Line.-filtered { display: none; }"

    def __init__(self, *, id: str | None = None, classes: str = "") -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.shown: Text | None = None
        self.updates = 0

    def show(self, t: Text) -> bool:
        """Put ``t`` on screen if it differs from what is there; True when it repainted."""
        if same(self.shown, t):
            return False
        lines = self.shown.plain.count("\n") if self.shown is not None else -1
        self.shown = t
        self.updates += 1
        # A line of fixed height (the header, the notice line) repaints in place; one that
        # sizes itself to its text lays the screen out again only when it may have grown.
        height = self.styles.height
        fixed = height is not None and height.is_cells
        self.update(t, layout=not fixed and (lines != t.plain.count("\n") or self.styles.text_wrap != "nowrap"))
        return True

    @property
    def plain(self) -> str:
        return self.shown.plain if self.shown is not None else ""


class Panel(Widget, can_focus=True):
    """A titled, focusable, maximisable panel that applies snapshots to its rows.

    A subclass declares its rows in ``declare`` (once, in display order) and fills them in
    ``render_rows``; one :class:`PanelBody` draws and scrolls them."""

    is_panel = True  # filter.panel_of finds panels by this, without importing this module
    ALLOW_MAXIMIZE = True
    DEFAULT_CSS = "Panel { layout: vertical; }"
    BINDINGS = [
        Binding("up", "cursor(-1)", "Row up", show=False),
        Binding("down", "cursor(1)", "Row down", show=False),
        Binding("enter", "explain", "Explain"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("home", "scroll('home')", "Scroll home", show=False),
        Binding("end", "scroll('end')", "Scroll end", show=False),
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
        Binding("pagedown", "scroll('page_down')", "Page down", show=False),
    ]

    def __init__(self, title: str, number: int, *, id: str) -> None:
        super().__init__(id=id, classes="panel")
        self.title_base = f"{number} {title}"
        self.number = number
        self.border_title = self.title_base
        self.fs = FilterSort([SortKey("catalogue")] + self.sort_keys(), on_change=self.refilter)
        self.snap: Snapshot | None = None
        self.now: datetime | None = None
        self.cursor: str | None = None
        self._body: PanelBody | None = None

    @property
    def body(self) -> PanelBody:
        """The one widget drawing the rows (made at first use, after the subclass declared them)."""
        if self._body is None:
            self._body = PanelBody(list(self.declare()), owner=self)
        return self._body

    def declare(self) -> list[Row]:
        """The panel's rows at start, in display order."""
        return []

    def compose(self) -> ComposeResult:
        yield self.body

    def session(self) -> SessionView | None:
        """The session of the app showing the panel (None before it is mounted)."""
        app = self.app if self.is_attached else None
        return app.session if isinstance(app, HasSession) else None

    def change_base(self) -> ChangeBase | None:
        """The base of every change column (tui/change_base.py), the app's."""
        app = self.app if self.is_attached else None
        base = getattr(app, "change_base", None)  # the dashboard's; a bare test app has none
        return base if isinstance(base, ChangeBase) else None

    def row(self, id: str) -> Row:
        """The row declared with ``id``."""
        return self.body.row(id)

    @property
    def lines(self) -> list[Row]:
        """Every row, in display order."""
        return self.body.rows

    def action_scroll(self, where: str) -> None:
        body = self.body
        if where == "home":
            body.scroll_home(animate=False)
        elif where == "end":
            body.scroll_end(animate=False)
        elif where == "page_up":
            body.scroll_page_up(animate=False)
        else:
            body.scroll_page_down(animate=False)

    def on_focus(self) -> None:
        self.body.refresh()  # the cursor row is brighter in the focused panel

    def on_blur(self) -> None:
        self.body.refresh()

    # --- row cursor and explain ---------------------------------------------------
    def selectable(self) -> list[tuple[str, Row]]:
        """(key, row) of the rows that can be explained, in display order."""
        return []

    def explain_for(self, key: str) -> tuple[str, Text] | None:
        """(title, text) of the explain view for ``key``, or None."""
        return None

    def visible_rows(self) -> list[tuple[str, Row]]:
        rows = [(k, ln) for k, ln in self.selectable() if ln.shown is not None and ln.shown.plain.strip()
                and ln.display]
        order = {id(ln): i for i, ln in enumerate(self.lines)}  # display order (after a sort)
        return sorted(rows, key=lambda kl: order.get(id(kl[1]), 0))

    # --- filter (/) and sort (o) ----------------------------------------------------
    def sort_keys(self) -> list[SortKey]:
        """Sort columns after the catalogue order; their value is taken from a row key."""
        return []

    def sort_groups(self) -> list[tuple[Row, list[tuple[str, Row]]]]:
        """(anchor, rows): rows that sort together, placed right after their anchor row."""
        return []

    def filter_rows(self) -> list[tuple[str, Row]]:
        """(key, row) of the rows the filter hides or shows (matched on key and text)."""
        return self.selectable()

    def filter_heads(self) -> list[tuple[Row, list[Row]]]:
        """(head, rows): a head hidden while the filter hides every one of its rows."""
        return []

    async def action_filter(self) -> None:
        rf = next(iter(self.query(RowFilter)), None)
        if rf is None:  # mounted on first use: panels that are never filtered carry no input
            rf = RowFilter(self.fs)
            await self.mount(rf)
        rf.open(self)

    def action_sort(self) -> None:
        if len(self.fs.sorts) < 2:
            self.app.notify(f"{self.title_base}: nothing to sort", timeout=2)
            return
        self.fs.cycle()

    def action_clear_filter(self) -> None:
        if not self.fs.query.strip():
            raise SkipAction()  # no filter: esc does what it did (restore a zoomed panel…)
        for rf in self.query(RowFilter):
            rf.action_clear()
        self.fs.set_query("")

    def refilter(self) -> None:
        """Apply the filter (hide rows, and heads left empty) and the sort; show both in the title."""
        if not self.is_attached:
            return
        fs = self.fs
        for key, line in self.filter_rows():
            line.set_class(not fs.match(key, line.plain), "-filtered")
        for head, rows in self.filter_heads():
            head.set_class(bool(fs.query.strip()) and all(r.has_class("-filtered") for r in rows), "-filtered")
        for anchor, group in self.sort_groups():
            want = [ln for _, ln in fs.order(group, value_of=lambda kl: kl[0])]
            kids = self.lines
            at = kids.index(anchor) if anchor in kids else -1
            if at < 0 or kids[at + 1:at + 1 + len(want)] == want:
                continue
            prev = anchor
            for line in want:
                self.body.move(line, after=prev)
                prev = line
        title = self.title_base + fs.suffix()
        if self.border_title != title:
            self.border_title = title

    def set_cursor(self, key: str | None) -> None:
        self.cursor = key
        for k, line in self.selectable():
            line.set_class(k == key, "-cursor")
            if k == key:
                self.body.scroll_row_visible(line)

    def action_cursor(self, delta: int) -> None:
        keys = [k for k, _ in self.visible_rows()]
        if not keys:
            self.body.scroll_relative(y=delta, animate=False)
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
            assert key is not None  # explain_for answered for it

            def rebuild() -> Text | None:
                again = self.explain_for(key)
                return again[1] if again is not None else None

            self.app.open_screen(ExplainScreen(*got, rebuild=rebuild))  # type: ignore[attr-defined]

    def clicked(self, line: Row, chain: int) -> None:
        key = next((k for k, ln in self.selectable() if ln is line), None)
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
        w = self.body.text_width
        return w if w >= 20 else 76

    def apply(self, snap: Snapshot, changed: set[str] | None, now: datetime) -> None:
        """Show ``snap``; ``changed`` is the set of ids to redo, or None for everything."""
        self.snap, self.now = snap, now
        if self.body.text_width < 20 and self.app.is_running and not self.app.is_headless:
            return  # not laid out yet: the first Resize lays the rows out once, for the real width
        self.render_rows(changed)
        if self.fs.active:
            self.refilter()
        if changed is None or changed:
            self.call_after_refresh(self.update_more)

    def tick(self, now: datetime) -> None:
        """Once a second: only time-dependent text (ages) may change; the "more" marker
        follows a layout that settled after the last update."""
        self.now = now
        self.update_more()

    def shown(self) -> Snapshot:
        """The snapshot on screen: rows are drawn only once ``apply`` has set one."""
        assert self.snap is not None, "rows drawn before the first snapshot"
        return self.snap

    def render_rows(self, changed: set[str] | None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def body_resized(self) -> None:
        """The rows' width changed: texts laid out for the width are made again."""
        if self.snap is not None:
            self.render_rows(None)
            if self.fs.active:
                self.refilter()
        self.call_after_refresh(self.update_more)

    # --- nothing out of view without a marker ----------------------------------
    def more_text(self) -> str:
        """"▼ 18 more · 4 zoom" in the bottom border when lines are out of view (above too)."""
        body = self.body
        height = body.scrollable_content_region.height
        if height <= 0:
            return ""
        top = body.scroll_offset.y
        bottom = top + height
        above = below = 0
        for line in self.lines:
            at = body.where(line)
            if at is None or not line.plain.strip():
                continue
            y, h = at
            if y + line.lead(body.text_width, self.app.console) >= bottom:  # its first line with text
                below += 1
            elif y + max(1, h) <= top:
                above += 1
        parts = ([f"▲ {above} above"] if above else []) + ([f"▼ {below} more"] if below else [])
        if not parts:
            return ""
        zoomed = self.screen.maximized is self if self.is_attached else False
        parts.append("↓ scroll" if zoomed else f"{self.number} zoom · ↓ scroll")
        return " · ".join(parts)

    def update_more(self) -> None:
        if not self.is_attached:
            return
        text = self.more_text()
        if text != (self.border_subtitle or ""):
            self.border_subtitle = text


def panel_row(root: Widget | Any, id: str) -> Row:
    """The row ``id`` of whichever panel under ``root`` (an app or a screen) declares it."""
    for panel in root.query(Panel):
        found = next((r for r in panel.lines if r.id == id), None)
        if found is not None:
            return found
    raise KeyError(f"no panel row #{id}")
