"""Formatting for the dashboard: numbers by unit, changes, sparklines, ages, safe text.

Every panel formats through here so a value reads the same everywhere, and so
text that came from outside (provider names, sources, error messages) is turned
into :class:`rich.text.Text` with control characters made visible: it is data,
never markup and never terminal escapes. Ages are coarse ("5s", "3m", "2h") so a
once-a-second tick changes the text, and repaints, only when the shown age moves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from rich.text import Text

from feeds.textsafe import safe

SPARK = "▁▂▃▄▅▆▇█"
BAR_FULL = "█"
BAR_PARTS = " ▏▎▍▌▋▊▉"
UP, DOWN, FLAT = "▲", "▼", "·"
STATUS_WORD = {"ok": "OK", "watch": "WATCH", "alert": "ALERT", "no_data": "NO DATA"}
STATUS_STYLE = {"ok": "green", "watch": "bold yellow", "alert": "bold reverse red", "no_data": "dim"}
FEED_STYLE = {
    "OK": "green", "STALE": "bold yellow", "ERROR": "bold reverse red", "DISABLED": "dim",
    "RATE-LIMITED": "bold magenta", "NO DATA": "yellow", "PENDING": "dim",
}


def clean(s: object, limit: int | None = None) -> str:
    """Outside text made safe (``feeds.textsafe.safe``): secrets masked, control characters
    shown as ``\\x1b``; optionally truncated with …."""
    return safe(s, limit)


def text(s: object, style: str = "", limit: int | None = None) -> Text:
    """A Text for data from outside: never parsed as markup. The style is a span, so text
    appended later does not inherit it."""
    t = Text()
    t.append(clean(s, limit), style=style or None)
    return t


def styled(s: str, style: str) -> Text:
    """Our own words with a style as a span (safe to append to)."""
    t = Text()
    t.append(s, style=style)
    return t


ACCESSION = re.compile(r"(?:\b(10-Q|10-K|S-1|S-4|8-K|424B4|20-F|6-K)\s+)?\b(\d{10}-\d{2}-\d{6})\b")


def filings(src: str) -> list[str]:
    """Every SEC filing named in a source, as "10-Q 0001769628-25-000014"."""
    out: list[str] = []
    for form, acc in ACCESSION.findall(clean(src)):
        label = f"{form} {acc}" if form else acc
        if label not in out and acc not in out:
            out.append(label)
    return out


GRADE_ORDER = ("U", "S", "D")  # worst first: unverified, secondary, derived; primary is unmarked


def grade(*sources: str) -> str:
    """The least certain grade marked in ``sources`` ("[U]", "[S]", "[D]"), "" when all are primary."""
    joined = " ".join(sources)
    return next((f"[{g}]" for g in GRADE_ORDER if f"[{g}]" in joined), "")


def short_source(src: str, limit: int = 18) -> str:
    """The recognisable part of a source: a filing, else a URL's or path's last part."""
    s = clean(src).strip()
    mark = grade(s)
    if mark:  # the grade first: a cut source never loses it
        return clean(f"{mark} {short_source(s.replace(mark, ''), max(1, limit - len(mark) - 1))}", limit)
    found = filings(s)
    if found:
        label = found[0]
        if len(label) > limit:  # never a cut accession number: the filer's own part goes first
            form, _, acc = label.rpartition(" ")
            label = f"{form} …{acc[-9:]}".strip() if len(acc) == 20 else label
        return clean(label, limit)
    if "://" in s:
        s = s.split("://", 1)[1].rstrip("/")
        s = s.rsplit("/", 1)[-1] or s
    elif "/" in s and " " not in s:
        s = s.rsplit("/", 1)[-1]
    return clean(s, limit)


def money(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    a = abs(v)
    sign = "-" if v < 0 else ""
    for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            return f"{sign}${a / div:.1f}{suf}"
    return f"{sign}${a:,.0f}"


def fmt_value(unit: str, v: float | None) -> str:
    """Render an indicator or figure by its unit; unknown units stay plain."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if unit == "pct":
        return f"{v * 100:.1f}%"
    if unit == "pp":  # a change of a share, in percentage points
        return f"{v * 100:+.1f} pts"
    if unit == "bp":  # a spread held as a fraction (0.05 = 500 bp)
        return f"{v * 1e4:,.0f} bp"
    if unit == "ratio":
        return f"{v:.3f}"
    if unit == "x":
        return f"{v:.2f}×" if abs(v) < 100 else f"{v:,.0f}×"
    if unit == "usd_h":
        return f"${v:.2f}/h"
    if unit == "hhi":
        return f"{v:,.0f}"
    if unit == "usd":
        return money(v)
    if unit == "pct_pts":
        return f"{v:.1f}%"
    if unit == "months":
        return f"{v:.1f} mo"
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


