"""The explain view: one modal with everything behind a number (see gpurisk/text/explain.py).

Live: when it is opened with a ``rebuild`` function, every new snapshot rebuilds the
text (``refresh_rows``, called by the app after each update), so the popup never says
$1.61 while the panel behind it says $1.67; only a changed text is repainted.
``escape`` (or ``enter``/``q``) closes it.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

from gpurisk.text.format import clean


class ExplainScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "Close"), ("q", "dismiss", "Close"), ("enter", "dismiss", "Close"),
                ("g", "chart", "Chart")]

    def __init__(self, title: str, body: Text, rebuild: Callable[[], Text | None] | None = None,
                 chart: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.rebuild = rebuild
        #: What ``g`` charts ("rent", sku, tier / "indicator", name); a live explain opened
        #: from a panel charts the row under the panel's cursor. None: no chart (feeds, a debt line).
        self.chart = chart

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="explain-box") as box:
            box.border_title = escape(clean(self.title_text, 70))
            box.border_subtitle = "live · escape closes" if self.rebuild else "escape closes"
            if self.chart is None and self.rebuild is not None:
                from ..chart.target import row_target

                self.chart = row_target(self.app)  # g charts it (the help lists the key)
            # a Rich Group renders with Rich's wrapping, which keeps the column spacing and indents
            yield Static(Group(self.body), id="explain-text", markup=False)

    def on_mount(self) -> None:
        self.query_one("#explain-box").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.chart is not None if action == "chart" else True

    def action_chart(self) -> None:
        if self.chart is not None:
            self.app.action_chart(*self.chart)  # type: ignore[attr-defined]

    def refresh_rows(self) -> None:
        """A new snapshot arrived: show the number as it is now (repaint only if it moved)."""
        if self.rebuild is None:
            return
        try:
            body = self.rebuild()
        except Exception:  # the row went away or its data is gone: keep what is shown
            return
        if body is not None and body.plain != self.body.plain:
            self.body = body
            self.query_one("#explain-text", Static).update(Group(body))

    @property
    def plain(self) -> str:
        return self.body.plain
