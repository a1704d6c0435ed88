"""Composite score: weighted status penalties, exclusions, breakdown."""

from __future__ import annotations

import pytest

from engine.indicator import IndicatorResult, Threshold
from engine.scoring import DEFAULT_WEIGHTS, PENALTY, composite

TH = Threshold(1.0, 2.0)


def res(name: str, status: str, group: str = "leverage", threshold: Threshold | None = TH) -> IndicatorResult:
    value = None if status == "no_data" else 1.0
    return IndicatorResult(name, name.title(), group, "x", value, status, threshold, "f")  # type: ignore[arg-type]


def test_weighted_penalties():
    rs = [res("a", "ok"), res("b", "watch"), res("c", "alert", group="liquidity")]
    s = composite(rs, weights={"leverage": 1.0, "liquidity": 2.0})
    assert s.score == pytest.approx(100 * (0 * 1 + 0.5 * 1 + 1.0 * 2) / (1 + 1 + 2))
    assert s.health == pytest.approx(100 - s.score)
    assert s.scored == 3 and s.excluded == 0
    assert s.lines[0].name == "c"  # largest contribution first
    assert dict(s.by_group)["liquidity"] == pytest.approx(100 * 2 / 4)
    assert sum(line.points for line in s.lines) == pytest.approx(s.score)


def test_no_data_threshold_less_and_zero_weight_are_excluded():
    rs = [res("a", "alert"), res("b", "no_data"), res("c", "ok", threshold=None), res("d", "ok")]
    s = composite(rs, weights={"d": 0.0})
    assert s.score == 100.0 and s.scored == 1 and s.excluded == 3
    reasons = {line.name: line.excluded for line in s.lines}
    assert reasons == {"a": "", "b": "no data", "c": "information only (no threshold)", "d": "weight 0"}


def test_indicator_weight_beats_group_weight_and_defaults_apply():
    rs = [res("altman_z2", "alert", group="market"), res("x", "ok", group="market")]
    s = composite(rs)
    w_z = DEFAULT_WEIGHTS["altman_z2"]
    w_m = DEFAULT_WEIGHTS["market"]
    assert s.score == pytest.approx(100 * w_z * PENALTY["alert"] / (w_z + w_m))


def test_nothing_scorable_gives_none():
    s = composite({"b": res("b", "no_data")})
    assert s.score is None and s.health is None and s.excluded == 1


def test_all_ok_and_all_alert_bounds():
    assert composite([res("a", "ok"), res("b", "ok")]).score == 0.0
    assert composite([res("a", "alert"), res("b", "alert")]).score == 100.0


def test_on_real_engine_results(crwv):
    s = composite(crwv.recompute_all())
    assert s.score is not None and 0 <= s.score <= 100
    assert s.scored + s.excluded == len(crwv.indicators)
