"""Panel 4: every risk indicator, grouped, with its threshold, status and as-of; the alert log.

Indicators are added by others over time, so nothing here knows their names: a
line is mounted per indicator the engine declares at start (grouped gpu, leverage,
liquidity, concentration, market, then any other group) and values are formatted
by unit. The status is a word and a colour (OK / WATCH / ALERT / NO DATA), so it
reads without colour too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text

from engine.indicator import STATUS_ORDER, Indicator, IndicatorResult
from gpurisk.text import format as f, level as lv
from gpurisk.text.explain import indicator_text

from ..change_base import WORSE
from .filter import SortKey
from .line import Panel
from .rows import Row

GROUPS = ("gpu", "leverage", "liquidity", "concentration", "market")
GROUP_TITLES = {"gpu": "GPU economics", "leverage": "Leverage", "liquidity": "Liquidity",
                "concentration": "Concentration", "market": "Market"}
LOG_LINES = 8
STATUS_W = 12  # " WATCH ◷49d"
SHORT_TITLE_W = 16  # the longest short title (gpurisk.text.format.SHORT_TITLES) and a gap
THRESHOLD_W = 30
SHORT_GROUP = {"gpu": "GPU", "leverage": "Lev", "liquidity": "Liq", "concentration": "Conc", "market": "Mkt"}


def threshold_cell(res: IndicatorResult) -> str:
    """The thresholds in the figure's unit, the unit said once when both share it:
    ``watch >+5.0 alert >+15.0 pts`` (the alert and event logs keep the full form)."""
    th = lv.threshold(res)
    watch, sep, alert = th.partition(" alert ")
    if sep and " " in watch and " " in alert:
        unit = watch.rsplit(" ", 1)[1]
        if alert.endswith(" " + unit) and not unit.startswith(("<", ">")):
            return f"{watch[:-len(unit) - 1]}{sep}{alert}"
    return th


class RiskPanel(Panel):
    def __init__(self, indicators: Iterable[Indicator] = ()) -> None:
        super().__init__("Risk indicators", 4, id="risk")
        inds = list(indicators)
        groups = [g for g in GROUPS if any(i.group == g for i in inds)]
        groups += sorted({i.group for i in inds} - set(groups))
        self.groups: dict[str, Row] = {g: Row(classes="head") for g in groups}
        self.rows: dict[str, Row] = {}
        self._marks: dict[str, str] = {}  # indicator -> why its feed is stale (last painted)
        self._thr_w: tuple[object, int] = (None, 12)  # (snapshot, threshold column width)
        self.order: list[tuple[str, list[str]]] = [(g, [i.name for i in inds if i.group == g]) for g in groups]

    def declare(self) -> list[Row]:
        out = [Row(id="risk-summary", classes="block")]
        for g, names in self.order:
            head = self.groups[g]
            head.show(Text(GROUP_TITLES.get(g, f.clean(g).title()), style="bold underline"))
            out.append(head)
            for n in names:
                out.append(Row(classes="row"))
                self.rows[n] = out[-1]
        return out + [Row(id="alert-log", classes="block", gap=1)]

    def status_w(self) -> int:
        """The level cell: 12 cells (" WATCH ◷7w") when the panel is wide, else 9 with the
        stale mark as a bare ◷ (" WATCH ◷"): titles keep their room in a 2×2 grid."""
        return STATUS_W if self.cols >= 60 else 9

    def widths(self) -> tuple[int, bool, bool, bool]:
        """(title width, show change, show as-of, show threshold): the change first, then
        the as-of date, each only when the title keeps 22 cells; then the thresholds, as
        long as the short titles (SHORT_TITLE_W) still fit."""
        room = self.cols - 12 - self.status_w() - 2  # value with its grade, level and stale mark, gaps
        chg = room >= 22 + 11
        room -= 11 if chg else 0
        asof = room >= 24 + 11
        room -= 11 if asof else 0
        thr_w = self.threshold_w() + 1
        thr = room >= SHORT_TITLE_W + thr_w
        room -= thr_w if thr else 0
        return max(10, min(32, room)), chg, asof, thr

    def threshold_w(self) -> int:
        """The threshold column: as wide as the longest threshold shown (at most 30); worked
        out once per snapshot (every row's layout asks for it)."""
        snap = self.snap
        if self._thr_w[0] is not snap:
            longest = max((len(threshold_cell(r)) for r in snap.indicators.values()), default=0) if snap else 0
            self._thr_w = (snap, min(THRESHOLD_W, max(longest, 12)))
        return self._thr_w[1]

    def change_text(self, res: IndicatorResult) -> Text:
        """The change against the chosen base (tui/change_base.py); a red ✗ when it worsened."""
        session = self.session()
        base = self.change_base()
        if session is None or res.value is None or base is None:
            return Text("")
        now = self.now or self.app.clock()  # type: ignore[attr-defined]
        delta = base.delta(session, res, now)
        if delta is None:
            return Text("·", style="dim")
        t = Text(f.fmt_change(res.unit, delta), style="dim" if abs(delta) < 1e-12 else "")
        if base.worse(session, res, now):
            return Text(WORSE + " ", style="bold red") + t
        return t

    def stale(self, res: IndicatorResult) -> str:
        """Why ``res`` rests on old data: its own inputs, or a feed gone stale ('' = fresh). The
        feed marks are the ones the last tick found (``_marks``): no per-row recomputation."""
        return "; ".join(n for n in (res.stale, self._marks.get(res.name, "")) if n)

    def data_now(self) -> Any:
        """The data's clock (the replay day in the demo): what a feed's staleness is measured on."""
        session = self.session()
        return session.data_now(self.now) if session is not None else self.now

    @staticmethod
    def value_cell(res: IndicatorResult) -> Text:
        """The value, right-aligned in 8 cells, then its grade ([S], [D], [U]; primary unmarked)."""
        v = Text(f.fmt_value(res.unit, res.value), style="bold" if res.value is not None else "dim")
        v.truncate(8, overflow="ellipsis")
        out = Text(" " * (8 - v.cell_len)) + v
        mark = f.grade(*(i.source for i in res.inputs)) if res.value is not None else ""
        return out.append(f" {mark}" if mark else "", style="dim")

    def row_text(self, res: IndicatorResult) -> Text:
        title_w, chg, asof, thr = self.widths()
        status = lv.cell(res, self.stale(res), self.data_now(), short=self.status_w() < STATUS_W)  # WATCH ◷7w
        parts: list[tuple[Text | str, int, str]] = [
            (f.text(f.title_in(res.name, res.title, title_w)), title_w, "<"),  # never a cut title
            (self.value_cell(res), 12, "<"),
            (status, self.status_w(), "<"),
        ]
        if chg:
            parts.append((self.change_text(res), 10, ">"))
        if thr:
            parts.append((Text(threshold_cell(res), style="dim"), self.threshold_w(), "<"))
        if asof:
            parts.append((Text(f.day(res.as_of) if res.status != "no_data" else "—", style="dim"), 10, "<"))
        return f.cells(parts)

    def tip(self, res: IndicatorResult) -> Text:
        t = f.text(res.title, "bold")
        t.append("\n")
        t.append_text(f.text(res.formula, limit=200))
        if res.reason:
            t.append("\n")
            t.append_text(f.text(res.reason, "italic", limit=200))
        if self.stale(res):
            t.append("\n")
            t.append_text(f.text(f"{lv.plain(res, self.stale(res), self.data_now())} on old data: {self.stale(res)}",
                                 lv.STALE_STYLE, limit=300))
        for i in res.inputs[:12]:
            t.append("\n")
            t.append_text(f.text(f"{i.name} = {i.value}  ({f.day(i.as_of)})  {i.source}", limit=200))
        return t

    def log_text(self) -> Text:
        t = f.styled("Alert log", "bold underline")
        snap = self.shown()
        log = snap.status_log
        if not log:
            return t.append("\n  no status changes yet", style="dim")
        for ch in reversed(log[-LOG_LINES:]):
            res = snap.indicators.get(ch.indicator)
            unit = res.unit if res is not None else ""
            th = lv.threshold(res) if res is not None else f.clean(ch.threshold)  # in the figure's unit
            t.append("\n")
            t.append_text(f.cells([
                (ch.at.strftime("%H:%M:%S"), 8, "<"),
                (f.text(ch.title, limit=26), min(26, max(10, self.cols - 48)), "<"),
                (Text(f.STATUS_WORD.get(ch.new, ch.new.upper()), style=f.STATUS_STYLE.get(ch.new, "")), 7, "<"),
                (f.fmt_value(unit, ch.value), 8, ">"),
                (Text(th, style="dim"), 0, "<"),
            ]))
        return t

    def tick(self, now) -> None:
        """A feed going stale (or fresh again) repaints the rows that read it, nothing else."""
        super().tick(now)
        session = self.session()
        if session is None or self.snap is None:
            return
        marks = session.stale_indicators(now)
        if marks != self._marks:
            moved = {n for n in set(marks) | set(self._marks) if marks.get(n) != self._marks.get(n)}
            self._marks = marks
            self.render_rows({f"ind/{n}" for n in moved})
            if self.fs.active:
                self.refilter()

    def render_rows(self, changed: set[str] | None) -> None:
        snap = self.shown()
        base = self.change_base()
        title = f"4 Risk indicators · {base.label}" if base is not None and self.widths()[1] else "4 Risk indicators"
        if title != self.title_base:  # the change column's heading: which base it compares with
            self.title_base = title
            self.border_title = title + self.fs.suffix()
        for name, res in snap.indicators.items():
            if changed is not None and f"ind/{name}" not in changed:
                continue
            line = self.rows.get(name)
            if line is None:  # declared after start: mount its line once
                line = self.rows[name] = Row(classes="row")
                self.body.insert(line, before="alert-log")
            line.show(self.row_text(res))
            line.tooltip = lambda res=res: self.tip(res)  # made when hovered, not on every update
        if changed is None or "status_log" in changed:
            self.row("alert-log").show(self.log_text())
        if changed is None or any(c.startswith("ind/") for c in changed):
            self.row("risk-summary").show(self.summary_text())

    def summary_text(self) -> Text:
        """Every group's worst status at once, with how many share it (the rows may be out of
        view); groups are laid out whole, one line or two."""
        chunks: list[Text] = []
        indicators = self.shown().indicators
        for g, names in self.order:
            rated = [r for r in (indicators.get(n) for n in names)
                     if r is not None and r.threshold is not None and r.status != "no_data"]
            worst = max((r.status for r in rated), key=lambda st: STATUS_ORDER.get(st, 0), default="no_data")
            count = sum(1 for r in rated if r.status == worst)
            c = f.styled(SHORT_GROUP.get(g, f.clean(g)[:5]) + " ", "bold")
            style = f.STATUS_STYLE.get(worst, "").replace("reverse", "").strip()
            c.append(f.STATUS_WORD.get(worst, worst.upper()) + (f" {count}" if count > 1 else ""), style=style or None)
            chunks.append(c)
        t, width = Text(), 0
        for c in chunks:
            if width and width + 2 + c.cell_len > self.cols:
                t.append("\n")
                width = 0
            elif width:
                t.append("  ")
                width += 2
            t.append_text(c)
            width += c.cell_len
        return t

    def selectable(self) -> list[tuple[str, Row]]:
        return list(self.rows.items())

    # --- filter and sort: within each group (values of different groups do not compare) ---
    def result(self, key: str) -> IndicatorResult | None:
        return self.snap.indicators.get(key) if self.snap is not None else None

    def sort_keys(self) -> list[SortKey]:
        def status(k: str) -> float | None:  # worst first; a figure without threshold after OK
            r = self.result(k)
            if r is None or r.status == "no_data":
                return None
            return STATUS_ORDER.get(r.status, 0) if r.threshold is not None else 0.5

        def value(k: str) -> float | None:
            r = self.result(k)
            return r.value if r is not None else None

        def move(k: str) -> float | None:
            session = self.session()
            base, res = self.change_base(), self.result(k)
            if session is None or base is None or res is None:
                return None
            delta = base.delta(session, res, self.now or self.app.clock())  # type: ignore[attr-defined]
            return abs(delta) if delta is not None else None

        return [SortKey("status", status), SortKey("value", value), SortKey("|change|", move)]

    def sort_groups(self) -> list[tuple[Row, list[tuple[str, Row]]]]:
        return [(self.groups[g], [(n, self.rows[n]) for n in names if n in self.rows]) for g, names in self.order]

    def filter_rows(self) -> list[tuple[str, Row]]:
        group = {n: GROUP_TITLES.get(g, g) for g, names in self.order for n in names}
        rows = [(f"{k} {group.get(k, '')}", line) for k, line in self.rows.items()]
        return rows + [("alert log", self.row("alert-log"))]

    def filter_heads(self) -> list[tuple[Row, list[Row]]]:
        return [(self.groups[g], [self.rows[n] for n in names if n in self.rows]) for g, names in self.order]

    def explain_for(self, key: str) -> tuple[str, Text] | None:
        res = self.snap.indicators.get(key) if self.snap is not None else None
        if res is None:
            return None
        return f"Explain: {res.title}", indicator_text(res, self.session())
