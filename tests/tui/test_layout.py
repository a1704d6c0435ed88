"""``[layout]`` on the front page: the panels move where the config says, at 120×40 (the 2×2
grid), 200×60 (very wide) and 80×24 (one panel at a time); the keys 1–4 stay with the panel's
number, wherever it sits. Without the table the layout is today's (the snapshots in
test_snapshots.py are unchanged)."""

from __future__ import annotations

from pathlib import Path

from conditions import until

from gpurisk.config import load_config
from gpurisk.config_layout import Layout
from gpurisk.session import Session

IDS = ("prices", "debt", "customers", "risk")


def regions(app):  # type: ignore[no-untyped-def]
    return {i: app.query_one(f"#{i}").region for i in IDS}


async def placed(pilot, cond) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    assert await until(lambda: cond(regions(pilot.app)), 5)


def grid_2x2(r, tl: str, tr: str, bl: str, br: str) -> bool:  # type: ignore[no-untyped-def]
    """tl top left, tr top right, bl bottom left, br bottom right, none overlapping."""
    return (r[tl].x == r[bl].x < r[tr].x == r[br].x and r[tl].y == r[tr].y < r[bl].y == r[br].y
            and r[tl].right <= r[tr].x and r[tl].bottom <= r[bl].y and all(r[i].area for i in IDS))


async def test_default_layout_is_todays(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await placed(pilot, lambda r: grid_2x2(r, "prices", "debt", "customers", "risk"))
        r = regions(app)
        assert r["prices"].width > r["debt"].width  # the stylesheet's 3:2
        await pilot.resize_terminal(200, 60)
        await placed(pilot, lambda r: r["risk"].x > r["customers"].x > r["debt"].x == r["prices"].x)
        r = regions(app)
        assert r["risk"].y == r["prices"].y and r["risk"].height == r["prices"].height + r["debt"].height
        assert r["prices"].width == r["debt"].width + r["customers"].width


async def test_custom_order_and_sizes_at_120x40(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    layout = Layout(("risk", "customers", "prices", "debt"), columns=(1.0, 1.0), rows=(2.0, 1.0))
    app = make_app(layout=layout)
    async with app.run_test(size=(120, 40)) as pilot:
        await placed(pilot, lambda r: grid_2x2(r, "risk", "customers", "prices", "debt"))
        r = regions(app)
        assert abs(r["risk"].width - r["customers"].width) <= 1  # columns [1, 1]
        assert r["risk"].height > 1.8 * r["prices"].height  # rows [2, 1]
        assert [p.id for p in app.panels] == list(IDS)  # numbers kept
        assert app.focused is app.query_one("#risk")  # the first in order has the keys at start
        await pilot.press("right")
        await pilot.pause()
        assert app.focused is app.query_one("#customers")
        await pilot.press("1")  # 1 is the prices panel, now bottom left
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#prices")
        await pilot.press("1")
        await pilot.pause()
        assert app.screen.maximized is None


async def test_custom_wide_panel_at_200x60_and_back(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(layout=Layout(("debt", "prices", "risk", "customers"), wide="customers"))
    async with app.run_test(size=(200, 60)) as pilot:
        await app.poll_now()
        # customers the right half; debt (first in order) on top of the left; prices, risk under it
        await placed(pilot, lambda r: r["customers"].x > r["risk"].x > r["prices"].x == r["debt"].x)
        r = regions(app)
        assert app.screen.has_class("-xwide")
        assert r["customers"].y == r["debt"].y and r["customers"].bottom == r["prices"].bottom
        assert r["debt"].bottom <= r["prices"].y and r["prices"].y == r["risk"].y
        assert r["debt"].height <= 30  # as tall as its rows, at most half the screen
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#risk")
        await pilot.press("4")
        await pilot.pause()
        await pilot.resize_terminal(120, 40)  # the 2×2 grid in the configured order
        await placed(pilot, lambda r: grid_2x2(r, "debt", "prices", "risk", "customers"))
        assert not app.screen.has_class("-xwide")


async def test_wide_none_keeps_the_grid_at_200x60(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(layout=Layout(wide="none", columns=(1.0, 2.0)))
    async with app.run_test(size=(200, 60)) as pilot:
        await placed(pilot, lambda r: grid_2x2(r, "prices", "debt", "customers", "risk"))
        assert not app.screen.has_class("-xwide")
        r = regions(app)
        assert r["debt"].width > 1.8 * r["prices"].width


async def test_small_terminal_follows_the_order(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(layout=Layout(("risk", "customers", "prices", "debt")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def shown() -> list[str]:
            return [i for i in IDS if app.query_one(f"#{i}").display and app.query_one(f"#{i}").region.area]

        assert await until(lambda: shown() == ["risk"], 5)  # the first in order
        tabs = app.query_one("#tabs").shown.plain
        assert tabs.index("4 RISK") < tabs.index("3 CUST") < tabs.index("1 PRICES") < tabs.index("2 DEBT")
        await pilot.press("right")
        assert await until(lambda: shown() == ["customers"], 5)
        await pilot.press("right", "right", "right")
        assert await until(lambda: shown() == ["risk"], 5)  # round again
        await pilot.press("left")
        assert await until(lambda: shown() == ["debt"], 5)
        await pilot.press("1")
        assert await until(lambda: shown() == ["prices"], 5)
        assert app.active == 0


async def test_the_config_files_layout_reaches_the_app(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[layout]\norder = ["customers", "risk", "debt", "prices"]\nwide = "none"\n')
    from tui.app import Dashboard

    app = Dashboard(Session.from_config(load_config(path), history=False), autopoll=False)
    async with app.run_test(size=(200, 60)) as pilot:
        await placed(pilot, lambda r: grid_2x2(r, "customers", "risk", "debt", "prices"))


def test_snapshot_risk_first_at_120x40(snap_compare, frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    """The docs' example: risk top left, prices top right, half the width each, two thirds of the height."""
    async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
        for _ in range(3):  # as test_snapshots.py: fixes the replay date, sparklines and changes
            await pilot.app.poll_now()
        await pilot.pause()

    layout = Layout(("risk", "prices", "debt", "customers"), columns=(1.0, 1.0), rows=(2.0, 1.0))
    assert snap_compare(make_app(layout=layout), terminal_size=(120, 40), run_before=settle)
