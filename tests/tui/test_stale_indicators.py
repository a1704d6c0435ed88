"""Old data is marked beside the level (``WATCH ◷``), never instead of it: when a feed's data
ages past its limit, every indicator that reads it says so (risk panel, tooltip, JSON), and
turns back when fresh data lands."""

from __future__ import annotations

from datetime import UTC, datetime

from gpurisk.snapshot_json import snapshot_json

LATER = datetime(2026, 4, 20, 12, tzinfo=UTC)  # SOFR of 2026-03-02: weeks old


def age(session, when: datetime) -> None:  # type: ignore[no-untyped-def]
    for st in session.status.values():
        st.clock = lambda: when


async def test_a_stale_feed_marks_the_indicators_that_read_it(session, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        risk = app.query_one("#risk")
        assert "◷" not in risk.rows["spread_sofr"].plain  # the demo is fresh on its opening date
        assert session.stale_indicators() == {}
        age(session, LATER)
        marks = session.stale_indicators()
        assert "sample_rates" in marks["spread_sofr"] and "limit 5 business days" in marks["spread_sofr"]
        assert "h100_fair_pressure" not in marks or "replay" in marks["h100_fair_pressure"]
        app.tick()
        await pilot.pause()
        row = risk.rows["spread_sofr"].plain
        level = session.snapshot.indicators["spread_sofr"].status.upper()
        assert f"{level} ◷" in row  # the level stays, the stale mark beside it
        assert "sample_rates" in risk.tip(session.snapshot.indicators["spread_sofr"]).plain
        doc = snapshot_json(session.snapshot, session.status, True, LATER, session.stale_indicators())
        assert "sample_rates" in doc["indicators"]["spread_sofr"]["stale"]
        age(session, datetime(2026, 3, 3, 23, 59, tzinfo=UTC))
        app.tick()
        await pilot.pause()
        assert "◷" not in risk.rows["spread_sofr"].plain and session.stale_indicators() == {}
