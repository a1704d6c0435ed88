"""Panel 3: customer concentration under partial disclosure.

One gauge per disclosed customer share and period (only customers above 10% of
revenue are named), then top-1, top-2, the HHI as a [low, high] interval (the
undisclosed rest is unknown, so a single number would overstate what we know),
the effective number of customers and the largest customer's trend.
"""

from __future__ import annotations

from rich.text import Text

from engine.views import ConcentrationView
from gpurisk.text import format as f
from gpurisk.text.explain import indicator_text, points_text
from gpurisk.view import session_of

from .empty import panel_empty
from .line import Panel
from .rows import Row

#: Summary rows explained by the indicator that computes them.
ROW_INDICATOR = {"top1": "top1_share", "hhi": "hhi", "effn": "effective_customers", "trend": "top1_trend"}


class CustomersPanel(Panel):
    def __init__(self) -> None:
        super().__init__("Customer concentration", 3, id="customers")

    def declare(self) -> list[Row]:
        return [Row(id="gauges", classes="block")] + [
            Row(id=f"cust-{name}", classes="row", gap=int(name == "top1")) for name in ("top1", "top2", "hhi", "effn",
                                                                                        "trend")]

    def gauges(self, view: ConcentrationView) -> Text:
        name_w = min(24, max((len(p.customer) for p in view.points), default=12))
        if self.cols - name_w - 7 - 5 - 3 < 16:  # keep the bars readable: names give way first
            name_w = 12
        width = max(6, min(40, self.cols - name_w - 7 - 5 - 3))
        t = f.styled("Share of revenue by disclosed customer", "bold")
        by_customer: dict[str, list] = {}
        for p in view.points:
            by_customer.setdefault(p.customer, []).append(p)
        for customer, pts in by_customer.items():
            for i, p in enumerate(pts):
                style = "bold red" if p.share >= 0.5 else "yellow" if p.share >= 0.25 else "cyan"
                t.append("\n")
                t.append_text(f.cells([
                    (f.text(customer if i == 0 else "", limit=name_w), name_w, "<"),
                    (f.text(p.period, limit=7), 7, "<"),
                    (Text(f.bar(p.share, width), style=style), width, "<"),
                    (f"{p.share * 100:.0f}%", 4, ">"),
                ]))
        return t

    def summary(self, view: ConcentrationView) -> dict[str, Text]:
        top1 = view.top1
        out: dict[str, Text] = {}
        label = 16
        if top1:
            out["top1"] = f.cells([("Top-1 customer", label, "<"), (f.text(top1.customer, "bold", 20), 0, "<"),
                                   (Text(f"{top1.share * 100:.0f}%", style="bold"), 0, "<"),
                                   (f.text(f"({top1.period})"), 0, "<")])
        else:
            out["top1"] = Text("Top-1 customer   —", style="dim")
        if view.top2_share is not None:
            out["top2"] = f.cells([("Top-2 share", label, "<"),
                                   (Text(f"{view.top2_share * 100:.0f}%", style="bold"), 0, "<"),
                                   (f.text(f"({view.top2_period})"), 0, "<")])
        else:
            out["top2"] = Text("Top-2 share      —", style="dim")
        if view.hhi_low is not None and view.hhi_high is not None:
            style = "bold red" if view.hhi_low >= 2500 else "yellow" if view.hhi_low >= 1500 else "green"
            out["hhi"] = f.cells([("HHI [low, high]", label, "<"),
                                  (Text(f"{view.hhi_low:,.0f}–{view.hhi_high:,.0f}", style=style), 0, "<"),
                                  (f.text(f"({view.hhi_period}; >2,500 = highly concentrated)"), 0, "<")])
        else:
            out["hhi"] = Text("HHI [low, high]  —", style="dim")
        if view.effective_n:
            lo, hi = view.effective_n
            out["effn"] = f.cells([("Effective N", label, "<"), (Text(f"{lo:.1f}–{hi:.1f}", style="bold"), 0, "<"),
                                   ("customers (10,000 ÷ HHI)", 0, "<")])
        else:
            out["effn"] = Text("Effective N      —", style="dim")
        out["trend"] = self.trend(view)
        return out

    @staticmethod
    def trend(view: ConcentrationView) -> Text:
        if view.top1 is None:
            return Text("Trend            —", style="dim")
        name = view.top1.customer
        pts = [p for p in view.points if p.customer == name]
        shares = [p.share for p in pts]
        t = f.cells([("Trend", 16, "<"), (f.text(name, limit=12), 0, "<")])
        t.append(" " + "→".join(f"{s * 100:.0f}%" for s in shares[-4:]))
        if len(shares) > 1:
            up = shares[-1] > shares[-2]
            t.append(f" {f.UP if up else f.DOWN}", style="red" if up else "green")
        return t

    def render_rows(self, changed: set[str] | None) -> None:
        view: ConcentrationView | None = self.shown().customers
        if view is None:
            self.row("gauges").show(panel_empty(self, ("cust/",), "customer disclosures"))
            return
        if changed is not None and "customers" not in changed:
            return
        g = self.row("gauges")
        g.show(self.gauges(view))
        g.tooltip = Text("\n").join(f.text(f"{p.customer} {p.period}: {p.share * 100:.0f}%  {p.source}", limit=200)
                                     for p in view.points)
        for key, t in self.summary(view).items():
            self.row(f"cust-{key}").show(t)

    def selectable(self) -> list[tuple[str, Row]]:
        return [("gauges", self.row("gauges"))] + [
            (k, self.row(f"cust-{k}")) for k in ("top1", "top2", "hhi", "effn", "trend")]

    def explain_for(self, key: str) -> tuple[str, Text] | None:
        snap = self.snap
        if snap is None:
            return None
        res = snap.indicators.get(ROW_INDICATOR.get(key, ""))
        if res is not None:
            return f"Explain: {res.title}", indicator_text(res, session_of(self.app))
        view: ConcentrationView | None = snap.customers
        if view is None:
            return None
        return "Customer shares (disclosed)", points_text("Share of revenue by disclosed customer", view.points)
