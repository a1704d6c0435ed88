"""Panel 1: GPU rental prices, one line per (GPU model, tier), plus CoreWeave's premium.

Tiers (marketplace, neocloud list, hyperscaler list, index) are never averaged
together: each is its own line. Lines are mounted once at start for every known
model × tier and hidden until data arrives; an unexpected model gets its line
the first time it appears. Columns drop by priority when the panel is narrow.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from engine.observations import SKUS, TIER_LABELS, TIERS
from engine.prices import PriceRow
from gpurisk.text import format as f
from gpurisk.text.explain import price_text

from .empty import panel_empty
from .filter import SortKey
from .line import Panel
from .rows import Row

CW = "coreweave"
#: Tier names when the panel is tight (the column gives its width to low–high).
SHORT_TIER = {"marketplace": "market", "neocloud_list": "neo", "hyperscaler_list": "hyper", "index": "index"}


def coreweave_quote(row: PriceRow | None) -> float | None:
    if row is None:
        return None
    return next((q.price for q in row.sources if q.provider.lower() == CW), None)


#: SKU names that do not fit the 9-cell GPU column (the full name is in the tooltip and explain).
SKU_SHORT = {"A100 PCIe 80GB": "A100 PCIe"}

class PricesPanel(Panel):
    def __init__(self) -> None:
        super().__init__("GPU rental prices  $/GPU-h", 1, id="prices")
        self.rows: dict[str, Row] = {}
        self.show_be = False
        self.prem: dict[str, Row] = {}
        self._ticked: dict[str, tuple[object, ...]] = {}  # row -> what the clock changes, as last drawn

    def declare(self) -> list[Row]:
        out = [Row(id="prices-head", classes="head")]
        for sku in SKUS:
            for tier in TIERS:
                out.append(Row(classes="row -empty"))
                self.rows[f"{sku}/{tier}"] = out[-1]
        out.append(Row(id="prem-head", classes="head -empty", gap=1))
        for sku in SKUS:
            out.append(Row(classes="row -empty"))
            self.prem[sku] = out[-1]
        return out

    # --- layout ---------------------------------------------------------------
    def tier_cell(self, tier: str) -> tuple[str, int]:
        """The tier label and column width: full names when there is room for every column."""
        if self.cols - 45 >= 8 + 11 + 9:
            return TIER_LABELS.get(tier, f.clean(tier)), 10
        return SHORT_TIER.get(tier, f.clean(tier)[:6]), 6

    def layout_cols(self) -> tuple[bool, int, bool]:
        """(show Δ7d, sparkline width, show low–high) for the current width."""
        room = self.cols - 45 + (10 - self.tier_cell("index")[1])  # sku 9, tier, price 7, chg 8, n 2, age 4, gaps
        d24 = room >= 8
        room -= 8 if d24 else 0
        rng = room >= 11 + 7  # low–high, and still a sparkline of 6
        room -= 11 if rng else 0
        self.show_be = room >= 8 + 12  # the breakeven rent beside the rent, on wider terminals
        room -= 8 if self.show_be else 0
        spark = min(40, room - 1) if room >= 7 else 0  # a wide terminal earns a longer history
        return d24, spark, rng

    def breakeven(self, sku: str) -> float | None:
        """The rent a debt-financed GPU of this SKU needs at the reported life (its margin
        indicator's own breakeven: one figure, one value)."""
        from engine.indicators.gpu import SKU_CAPEX

        slug = SKU_CAPEX.get(sku, ("", ""))[0]
        name = "h100_margin_6y" if sku == "H100 SXM" else f"margin_{slug}"
        res = self.snap.indicators.get(name) if self.snap is not None and slug else None
        return res.get("breakeven_reported") if res is not None else None

    def base_change(self, row: PriceRow) -> float | None:
        """The change against the chosen base (tui/change_base.py); 24 h without an app."""
        base = self.change_base()
        session = self.session()
        if base is None or session is None:
            return row.change_24h
        return base.price_change(session, row, self.now or self.app.clock())  # type: ignore[attr-defined]

    def day_change(self, row: PriceRow) -> Text:
        """Against the chosen base: ▲ up, ▼ down (red: a rent falling is worse), · flat."""
        ch = self.base_change(row)
        arrow = f.change(ch).plain[:1] if ch is not None else " "
        t = Text(arrow + " ", style="green" if arrow == "▲" else "bold red" if arrow == "▼" else "dim")
        t.append_text(f.signed_pct(ch))
        return t

    def base_label(self) -> str:
        base = self.change_base()
        return base.label.replace(" ", "") if base is not None else "Δ24h"

    def header(self) -> Text:
        d24, spark, rng = self.layout_cols()
        parts: list[tuple[Text | str, int, str]] = [("GPU", 9, "<"), ("tier", self.tier_cell("index")[1], "<"),
                                                    ("$/h", 7, ">"), (self.base_label(), 8, ">")]
        if d24:
            parts.append(("Δ7d", 7, ">"))
        if rng:
            parts.append(("low–high", 10, ">"))
        if self.show_be:
            parts.append(("b/e 6y", 7, ">"))
        if spark:
            parts.append(("trend", spark, "<"))
        parts += [("n", 2, ">"), ("age", 4, ">")]
        t = f.cells(parts)
        t.stylize("bold")
        return t

    def row_text(self, row: PriceRow) -> Text:
        d24, spark, rng = self.layout_cols()
        now = self.now
        parts: list[tuple[Text | str, int, str]] = [
            (f.text(SKU_SHORT.get(row.sku, row.sku), "bold"), 9, "<"),
            self.tier_cell(row.tier) + ("<",),
            (f.price(row.price), 7, ">"),
            (self.day_change(row), 8, ">"),
        ]
        if d24:
            parts.append((f.signed_pct(row.change_7d), 7, ">"))
        if rng:
            parts.append((f"{row.low:.2f}–{row.high:.2f}" if row.n_sources > 1 else "", 10, ">"))
        if self.show_be:
            be = self.breakeven(row.sku)
            style = "dim" if be is None else "bold red" if row.price < be else "dim"
            parts.append((Text(f.price(be) if be is not None else "", style=style), 7, ">"))
        if spark:
            parts.append((Text(f.sparkline(row.history, spark), style="cyan"), spark, "<"))
        a = f.since(row.fetched_at, now) if now else None
        parts += [(str(row.n_sources), 2, ">"), (Text(f.age(a), style="dim"), 4, ">")]
        return f.cells(parts)

    @staticmethod
    def tooltip_for(row: PriceRow) -> Text:
        t = f.text(f"{row.sku} · {TIER_LABELS.get(row.tier, row.tier)} · median of {row.n_sources}", "bold")
        t.append("\n")
        for q in row.sources:
            t.append_text(f.text(f"{q.provider:<14} ${q.price:.2f}  as of {f.day(q.as_of)}  {q.source}", limit=160))
            t.append("\n")
        return t

    def premium_text(self, sku: str) -> Text | None:
        snap = self.shown()
        cw = coreweave_quote(snap.prices.get(f"{sku}/neocloud_list"))
        mkt = snap.prices.get(f"{sku}/marketplace")
        if cw is None:
            return None
        prem = cw / mkt.price - 1.0 if mkt and mkt.price else None
        return f.cells([
            (f.text(SKU_SHORT.get(sku, sku), "bold"), 9, "<"),
            (f"CW {f.price(cw)}", 10, "<"),
            (f"mkt {f.price(mkt.price) if mkt else '—'}", 11, "<"),
            (Text("premium ") + f.signed_pct(prem), 0, "<"),
        ])

    # --- updates ---------------------------------------------------------------
    def render_rows(self, changed: set[str] | None) -> None:
        snap = self.shown()
        # No price yet: say why (waiting for the first answer, or the feed's error), not a bare header.
        self.row("prices-head").show(self.header() if snap.prices else
                                                  panel_empty(self, ("price/",), "GPU prices"))
        skus_touched: set[str] = set()
        for rid, row in snap.prices.items():
            if changed is not None and f"price/{rid}" not in changed:
                continue
            line = self.rows.get(rid)
            if line is None:  # a model/tier we did not know at start: mount its line once
                line = self.rows[rid] = Row(classes="row")
                self.body.insert(line, before="prem-head")
            line.remove_class("-empty")
            self._ticked[rid] = self.clock_key(row)
            line.show(self.row_text(row))
            line.tooltip = self.tooltip_for(row)
            skus_touched.add(row.sku)
        for sku in (self.prem if changed is None else skus_touched & set(self.prem)):
            t = self.premium_text(sku)
            if t is not None:
                self.prem[sku].remove_class("-empty")
                self.row("prem-head").remove_class("-empty")
                self.prem[sku].show(t)
        if not self.row("prem-head").shown:
            self.row("prem-head").show(Text("CoreWeave list vs marketplace median", style="bold"))

    def tick(self, now: datetime) -> None:
        super().tick(now)
        if self.snap is None:
            return
        for rid, row in self.snap.prices.items():
            line = self.rows.get(rid)
            if line is None:
                continue
            # only the age and the change against a moving base follow the clock: a row is
            # drawn again when one of them reads differently (most seconds, none does)
            key = self.clock_key(row)
            if self._ticked.get(rid) != key:
                self._ticked[rid] = key
                line.show(self.row_text(row))

    def clock_key(self, row: PriceRow) -> tuple[object, ...]:
        """What of ``row``'s line the clock moves, as it reads now."""
        now = self.now
        return f.age(f.since(row.fetched_at, now) if now else None), self.base_change(row), row

    def selectable(self) -> list[tuple[str, Row]]:
        return list(self.rows.items())

    # --- filter and sort ----------------------------------------------------------
    def sort_keys(self) -> list[SortKey]:
        def price(k: str) -> float | None:
            row = self.snap.prices.get(k) if self.snap is not None else None
            return row.price if row is not None else None

        def move(k: str) -> float | None:
            row = self.snap.prices.get(k) if self.snap is not None else None
            return abs(row.change) if row is not None and row.change is not None else None

        return [SortKey("$/h", price), SortKey("|chg|", move)]

    def sort_groups(self) -> list[tuple[Row, list[tuple[str, Row]]]]:
        return [(self.row("prices-head"), list(self.rows.items()))]

    def filter_rows(self) -> list[tuple[str, Row]]:
        return list(self.rows.items()) + [(f"{sku} premium coreweave", line) for sku, line in self.prem.items()]

    def filter_heads(self) -> list[tuple[Row, list[Row]]]:
        return [(self.row("prem-head"), list(self.prem.values()))]

    def explain_for(self, key: str) -> tuple[str, Text] | None:
        row = self.snap.prices.get(key) if self.snap is not None else None
        if row is None:
            return None
        return f"Price: {row.sku} · {TIER_LABELS.get(row.tier, row.tier)}", price_text(row)
