"""The help screen: every key, built from the app's bindings so it can never drift from them."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA = (
    ("↑ / ↓", "Row cursor in the focused panel (or click a row)"),
    ("enter", "Explain the row: formula, inputs, as-of, full sources (or click it again)"),
    ("pgup / pgdn", "Scroll the focused panel or table by a page"),
    ("tab / shift+tab", "Move focus between panels (in a screen: between its parts)"),
    ("esc", "Clear a filter; else unzoom, close a screen, clear the notice"),
    ("ctrl+p", "Command palette: PRICES DEBT CUST RISK, EXPLAIN …, SCENARIO …, ALRT, SCORE"),
    ("hover a row", "Tooltip: every source behind the figure"),
)
SCREENS = (
    ("Alerts (A)", "↑/↓ choose · a acknowledge selected · A acknowledge all · u undo · c score · "
                   "/ filter · o sort: state → since → severity"),
    ("Events (e)", "1–4 alerts/filings/feeds/status on or off · tab since: last hour, 24 h, my last ack, start"),
    ("What-if (s)", "↑/↓ scenario · tab to the shocks, type a number · save as NAME + enter · "
                    "/ filter · o sort: changes first → status → |Δ%|"),
    ("Sort (o)", "prices: GPU → $/h → |chg| · debt: catalogue → status · risk (in each group): "
                 "catalogue → status → value → |change|"),
    ("Chart (g)", "[ ] range 1M / 3M / 1Y / ALL · ← → cursor (home / end) · from a price or indicator row, "
                  "its explain (g) or the palette (CHART …)"),
    ("Any screen", "q or esc closes it"),
)
FILTER = ("While a filter (or any input) is being typed, letters are text: a, q, 1–4… do nothing. "
          "enter keeps the filter and returns to the rows; esc clears it. The title shows "
          "the filter (/text) and the sort (sort: status ▼).")
KEY_NAMES = {"question_mark": "?", "left": "←", "right": "→", "A": "A (shift+a)", "slash": "/"}


def help_text(bindings: list[Binding]) -> Text:
    t = Text("gpurisk — keys\n\n", style="bold")
    for b in bindings:
        keys = " ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in b.key.split(","))
        t.append(f"  {keys:<16}", style="bold cyan")
        t.append(f"{b.tooltip or b.description}\n")
    for keys, what in EXTRA:
        t.append(f"  {keys:<16}", style="bold cyan")
        t.append(f"{what}\n")
    t.append(f"\n{FILTER}\n", style="dim")
    t.append("\nIn the screens\n", style="bold")
    for keys, what in SCREENS:
        t.append(f"  {keys:<16}", style="bold cyan")
        t.append(f"{what}\n")
    t.append("\nStatus words: OK · WATCH · ALERT · NO DATA.  Changes: ▲ up · ▼ down · · flat.\n", style="dim")
    t.append("Feeds: OK · STALE · ERROR · RATE-LIMITED · DISABLED · NO DATA · PENDING.\n", style="dim")
    t.append("Alerts: FIRING · PENDING · NO DATA · ERROR · normal · resolved. Header: risk N = composite score "
             "(0 calm, 100 all ALERT); N FIRING = firing alerts not acknowledged.", style="dim")
    return t


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "Close"), ("question_mark", "dismiss", "Close"), ("q", "dismiss", "Close")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.keys = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(self.keys), id="help-text")
