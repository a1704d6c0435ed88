"""RingSeries against a naive model: same answers, bounded size."""

from __future__ import annotations

from bisect import bisect_right

from hypothesis import given, strategies as st

from engine.series import RingSeries


@given(cap=st.integers(2, 12), steps=st.lists(st.tuples(st.integers(-3, 6), st.floats(-1e6, 1e6)), max_size=60),
       probe=st.floats(-10, 500))
def test_matches_naive_model(cap: int, steps: list[tuple[int, float]], probe: float) -> None:
    s, model, t = RingSeries(cap), [], 0.0
    for dt, v in steps:
        t_new = t + dt
        s.append(t_new, v)
        if model and t_new == model[-1][0]:
            model[-1] = (t_new, v)
        elif not model or t_new > model[-1][0]:
            model.append((t_new, v))
            t = t_new
        model = model[-cap:]
    assert len(s) == len(model) <= cap
    assert s.times() == [p[0] for p in model]
    assert s.values() == [p[1] for p in model]
    assert s.tail(3) == [p[1] for p in model][-3:]
    i = bisect_right([p[0] for p in model], probe) - 1
    assert s.value_at(probe) == (model[i][1] if i >= 0 else None)
    assert s.last() == (model[-1] if model else None)
