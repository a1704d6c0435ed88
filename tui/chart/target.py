"""What a chart shows when it is asked for from a row: light (no plotext, no pandas), for
the explain screen asks it whenever it opens."""

from __future__ import annotations

REFERENCE = ("H100 SXM", "marketplace")  # the tier the H100 margin reads first


def row_target(app) -> tuple[str, ...] | None:
    """The chart of the row under the dashboard's cursor: a price row's rent, an indicator
    (a debt line that is an indicator too); None for any other row or no cursor."""
    if not app.screen_stack:
        return None
    focused = app.screen_stack[0].focused  # the dashboard's, even under a screen opened over it
    while focused is not None and not hasattr(focused, "selectable"):
        focused = focused.parent
    key = getattr(focused, "cursor", None)
    if not isinstance(key, str):
        return None
    snap = app.session.snapshot
    if key in snap.prices:
        row = snap.prices[key]
        return ("rent", row.sku, row.tier)
    if key in snap.indicators:
        return ("indicator", key)
    return None


def target_for(app) -> tuple[str, ...]:
    """What ``g`` charts: the focused price or indicator row, else H100 at the reference tier."""
    target = row_target(app)
    if target is not None:
        return target
    snap = app.session.snapshot
    if snap.price(*REFERENCE) is None:  # the reference tier not quoted: the first H100 row there is
        row = next((r for r in snap.prices.values() if r.sku == REFERENCE[0]), None)
        if row is not None:
            return ("rent", row.sku, row.tier)
    return ("rent", *REFERENCE)
