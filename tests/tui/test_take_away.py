"""``x`` exports the focused panel (or the screen over the dashboard) as CSV plus its snapshot
JSON to the user data directory, the path on the notice line; ``y`` copies the value (or
link) under the cursor, as plain inert text."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from gpurisk.text import format as f, level as lv


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_data_path", lambda app: tmp_path / "data" / app)
    return tmp_path / "data" / "gpurisk" / "exports"


async def wait_for(pilot, cond) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while not cond():
        assert time.monotonic() < deadline, "condition not met in 10 s"
        await pilot.pause(0.05)


async def test_x_exports_the_focused_panel_as_csv_and_json(frozen_time, make_app, data_dir) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("4")  # the risk panel, focused
        await pilot.press("x")
        await wait_for(pilot, lambda: list(data_dir.glob("*.csv")))
        (csv_path,) = data_dir.glob("gpurisk-risk-*.csv")
        json_path = csv_path.with_suffix(".json")
        assert str(csv_path) in " ".join(t for _, t in app.notices.log)  # the path on the notice line
        rows = list(csv.reader(csv_path.open(encoding="utf-8")))
        assert rows[0][:8] == ["indicator", "title", "group", "value", "unit", "shown", "level", "stale"]
        snap, now = app.session.snapshot, app.clock()
        by_name = {r[0]: r for r in rows[1:]}
        assert set(by_name) == set(snap.indicators)
        for name, res in snap.indicators.items():  # the level and unit the screen shows
            row = by_name[name]
            assert row[5] == f.fmt_value(res.unit, res.value) and row[6] == lv.word(res)
        assert by_name["spread_hy"][6] == "WATCH" and by_name["spread_hy"][7].startswith("◷")
        assert by_name["spread_hy"][10] == lv.threshold(snap.indicators["spread_hy"])
        doc = json.loads(json_path.read_text(encoding="utf-8"))
        assert doc["company"] == "CRWV" and set(doc["indicators"]) == set(snap.indicators)
        assert doc["indicators"]["spread_hy"]["level"] == "watch" and doc["indicators"]["spread_hy"]["stale"]
        assert "prices" not in doc  # the panel's part of the snapshot
        del now

        await pilot.press("1")  # the prices panel
        await pilot.press("x")
        await wait_for(pilot, lambda: list(data_dir.glob("gpurisk-prices-*.csv")))
        (p_csv,) = data_dir.glob("gpurisk-prices-*.csv")
        rows = list(csv.reader(p_csv.open(encoding="utf-8")))
        assert rows[0][:4] == ["sku", "tier", "price_usd_h", "Δ 24h"]
        assert {(r[0], r[1]) for r in rows[1:]} == {(r.sku, r.tier) for r in snap.prices.values()}
        assert list(json.loads(p_csv.with_suffix(".json").read_text())["prices"])


async def test_x_on_a_screen_exports_its_table(frozen_time, session, make_app, data_dir, tmp_path,  # type: ignore[no-untyped-def]
                                               monkeypatch) -> None:
    session.setup_alerts(log_path=str(tmp_path / "alerts.jsonl"))
    session.alert_sink.bell = False
    app = make_app()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("x")
        await wait_for(pilot, lambda: list(data_dir.glob("gpurisk-alerts-*.csv")))
        (path,) = data_dir.glob("gpurisk-alerts-*.csv")
        rows = list(csv.reader(path.open(encoding="utf-8")))
        assert rows[0][:4] == ["State", "Indicator", "Value", "Condition"]
        assert len(rows) - 1 == len(session.alerts.states())
        await pilot.press("y")  # on a screen too: the value of the selected rule, without its level
        await wait_for(pilot, lambda: copied)
        st = next(s for s in session.alerts.states() if s.rule == app.screen.selected())
        res = session.snapshot.indicators[st.indicator]
        assert copied == [f.fmt_value(res.unit, st.value)]


async def test_y_copies_the_value_under_the_cursor_as_plain_text(frozen_time, make_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("4", "down", "down", "y")  # the risk panel: the second row
        await wait_for(pilot, lambda: copied)
        risk = app.query_one("#risk")
        res = app.session.snapshot.indicators[risk.cursor]
        assert copied == [f.fmt_value(res.unit, res.value)]
        await pilot.press("1", "down", "y")  # a price
        await wait_for(pilot, lambda: len(copied) == 2)
        row = app.session.snapshot.prices[app.query_one("#prices").cursor]
        assert copied[1] == f"{row.price:.2f}"


def test_copied_text_from_a_feed_is_inert(make_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tui import take_away

    app = make_app()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    monkeypatch.setattr(app, "notify", lambda *a, **k: None)
    monkeypatch.setattr(take_away, "value_under_cursor", lambda app: "[bold]x[/]\x1b]52;c;AAAA\x07 https://e.x/a")
    assert take_away.copy(app) == copied[0]
    assert "\x1b" not in copied[0] and "\x07" not in copied[0] and "[bold]x[/]" in copied[0]
