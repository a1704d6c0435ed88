"""Honest empty states: "waiting for first data" before the feeds answer, "no data: <why>" after,
never a blank panel; the composite score reads "n/a (N of M scored)" while most indicators lack data."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from frozen_clock import FROZEN

from gpurisk.config import load_config
from gpurisk.session import Session
from tui.app import Dashboard
from tui.widgets.bars import TopBar, header_text
from tui.widgets.line import panel_row


def head(app: Dashboard, id_: str) -> str:
    return panel_row(app, id_).plain


def live_app(tmp_path: Path, feeds: str) -> Dashboard:
    cfg = tmp_path / "live.toml"
    cfg.write_text("[app]\nhistory = false\n" + feeds)
    return Dashboard(Session.from_config(load_config(cfg)), autopoll=False, clock=lambda: FROZEN)


async def test_waiting_for_first_data_before_any_feed_answers(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for id_ in ("prices-head", "debt-head", "gauges"):
            assert head(app, id_) == "waiting for first data", id_
        assert " risk " not in app.query_one(TopBar).plain  # no score before any status
        await app.poll_now(["replay"])  # prices answer; the rest still waits
        await pilot.pause()
        assert head(app, "prices-head").split()[:2] == ["GPU", "tier"]
        debt = head(app, "debt-head")
        assert debt.startswith("waiting for first data from sample_financials") and "replay" not in debt
        await app.poll_now()
        await pilot.pause()
        assert "waiting" not in head(app, "debt-head") and "waiting" not in head(app, "gauges")


async def test_live_feed_that_fails_says_why_in_each_panel(tmp_path: Path) -> None:
    app = live_app(tmp_path, '[feeds.idx]\ntype = "csv"\npath = "%s"\ndate_column = "date"\n'
                   'value_column = "price"\nsku = "H100 SXM"\nprovider = "desk"\n' % (tmp_path / "missing.csv"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert head(app, "prices-head") == "waiting for first data"
        await app.poll_now()
        await pilot.pause()
        assert app.session.status["idx"].state == "ERROR"
        for id_ in ("prices-head", "debt-head", "gauges"):
            text = head(app, id_)
            assert text.startswith("no data: idx ERROR") and "file not found: missing.csv" in text, (id_, text)
        top = app.query_one(TopBar).plain
        assert " risk " not in top or "n/a" in top


async def test_live_feed_without_balance_sheets_names_what_is_missing(tmp_path: Path) -> None:
    csv = tmp_path / "idx.csv"
    csv.write_text("date,price\n2026-03-02,2.10\n2026-03-03,2.05\n")
    app = live_app(tmp_path, f'[feeds.idx]\ntype = "csv"\npath = "{csv}"\ndate_column = "date"\n'
                   'value_column = "price"\nsku = "H100 SXM"\nprovider = "desk"\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        assert app.session.snapshot.prices  # the index row is there
        assert not head(app, "prices-head").startswith(("no data", "waiting"))
        assert head(app, "debt-head") == "no data: no feed delivers balance sheets (feeds: idx)"
        assert head(app, "gauges") == "no data: no feed delivers customer disclosures (feeds: idx)"


def _session(scored: int, excluded: int, score: float | None) -> SimpleNamespace:
    snap = SimpleNamespace(company="CRWV", financials=None, indicators={},
                           score=SimpleNamespace(score=score, scored=scored, excluded=excluded))
    return SimpleNamespace(snapshot=snap, demo=False, alerts=None, replay_date=lambda: None, remote=False,
                           engine=SimpleNamespace(score_change=lambda: (None, "")))


def test_score_reads_na_with_the_count_while_most_indicators_lack_data() -> None:
    top = header_text(_session(4, 29, 83.0), False, FROZEN, 120).plain
    assert "risk n/a (4 of 33 scored)" in top and "83" not in top
    top = header_text(_session(0, 33, None), False, FROZEN, 120).plain
    assert "risk n/a (0 of 33 scored)" in top
    top = header_text(_session(17, 16, 40.0), False, FROZEN, 120).plain  # half or more: the number
    assert "risk 40/100" in top and "n/a" not in top and "scored" not in top
