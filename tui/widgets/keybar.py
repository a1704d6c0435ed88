"""The key line at the bottom: the keys of what has the focus, drawn as one line.

Textual's ``Footer`` makes a widget per key and composes them again whenever the focus
moves (a dozen widgets styled and laid out, several times during start-up); this draws
the same line, the same look, as one widget that repaints its text when the bindings
change. A click on a key presses it; hovering shows its tooltip.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--edge"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom; height: 1; color: $footer-foreground; background: $footer-background;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    KeyBar > .keybar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
    KeyBar > .keybar--description { color: $footer-description-foreground; background: $footer-description-background; }
    KeyBar > .keybar--edge { color: $foreground 20%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spots: list[tuple[int, int, str, str]] = []  # (first cell, end, key, tooltip)
        self._hover: str | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh()

    def keys(self) -> list[tuple[str, str, str, str, bool]]:
        """(key, shown as, description, tooltip, enabled) of the keys shown, one per action."""
        out: list[tuple[str, str, str, str, bool]] = []
        seen: set[str] = set()
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            out.append((binding.key, self.app.get_key_display(binding), binding.description,
                        tooltip or binding.tooltip or binding.description, enabled))
        return out

    def palette(self) -> tuple[str, str, str] | None:
        app = self.app
        if not app.ENABLE_COMMAND_PALETTE:
            return None
        got = self.screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
        if got is None:
            return None
        _node, binding, _enabled, _tooltip = got
        return binding.key, app.get_key_display(binding), binding.description

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        desc_style = self.get_component_rich_style("keybar--description")
        dim = Style(dim=True)
        t = Text(no_wrap=True, overflow="ellipsis")
        spots: list[tuple[int, int, str, str]] = []
        pal = self.palette()
        for key, shown, description, tooltip, enabled in self.keys():
            if pal is not None and key == pal[0]:
                continue
            start = t.cell_len
            t.append(shown, key_style + (dim if not enabled else Style()))
            t.append(" " + description, desc_style + (dim if not enabled else Style()))
            spots.append((start, t.cell_len, key, tooltip))
            t.append(" ")
        if pal is not None:
            key, shown, description = pal
            right = Text.assemble(("▏", self.get_component_rich_style("keybar--edge")), (shown, key_style),
                                  (" " + description, desc_style), " ")
            width = self.size.width
            gap = width - t.cell_len - right.cell_len
            if gap >= 0:
                t.append(" " * gap)
                spots.append((t.cell_len + 1, t.cell_len + right.cell_len, key, description))
                t.append_text(right)
        self._spots = spots
        return t

    def _spot(self, x: int) -> tuple[int, int, str, str] | None:
        return next((s for s in self._spots if s[0] <= x < s[1]), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        spot = self._spot(event.x)
        if spot is not None:
            self.app.simulate_key(spot[2])

    def on_mouse_move(self, event: events.MouseMove) -> None:
        spot = self._spot(event.x)
        key = spot[2] if spot is not None else None
        if key != self._hover:
            self._hover = key
            self.tooltip = spot[3] if spot is not None else None
