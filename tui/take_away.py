"""Take it away: ``x`` exports what is on screen, ``y`` copies the value under the cursor.

``x`` writes the focused panel (or the screen open over the dashboard) as CSV, plus the
part of the snapshot's JSON document (``gpurisk.snapshot_json``) behind it, to
``<user data dir>/exports`` (platformdirs; ``--screenshot-dir`` when given, as for
screenshots); the notice line names the files. The CSV rows carry the same level and
stale mark, values in the same unit, as the screen.

``y`` copies the value under the cursor — or the link, when the row holds one (a filing's
EDGAR page) — with ``App.copy_to_clipboard`` (OSC 52). Text from feeds goes out as plain,
inert text: no markup, control characters made visible.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from gpurisk.text import format as f, level as lv

URL = re.compile(r"https?://[^\s<>\"']+")
PANEL_PART = {"prices": "prices", "debt": "financials", "customers": "customers", "risk": "indicators"}


def export_folder(app: Any) -> Path:
    """``--screenshot-dir`` when given, else ``<user data dir>/exports``; made if missing."""
    if getattr(app, "screenshot_dir", None):
        folder = Path(app.screenshot_dir).expanduser()
    else:
        import platformdirs

        folder = platformdirs.user_data_path("gpurisk") / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _document(app: Any) -> dict[str, Any]:
    from gpurisk.snapshot_json import snapshot_json

    s, now = app.session, app.clock()
    return snapshot_json(s.snapshot, s.status, s.demo, now, s.stale_indicators(now))


# --- what a panel or a screen holds, as rows -----------------------------------------------
def risk_rows(app: Any) -> list[list[str]]:
    s, now, base = app.session, app.clock(), app.change_base
    out = [["indicator", "title", "group", "value", "unit", "shown", "level", "stale", base.label, "worse",
            "threshold", "as_of"]]
    for name, r in s.snapshot.indicators.items():
        note = s.stale_note(r, now)
        delta = base.delta(s, r, now)
        out.append([name, r.title, r.group, "" if r.value is None else repr(r.value), r.unit,
                    f.fmt_value(r.unit, r.value), lv.word(r), lv.stale_mark(r, note, s.data_now(now)),
                    "" if delta is None else f.fmt_change(r.unit, delta), "yes" if base.worse(s, r, now) else "",
                    lv.threshold(r), f.day(r.as_of) if r.as_of is not None else ""])
    return out


def price_rows(app: Any) -> list[list[str]]:
    s, now, base = app.session, app.clock(), app.change_base
    out = [["sku", "tier", "price_usd_h", base.label, "change_7d", "low", "high", "n_sources", "as_of"]]
    for r in s.snapshot.prices.values():
        ch = base.price_change(s, r, now)
        out.append([r.sku, r.tier, repr(r.price), "" if ch is None else f"{ch * 100:+.1f}%",
                    "" if r.change_7d is None else f"{r.change_7d * 100:+.1f}%", repr(r.low), repr(r.high),
                    str(r.n_sources), r.as_of.isoformat()])
    return out


def line_rows(panel: Any) -> list[list[str]]:
    """Any other panel: its rows as on screen (key, then the text split at runs of spaces)."""
    out = [["row", "text"]]
    for key, line in panel.visible_rows():
        for part in line.plain.splitlines():
            out.append([key, *[c for c in re.split(r"\s{2,}", part.strip()) if c]])
    return out


def table_rows(table: Any) -> list[list[str]]:
    out = [[str(c.label) for c in table.columns.values()]]
    for key in table.rows:
        out.append([c.plain if hasattr(c, "plain") else str(c) for c in table.get_row(key)])
    return out


def what_to_export(app: Any) -> tuple[str, list[list[str]], dict[str, Any]]:
    """(name, CSV rows, JSON document) of the focused panel or the screen over the dashboard."""
    from textual.widgets import DataTable

    from .widgets.filter import focused_panel

    doc = _document(app)
    head: dict[str, Any] = {k: doc[k] for k in ("schema", "generated_at", "company", "period", "demo") if k in doc}
    if len(app.screen_stack) > 1:
        screen = app.screen
        name = re.sub(r"screen$", "", type(screen).__name__.lower()) or "screen"
        tables = list(screen.query(DataTable))
        if tables:
            rows = table_rows(tables[0])
        else:
            rows = [["line"]] + [[ln] for ln in screen_text(screen).splitlines()]
        return name, rows, doc
    panel = focused_panel(app)
    name = str(panel.id or "panel")
    rows = risk_rows(app) if name == "risk" else price_rows(app) if name == "prices" else line_rows(panel)
    part = PANEL_PART.get(name)
    return name, rows, {**head, part: doc.get(part)} if part else doc


def screen_text(screen: Any) -> str:
    """The text of a screen without a table (explain, score, events): its lines, top to bottom."""
    from textual.widgets import Static

    parts = []
    for w in screen.query(Static):
        shown = getattr(w, "shown", None)
        text = shown.plain if shown is not None else getattr(w.render(), "plain", "")
        if text.strip():
            parts.append(text)
    return "\n".join(parts)


def export(app: Any) -> tuple[Path, Path] | None:
    """Write the CSV and the JSON; the notice line names them (or says why not)."""
    try:
        name, rows, doc = what_to_export(app)
        folder = export_folder(app)
        stamp = app.clock().strftime("%Y%m%d-%H%M%S")
        csv_path, json_path = folder / f"gpurisk-{name}-{stamp}.csv", folder / f"gpurisk-{name}-{stamp}.json"
        buf = io.StringIO()
        csv.writer(buf).writerows([[f.clean(c) for c in row] for row in rows])
        csv_path.write_text(buf.getvalue(), encoding="utf-8")
        json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    except OSError as exc:
        app.notify(f"Not exported: {exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})",
                   severity="error", markup=False)
        return None
    app.notify(f"Exported {name}: {csv_path} (+ .json)", timeout=8, markup=False)
    return csv_path, json_path


# --- y: the value (or link) under the cursor --------------------------------------------------
def value_under_cursor(app: Any) -> str | None:
    from textual.widgets import DataTable

    from .widgets.filter import focused_panel

    if len(app.screen_stack) > 1:
        tables = list(app.screen.query(DataTable))
        if not tables or not tables[0].row_count:
            return None
        table = tables[0]
        cells = [c.plain if hasattr(c, "plain") else str(c) for c in table.get_row_at(table.cursor_row)]
        labels = [str(c.label) for c in table.columns.values()]
        joined = "  ".join(cells)
        link = URL.search(joined)
        if link:
            return link.group(0)
        return cells[labels.index("Value")].strip().split("  ")[0] if "Value" in labels else joined
    panel = focused_panel(app)
    key = panel.cursor
    if key is None:
        return None
    snap = app.session.snapshot
    if panel.id == "risk" and key in snap.indicators:
        r = snap.indicators[key]
        return f.fmt_value(r.unit, r.value)
    if panel.id == "prices" and key in snap.prices:
        return f"{snap.prices[key].price:.2f}"
    line = dict(panel.selectable()).get(key)
    text = line.plain if line is not None else ""
    link = URL.search(text)
    return link.group(0) if link else text.strip() or None


def copy(app: Any) -> str | None:
    value = value_under_cursor(app)
    if not value:
        app.notify("Nothing to copy here: move the cursor onto a row (↑/↓ or j/k)", timeout=3, markup=False)
        return None
    text = f.clean(value, 2000)  # inert: control characters shown, never sent to the terminal
    app.copy_to_clipboard(text)
    app.notify(f"Copied: {f.clean(text, 60)}", timeout=3, markup=False)
    return text
