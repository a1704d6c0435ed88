"""Snapshot tests: the demo dashboard at 80×24, 120×40 and 200×60, frozen clock, fixed number of polls.

Regenerate after an intended change with ``pytest tests/tui --snapshot-update`` and look
at the SVGs (tests/tui/__snapshots__/) before committing them.
"""

from __future__ import annotations

import pytest

POLLS = 3  # replay steps: fixes the replay date, the sparklines and the changes


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(POLLS):
        await pilot.app.poll_now()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])
def test_dashboard(snap_compare, frozen_time, make_app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_first_frame_with_alerts_firing(snap_compare, frozen_time, make_app, size) -> None:  # type: ignore[no-untyped-def]
    """The first round of polls (alerts already firing at start: no notice over the data)."""
    async def first(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.app.poll_now()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=first)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_three_seconds_later(snap_compare, frozen_time, make_app, size) -> None:  # type: ignore[no-untyped-def]
    """Three replay ticks after the first frame, as a person sees it 3 s after start."""
    async def later(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.app.poll_now()
        await pilot.pause()
        for _ in range(3):
            await pilot.app.poll_now(["replay"])
            pilot.app.tick()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=later)


def test_debt_panel_small(snap_compare, frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settle, press=["2"])


def test_risk_zoomed(snap_compare, frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=settle, press=["4"])


def test_scenario_small(snap_compare, frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settle, press=["s"])


def test_explain_current_ratio(snap_compare, frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    async def open_it(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        risk = pilot.app.query_one("#risk")
        risk.focus()
        risk.set_cursor("current_ratio")
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=open_it)
