"""One figure, one value: every number that appears in more than one place (debt panel,
customers panel, risk panel / indicators, snapshot JSON, explain, CLI) is the same
computation over the same period. Walks the demo snapshot."""

from __future__ import annotations

import asyncio
from datetime import UTC, date

import pytest

from gpurisk.session import demo_session
from gpurisk.snapshot_json import snapshot_json
from gpurisk.text import format as f
from gpurisk.text.explain import debt_text, indicator_text

P = date(2025, 9, 30)
#: Raw debt-panel lines and the input label indicators record for the same figure.
RAW_INPUTS = {"total_liabilities": "Total liabilities", "total_assets": "Total assets",
              "cash": "Cash and cash equivalents", "interest_ttm": "Interest expense, net TTM"}


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    s = demo_session()
    snap = asyncio.run(s.poll_all())
    yield s, snap
    asyncio.run(s.aclose())


def test_debt_panel_lines_are_the_indicators(demo) -> None:  # type: ignore[no-untyped-def]
    s, snap = demo
    fin = snap.financials
    assert fin.periods[0] == P
    shared = [ln for ln in fin.lines if ln.key in snap.indicators]
    assert {ln.key for ln in shared} >= {"liabilities_to_assets", "current_ratio", "quick_ratio", "interest_coverage",
                                         "effective_rate"}
    for ln in shared:
        res = snap.indicators[ln.key]
        assert ln.figures[0].value == res.value, ln.key
        assert ln.figures[0].period_end == res.period, ln.key
        # The older column is the same indicator worked out at that period.
        assert ln.figures[1].value == s.engine.evaluate_at(ln.key, fin.periods[1]).value


def test_raw_figures_equal_every_indicator_input_of_the_same_period(demo) -> None:  # type: ignore[no-untyped-def]
    _, snap = demo
    lines = {ln.key: ln.figures[0] for ln in snap.financials.lines}
    checked = 0
    for key, label in RAW_INPUTS.items():
        for res in snap.indicators.values():
            if res.period != P:
                continue
            for i in res.inputs:
                if i.name.startswith(label) and i.as_of == P and "scenario" not in i.source:
                    assert abs(i.value) == pytest.approx(lines[key].value), (key, res.name, i.name)
                    checked += 1
    assert checked >= 10
    # The case: interest cover and its interest TTM, one value in both panels.
    cov = snap.indicators["interest_coverage"]
    assert cov.get("interest") == lines["interest_ttm"].value == pytest.approx(990_383_000)


def test_one_borrowing_rate_everywhere(demo) -> None:  # type: ignore[no-untyped-def]
    _, snap = demo
    rate = snap.indicators["effective_rate"].value
    users = [r for r in snap.indicators.values() if r.get("rate_pct") is not None or r.name.startswith("spread_")]
    assert len(users) >= 5
    for r in users:
        if r.value is not None:
            assert (r.get("rate_pct") or r.get("rate")) == pytest.approx(rate), r.name


def test_customers_panel_reads_the_concentration_indicators(demo) -> None:  # type: ignore[no-untyped-def]
    _, snap = demo
    c, ind = snap.customers, snap.indicators
    assert (c.hhi_low, c.hhi_high) == (ind["hhi"].value, ind["hhi"].get("upper"))
    assert c.hhi_period == ind["hhi"].get("period") == ind["top1_share"].get("period") == "FY2025"
    assert c.effective_n == (ind["effective_customers"].value, ind["effective_customers"].get("upper"))
    assert ind["revenue_at_risk"].get("period") == "FY2025"
    assert c.top1 is not None and c.top1.share == ind["top1_share"].value


def test_json_and_explain_show_the_same_values(demo) -> None:  # type: ignore[no-untyped-def]
    s, snap = demo
    from datetime import datetime

    doc = snapshot_json(snap, s.status, True, datetime.now(UTC))
    assert doc["period"] == P.isoformat()
    lines = doc["financials"]["lines"]
    for name, res in snap.indicators.items():
        j = doc["indicators"][name]
        assert j["value"] == res.value and j["period"] == (res.period.isoformat() if res.period else None), name
        if name in lines:
            assert lines[name][0]["value"] == res.value, name
        text = indicator_text(res, s).plain
        assert f.fmt_value(res.unit, res.value) in text, name
    for ln in snap.financials.lines:
        if ln.key in snap.indicators:
            text = debt_text(ln, session=s).plain
            assert text.count(f.fmt_value(ln.unit, ln.figures[0].value)) >= 2, ln.key  # the line and its explain
