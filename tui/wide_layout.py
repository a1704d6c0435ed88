"""Very wide terminals (≥ 180 columns and ≥ 40 rows): panel sizes follow their content.

The 2×2 grid gives every panel a quarter of the screen; at 200×60 the risk panel (some
50 lines) hides a third of its rows while the customers panel is half empty. From
``XWIDE`` columns the risk panel takes the whole right half, top to bottom; the prices
take the top of the left half, as tall as their rows; debt and customers share what is
left, side by side. The grid fills its cells in order, so the risk panel is moved to
second place in the grid while wide (and back after): the panels keep their numbers
(``Dashboard.panels`` is ordered by number), their keys (1–4) and their state.
"""

from __future__ import annotations

from typing import Any

XWIDE = 180
XTALL = 40


def arrange(app: Any) -> None:
    """Set or clear ``-xwide`` on the dashboard's screen and put the risk panel where it goes."""
    if not app.screen_stack:
        return
    screen = app.screen_stack[0]
    grid = next(iter(screen.query("#panels")), None)
    if grid is None:
        return
    width, height = app.size
    wide = width >= XWIDE and height >= XTALL
    kids = list(grid.children)
    by_id = {k.id: k for k in kids}
    risk, prices, customers = by_id.get("risk"), by_id.get("prices"), by_id.get("customers")
    if risk is None or prices is None or customers is None:
        return
    if wide and kids.index(risk) != kids.index(prices) + 1:
        grid.move_child(risk, after=prices)
    elif not wide and kids[-1] is not risk:
        grid.move_child(risk, after=customers)
    screen.set_class(wide, "-xwide")
