"""An adverse shock never makes the company look safer.

For every preset, on the default demo day and on later ones, and for any combination of
adverse shocks (hypothesis): the composite score never falls, no scored indicator's status
improves, and no credit indicator's value moves the safe way (its threshold says which way
that is). Information rows (no threshold, such as the fair-rent pressure) are left out.
"""

from __future__ import annotations

import asyncio
import math
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.indicator import STATUS_ORDER
from engine.scenarios import PRESETS, Scenario, run_scenario
from gpurisk.session import demo_session

DAYS = ("2026-03-03", "2026-03-25", "2026-06-15")


def _engine(day: str):  # type: ignore[no-untyped-def]
    s = demo_session(start=date.fromisoformat(day))
    asyncio.run(s.poll_all())
    s.engine.release()
    return s.engine


@pytest.fixture(scope="module")
def engines():  # type: ignore[no-untyped-def]
    return {d: _engine(d) for d in DAYS}


def safer_moves(result) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for row in result.rows:
        b, s = row.base, row.shocked
        th = b.threshold
        if th is None or b.value is None:
            continue
        if s.value is None:
            out.append(f"{row.name}: valued at base, NO DATA when shocked ({s.reason})")
            continue
        tol = 1e-9 * max(1.0, abs(b.value))
        worse_is_up = th.higher_is_worse
        if (worse_is_up and s.value < b.value - tol) or (not worse_is_up and s.value > b.value + tol):
            out.append(f"{row.name}: {b.value:.6g} -> {s.value:.6g}")
        if STATUS_ORDER[s.status] < STATUS_ORDER[b.status]:
            out.append(f"{row.name}: status {b.status} -> {s.status}")
    if result.shocked_score.score is not None and result.base_score.score is not None:
        if result.shocked_score.score < result.base_score.score - 1e-9:
            out.append(f"score {result.base_score.score:.2f} -> {result.shocked_score.score:.2f}")
    return out


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_no_preset_makes_the_company_look_safer(engines, day: str, preset: str) -> None:  # type: ignore[no-untyped-def]
    r = run_scenario(engines[day], preset)
    assert safer_moves(r) == []


def test_seed_lowers_the_projected_chain_and_raises_the_score(engines) -> None:  # type: ignore[no-untyped-def]
    for day in DAYS:
        r = run_scenario(engines[day], "seed")
        assert r.shocked_score.score > r.base_score.score, day
        for name in ("proj_ebitda_4q", "ebitda_coverage", "dscr", "runway_months"):
            row = r.row(name)
            assert row is not None and row.base.value is not None, (day, name)
            assert row.shocked.value < row.base.value, (day, name)


shock = st.builds(
    Scenario,
    name=st.just("h"),
    h100_rent_pct=st.sampled_from([0.0, -5.0, -20.0, -40.0, -70.0]),
    top_customer_cut_pct=st.sampled_from([0.0, 10.0, 50.0, 100.0]),
    rate_bp=st.sampled_from([0.0, 25.0, 200.0, 500.0]),
    life_years=st.sampled_from([None, 5.0, 3.0, 2.0]),
    utilisation_pts=st.sampled_from([0.0, -5.0, -15.0, -40.0]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=shock, day=st.sampled_from(DAYS))
def test_any_combination_of_adverse_shocks(engines, sc: Scenario, day: str) -> None:  # type: ignore[no-untyped-def]
    r = run_scenario(engines[day], sc)
    assert safer_moves(r) == [], sc.describe()


def test_shocks_compose_monotonically(engines) -> None:  # type: ignore[no-untyped-def]
    """A deeper rent cut is never safer than a shallower one."""
    e = engines[DAYS[0]]
    prev = None
    for cut in (0, -10, -20, -40, -60):
        r = run_scenario(e, Scenario("m", h100_rent_pct=cut))
        cover = r.row("ebitda_coverage").shocked.value
        assert cover is not None and math.isfinite(cover)
        if prev is not None:
            assert cover <= prev + 1e-12
        prev = cover
