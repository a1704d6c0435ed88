"""The help screen: every key, built from the app's bindings so it can never drift from them."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA = (
    ("ctrl+p", "Command palette: PRICES, DEBT, CUST, RISK, pause, refresh, help"),
    ("tab / shift+tab", "Move focus between panels"),
    ("escape", "Restore a zoomed panel / close this help"),
    ("hover a row", "Tooltip: every source behind the figure"),
)
KEY_NAMES = {"question_mark": "?", "left": "←", "right": "→"}


def help_text(bindings: list[Binding]) -> Text:
    t = Text("gpurisk — keys\n\n", style="bold")
    for b in bindings:
        keys = " ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in b.key.split(","))
        t.append(f"  {keys:<16}", style="bold cyan")
        t.append(f"{b.description}\n")
    for keys, what in EXTRA:
        t.append(f"  {keys:<16}", style="bold cyan")
        t.append(f"{what}\n")
    t.append("\nStatus words: OK · WATCH · ALERT · NO DATA.  Changes: ▲ up · ▼ down · · flat.\n", style="dim")
    t.append("Feeds: OK · STALE · ERROR · RATE-LIMITED · DISABLED · NO DATA · PENDING.", style="dim")
    return t


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "Close"), ("question_mark", "dismiss", "Close"), ("q", "dismiss", "Close")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__(id="help")
        self.keys = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(self.keys), id="help-text")
