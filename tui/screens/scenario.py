"""What-if scenarios: pick a preset (or a config scenario), edit the shocks, read the effect.

Left: the scenarios and five shocks as inputs; right: every indicator base vs
shocked, the status changes first, marked and said in words ("OK → ALERT"), and
the composite score base → shocked. ``engine.scenarios.run_scenario`` is a few
milliseconds, so every valid edit recomputes at once; an invalid one shows why
and keeps the last good result on screen. "Save" appends the shocks as a
``[scenarios.NAME]`` table to the config file in use (checked by reloading it),
or, with no config file, shows the TOML to paste: raw lines at the left edge of a
full-width block under both panes (no box around them, so a terminal selection
copies them as they are), with a Copy button (the terminal clipboard, OSC 52).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from engine.indicator import STATUS_ORDER
from engine.scenarios import Scenario, ScenarioResult, run_scenario
from gpurisk.scenario_cli import scenarios
from gpurisk.text import format as f, level as lv
from gpurisk.view import session_of

from ..widgets.bars import score_style
from ..widgets.filter import FilterActions, FilterSort, RowFilter, SortKey
from ..widgets.line import Line

NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class Shock:
    field: str
    label: str
    low: float
    high: float
    blank_ok: bool = False  # blank = no shock (the reported value)
    help: str = ""


SHOCKS = (
    Shock("h100_rent_pct", "H100 rent %", -100, 1000, help="H100 rents move by this percent (−40 = fall 40%)"),
    Shock("top_customer_cut_pct", "Cust. cut %", 0, 100, help="the largest customer's revenue cut, percent"),
    Shock("rate_bp", "Rates bp", -2000, 5000, help="floating-rate debt reprices by this many basis points"),
    Shock("life_years", "Life years", 0.5, 30, blank_ok=True,
          help="depreciable life of GPUs in years (blank = as reported)"),
    Shock("utilisation_pts", "Util. pts", -100, 100, help="utilisation moves by this many points"),
)


def parse_shocks(raw: dict[str, str]) -> tuple[dict[str, float | None], list[str]]:
    """Field → number (None for a blank life), and the problems found (empty when valid)."""
    out: dict[str, float | None] = {}
    problems: list[str] = []
    for s in SHOCKS:
        text = raw.get(s.field, "").strip()
        if not text:
            out[s.field] = None if s.blank_ok else 0.0
            continue
        try:
            v = float(text)
        except ValueError:
            problems.append(f"{s.label}: {f.clean(text, 12)!r} is not a number")
            continue
        if not math.isfinite(v) or not s.low <= v <= s.high:
            problems.append(f"{s.label}: must be between {s.low:g} and {s.high:g}")
            continue
        out[s.field] = v
    return out, problems


def shock_table(sc: Scenario) -> dict[str, float | str]:
    """The non-zero shocks (and description) of a scenario, as a config table."""
    table: dict[str, float | str] = {}
    if sc.description:
        table["description"] = sc.description
    for s in SHOCKS:
        v = getattr(sc, s.field)
        if v:
            table[s.field] = float(v)
    return table


def toml_snippet(name: str, table: dict[str, float | str]) -> str:
    import json

    lines = [f"[scenarios.{name}]"]
    for k, v in table.items():
        lines.append(f"{k} = {json.dumps(v, ensure_ascii=False) if isinstance(v, str) else repr(float(v))}")
    return "\n".join(lines) + "\n"


def status_cell(base: str, shocked: str, info: bool = False) -> Text:
    """``info``: a figure without thresholds (information, never scored) reads "info", not OK."""
    if info and base != "no_data" and shocked != "no_data":
        return Text("info", style="dim")
    word = lambda s: f.STATUS_WORD.get(s, s.upper())  # noqa: E731
    if base == shocked:
        return Text(word(base), style="dim")
    worse = STATUS_ORDER.get(shocked, 0) > STATUS_ORDER.get(base, 0)
    t = Text(f"{word(base)} → ")
    t.append(word(shocked), style=f.STATUS_STYLE.get(shocked, ""))
    t.append(" ▲" if worse else " ▼", style="bold red" if worse else "green")
    return t


#: ``o`` cycles these (the first: status changes first, then figures that moved).
SORTS = (SortKey("changes first"), SortKey("status", lambda r: STATUS_ORDER.get(r.shocked.status, 0)),
         SortKey("|Δ%|", lambda r: abs(r.delta / r.base.value) if r.delta is not None and r.base.value else None))


class ScenarioScreen(FilterActions, ModalScreen[None]):
    DEFAULT_CSS = """
    #sc-toml { dock: bottom; height: auto; max-height: 50%; display: none; background: $surface;
               border-top: solid $accent; }
    #sc-toml.-shown { display: block; }
    #sc-toml-head { height: 1; }
    #sc-toml-title { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; color: $warning; }
    #sc-toml-head Button { width: auto; min-width: 6; margin-left: 1; }
    #sc-toml-text { width: 1fr; height: auto; padding: 0; text-wrap: nowrap; }
    """
    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", show=False),  # a filter first, then close
                Binding("escape", "dismiss", "Close"),
                Binding("slash", "filter", "Filter", show=False), Binding("o", "sort", "Sort", show=False)]

    def __init__(self, initial: str | None = None) -> None:
        super().__init__()
        self.initial = initial
        self.base: Scenario | None = None
        self.result: ScenarioResult | None = None
        self.session: Any = None
        self.fs = FilterSort(SORTS, on_change=self.refilter)

    def compose(self) -> ComposeResult:
        self.session = session_of(self.app)
        with Horizontal(id="sc-body"):
            with VerticalScroll(id="sc-left") as left:
                left.border_title = "What-if"
                yield OptionList(*self.options(), id="sc-list", markup=False, compact=True)
                for s in SHOCKS:
                    with Horizontal(classes="sc-shock"):
                        yield Static(s.label, classes="sc-label")
                        yield Input(id=f"sc-{s.field}", compact=True, placeholder="reported" if s.blank_ok else "0",
                                    tooltip=f"{s.help}; {s.low:g} to {s.high:g}")
                yield Line(id="sc-msg", classes="block")
                with Horizontal(classes="sc-shock"):
                    yield Input(id="sc-name", compact=True, placeholder="save as NAME")
                    yield Button("Save", id="sc-save", compact=True)
                yield Line(id="sc-save-msg", classes="block")
            with Vertical(id="sc-right") as right:
                right.border_title = "Base vs shocked"
                right.border_subtitle = "escape closes"
                yield Line(id="sc-score", classes="block")
                yield DataTable(id="sc-table", cursor_type="row")
                yield RowFilter(self.fs)
        with Vertical(id="sc-toml"):  # the TOML to paste, full width, raw (see save)
            with Horizontal(id="sc-toml-head"):
                yield Static("", id="sc-toml-title", markup=False)
                yield Button("Copy", id="sc-toml-copy", compact=True)
                yield Button("Hide", id="sc-toml-hide", compact=True)
            yield Static("", id="sc-toml-text", markup=False)

    def options(self) -> list[Option]:
        return [Option(f.clean(name, 28), id=name) for name in scenarios(self.session.config)]

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for c in ("Indicator", "Status", "Base", "Shocked"):
            table.add_column(c, key=c)
        ol = self.query_one(OptionList)
        names = list(scenarios(self.session.config))
        start = self.initial if self.initial in names else names[0]
        ol.highlighted = names.index(start)
        self.load(start)
        ol.focus()

    # --- scenario → inputs → result ---------------------------------------------------
    def load(self, name: str) -> None:
        sc = scenarios(self.session.config).get(name)
        if sc is None:
            return
        self.base = sc
        for s in SHOCKS:
            v = getattr(sc, s.field)
            inp = self.query_one(f"#sc-{s.field}", Input)
            with inp.prevent(Input.Changed):
                inp.value = "" if v is None or (s.blank_ok and not v) else f"{v:g}"
        self.recompute()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and (self.base is None or event.option.id != self.base.name):
            self.load(event.option.id)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id != "sc-name":
            self.recompute()

    def current(self) -> tuple[Scenario | None, list[str]]:
        raw = {s.field: self.query_one(f"#sc-{s.field}", Input).value for s in SHOCKS}
        values, problems = parse_shocks(raw)
        for s in SHOCKS:
            bad = any(p.startswith(s.label + ":") for p in problems)
            self.query_one(f"#sc-{s.field}", Input).set_class(bad, "-invalid")
        if problems:
            return None, problems
        base = self.base or Scenario("custom")
        kw = {k: (v if v is not None else (None if k == "life_years" else 0.0)) for k, v in values.items()}
        same = all((getattr(base, k) or None) == (v or None) for k, v in kw.items())
        name = base.name if same else f"custom (from {base.name})"
        return Scenario(name, description=base.description if same else "", **kw), []  # type: ignore[arg-type]

    def recompute(self) -> None:
        sc, problems = self.current()
        msg = self.query_one("#sc-msg", Line)
        if sc is None:
            t = Text()
            for p in problems:
                t.append_text(f.text(p, "bold red"))
                t.append("\n")
            t.append("showing the last valid shocks", style="dim")
            msg.show(t)
            return
        msg.show(f.text(sc.describe(), "cyan"))
        self.result = run_scenario(self.session.engine, sc, self.session.config.weights)
        self.show_result(self.result)

    def show_result(self, res: ScenarioResult) -> None:
        b, s = res.base_score.score, res.shocked_score.score
        t = f.text(res.scenario.name, "bold")
        t.append(": ")
        t.append_text(f.text(res.scenario.description or res.scenario.describe(), "italic"))
        t.append("\nComposite risk ")
        t.append(f" {b:.0f} " if b is not None else " — ", style=score_style(b) if b is not None else "dim")
        t.append(" → ")
        t.append(f" {s:.0f} " if s is not None else " — ", style=score_style(s) if s is not None else "dim")
        if b is not None and s is not None:
            t.append(f" /100 ({s - b:+.0f})")
        n = len(res.changes)
        t.append(f"   {n} status change{'s' if n != 1 else ''}", style="bold red" if n else "dim")
        self.query_one("#sc-score", Line).show(t)
        rows = self.fs.order([r for r in sorted(res.rows, key=lambda r: (not r.status_changed, not r.delta, 0))
                              if self.fs.match(r.name, r.title, status_cell(r.base.status, r.shocked.status).plain)])
        table = self.query_one(DataTable)
        # the pane is the screen less the left column and borders; less status, two values, padding, scrollbar
        title_w = max(14, min(36, self.app.size.width - 25 - 3 - 29 - 10))
        table.clear()
        now = self.app.clock()  # type: ignore[attr-defined]
        for r in rows:
            unit = r.base.unit
            mark = Text("▶ ", style="bold red") if r.status_changed else Text("· " if r.delta else "  ", style="dim")
            shocked_style = "bold" if r.delta else "dim"
            status = status_cell(r.base.status, r.shocked.status, r.base.threshold is None)
            old = lv.stale_mark(r.base, self.session.stale_note(r.base, now), self.session.data_now(now))
            if old:  # the base rests on old data: marked beside its level, as on the dashboard
                status.append(f" {old}", style=lv.STALE_STYLE)
            table.add_row(mark + f.text(f.title_in(r.name, r.title, title_w), limit=max(title_w, 14)), status,
                          Text(f.fmt_value(unit, r.base.value)),
                          Text(f.fmt_value(unit, r.shocked.value), style=shocked_style),
                          key=r.name)

    # --- / filter and o sort of the table ----------------------------------------------
    def refilter(self) -> None:
        self.query_one("#sc-right").border_title = "Base vs shocked" + self.fs.suffix()
        if self.result is not None:
            self.show_result(self.result)

    def filter_target(self):
        return self.focused

    # --- save -------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "sc-save":
            self.save()
        elif event.button.id == "sc-toml-copy" and self.toml:
            self.app.copy_to_clipboard(self.toml)
            self.notify("TOML copied to the clipboard (if the terminal allows it: OSC 52)", markup=False)
        elif event.button.id == "sc-toml-hide":
            self.query_one("#sc-toml").remove_class("-shown")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "sc-name":
            self.save()

    def save(self) -> None:
        out = self.query_one("#sc-save-msg", Line)
        name = self.query_one("#sc-name", Input).value.strip()
        sc, problems = self.current()
        if sc is None:
            out.show(Text("Fix the shocks first.", style="bold red"))
            return
        if not NAME.match(name):
            out.show(Text("Name: letters, digits, _ and - only (1–40).", style="bold red"))
            return
        if name in scenarios(self.session.config):
            out.show(f.text(f"{name!r} already exists; choose another name.", "bold red"))
            return
        table = shock_table(Scenario(name, **{k: getattr(sc, k) for k in (s.field for s in SHOCKS)},
                                     description=sc.description or f"saved from the dashboard ({sc.describe()})"))
        snippet = toml_snippet(name, table)
        path = self.session.config.path
        if path is None:
            out.show(Text("No config file in use: the TOML is below, full width. Put it in a file and start "
                          "with --config FILE.", style="yellow"))
            self.show_toml(snippet)
            return
        problem = append_scenario(Path(path), name, snippet)
        if problem:
            out.show(f.text(problem, "bold red"))
            return
        self.session.config.scenarios[name] = table
        self.query_one(OptionList).add_option(Option(f.clean(name, 28), id=name))
        self.base = Scenario(name, **{k: v for k, v in table.items()})  # type: ignore[arg-type]
        out.show(f.text(f"Saved [scenarios.{name}] to {path}", "green"))


    def show_toml(self, snippet: str) -> None:
        """The snippet as it is, one TOML line per screen line from column 0, never wrapped."""
        self.toml = snippet
        self.query_one("#sc-toml-title", Static).update(
            "TOML for a config file (--config FILE) · select it, or Copy")
        raw = "\n".join(f.clean(line) for line in snippet.splitlines())  # our own TOML; made safe all the same
        self.query_one("#sc-toml-text", Static).update(Text(raw, no_wrap=True, overflow="ignore"))
        self.query_one("#sc-toml").add_class("-shown")

    toml = ""


def append_scenario(path: Path, name: str, snippet: str) -> str:
    """Append ``snippet`` to the config at ``path``; reload to check; restore on failure. '' when done."""
    from gpurisk.config import ConfigFileError, load_config

    try:
        before = path.read_text(encoding="utf-8")
        if name in tomllib.loads(before).get("scenarios", {}):
            return f"{name!r} is already in {path}"
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return f"cannot read {path}: {exc}"
    sep = "" if not before or before.endswith("\n\n") else ("\n" if before.endswith("\n") else "\n\n")
    try:
        path.write_text(before + sep + snippet, encoding="utf-8")
        load_config(path)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    except ConfigFileError as exc:
        path.write_text(before, encoding="utf-8")
        return f"not saved, the result did not load: {exc}"
    return ""
