"""A panel's rows drawn with Textual's line API: one widget per panel, not one per row.

A :class:`Row` is a model (its text, its classes, its tooltip), not a widget: a panel
declares its rows once and :class:`PanelBody` (a ``ScrollView``, like ``DataTable`` and
``Log``) draws them with ``render_line``. ``Row.show`` compares the new Text with what is
on screen; when it differs only that row's lines are repainted (the layout is redone
only when its height changes), so a price tick sends a row, not a panel.

Rows classed ``row`` or ``head`` are one line each, cut with an ellipsis; others
(``block``) wrap at the panel's width. ``-empty`` and ``-filtered`` hide a row; ``gap``
puts a blank line above it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from gpurisk.text.format import same

if TYPE_CHECKING:
    from rich.console import Console

HIDDEN = frozenset({"-empty", "-filtered"})


class Row:
    """One row of a panel (or a small block when its text has several lines)."""

    def __init__(self, *, id: str | None = None, classes: str = "", gap: int = 0) -> None:
        self.id = id
        self.classes = set(classes.split())
        self.gap = gap
        self.shown: Text | None = None
        self.updates = 0
        self.tooltip: Text | str | Callable[[], Text] | None = None  # a callable: made when hovered
        self.body: PanelBody | None = None
        self._cache: tuple[int, list[Strip]] | None = None  # (width, lines) at the last width drawn

    def __repr__(self) -> str:
        return f"Row(id={self.id!r}, classes={' '.join(sorted(self.classes))!r}, plain={self.plain[:30]!r})"

    def show(self, t: Text) -> bool:
        """Put ``t`` on screen if it differs from what is there; True when it repainted."""
        if same(self.shown, t):
            return False
        self.shown = t
        self.updates += 1
        self._cache = None
        if self.body is not None:
            self.body.row_changed(self)
        return True

    @property
    def plain(self) -> str:
        return self.shown.plain if self.shown is not None else ""

    @property
    def display(self) -> bool:
        return not (self.classes & HIDDEN)

    @property
    def one_line(self) -> bool:
        return bool(self.classes & {"row", "head"})

    def lead(self, width: int, console: Console) -> int:
        """How many blank lines the row's text starts with (a block opening with a gap)."""
        return next((i for i, s in enumerate(self.lines(width, console)) if s.text.strip()), 0)

    def has_class(self, name: str) -> bool:
        return name in self.classes

    def set_class(self, on: bool, name: str) -> None:
        if on == (name in self.classes):
            return
        if on:
            self.classes.add(name)
        else:
            self.classes.discard(name)
        if self.body is not None:
            self.body.class_changed(self, name)

    def add_class(self, name: str) -> None:
        self.set_class(True, name)

    def remove_class(self, name: str) -> None:
        self.set_class(False, name)

    def lines(self, width: int, console: Console) -> list[Strip]:
        """The row's text as strips ``width`` cells wide (cached until the text or width changes)."""
        if self._cache is not None and self._cache[0] == width:
            return self._cache[1]
        text = self.shown if self.shown is not None else Text("")
        if self.one_line and _fits(text, width):
            rendered = [one_line(text, console)]
        else:
            options = console.options.update(width=max(1, width), height=None, no_wrap=self.one_line,
                                             overflow="ellipsis" if self.one_line else "fold", highlight=False)
            rendered = console.render_lines(text, options, pad=False, new_lines=False) or [[]]
        strips = [Strip(Segment.adjust_line_length(segs, width, pad=True), width) for segs in rendered]
        self._cache = (width, strips)
        return strips


def _fits(text: Text, width: int) -> bool:
    """A text Rich would lay out as it is on one line ``width`` cells wide: no line break or
    tab, no justification or overflow of its own, nothing to cut (a row that must be cut
    takes Rich's way: how it drops trailing blanks first differs between its versions)."""
    plain = text.plain
    return ("\n" not in plain and "\t" not in plain and text.justify in (None, "default")
            and text.overflow is None and text.cell_len <= width)


