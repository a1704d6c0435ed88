"""Engine.hold / release: the heavy indicators wait for the dashboard's first frame."""

from __future__ import annotations


async def test_held_indicator_waits_then_is_valued_with_its_alert_rules() -> None:
    from gpurisk.session import demo_session

    s = demo_session()
    s.setup_alerts()
    heavy = [n for n, i in s.engine.indicators.items() if i.heavy]
    assert heavy == ["h100_breach_prob_24m"]
    s.engine.hold()
    await s.poll_all()
    snap = s.snapshot
    assert snap.indicators["current_ratio"].value is not None  # the rest is evaluated as usual
    assert snap.indicators["h100_breach_prob_24m"].status == "no_data"  # held, not computed
    after = s.release_held()
    assert after is not snap and after.seq == snap.seq + 1
    res = after.indicators["h100_breach_prob_24m"]
    assert res.value is not None and "ind/h100_breach_prob_24m" in after.changed
    assert s.release_held() is after  # nothing held any more: the same snapshot
    # Without hold, a poll evaluates it at once (the CLI and the collector never hold).
    t = demo_session()
    await t.poll_all()
    assert t.snapshot.indicators["h100_breach_prob_24m"].value == res.value
