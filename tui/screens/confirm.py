"""A small yes/no question (acknowledge every firing alert?): ``y`` yes; ``n``, ``esc`` or
``q`` no. Every other key is swallowed, so letters typed by habit never act behind it."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    #confirm-box { width: 64; max-width: 100%; height: auto; border: round $warning; background: $surface;
                   padding: 0 1; }
    #confirm-question { text-style: bold; }
    #confirm-detail { color: $text-muted; }
    #confirm-keys { margin-top: 1; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel", show=False),
        Binding("q", "answer(False)", "Cancel", show=False),
    ]

    exclusive = True  # the app's priority letter keys (x, y, j, k) stay quiet behind the question

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = "Confirm"
            yield Static(self.question, id="confirm-question", markup=False)
            if self.detail:
                yield Static(self.detail, id="confirm-detail", markup=False)
            yield Static("y yes · n no · esc cancel", id="confirm-keys", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_key(self, event: events.Key) -> None:
        if event.key not in ("y", "n", "q", "escape", "ctrl+c"):
            event.stop()  # nothing else acts while the question is open
            event.prevent_default()
