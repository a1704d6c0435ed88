"""`/` filters rows and `o` cycles the sort column: the k9s / htop / less habits.

One :class:`FilterSort` per panel or screen holds the filter text and the chosen
sort; it says which rows match (case-insensitive substring of the row's visible
text or of its key), puts rows in the chosen order, and writes the suffix of the
title ("/alt · sort: status ▼"). The owner calls it and is told of changes through
``on_change``.

:class:`RowFilter` is the input line itself: hidden until ``/``; every keystroke
filters at once; ``enter`` keeps the filter and gives the focus back to the rows;
``esc`` clears it. While it has the focus it takes every printable key, so single
letter actions (``a`` acknowledge, ``q`` quit, ``1``–``4``…) cannot fire; the app
also refuses them while any input has the focus (:func:`typing`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import Input, Static

T = TypeVar("T")

#: Key names of printable keys that Textual spells out in bindings.
PRINTABLE_NAMES = {"question_mark", "slash", "exclamation_mark", "full_stop", "comma", "plus", "minus",
                   "underscore", "equals_sign", "number_sign", "at", "ampersand", "asterisk", "space"}


@dataclass(frozen=True)
class SortKey:
    """One sort column: ``value(item)`` (None sorts last), descending unless ``desc`` is False.
    ``value`` None is the catalogue order (the order the rows were declared in)."""

    label: str
    value: Callable[[Any], Any] | None = None
    desc: bool = True

    @property
    def shown(self) -> str:
        return self.label if self.value is None else f"{self.label} {'▼' if self.desc else '▲'}"


def matches(query: str, texts: Iterable[str]) -> bool:
    q = query.strip().casefold()
    return not q or any(q in (t or "").casefold() for t in texts)


class FilterSort:
    """The filter text and the sort column of one panel or screen."""

    def __init__(self, sorts: Sequence[SortKey] = (), on_change: Callable[[], None] | None = None) -> None:
        self.sorts = list(sorts)
        self.index = 0
        self.query = ""
        self.on_change = on_change

    @property
    def sort(self) -> SortKey | None:
        return self.sorts[self.index] if self.sorts else None

    @property
    def active(self) -> bool:
        return bool(self.query.strip()) or self.index != 0

    def set_query(self, query: str) -> None:
        if query != self.query:
            self.query = query
            self.changed()

    def cycle(self) -> SortKey | None:
        """The next sort column (back to the first after the last)."""
        if len(self.sorts) > 1:
            self.index = (self.index + 1) % len(self.sorts)
            self.changed()
        return self.sort

    def changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def match(self, *texts: str) -> bool:
        return matches(self.query, texts)

    def order(self, items: Sequence[T], value_of: Callable[[T], Any] | None = None) -> list[T]:
        """``items`` in the chosen order; the sort's value is taken from ``value_of(item)``
        (default: the item itself). Ties and missing values keep the catalogue order."""
        sk = self.sort
        if sk is None or sk.value is None:
            return list(items)
        get = sk.value
        vals = [(get(value_of(i) if value_of else i), i) for i in items]
        present = [(v, i) for v, i in vals if v is not None]
        missing = [i for v, i in vals if v is None]
        present.sort(key=lambda p: p[0], reverse=sk.desc)  # stable: equal values keep their order
        return [i for _, i in present] + missing

    def suffix(self) -> str:
        """What the title adds: '/text' while filtering, 'sort: …' off the default order (markup-escaped)."""
        parts = []
        if self.query.strip():
            parts.append(f"/{self.query.strip()}")
        if self.sort is not None and self.index != 0:
            parts.append(f"sort: {self.sort.shown}")
        return escape("  " + " · ".join(parts)) if parts else ""


class RowFilter(Horizontal):
    """The filter line: '/ ' and an input; docked at the bottom of its panel or box."""

    DEFAULT_CSS = """
    RowFilter { dock: bottom; height: 1; display: none; background: $boost; }
    RowFilter.-open { display: block; }
    RowFilter > .rf-slash { width: 2; color: $accent; text-style: bold; }
    RowFilter > Input { width: 1fr; }
    """
    # priority: handled when the key arrives, so the focus is back on the rows before the next key
    BINDINGS = [Binding("escape", "clear", "Clear filter", priority=True),
                Binding("enter", "keep", "Keep filter", priority=True)]

    def __init__(self, state: FilterSort, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="row-filter")
        self.state = state
        self.back_to: Widget | None = None

    def compose(self):
        yield Static("/", classes="rf-slash")
        yield Input(value=self.state.query, compact=True, placeholder="filter rows · enter keep · esc clear")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def open(self, back_to: Widget | None) -> None:
        """Show the line with the current filter and take the focus (``back_to`` gets it back)."""
        self.back_to = back_to
        self.add_class("-open")
        inp = self.input
        with inp.prevent(Input.Changed):
            inp.value = self.state.query
        inp.cursor_position = len(inp.value)
        self.screen.set_focus(inp)  # at once, not after a refresh: the keys typed next are text

    def close(self) -> None:
        self.remove_class("-open")
        target = self.back_to
        if target is not None and target.is_attached and target.focusable:
            self.screen.set_focus(target)
        else:
            self.screen.set_focus(None)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()  # the owner's own inputs (what-if shocks) never see the filter's keystrokes
        self.state.set_query(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.state.set_query(event.value)
        self.close()

    def action_keep(self) -> None:
        self.state.set_query(self.input.value)
        self.close()

    def action_clear(self) -> None:
        with self.input.prevent(Input.Changed):
            self.input.value = ""
        self.state.set_query("")
        self.close()


def typing(app: Any) -> bool:
    """True while an input (a filter, a what-if shock, a name, the palette's search) has the focus."""
    focused = getattr(app, "focused", None)
    if isinstance(focused, Input):
        return True
    # A TextArea only when its module is loaded (no widget is one otherwise): asking imports it,
    # 10 ms on the way to the first frame, whose key line asks this of every binding.
    text_area = sys.modules.get("textual.widgets._text_area")
    return text_area is not None and isinstance(focused, text_area.TextArea)


def redirect_key(app: Any, event: Any) -> bool:
    """A printable key that reached the app while an input has the focus was queued for the
    widget focused before (keys typed fast after `/`): type it into the input instead of
    letting it reach a binding. True when it was redirected."""
    focused = getattr(app, "focused", None)
    if not isinstance(focused, Input) or not event.is_printable or not event.character:
        return False
    focused.insert_text_at_cursor(event.character)
    return True


def letter_actions(bindings: Iterable[Any]) -> set[str]:
    """Actions (names without parameters) bound to a printable key: never run while typing."""
    out: set[str] = set()
    for b in bindings:
        key, action = (b.key, b.action) if hasattr(b, "key") else (b[0], b[1])
        for k in (k.strip() for k in key.split(",")):
            if len(k) == 1 or k in PRINTABLE_NAMES:
                out.add(action.split("(")[0].split(".")[-1])
    return out


_LETTERS: dict[type, set[str]] = {}


def refuse(app: Any, action: str) -> bool:
    """True when the app must not run ``action`` now: a letter action while typing, or
    ``o`` of the dashboard under a screen (a screen sorts its own rows)."""
    if action == "sort" and len(app.screen_stack) > 1:
        return True
    if not typing(app):
        return False
    cls = type(app)
    if cls not in _LETTERS:
        _LETTERS[cls] = letter_actions(b for b in cls.BINDINGS if not isinstance(b, tuple) or len(b) >= 2)
    return action in _LETTERS[cls]


def panel_of(widget: Any) -> Any:
    """The panel holding ``widget`` (a Panel says so with ``is_panel``: line.py imports this
    module, so this one does not import line.py back)."""
    while widget is not None and not getattr(widget, "is_panel", False):
        widget = widget.parent
    return widget


def focused_panel(app: Any) -> Any:
    """The panel `/` and `o` act on: the focused one (or the one holding the focus), else the active one."""
    return panel_of(getattr(app, "focused", None)) or app.panels[app.active]


def escape_clears(app: Any) -> bool:
    """``esc`` clears a filter (rather than restoring a zoomed panel) while one is being typed
    or the focused panel has one."""
    focused = getattr(app, "focused", None)
    if isinstance(focused, Input):
        return True
    panel = panel_of(focused)
    return panel is not None and bool(panel.fs.query.strip())


class FilterActions:
    """``/``, ``o`` and ``esc`` for a screen with one RowFilter over its rows: the screen
    sets ``fs`` and says which widget keeps the focus (``filter_target``)."""

    fs: FilterSort

    def filter_target(self) -> Widget | None:
        return None

    def action_filter(self) -> None:
        self.query_one(RowFilter).open(self.filter_target())  # type: ignore[attr-defined]

    def action_sort(self) -> None:
        self.fs.cycle()

    def action_clear_filter(self) -> None:
        from textual.actions import SkipAction

        if not self.fs.query.strip():
            raise SkipAction()  # no filter: esc does what it did (close the screen)
        self.query_one(RowFilter).action_clear()  # type: ignore[attr-defined]
