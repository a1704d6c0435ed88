"""Panels drawn with the line API: one widget per panel, and a new price repaints its row's
line, not the panel."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.geometry import Region

from engine.observations import PriceQuote
from tui.widgets.line import Panel
from tui.widgets.rows import PanelBody

FROZEN = datetime(2026, 3, 16, 14, 30, tzinfo=UTC)


class Repaints:
    """What a panel body asks to repaint from now on: line regions, whole-panel refreshes, layouts."""

    def __init__(self, body: PanelBody) -> None:
        self.regions: list[Region] = []
        self.full = 0
        self.layouts = 0
        real_refresh, real_layout = body.refresh, body.layout_rows

        def refresh(*regions: Region, **kw):  # type: ignore[no-untyped-def]
            self.regions.extend(regions)
            self.full += not regions
            return real_refresh(*regions, **kw)

        def layout() -> None:
            self.layouts += 1
            real_layout()

        body.refresh = refresh  # type: ignore[method-assign]
        body.layout_rows = layout  # type: ignore[method-assign]


async def test_each_panel_is_one_line_widget(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        for panel in app.panels:
            assert [type(w) for w in panel.children] == [PanelBody]  # the rows are not widgets
            assert len([r for r in panel.lines if r.display]) > 4
        # the whole dashboard screen: bars, four panels and their bodies, a few containers
        assert len(list(app.screen_stack[0].walk_children())) < 40


async def test_a_new_price_repaints_only_its_row(session, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        prices: Panel = app.query_one("#prices", Panel)
        body = prices.body
        row = prices.rows["H100 SXM/hyperscaler_list"]
        at = body.where(row)
        assert at is not None
        seen = Repaints(body)
        old = prices.snap.prices["H100 SXM/hyperscaler_list"].price  # type: ignore[union-attr]
        quote = PriceQuote(as_of=FROZEN, fetched_at=FROZEN, source="test", sku="H100 SXM", tier="hyperscaler_list",
                           provider="azure", price=old + 1.0)
        app.apply(session.engine.ingest([quote]))
        await pilot.pause()
        assert not seen.layouts  # no new layout: the row kept its height
        assert seen.regions, "the changed row was not repainted"
        on_screen = at[0] - body.scroll_offset.y
        assert all(r.y == on_screen and r.height == 1 for r in seen.regions), seen.regions  # that row's line only
        assert f"${old + 1.0:.2f}" in row.plain


async def test_a_row_growing_repaints_from_that_row_down(make_app) -> None:  # type: ignore[no-untyped-def]
    from rich.text import Text

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        risk: Panel = app.query_one("#risk", Panel)
        body = risk.body
        log = risk.row("alert-log")
        at = body.where(log)
        assert at is not None
        seen = Repaints(body)
        log.show(Text("\n".join(f"line {i}" for i in range(at[1] + 3))))  # three lines taller
        await pilot.pause()
        assert body.where(log) == (at[0], at[1] + 3)
        assert not seen.full and seen.regions  # not the whole panel...
        top = at[0] - body.scroll_offset.y
        assert min(r.y for r in seen.regions) == top  # ...from the grown row down


async def test_hovering_a_row_shows_its_tooltip(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        risk: Panel = app.query_one("#risk", Panel)
        for name in ("current_ratio", "spread_sofr"):
            line = risk.rows[name]
            risk.body.scroll_row_visible(line)
            await pilot.pause()
            at = risk.body.where(line)
            assert at is not None
            await pilot.hover(risk.body, offset=(4, at[0] - risk.body.scroll_offset.y))
            await pilot.pause()
            tip = risk.body.tooltip
            title = app.session.snapshot.indicators[name].title
            assert tip is not None and title in getattr(tip, "plain", str(tip))


# --- a one-line row drawn without Rich's wrapping: the same segments -----------------------
from hypothesis import given, settings, strategies as st  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.segment import Segment  # noqa: E402
from rich.style import Style  # noqa: E402
from rich.text import Text  # noqa: E402

from tui.widgets.rows import _fits, one_line  # noqa: E402

_CONSOLE = Console(width=200, color_system="truecolor", force_terminal=True, legacy_windows=False)
_pieces = st.text(alphabet=st.sampled_from(list("ab $.-9  ▼█…漢é")), max_size=12)
_styles = st.sampled_from([None, Style(bold=True), Style(color="red"), Style(bgcolor="blue", italic=True)])


@settings(deadline=None)
@given(st.lists(st.tuples(_pieces, _styles), max_size=6), st.integers(1, 40), _styles)
def test_one_line_is_what_rich_lays_out(parts, width, base):
    """Trailing blanks, wide characters, a base style: the same cells and styles as
    ``Console.render_lines`` with no wrapping and an ellipsis, for every row that fits."""
    text = Text(style=base or "")
    for piece, style in parts:
        text.append(piece, style)
    if not _fits(text, width):
        return  # Rich's own way
    options = _CONSOLE.options.update(width=width, height=None, no_wrap=True, overflow="ellipsis", highlight=False)
    rich = (_CONSOLE.render_lines(text, options, pad=False, new_lines=False) or [[]])[0]
    def cells(segments: list[Segment]) -> list[Segment]:  # what reaches the screen: no empty runs
        return list(Segment.simplify(s for s in Segment.adjust_line_length(segments, width, pad=True) if s.text))

    assert cells(one_line(text, _CONSOLE)) == cells(rich)


def test_only_a_plain_line_that_fits_takes_the_short_way():
    assert _fits(Text("ab "), 3) and not _fits(Text("ab "), 2) and not _fits(Text("漢"), 1)
    assert not _fits(Text("a\nb"), 9) and not _fits(Text("a\tb"), 9)
    assert not _fits(Text("a", justify="right"), 9) and not _fits(Text("a", overflow="fold"), 9)
