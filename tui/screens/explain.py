"""The explain view: one modal with everything behind a number (see tui/explain.py).

A copy of the text at the moment it was opened: the snapshot it describes is
named in the title, so a number that moves underneath does not silently change
what is being read. ``escape`` (or ``enter``/``q``) closes it.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.markup import escape
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..format import clean


class ExplainScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "Close"), ("q", "dismiss", "Close"), ("enter", "dismiss", "Close")]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="explain-box") as box:
            box.border_title = escape(clean(self.title_text, 70))
            box.border_subtitle = "escape closes"
            # a Rich Group renders with Rich's wrapping, which keeps the column spacing and indents
            yield Static(Group(self.body), id="explain-text", markup=False)

    def on_mount(self) -> None:
        self.query_one("#explain-box").focus()

    @property
    def plain(self) -> str:
        return self.body.plain
