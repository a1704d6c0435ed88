"""The one data path end to end, without a screen: feeds → engine → snapshot → alerts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds.base import FeedError
from gpurisk.session import demo_session


async def test_demo_session_fills_every_panel() -> None:
    s = demo_session()
    assert s.demo
    snap = await s.poll_all()
    assert {st.state for st in s.status.values()} == {"OK"}
    assert snap.price("H100 SXM", "marketplace") is not None
    assert snap.financials is not None and snap.financials.periods[0].isoformat() == "2025-09-30"
    la = next(ln for ln in snap.financials.lines if ln.key == "liabilities_to_assets")
    assert [round(f.value, 3) for f in la.figures] == [0.882, 0.860]
    # The latest disclosure (FY2025: Microsoft 67%, no other customer at 10%): 67² … 67² + 3·10² + 3².
    assert snap.customers is not None and (snap.customers.hhi_low, snap.customers.hhi_high) == (4489, 4798)
    assert snap.customers.hhi_period == "FY2025" and snap.customers.top2_period == "FY2024"
    assert snap.indicators["current_ratio"].status == "alert"
    await s.aclose()


async def test_failed_feed_keeps_last_values_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    s = demo_session()
    await s.poll_all()
    before = s.snapshot.price("H100 SXM", "marketplace")
    feed = s.feed("replay")

    async def boom():  # type: ignore[no-untyped-def]
        raise FeedError("connection refused (127.0.0.1:9)")

    monkeypatch.setattr(feed, "poll", boom)
    snap = await s.poll("replay")
    st = s.status["replay"]
    assert st.state == "ERROR" and "connection refused" in st.last_error
    assert snap.price("H100 SXM", "marketplace") is before  # last good value kept
    assert st.last_ok is not None and s.next_delay("replay") >= feed.interval


async def test_unexpected_exception_in_a_feed_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    s = demo_session()
    feed = s.feed("sample_rates")

    async def bad():  # type: ignore[no-untyped-def]
        return {"not": "a list"}["nope"]

    monkeypatch.setattr(feed, "poll", bad)
    await s.poll("sample_rates")
    assert s.status["sample_rates"].state == "ERROR"
    assert "KeyError" in s.status["sample_rates"].last_error


async def test_alerts_fire_and_are_logged(tmp_path: Path) -> None:
    s = demo_session()
    rang: list[int] = []
    s.setup_alerts(bell_fn=lambda: rang.append(1), log_path=str(tmp_path / "alerts.jsonl"))
    await s.poll_all()
    firing = {st.indicator for st in s.alerts.states() if st.state == "firing"}
    assert {"current_ratio", "interest_coverage", "hhi"} <= firing
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert {ln["indicator"] for ln in lines if ln["state"] == "firing"} >= {"current_ratio", "hhi"}
    assert rang  # the bell rang


async def test_alert_state_survives_a_restart_live_but_not_in_the_demo(tmp_path: Path) -> None:
    from gpurisk.config import load_config
    from gpurisk.session import Session

    cfg = tmp_path / "live.toml"
    cfg.write_text("[app]\nhistory = false\n[feeds.disclosures]\n")  # real disclosures: not a demo
    log = str(tmp_path / "alerts.jsonl")
    s = Session.from_config(load_config(cfg))
    assert not s.demo
    s.setup_alerts(log_path=log)
    await s.poll_all()
    assert s.alerts.state_of("hhi > 2500") == "firing"
    assert s.acknowledge("hhi > 2500") == ["hhi > 2500"]
    again = Session.from_config(load_config(cfg))
    again.setup_alerts(log_path=log)  # before any poll: state comes from the file
    status = {st.rule: st for st in again.alerts.states()}
    assert status["hhi > 2500"].state == "firing" and status["hhi > 2500"].acknowledged
    assert (tmp_path / "alert-state.json").exists()

    demo = demo_session()
    demo.setup_alerts(log_path=log)
    assert demo.alerts.state_of("hhi > 2500") == "no_data"  # the demo starts clean every run


def test_live_vast_keeps_its_index_pool_beside_the_history(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from feeds.base import FeedContext
    from gpurisk.config import FeedConfig, load_config
    from gpurisk.session import build_feed

    monkeypatch.setenv("GPURISK_HISTORY", str(tmp_path / "h.sqlite3"))
    cfg = load_config(None)
    live = build_feed(FeedConfig("vastai", "vastai", {}), cfg, FeedContext(demo=False))
    assert live.pool.path == tmp_path / "vast-cri-vastai.json"
    cfg.history = False
    assert build_feed(FeedConfig("vastai", "vastai", {}), cfg, FeedContext(demo=False)).pool.path is None
