"""The help screen: every key, built from the app's bindings so it can never drift from them."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
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
KEY_NAMES = {"question_mark": "?", "left": "←", "right": "→", "A": "A (shift+a)", "slash": "/"}


KEY_W, TEXT_W = 13, 41  # one column: the key, then its words wrapped


def short(words: str) -> str:
    """A binding's words for the help: up to its first aside ("(", ": ") when long."""
    for cut in (" (", ": ", "; "):
        if len(words) > TEXT_W and cut in words:
            words = words.split(cut)[0]
    return words


def entry(t: Text, keys: str, what: str) -> None:
    import textwrap

    lines = textwrap.wrap(what, TEXT_W) or [""]
    if len(keys) >= KEY_W:  # a long key (tab / shift+tab): its words on the next line
        t.append(keys + "\n", style="bold cyan")
        lines = textwrap.wrap(what, TEXT_W) or [""]
        t.append(" " * KEY_W)
    else:
        t.append(f"{keys:<{KEY_W}}", style="bold cyan")
    t.append(lines[0] + "\n")
    for more in lines[1:]:
        t.append(" " * KEY_W + more + "\n")


def key_entries(bindings: list[Binding]) -> list[tuple[str, str]]:
    """(keys, words) of every binding; one key bound twice (p: pause, resume) once; the
    panel keys 1–4 and ← → as one line each."""
    out: dict[str, list[str]] = {}
    for b in bindings:
        keys = " ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in b.key.split(","))
        if b.action.startswith(("panel(", "step(")):
            keys = "1 2 3 4" if b.action.startswith("panel(") else "← →"
            words = "Panels: prices, debt, customers, risk (again: unzoom)" if keys == "1 2 3 4" \
                else "Previous / next panel"
        else:
            words = short(b.tooltip or b.description)
        if words not in out.setdefault(keys, []):
            out[keys].append(words)
    return [(k, " / ".join(v)) for k, v in out.items()]


def help_columns(bindings: list[Binding]) -> tuple[Text, Text]:
    """Two columns: every key (the app's bindings, then the habit keys); the screens, the
    filter and the words the dashboard uses."""
    left = Text()
    for keys, what in key_entries(bindings):
        entry(left, keys, what)
    for keys, what in EXTRA:
        entry(left, keys, short(what))
    right = Text("In the screens\n", style="bold")
    for keys, what in SCREENS:
        entry(right, keys, what)
    right.append("\nTyping a filter (or any input), letters are text; enter keeps the filter, esc clears "
                 "it. The title shows the filter and the sort.\n", style="dim")
    right.append("Levels: OK · WATCH · ALERT · NO DATA (info: no thresholds). Old data keeps its level, "
                 "marked beside it: WATCH ◷7w.\n", style="dim")
    right.append("Changes: one base at a time, named in the heading (b cycles); ▲ up · ▼ down · · flat; "
                 "✗ worsened; the header counts them.\n", style="dim")
    right.append("Feeds: OK · STALE · ERROR · RATE-LIMITED · DISABLED · NO DATA · PENDING.\n", style="dim")
    right.append("Alerts: FIRING · PENDING · NO DATA · ERROR · normal · resolved. risk N: composite score, "
                 "0 calm, 100 all ALERT; N FIRING: not acknowledged.", style="dim")
    return left, right


def help_text(bindings: list[Binding]) -> Text:
    """Both columns, one after the other (what the help screen shows side by side)."""
    left, right = help_columns(bindings)
    return Text("gpurisk — keys\n\n", style="bold") + left + Text("\n") + right


class HelpScreen(ModalScreen[None]):
    """Two columns that fit 120×40 whole: nothing to scroll."""

    BINDINGS = [("escape", "dismiss", "Close"), ("question_mark", "dismiss", "Close"), ("q", "dismiss", "Close")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.keys = bindings

    def compose(self) -> ComposeResult:
        left, right = help_columns(self.keys)
        with VerticalScroll(id="help-box") as box:
            box.border_title = "gpurisk — keys"
            box.border_subtitle = "escape closes"
            with Horizontal(id="help-cols"):
                yield Static(left, id="help-text", markup=False)
                yield Static(right, id="help-more", markup=False)
