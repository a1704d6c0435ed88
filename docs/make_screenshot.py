"""Regenerate the README screenshots: the dashboard on the sample data (DEMO).

    python docs/make_screenshot.py

Runs the real app headless at 120×40 and 80×24, polls the sample feeds a few
times (the replay advances a few days) and saves SVGs next to this file: the
dashboard (with the notice line and the "more" markers as a user sees them), the
what-if screen, the event log (`e`), a filter (`4`, `/ratio`), the projection (`w`) and the chart (`g`, H100 rent
with its breakevens; saved as PNG too when rsvg-convert is installed).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gpurisk.session import demo_session
from tui.app import Dashboard

HERE = Path(__file__).resolve().parent


async def shoot(size: tuple[int, int], name: str, keys: tuple[str, ...] = ()) -> None:
    session = demo_session()
    session.setup_alerts()  # as the real dashboard does: the FIRING badge and the alert log
    app = Dashboard(session, autopoll=False)
    async with app.run_test(size=size) as pilot:
        for _ in range(6):
            await app.poll_now()
        await pilot.pause(0.2)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.2)
        app.save_screenshot(str(HERE / name))
    print("wrote", HERE / name)


async def main() -> None:
    await shoot((120, 40), "screenshot.svg")
    await shoot((80, 24), "screenshot-80x24.svg")
    await shoot((120, 40), "screenshot-scenario.svg", ("s",))
    await shoot((120, 40), "screenshot-events.svg", ("e",))
    await shoot((120, 40), "screenshot-filter.svg", ("4", "slash", "r", "a", "t", "i", "o", "enter"))
    await shoot((120, 40), "screenshot-projection.svg", ("w",))
    await shoot_chart()


async def shoot_chart() -> None:
    """The chart screen (g) at 120×40, and its PNG (rsvg-convert, when installed)."""
    import shutil
    import subprocess

    await shoot((120, 40), "screenshot-chart.svg", ("g",))
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", "-o", str(HERE / "screenshot-chart.png"), str(HERE / "screenshot-chart.svg")],
                       check=True)
        print("wrote", HERE / "screenshot-chart.png")


if __name__ == "__main__":
    asyncio.run(main())
