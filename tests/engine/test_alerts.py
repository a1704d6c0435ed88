"""The alert state machine: pending, firing, hysteresis, no data / error, once vs recurring, restart."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.alerts import AlertEngine, AlertRule, default_rules, rules_from_config
from engine.indicator import IndicatorResult, InputRef, Threshold
from engine.indicators import default_indicators

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SRC = "https://www.sec.gov/Archives/edgar/data/1769628/000176962825000010/x.htm"


def res(value: float | None, name: str = "current_ratio", status: str | None = None,
        reason: str = "") -> IndicatorResult:
    if status is None:
        status = "no_data" if value is None else ("alert" if value <= 0.5 else "ok")
    return IndicatorResult(
        name=name, title="Current ratio", group="liquidity", unit="x", value=value, status=status,  # type: ignore[arg-type]
        threshold=Threshold(1.0, 0.5, higher_is_worse=False), formula="current assets ÷ current liabilities",
        inputs=(InputRef("fin/CRWV/current_assets", 4.0e9, date(2025, 9, 30), SRC),
                InputRef("fin/CRWV/current_liabilities", 10.0e9, date(2025, 9, 30), SRC)),
        reason=reason)


def rule(**kw) -> AlertRule:
    d = {"indicator": "current_ratio", "comparison": "<", "threshold": 0.5} | kw
    return AlertRule.from_dict(d, "test")


def run(eng: AlertEngine, values: list[float | None], step_s: float = 60.0, start: datetime = T0):
    """Feed one value per step; return all events and the time after the last step."""
    events = []
    t = start
    for v in values:
        events += eng.evaluate({"current_ratio": res(v)}, t)
        t += timedelta(seconds=step_s)
    return events, t


def test_pending_then_firing_only_after_for_s():
    eng = AlertEngine([rule(for_s=300)])
    assert eng.state_of("current_ratio < 0.5") == "no_data"  # nothing seen yet is not calm
    ev = eng.evaluate({"current_ratio": res(0.9)}, T0)
    assert [(e.old, e.new) for e in ev] == [("no_data", "normal")]
    ev = eng.evaluate({"current_ratio": res(0.39)}, T0 + timedelta(seconds=60))
    assert [(e.old, e.new, e.notify) for e in ev] == [("normal", "pending", False)]
    # still breaching but 299 s after the breach began: pending, no event
    assert eng.evaluate({"current_ratio": res(0.38)}, T0 + timedelta(seconds=359)) == []
    assert eng.state_of("current_ratio < 0.5") == "pending"
    ev = eng.evaluate({"current_ratio": res(0.38)}, T0 + timedelta(seconds=360))
    assert len(ev) == 1
    e = ev[0]
    assert (e.old, e.new, e.notify, e.value, e.threshold, e.comparison) == ("pending", "firing", True, 0.38, 0.5, "<")
    assert e.at == T0 + timedelta(seconds=360)
    assert e.inputs[0] == ("fin/CRWV/current_assets", 4.0e9, "2025-09-30", SRC)
    json.dumps(e.to_dict())  # serialisable as is


def test_pending_cancelled_when_value_recovers():
    eng = AlertEngine([rule(for_s=300)])
    events, _ = run(eng, [0.4, 0.4, 0.6, 0.4, 0.4])
    assert [(e.old, e.new) for e in events] == [("no_data", "pending"), ("pending", "normal"), ("normal", "pending")]
    assert not any(e.notify for e in events)


def test_for_s_zero_fires_at_once():
    eng = AlertEngine([rule()])
    ev = eng.evaluate({"current_ratio": res(0.3)}, T0)
    assert [(e.old, e.new, e.notify) for e in ev] == [("no_data", "firing", True)]


def test_resolved_only_after_keep_firing_for():
    eng = AlertEngine([rule(keep_firing_for_s=600)])
    eng.evaluate({"current_ratio": res(0.3)}, T0)
    # recovered at T0+60; keeps firing for 600 s of continuous recovery
    assert eng.evaluate({"current_ratio": res(0.7)}, T0 + timedelta(seconds=60)) == []
    assert eng.evaluate({"current_ratio": res(0.7)}, T0 + timedelta(seconds=659)) == []
    assert eng.state_of("current_ratio < 0.5") == "firing"
    ev = eng.evaluate({"current_ratio": res(0.7)}, T0 + timedelta(seconds=660))
    assert [(e.old, e.new, e.notify) for e in ev] == [("firing", "resolved", False)]
    # resolved shows until the next calm evaluation, then normal without an event
    assert eng.evaluate({"current_ratio": res(0.7)}, T0 + timedelta(seconds=720)) == []
    assert eng.state_of("current_ratio < 0.5") == "normal"


def test_recovery_interrupted_restarts_keep_firing_clock():
    eng = AlertEngine([rule(keep_firing_for_s=600)])
    events, _ = run(eng, [0.3, 0.7, 0.7, 0.7, 0.3, 0.7, 0.7], step_s=200)
    # 0.7 at 200, 400, 600 (400 s < 600), breach again at 800, recover at 1000, 1200 (200 s): still firing
    assert [(e.old, e.new) for e in events] == [("no_data", "firing")]
    assert eng.state_of("current_ratio < 0.5") == "firing"


def test_oscillation_around_threshold_does_not_flap():
    eng = AlertEngine([rule(for_s=120, keep_firing_for_s=900)])
    values = [0.49, 0.51] * 60 + [0.49] * 5  # a minute each side for two hours, then stays below
    events, _ = run(eng, values)
    firings = [e for e in events if e.notify]
    # the pending period never completes while it oscillates: no firing until 0.49 holds for 120 s
    assert len(firings) == 1
    assert firings[0].at == T0 + timedelta(seconds=60 * 122)
    # and once firing, the same oscillation never resolves it (recovery never lasts 900 s)
    eng2 = AlertEngine([rule(keep_firing_for_s=900)])
    events2, _ = run(eng2, [0.49, 0.51] * 60)
    assert [(e.old, e.new) for e in events2] == [("no_data", "firing")]


def test_without_hysteresis_the_same_input_would_flap():
    """Control for the test above: the machine does react when the settings allow it."""
    eng = AlertEngine([rule()])
    events, _ = run(eng, [0.49, 0.51] * 5)
    assert sum(e.notify for e in events) == 5


def test_no_data_never_fires_and_shows_no_data():
    eng = AlertEngine([rule()])
    ev = eng.evaluate({"current_ratio": res(None, reason="missing fin/CRWV/current_assets")}, T0)
    assert ev == []  # already no_data: no event, but the reason is shown
    (st,) = eng.states()
    assert (st.state, st.value, st.reason) == ("no_data", None, "missing fin/CRWV/current_assets")
    # an indicator the engine does not have is NO DATA, not an error, and not a crash
    eng2 = AlertEngine([rule(indicator="altman_z", threshold=1.1)])
    for i in range(5):
        assert eng2.evaluate({"current_ratio": res(0.1)}, T0 + timedelta(minutes=i)) == []
    assert eng2.states()[0].state == "no_data"
    assert "altman_z" in eng2.states()[0].reason


def test_feed_dies_while_firing_then_returns():
    eng = AlertEngine([rule(keep_firing_for_s=600)])
    eng.evaluate({"current_ratio": res(0.3)}, T0)
    ev = eng.evaluate({"current_ratio": res(None, reason="feed down")}, T0 + timedelta(minutes=1))
    assert [(e.old, e.new, e.notify) for e in ev] == [("firing", "no_data", False)]  # not "resolved"
    assert eng.acknowledge() == ["current_ratio < 0.5"]  # still acknowledgeable while held
    ev = eng.evaluate({"current_ratio": res(0.3)}, T0 + timedelta(minutes=2))
    assert [(e.old, e.new, e.notify) for e in ev] == [("no_data", "firing", False)]  # no second notification


def test_computation_failure_is_error_not_no_data():
    eng = AlertEngine([rule()])
    eng.evaluate({"current_ratio": res(0.9)}, T0)
    bad = res(None, reason="cannot compute: float division by zero")
    ev = eng.evaluate({"current_ratio": bad}, T0 + timedelta(minutes=1))
    assert [(e.old, e.new, e.notify) for e in ev] == [("normal", "error", False)]
    assert ev[0].reason.startswith("cannot compute")
    nan = res(0.1, status="alert")
    object.__setattr__(nan, "value", float("nan"))
    ev = eng.evaluate({"current_ratio": nan}, T0 + timedelta(minutes=2))
    assert ev == [] and eng.state_of("current_ratio < 0.5") == "error"


def test_once_vs_recurring():
    once = AlertEngine([rule()])
    rec = AlertEngine([rule(mode="recurring", repeat_s=600)])
    values = [0.3] * 31  # 30 minutes breaching, one evaluation a minute
    e_once, _ = run(once, values)
    e_rec, _ = run(rec, values)
    assert sum(e.notify for e in e_once) == 1
    rec_notes = [e for e in e_rec if e.notify]
    assert [e.at - T0 for e in rec_notes] == [timedelta(minutes=m) for m in (0, 10, 20, 30)]
    assert all(e.new == "firing" for e in rec_notes)
    assert [(e.old, e.new) for e in rec_notes[1:]] == [("firing", "firing")] * 3


def test_acknowledge_silences_repeats_until_resolved():
    eng = AlertEngine([rule(mode="recurring", repeat_s=600), rule(name="other", threshold=0.2)])
    events, t = run(eng, [0.3] * 11)  # fires at 0, repeats at 10 min
    assert sum(e.notify for e in events) == 2
    assert eng.acknowledge("current_ratio < 0.5") == ["current_ratio < 0.5"]
    assert eng.acknowledge("other") == []  # not firing: nothing to acknowledge
    with pytest.raises(KeyError):
        eng.acknowledge("nope")
    assert [s.acknowledged for s in eng.states()] == [True, False]
    events, t = run(eng, [0.3] * 30, start=t)
    assert not any(e.notify for e in events)
    # resolve, then a new breach notifies again and is no longer acknowledged
    events, t = run(eng, [0.7, 0.3], start=t)
    assert [(e.old, e.new, e.notify) for e in events] == [("firing", "resolved", False), ("resolved", "firing", True)]
    assert eng.states()[0].acknowledged is False


def test_restart_keeps_state():
    r = [rule(for_s=300, mode="recurring", repeat_s=600)]
    eng = AlertEngine(r)
    run(eng, [0.3, 0.3])  # pending since T0
    saved = json.loads(json.dumps(eng.to_dict()))  # what a state file holds
    eng2 = AlertEngine.from_dict(r, saved)
    assert eng2.state_of("current_ratio < 0.5") == "pending"
    ev = eng2.evaluate({"current_ratio": res(0.3)}, T0 + timedelta(seconds=300))
    assert [(e.old, e.new, e.notify) for e in ev] == [("pending", "firing", True)]  # pending clock survived
    eng3 = AlertEngine(r, json.loads(json.dumps(eng2.to_dict())))
    assert eng3.evaluate({"current_ratio": res(0.3)}, T0 + timedelta(seconds=600)) == []  # no re-notification
    assert [e.notify for e in eng3.evaluate({"current_ratio": res(0.3)}, T0 + timedelta(seconds=900))] == [True]


def test_restore_drops_stale_or_corrupt_state():
    eng = AlertEngine([rule()])
    eng.evaluate({"current_ratio": res(0.3)}, T0)
    saved = eng.to_dict()
    changed = AlertEngine([rule(name="current_ratio < 0.5", threshold=0.4)], saved)
    assert changed.state_of("current_ratio < 0.5") == "no_data" and changed.dropped
    broken = {"version": 1, "rules": {"current_ratio < 0.5": {**saved["rules"]["current_ratio < 0.5"],
                                                              "since": "yesterday"}}}
    assert AlertEngine([rule()], broken).state_of("current_ratio < 0.5") == "no_data"
    assert AlertEngine([rule()], {"version": 99}).dropped
    with pytest.raises(ValueError, match="must be timezone-aware"):
        eng.evaluate({}, datetime(2026, 1, 1))


@pytest.mark.parametrize("d, msg", [
    ({"indicator": "x", "comparison": "=>", "threshold": 1},
     "alerts.rules[3].comparison: must be one of >, >=, <, <=; got '=>'"),
    ({"comparison": ">", "threshold": 1}, "alerts.rules[3].indicator: required"),
    ({"indicator": "x", "comparison": ">"}, "alerts.rules[3].threshold: required"),
    ({"indicator": "x", "comparison": ">", "threshold": "high"}, "alerts.rules[3].threshold: must be a number"),
    ({"indicator": "x", "comparison": ">", "threshold": True}, "alerts.rules[3].threshold: must be a number"),
    ({"indicator": "x", "comparison": ">", "threshold": float("nan")}, "alerts.rules[3].threshold: must be finite"),
    ({"indicator": "x", "comparison": ">", "threshold": 1, "for_s": -5}, "alerts.rules[3].for_s: must be >= 0"),
    ({"indicator": "x", "comparison": ">", "threshold": 1, "mode": "always"},
     "alerts.rules[3].mode: must be one of once, recurring; got 'always'"),
    ({"indicator": "x", "comparison": ">", "threshold": 1, "severity": "huge"}, "alerts.rules[3].severity"),
    ({"indicator": "x", "comparison": ">", "threshold": 1, "for": 60}, "alerts.rules[3].for: unknown key"),
    ({"indicator": "x", "comparison": ">", "threshold": 1, "repeat_s": 0}, "alerts.rules[3].repeat_s: must be >= 1"),
    ("x > 1", "alerts.rules[3]: must be a table"),
])
def test_bad_rule_dicts_name_the_key(d, msg):
    with pytest.raises(ValueError) as exc:
        AlertRule.from_dict(d, where="alerts.rules[3]")
    assert msg in str(exc.value)


def test_rules_from_config_and_duplicates():
    rules = rules_from_config([{"indicator": "hhi", "comparison": ">", "threshold": 2500}])
    assert rules[0].name == "hhi > 2500" and rules[0].mode == "once" and rules[0].for_s == 0
    with pytest.raises(ValueError, match=r"alerts.rules\[1\].name: duplicate"):
        rules_from_config([{"indicator": "hhi", "comparison": ">", "threshold": 2500}] * 2)
    with pytest.raises(ValueError, match=r"alerts.rules\[1\].comparison"):
        rules_from_config([{"indicator": "hhi", "comparison": ">", "threshold": 1}, {"indicator": "hhi"}])
    with pytest.raises(ValueError, match="duplicate alert rule name"):
        AlertEngine(rules * 2)


def test_default_rules_match_existing_indicators():
    names = {i.name for i in default_indicators()}
    rules = default_rules()
    core = {"liabilities_to_assets", "current_ratio", "quick_ratio", "interest_coverage", "hhi",
            "h100_margin_3y", "h100_margin_6y"}
    assert core <= {r.indicator for r in rules}
    assert {r.indicator for r in rules} <= names  # no rule on an indicator the catalogue lacks
    extra = {"altman_z2", "dscr", "net_debt_to_ebitda", "runway_months", "distance_to_default", "funding_gap_12m"}
    assert {r.indicator for r in default_rules(names | extra)} == core | extra
    try:  # the credit and market catalogues, when present, provide every optional rule's indicator
        from engine.indicators import credit, market, projected
    except ImportError:
        pass
    else:
        assert extra <= {i.name for i in [*credit.INDICATORS, *market.INDICATORS, *projected.INDICATORS]}
    assert len({r.name for r in rules}) == len(rules)
    by = {r.indicator: r for r in rules}
    assert by["liabilities_to_assets"].breaches(0.93) and not by["liabilities_to_assets"].breaches(0.9)
    assert by["current_ratio"].breaches(0.39) and by["h100_margin_6y"].breaches(-0.01)
    assert by["hhi"].breaches(4069) and "h100_fair_pressure" not in by  # information only
