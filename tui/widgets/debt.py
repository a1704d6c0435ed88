"""Panel 2: CoreWeave's debt and liquidity, latest period beside the one before.

Each figure keeps its period end and source: the source column shows the short
form (an accession number or file name), the tooltip the full text. Principal
due by year is a small horizontal bar chart; signed-but-not-commenced leases are
off balance sheet, so they are shown apart, never added to liabilities.
"""

from __future__ import annotations

from rich.text import Text

from engine.indicator import STATUS_ORDER
from engine.views import LINES, Figure, FinancialView, FinLine
from gpurisk.text import format as f
from gpurisk.text.explain import debt_text, maturities_text
from gpurisk.view import session_of

from .empty import panel_empty
from .filter import SortKey
from .line import Panel
from .market_rows import WATCHED_IDS, market_explain, market_text, tooltip
from .rows import Row

#: Display order (the issue's list first); other lines of the view follow.
ORDER = ("total_liabilities", "total_assets", "debt_principal", "leases", "liabilities_to_assets", "current_ratio",
         "quick_ratio", "cash", "interest_ttm", "interest_coverage", "effective_rate", "debt_carrying")


#: Liquidity ratios read as plain ratios to three places (0.386), as analysts quote them.
UNIT_OVERRIDE = {"current_ratio": "ratio", "quick_ratio": "ratio"}
STATUS_W = 6  # " ALERT" after the newest value of a ratio line
def quarter_label(d) -> str:
    """2025-09-30 -> "Q3-25"; a date that is not a calendar quarter end stays ISO."""
    import calendar

    if d.month % 3 == 0 and d.day == calendar.monthrange(d.year, d.month)[1]:
        return f"Q{d.month // 3}-{d.year % 100:02d}"
    return f.day(d)


#: Labels for a panel too narrow for the full ones (the explain view and tooltip keep them whole).
SHORT_LABEL = {"liabilities_to_assets": "Liabs / assets", "interest_ttm": "Interest TTM",
               "interest_coverage": "Int. cover EBIT", "lease_liabilities": "Leases", "leases": "Leases",
               "total_liabilities": "Liabilities", "debt_principal": "Debt principal",
               "debt_carrying": "Debt (carrying)"}


