"""The front page's layout: the panels placed by terminal size and by the config's ``[layout]``
(gpurisk/config_layout.py: ``order``, ``wide``, ``columns``, ``rows``).

- Small terminals (below 110 columns or 30 rows): one panel at a time under a tab strip. The
  strip lists the panels in ``order``, ←/→ step through them in that order and the first one
  shown is ``order[0]``.
- The 2×2 grid: the panels fill it in ``order``, left to right then top to bottom; ``columns``
  and ``rows`` weigh its tracks (the stylesheet's 3:2 and 1:1 when not given).
- Very wide and tall (≥ ``XWIDE`` columns and ≥ ``XTALL`` rows): panel sizes follow their
  content. At 200×60 the 2×2 grid would give the risk panel (some 50 lines) a quarter of the
  screen and hide a third of its rows while the customers panel is half empty, so the wide
  panel (``wide = "auto"``: the risk panel) takes the whole right half, top to bottom; the first
  of the others in ``order`` takes the top of the left half, as tall as its rows; the other two
  share what is left, side by side. ``wide = "none"`` keeps the 2×2 grid.

The grid fills its cells in the order of its children, so the panels are moved among them
(never rebuilt): they keep their numbers (``Dashboard.panels`` is ordered by number), their
keys (1–4 zoom the panel with that number, wherever it is) and their state. Called before
the first paint and on every resize (tui/first_frame.py).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from gpurisk.config_layout import PANELS, Layout

from .widgets.bars import PANEL_NAMES

XWIDE = 180
XTALL = 40


def layout_of(app: Any) -> Layout:
    return getattr(app, "panel_layout", None) or Layout()


def configured(session: Any, layout: Layout | None = None) -> Layout:
    """The layout given to the app, else the session's config's, else the default."""
    return layout or session.config.layout or Layout()


def first(layout: Layout) -> int:
    """The index (number − 1) of the panel shown first on a small terminal."""
    return PANELS.index(layout.order[0])


def step(app: Any, delta: int) -> int:
    """The index of the panel ``delta`` places after the active one, in the layout's order."""
    order = layout_of(app).order
    pos = order.index(PANELS[app.active])
    return PANELS.index(order[(pos + delta) % len(order)])


def tabs_text(active: int, layout: Layout) -> Text:
    """The tab strip of a small terminal: the panels in the layout's order, with their numbers."""
    t = Text()
    for name in layout.order:
        i = PANELS.index(name)
        t.append(f" {i + 1} {PANEL_NAMES[i]} ", style="bold reverse" if i == active else "dim")
        t.append(" ")
    t.append("←/→ switch · ? help", style="dim")
    return t


def _small(app: Any, width: int, height: int) -> bool:
    """One panel at a time (the breakpoint classes the app is about to set for this size)."""
    h = next(c for w, c in reversed(app.HORIZONTAL_BREAKPOINTS) if width >= w)
    v = next(c for w, c in reversed(app.VERTICAL_BREAKPOINTS) if height >= w)
    return h == "-narrow" or v == "-short"


def _fr(weights: tuple[float, float] | None) -> str | None:
    return None if weights is None else " ".join(f"{w:g}fr" for w in weights)


def arrange(app: Any) -> None:
    """Put the panels where the layout and the terminal's size say; set or clear ``-xwide`` on
    the dashboard's screen, ``-xmain`` / ``-xtop`` on the panels, the grid's track weights."""
    if not app.screen_stack:
        return
    screen = app.screen_stack[0]
    grid = next(iter(screen.query("#panels")), None)
    if grid is None:
        return
    by_id = {k.id: k for k in grid.children}
    if any(p not in by_id for p in PANELS):
        return
    layout = layout_of(app)
    width, height = app.size
    wide = layout.wide_panel if width >= XWIDE and height >= XTALL else None
    if wide is None:
        cells = list(layout.order)
    else:
        rest = [p for p in layout.order if p != wide]
        cells = [rest[0], wide, *rest[1:]]
    for i, name in enumerate(cells):
        if grid.children[i] is not by_id[name]:
            grid.move_child(by_id[name], before=i)
    for name, panel in by_id.items():
        panel.set_class(wide is not None and name == wide, "-xmain")
        panel.set_class(wide is not None and name == cells[0], "-xtop")
    screen.set_class(wide is not None, "-xwide")
    grid_2x2 = wide is None and not _small(app, width, height)
    _tracks(grid, "grid_columns", _fr(layout.columns) if grid_2x2 else None)
    _tracks(grid, "grid_rows", _fr(layout.rows) if grid_2x2 else None)


def _tracks(grid: Any, rule: str, value: str | None) -> None:
    """The grid's inline track weights; a layout pass only when they change (as on every resize
    without a ``[layout]``: the stylesheet's weights stay, nothing is relaid for them)."""
    if value is not None or grid.styles.inline.has_rule(rule):
        setattr(grid.styles, rule, value)  # Textual relays out only for a changed value


__all__ = ["XTALL", "XWIDE", "arrange", "configured", "first", "layout_of", "step", "tabs_text"]