#: Indicator titles in at most 14 cells, each still telling the figure apart (6y vs 3y, GB200
#: vs B200): narrow tables use them when the full title does not fit.
SHORT_TITLES = {
    "h100_margin_6y": "H100 mgn @6y", "h100_margin_3y": "H100 mgn @3y", "h100_fair_pressure": "H100 vs GB200",
    "h100_fair_pressure_b200": "H100 vs B200", "margin_h200": "H200 margin", "margin_b200": "B200 margin",
    "margin_gb200": "GB200 margin", "margin_a100": "A100 margin", "depreciation_sensitivity": "Op mgn @tech",
    "liabilities_to_assets": "Liabs/assets", "debt_to_assets": "Debt/assets", "debt_leases_to_assets": "Debt+leases/TA",
    "current_ratio": "Current ratio", "quick_ratio": "Quick ratio", "cash_ratio": "Cash ratio",
    "interest_coverage": "Int cover EBIT", "effective_rate": "Eff. rate", "debt_to_ebitda": "Debt/EBITDA",
    "net_debt_to_ebitda": "NetDebt/EBITDA", "net_debt_leases_to_ebitda": "NDL/EBITDA",
    "ebitda_coverage": "Int cvr (proj)",
    "spread_sofr": "Rate − SOFR", "spread_hy": "Rate − HY", "dscr": "DSCR (proj)", "runway_months": "Runway (proj)",
    "proj_ebitda_4q": "EBITDA 4Q proj", "funding_gap_12m": "Fund gap proj",
    "maturity_wall": "Maturity wall", "hhi": "HHI (low)", "top1_share": "Top-1 share",
    "effective_customers": "Eff. customers", "top1_trend": "Top-1 trend", "revenue_at_risk": "Rev. top cust",
    "altman_z2": "Altman Z''", "distance_to_default": "Dist. to dflt", "h100_breach_prob_24m": "H100 P<BE 24m",
    "bond_yield": "Note yield", "bond_spread": "Note spread", "market_pd_1y": "Mkt PD 1y",
}


def title_in(name: str, title: str, width: int) -> str:
    """The indicator's title if it fits ``width``, else its short title (never a cut one)."""
    return title if len(title) <= width else SHORT_TITLES.get(name, title)


def fmt_change(unit: str, d: float | None) -> str:
    """A change of an indicator in its own unit, signed: +2.3 pts, +0.023, −0.05×, +$1.2B."""
    if d is None or not math.isfinite(d):
        return "—"
    if unit in ("pct", "pp"):
        return f"{d * 100:+.1f} pts"
    if unit == "pct_pts":
        return f"{d:+.2f} pts"
    if unit == "bp":
        return f"{d * 1e4:+,.0f} bp"
    if unit == "ratio":
        return f"{d:+.3f}"
    if unit == "x":
        return f"{d:+.2f}×"
    if unit == "usd":
        return ("+" if d >= 0 else "-") + money(abs(d))
    if unit == "usd_h":
        return f"{d:+.2f} $/h"
    if unit == "months":
        return f"{d:+.1f} mo"
    return f"{d:+,.0f}" if abs(d) >= 100 else f"{d:+.2f}"


def price(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else f"${v:.2f}"


def pct(v: float | None, signed: bool = True) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v * 100:+.1f}%" if signed else f"{v * 100:.0f}%"


def change(v: float | None, eps: float = 5e-5) -> Text:
    """Glyph + colour + percent: ▲ green up, ▼ red down, · flat (colour-blind safe by the glyph)."""
    if v is None or not math.isfinite(v):
        return Text(f"{FLAT}     —", style="dim")
    if v > eps:
        return Text(f"{UP}{v * 100:+6.1f}%", style="green")
    if v < -eps:
        return Text(f"{DOWN}{v * 100:+6.1f}%", style="red")
    return Text(f"{FLAT}  0.0%", style="dim")


def signed_pct(v: float | None) -> Text:
    if v is None:
        return Text("—", style="dim")
    return Text(f"{v * 100:+.1f}%", style="green" if v > 0 else "red" if v < 0 else "dim")


def sparkline(values: Sequence[float], width: int) -> str:
    """Block sparkline of the last ``width`` values, scaled to their own range."""
    vals = [v for v in values if v is not None and math.isfinite(v)][-width:]
    if not vals or width <= 0:
        return ""
    lo, hi = min(vals), max(vals)
    span = hi - lo
    if span <= 1e-12:
        return SPARK[3] * len(vals)
    return "".join(SPARK[min(7, int((v - lo) / span * 7.999))] for v in vals)


def bar(fraction: float, width: int) -> str:
    """Horizontal bar of ``width`` cells filled to ``fraction`` (eighths of a cell)."""
    f = max(0.0, min(1.0, fraction)) * width
    full = int(f)
    part = int((f - full) * 8)
    s = BAR_FULL * full + (BAR_PARTS[part] if part and full < width else "")
    return s.ljust(width)


def age(seconds: float | None) -> str:
    """Coarse age: now, 30s, 3m, 2h, 4d (changes rarely, so an idle screen rarely repaints:
    a trader reads "now / half a minute / minutes", not 10-second steps)."""
    if seconds is None:
        return "—"
    s = max(0.0, seconds)
    if s < 30:
        return "now"
    if s < 60:
        return "30s"
    if s < 3600:
        return f"{int(s // 60)}m"
    if s < 86400 * 2:
        return f"{int(s // 3600)}h"
    return f"{int(s // 86400)}d"


def since(then: datetime | None, now: datetime) -> float | None:
    if then is None:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return (now - then).total_seconds()


def day(d: date | datetime | None) -> str:
    if d is None:
        return "—"
    if isinstance(d, datetime):
        d = d.date()
    return d.isoformat()


def cells(parts: Iterable[tuple[Text | str, int, str]]) -> Text:
    """Join (content, width, align) cells with one space; width 0 means 'as is'."""
    out = Text(no_wrap=True, overflow="ellipsis")
    first = True
    for content, width, align in parts:
        t = content.copy() if isinstance(content, Text) else Text(content)
        if width:
            t.truncate(width, overflow="ellipsis")
            pad = width - t.cell_len
            if pad > 0:
                if align == ">":
                    t = Text(" " * pad) + t
                else:
                    t.append(" " * pad)
        if not first:
            out.append(" ")
        out.append_text(t)
        first = False
    return out


def same(a: Text | None, b: Text) -> bool:
    """Would ``b`` look exactly like ``a``? (text and styles)."""
    return a is not None and a.plain == b.plain and a.spans == b.spans and a.style == b.style