class DebtPanel(Panel):
    def __init__(self) -> None:
        super().__init__("Debt & liquidity", 2, id="debt")
        keys = [k for k in ORDER if k in {ln[0] for ln in LINES}] + [ln[0] for ln in LINES if ln[0] not in ORDER]
        self.rows: dict[str, Row] = {k: Row(classes="row") for k in keys}

    def declare(self) -> list[Row]:
        return [Row(id="debt-head", classes="head"), *self.rows.values(),
                Row(id="signed", classes="row", gap=1),  # off balance sheet, but in view with the debt lines
                Row(id="debt-sources", classes="block"), Row(id="maturities", classes="block", gap=1),
                Row(id="stack", classes="block"), Row(id="market", classes="block"), Row(id="newer", classes="block")]

    def widths(self) -> tuple[int, int]:
        """(label width, source width): full labels when both periods and the status fit,
        else the short labels in narrower columns (the numbers are never cut)."""
        if self.cols >= 21 + 10 + STATUS_W + 10 + 3:
            return 21, max(0, self.cols - 21 - 10 - STATUS_W - 10 - 4)
        return 15, 0

    def value_w(self) -> tuple[int, int]:
        """(value width, status width)."""
        return (10, STATUS_W) if self.widths()[0] >= 21 else (9, 5)

    def label(self, line: FinLine) -> str:
        return line.label if self.widths()[0] >= 21 else SHORT_LABEL.get(line.key, line.label)

    def header(self, view: FinancialView | None) -> Text:
        label, src = self.widths()
        periods = [f.day(p) for p in (view.periods if view else ())] + ["", ""]
        vw, sw = self.value_w()
        if vw < 10:  # narrow columns: a quarter end reads as its quarter (Q3-25), as credit desks write it
            periods = [quarter_label(p) for p in (view.periods if view else ())] + ["", ""]
        parts: list[tuple[Text | str, int, str]] = [
            (f.text(view.company if view else "—"), label, "<"), (periods[0], vw, ">"), ("", sw, "<"),
            (periods[1], vw, ">")]
        if src >= 8:
            parts.append(("source", src - 2, "<"))
        t = f.cells(parts)
        t.stylize("bold")
        return t

    def line_text(self, line: FinLine) -> Text:
        label, src = self.widths()
        figs = list(line.figures) + [None, None]
        unit = UNIT_OVERRIDE.get(line.key, line.unit)
        vals = [Text(f.fmt_value(unit, g.value) if g else "", style="" if g and g.value is not None else "dim")
                for g in figs[:2]]
        newest = next((g for g in line.figures if g.source), None)
        vw, sw = self.value_w()
        status = self.status_text(line.key)
        if not status.plain and newest is not None:  # a figure, not a test: its grade where the status would be
            status = Text(f.grade(newest.source), style="dim")
        parts: list[tuple[Text | str, int, str]] = [(self.label(line), label, "<"), (vals[0], vw, ">"),
                                                    (status, sw, "<"), (vals[1], vw, ">")]
        if src >= 8:
            parts.append((Text(f.short_source(newest.source, src - 2) if newest else "", style="dim"), src - 2, "<"))
        return f.cells(parts)

    def status_text(self, key: str) -> Text:
        """The ratio's status as its indicator has it (the newest column is that indicator)."""
        res = self.snap.indicators.get(key) if self.snap is not None else None
        if res is None or res.threshold is None or res.status == "no_data":
            return Text("")
        word = f.STATUS_WORD.get(res.status, res.status.upper())
        return Text(word, style=f.STATUS_STYLE.get(res.status, "").replace("reverse", "").strip() or "")

    @staticmethod
    def line_tip(line: FinLine) -> Text:
        t = f.styled(line.label + "\n", "bold")
        for g in line.figures:
            extra = f"  ({g.note})" if g.note else ""
            t.append_text(f.text(f"{f.day(g.period_end)}: {f.fmt_value(line.unit, g.value)}  {g.source}{extra}",
                                 limit=300))
            t.append("\n")
        return t

    @staticmethod
    def sources_text(view: FinancialView) -> Text:
        """Period end → short source of the figures reported at that date (full text in tooltips)."""
        t = Text("Sources: ", style="dim")
        for i, period in enumerate(view.periods):
            srcs: list[str] = []
            for line in view.lines:
                for g in line.figures:
                    if g.period_end == period and g.source:
                        for short in f.filings(g.source) or [f.short_source(g.source, 24)]:
                            if short not in srcs:
                                srcs.append(short)
            if i:
                t.append(" · ", style="dim")
            t.append(f"{f.day(period)} ", style="dim bold")
            t.append_text(Text(", ".join(srcs[:3]) or "—", style="dim"))
        return t

    def maturities_text(self, view: FinancialView) -> Text:
        t = f.styled(f"Principal due by year (as of {f.day(view.maturities_as_of)})", "bold")
        if not view.maturities:
            return t.append("  —", style="dim")
        top = max(p for _, p in view.maturities) or 1.0
        width = max(8, min(40, self.cols - 20))
        for year, principal in view.maturities:
            t.append("\n")
            t.append_text(f.cells([(f.text(year), 10, "<"),
                                   (Text(f.bar(principal / top, width), style="magenta"), width, "<"),
                                   (f.money(principal), 7, ">")]))
        return t

    def stack_text(self, view: FinancialView) -> Text:
        """The capital stack a credit analyst reads: secured → unsecured notes → convertibles."""
        t = f.styled(f"\nCapital stack, senior first (facility table of {f.day(view.capital_stack_as_of)})", "bold")
        if not view.capital_stack:
            return t.append("  —", style="dim")
        name_w = max(12, min(34, self.cols - 46))
        last = ""
        for cls, name, principal, rate, maturity, source in view.capital_stack:
            t.append("\n")
            head = cls if cls != last else ""
            last = cls
            t.append_text(f.cells([(Text(head, style="dim"), 17, "<"), (f.text(name), name_w, "<"),
                                   (f.money(principal), 7, ">"), (Text(f.grade(source), style="dim"), 3, "<"),
                                   (f.text(rate), 14, "<"), (f.text(maturity or ""), 0, "<")]))
        return t

    @staticmethod
    def newer_text(view: FinancialView) -> Text:
        if not view.newer_filings:
            return Text("")
        t = f.styled("Newer filings, statements not loaded: ", "bold yellow")
        t.append_text(f.text("; ".join(view.newer_filings), limit=300))
        t.append(" (the projection uses their [S] figures where sourced)", style="dim")
        return t

    def render_rows(self, changed: set[str] | None) -> None:
        shown = self.shown()
        if changed is None or changed & WATCHED_IDS:
            market = self.row("market")
            market.show(market_text(shown.indicators, self.cols))
            market.tooltip = tooltip(shown.indicators)
        view: FinancialView | None = shown.financials
        self.row("debt-head").show(self.header(view) if view is not None else
                                                panel_empty(self, ("fin/", "debt/", "maturity/"), "balance sheets"))
        if view is None or (changed is not None and "financials" not in changed):
            return
        for line in view.lines:
            row = self.rows.get(line.key)
            if row is None:  # a line the view grew since start: mount it once
                row = self.rows[line.key] = Row(classes="row")
                self.body.insert(row, before="maturities")
            row.show(self.line_text(line))
            row.tooltip = self.line_tip(line)
        self.row("debt-sources").show(self.sources_text(view))
        mat = self.row("maturities")
        mat.show(self.maturities_text(view))
        mat.tooltip = f.text(view.maturities_source, limit=300)
        self.row("stack").show(self.stack_text(view))
        self.row("newer").show(self.newer_text(view))
        s = view.signed_leases
        signed = self.row("signed")
        label = ("Signed leases, not commenced (off balance sheet): " if self.cols >= 70
                 else "Off-BS leases signed: ")
        if s is None:
            signed.show(Text(label + "—", style="dim"))
        else:
            signed.show(f.cells([(label, 0, "<"), (Text(f.money(s.value), style="bold"), 0, "<"),
                                 (f"({f.day(s.period_end)})", 0, "<")]))
            signed.tooltip = f.text(s.source, limit=300)

    def sort_keys(self) -> list[SortKey]:
        def status(k: str) -> int | None:  # the ratios with a status, worst first
            res = self.snap.indicators.get(k) if self.snap is not None else None
            if res is None or res.threshold is None or res.status == "no_data":
                return None
            return STATUS_ORDER.get(res.status, 0)

        return [SortKey("status", status)]

    def sort_groups(self) -> list[tuple[Row, list[tuple[str, Row]]]]:
        return [(self.row("debt-head"), list(self.rows.items()))]

    def filter_rows(self) -> list[tuple[str, Row]]:
        return self.selectable() + [("sources", self.row("debt-sources"))]

    def selectable(self) -> list[tuple[str, Row]]:
        return list(self.rows.items()) + [("maturities", self.row("maturities")),
                                          ("signed", self.row("signed")),
                                          ("stack", self.row("stack")),
                                          ("market", self.row("market"))]

    def explain_for(self, key: str) -> tuple[str, Text] | None:
        view: FinancialView | None = self.snap.financials if self.snap is not None else None
        if view is None:
            return None
        if key == "maturities":
            return "Debt maturities", maturities_text(view)
        if key == "market":
            return "Market vs model", market_explain(self.shown().indicators)
        if key == "stack":
            t = self.stack_text(view)
            t.append("\n\nSources\n", style="bold")
            for _, name, _, _, _, source in view.capital_stack:
                t.append_text(f.text(f"  {name}: {source}", limit=300))
                t.append("\n")
            return "Capital stack", t
        if key == "signed":
            s = view.signed_leases
            figs: tuple[Figure, ...] = (s,) if s is not None else ()
            return "Signed leases, not commenced", debt_text(FinLine("signed_leases", "Signed leases, not commenced "
                                                                     "(off balance sheet)", "usd", figs))
        line = next((ln for ln in view.lines if ln.key == key), None)
        if line is None:
            return None
        return f"Debt: {line.label}", debt_text(line, UNIT_OVERRIDE.get(line.key), session_of(self.app))