def one_line(text: Text, console: Console) -> list[Segment]:
    """The segments of a text that :func:`_fits`, as ``Console.render_lines`` gives them,
    without its wrapping machinery (2.5× quicker: a panel's rows are drawn at every start
    and resize, and a row whenever its value changes)."""
    segments = [s for s in text.render(console, end="") if s.text]
    if text.style and not text.spans:  # Text.render leaves a text's own style to its caller then
        style = console.get_style(text.style)
        segments = [Segment(s.text, style) for s in segments]
    return segments


class PanelBody(ScrollView, can_focus=False):
    """Draws a panel's rows; scrolls them; maps a click or a hover to its row."""

    ALLOW_MAXIMIZE = False
    COMPONENT_CLASSES = {"panel--head", "panel--cursor", "panel--cursor-focus"}
    DEFAULT_CSS = """
    PanelBody { height: 1fr; overflow-x: hidden; scrollbar-size-vertical: 1; scrollbar-size-horizontal: 0;
                scrollbar-gutter: stable;
                padding: 0 1; background: transparent; }
    PanelBody > .panel--head { color: $text-muted; }
    PanelBody > .panel--cursor { background: $boost; text-style: bold; }
    PanelBody > .panel--cursor-focus { background: $accent 35%; text-style: bold; }
    """

    def __init__(self, rows: list[Row], *, owner: Any) -> None:
        super().__init__()
        self.rows = rows
        self.owner = owner  # the Panel: cursor, clicks, the "more" marker
        for row in rows:
            row.body = self
        self._starts: list[int] = []  # first line of each laid-out row
        self._placed: list[tuple[Row, int, int]] = []  # (row, first line, height) in display order
        self._where: dict[int, tuple[int, int]] = {}  # id(row) -> (first line, height)
        self._width = 0
        self._dirty = True  # the layout waits for the next turn: twenty rows shown at once lay out once
        self._touched: set[int] = set()  # rows changed while a layout was pending
        self._sized, self._text_width = Size(0, 0), 0
        self._hover: Row | None = None

    # --- rows -----------------------------------------------------------------------
    def row(self, id: str) -> Row:
        found = next((r for r in self.rows if r.id == id), None)
        if found is None:
            raise KeyError(f"no row #{id}")
        return found

    def insert(self, row: Row, *, before: str | None = None, after: Row | None = None) -> None:
        row.body = self
        if after is not None:
            self.rows.insert(self.rows.index(after) + 1, row)
        elif before is not None:
            self.rows.insert(self.rows.index(self.row(before)), row)
        else:
            self.rows.append(row)
        self.reflow()

    def move(self, row: Row, *, after: Row) -> None:
        self.rows.remove(row)
        self.rows.insert(self.rows.index(after) + 1, row)
        self.reflow()

    def where(self, row: Row) -> tuple[int, int] | None:
        """(first line, height) of ``row`` in the panel's scrolled content, or None if hidden."""
        self.settle()
        return self._where.get(id(row))

    def row_at(self, y: int) -> Row | None:
        """The row on content line ``y`` (scroll included), or None (a gap, past the end)."""
        found = self._locate(y)
        return found[0] if found is not None else None

    def _locate(self, y: int) -> tuple[Row, int] | None:
        """(row, its first line) of content line ``y``."""
        self.settle()
        i = bisect_right(self._starts, y) - 1
        if i < 0:
            return None
        row, start, height = self._placed[i]
        return (row, start) if y < start + height else None

    # --- layout ---------------------------------------------------------------------
    @property
    def text_width(self) -> int:
        """The rows' width in cells (asked for every row drawn: kept until the size changes)."""
        size = self.size
        if size != self._sized:
            self._sized, self._text_width = size, self.scrollable_content_region.width
        return self._text_width

    def reflow(self) -> None:
        """Lay the rows out again (a row appeared, went, moved or changed height): once, at
        the end of this turn, however many rows changed in it."""
        if not self._dirty:
            self._dirty = True
            if self.is_attached:
                self.call_next(self.settle)

    def settle(self) -> None:
        """Do a pending layout now."""
        if self._dirty and self.is_attached:
            self.layout_rows()

    def layout_rows(self) -> None:
        """Place the shown rows; repaint what moved or changed, from the first row that did
        down (a row growing at the end of the panel repaints that end, not the panel)."""
        self._dirty = False
        width = self.text_width
        old, old_width, old_height = self._placed, self._width, self.virtual_size.height
        self._width = width
        placed: list[tuple[Row, int, int]] = []
        y = 0
        if width > 0:
            console = self.app.console
            for row in self.rows:
                if not row.display:
                    continue
                y += row.gap
                height = len(row.lines(width, console))
                placed.append((row, y, height))
                y += height
        self._placed = placed
        self._starts = [start for _, start, _ in placed]
        self._where = {id(row): (start, height) for row, start, height in placed}
        grew = y != old_height
        touched, self._touched = self._touched, set()
        size = Size(width, y)
        if size != self.virtual_size:
            # Not through the reactive (a full layout of the screen and a repaint of the panel):
            # the scrollbar follows; the panel repaints what moved, below.
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
            if self.scroll_y > self.max_scroll_y:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        if grew and self.styles.is_auto_height:
            self.refresh(layout=True)  # a panel as tall as its rows follows them
            return
        if width != old_width or not old:
            self.refresh()
            return
        same = min(len(old), len(placed))
        first = next((i for i in range(same) if old[i] != placed[i]), same)
        top = placed[first][1] if first < len(placed) else old[first][1] if first < len(old) else y
        if max(y, old_height) > top:
            self.refresh_lines(top, max(y, old_height) - top)
        for row, start, height in placed[:first]:
            if id(row) in touched:  # changed in the same turn as the layout, above what moved
                self.refresh_lines(start, height)

    def row_changed(self, row: Row) -> None:
        """Repaint ``row`` alone when its height is unchanged, else lay out again."""
        if not self.is_attached:
            return
        if self._dirty:
            self._touched.add(id(row))
            return
        at = self._where.get(id(row))
        if self.text_width != self._width:
            self.reflow()
            return
        if at is None:
            if row.display:
                self.reflow()
            return
        start, height = at
        if len(row.lines(self._width, self.app.console)) != height:
            self.reflow()
            return
        self.refresh_lines(start, height)

    def class_changed(self, row: Row, name: str) -> None:
        if not self.is_attached:
            return
        if self._dirty:
            self._touched.add(id(row))
            return
        if name in HIDDEN:
            self.reflow()
        elif (at := self._where.get(id(row))) is not None:
            self.refresh_lines(*at)

    def on_resize(self, event: events.Resize) -> None:
        self.owner.body_resized()
        self.layout_rows()

    def on_mount(self) -> None:
        super().on_mount()
        self.layout_rows()

    # --- drawing --------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.text_width
        base = self.rich_style
        at = y + self.scroll_offset.y
        found = self._locate(at)
        if found is None or width != self._width:
            return Strip.blank(width, base)
        row, start = found
        strip = row.lines(width, self.app.console)[at - start]
        style = base
        if "head" in row.classes:
            style += self.get_component_rich_style("panel--head", partial=False)
        if "-cursor" in row.classes:
            focused = self.owner.has_focus
            style += self.get_component_rich_style("panel--cursor-focus" if focused else "panel--cursor",
                                                   partial=False)
        return strip.apply_style(style) if style else strip

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.owner.update_more()

    # --- mouse ----------------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        row = self.row_at(event.y + self.scroll_offset.y)
        if row is not None:
            self.owner.clicked(row, event.chain)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        row = self.row_at(event.y + self.scroll_offset.y)
        if row is not self._hover:
            self._hover = row
            tip = row.tooltip if row is not None else None
            self.tooltip = tip() if callable(tip) else tip

    def scroll_row_visible(self, row: Row) -> None:
        at = self.where(row)
        if at is not None:
            self.scroll_to_region(Region(0, at[0], max(1, self._width), max(1, at[1])), animate=False,
                                  immediate=True)
