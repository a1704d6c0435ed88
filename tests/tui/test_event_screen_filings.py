"""The event log (``e``) on the demo with CoreWeave's real filing dates replayed: the filings
before the replay start are there from the first poll as history, on their own dates; the
DDTL 4.0 8-K of 2026-03-31 appears when the replay clock reaches it, with its link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from frozen_clock import freeze

from tui.app import Dashboard
from tui.screens.events import EventsScreen

#: after the 8-K of 2026-03-31, so the runner keeps what the replay dates that day
LATE = datetime(2026, 4, 1, 14, 30, tzinfo=UTC)


@pytest.fixture
def late_time(monkeypatch: pytest.MonkeyPatch) -> datetime:
    return freeze(monkeypatch, LATE)


def make(tmp_path) -> Dashboard:  # type: ignore[no-untyped-def]
    from gpurisk.session import demo_session

    s = demo_session(step_days=7.0)  # a week per poll: four polls reach 2026-03-31
    s.setup_alerts(log_path=str(tmp_path / "alerts.jsonl"))
    s.alert_sink.bell = False
    return Dashboard(s, autopoll=False, clock=lambda: LATE)


async def replay_to_march_31(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await app.poll_now()  # the first round: the filings before 2026-03-03 arrive as history
    await app.poll_now(["replay"] * 4)  # 03-10, 03-17, 03-24, 03-31
    await pilot.pause()


async def test_replayed_filing_appears_in_the_event_log_when_reached(late_time, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EventsScreen)
        rows = app.screen.rows
        tenk = next(r for r in rows if "CRWV 10-K" in r)
        assert tenk.startswith("2026-03-02 00:00 UTC FILING") and "history" in tenk
        assert not any("2026-03-31" in r for r in rows)  # not reached yet

        await app.poll_now(["replay"] * 4)
        await pilot.pause()
        assert app.session.replay_date().isoformat() == "2026-03-31"
        rows = app.screen.rows
        eightk = next(r for r in rows if r.startswith("2026-03-31 00:00 UTC FILING"))
        assert "CRWV 8-K" in eightk and " new " in eightk and "filed 2026-03-31" in eightk
        assert rows.index(eightk) < rows.index(next(r for r in rows if "CRWV 10-K" in r))  # newest first
        ev = next(e for e in app.session.events.events(["filing"]) if e.subject == "0001769628-26-000129")
        assert ev.detail.endswith("https://www.sec.gov/Archives/edgar/data/1769628/000176962826000129/")
        # history stays in the order things happened, below what the replay reached
        filed = [r[:10] for r in rows if " FILING " in r]
        assert filed == sorted(filed, reverse=True) and filed[-1] == "2025-05-15"
        await pilot.press("escape")


def test_event_log_with_a_replayed_filing(snap_compare, late_time, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make(tmp_path), terminal_size=(120, 40), run_before=replay_to_march_31, press=["e", "1", "4"])
