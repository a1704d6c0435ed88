"""One level per figure in every view, staleness beside it, one unit per figure.

Walks EVERY indicator of the demo across the risk panel, the score screen, the what-if
screen, the alerts screen and the snapshot JSON: each shows the same level word (OK,
WATCH, ALERT, NO DATA, info) and, when the figure rests on old data, the same stale mark
beside it. Thresholds and alert conditions in the alert log, the event log and the
alerts screen are written in the figure's unit, as the rows write them.
"""

from __future__ import annotations

import re
import time

from textual.widgets import DataTable, Static

from gpurisk.snapshot_json import snapshot_json
from gpurisk.text import format as f, level as lv

WORDS = re.compile(r"(?<![A-Za-z])(OK|WATCH|ALERT|NO DATA|info)(?![A-Za-z])")


def words(text: str) -> list[str]:
    return WORDS.findall(text)


def expected(session, res, now):  # type: ignore[no-untyped-def]
    """(level word, stale mark) the figure must show everywhere."""
    return lv.word(res), lv.stale_mark(res, session.stale_note(res, now), session.data_now(now))


async def settle(app, pilot, cond) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while not cond():
        assert time.monotonic() < deadline, "condition not met in 10 s"
        await pilot.pause(0.05)


async def test_every_indicator_has_one_level_and_one_unit_everywhere(frozen_time, session, make_app,  # type: ignore[no-untyped-def]
                                                                    tmp_path) -> None:
    session.setup_alerts(log_path=str(tmp_path / "alerts.jsonl"))
    session.alert_sink.bell = False
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await app.poll_now()
        for _ in range(6):  # a few replay days: levels move, rules fire, the logs fill
            await app.poll_now(["replay"])
        await pilot.pause()
        now = app.clock()
        snap = session.snapshot
        inds = snap.indicators
        want = {n: expected(session, r, now) for n, r in inds.items()}
        assert any(mark for _, mark in want.values()), "the demo has a figure on old data (rate − HY)"
        assert want["spread_hy"][0] == "WATCH" and want["spread_hy"][1].startswith("◷")

        # risk panel: one level word per row, the stale mark right after it
        risk = app.query_one("#risk")
        for name, (word, mark) in want.items():
            row = risk.rows[name].plain
            assert words(row) == [word], (name, row)
            assert f"{word} {mark}".strip() in row, (name, row)
            assert f.fmt_value(inds[name].unit, inds[name].value) in row
            assert ("◷" in row) == bool(mark)

        # JSON: the same level, stale beside it
        doc = snapshot_json(snap, session.status, True, now, session.stale_indicators(now))
        for name, (word, mark) in want.items():
            j = doc["indicators"][name]
            assert j["level"] == lv.level(inds[name]) and j["status"] == inds[name].status
            assert (j["stale"] is not None) == bool(mark), name
            assert word.lower().replace(" ", "_") == j["level"] or (word == "info" and j["level"] == "info")

        # score screen: every scored or left-out line, by its indicator
        await pilot.press("c")
        await settle(app, pilot, lambda: app.screen.query("#score-text"))
        text = str(app.screen.query_one("#score-text", Static).render())
        lines = text.splitlines()
        head = next(i for i, ln in enumerate(lines) if ln.startswith("Indicator"))
        for line, row in zip(snap.score.lines, lines[head + 1:], strict=False):
            word, mark = want[line.name]
            assert words(row) == [word], (line.name, row)
            assert f"{word} {mark}".strip() in row, (line.name, row)
        assert len(lines) - head - 1 >= len(snap.score.lines)
        await pilot.press("escape")

        # what-if: the base level of every row (then → the shocked one), the stale mark after
        await pilot.press("s")
        await settle(app, pilot, lambda: app.screen.query(DataTable) and app.screen.query_one(DataTable).row_count)
        table = app.screen.query_one(DataTable)
        for name, (word, mark) in want.items():
            cell = table.get_row(name)[1].plain
            assert words(cell)[0] == word, (name, cell)
            assert ("◷" in cell) == bool(mark) and (not mark or cell.endswith(mark)), (name, cell)
        await pilot.press("escape")
        await settle(app, pilot, lambda: len(app.screen_stack) == 1)

        # alerts screen: the value carries its figure's level; the condition in the figure's unit
        await pilot.press("A")
        await settle(app, pilot, lambda: app.screen.query(DataTable) and app.screen.query_one(DataTable).row_count)
        table = app.screen.query_one(DataTable)
        rules = session.alerts.rules
        checked = 0
        for st in session.alerts.states():
            rule = rules.get(st.rule)
            if st.indicator not in inds or getattr(rule, "comparison", "") not in (">", ">=", "<", "<="):
                continue
            res = inds[st.indicator]
            word, mark = want[st.indicator]
            cells = [c.plain for c in table.get_row(st.rule)]
            assert words(cells[2]) == [word] and ("◷" in cells[2]) == bool(mark), (st.rule, cells[2])
            assert f.fmt_value(res.unit, rule.threshold) in cells[3], (st.rule, cells[3])
            checked += 1
        assert checked >= 5

        # the alert log and the event log: thresholds in the figure's unit, never raw
        assert snap.status_log, "a few replay days move a level"
        log = risk.log_text().plain
        for ch in snap.status_log[-8:]:
            assert lv.threshold(inds[ch.indicator]) in log
        events = session.events.events()
        status = [e for e in events if e.kind == "status" and e.ref in inds]
        # an alert's first value is the baseline line (it names rules, no threshold); later moves carry one
        alerts = [e for e in events if e.kind == "alert" and e.ref in inds and e.new != "acknowledged"]
        assert status and any(e.subject == "first values" for e in events)
        for e in status:
            assert e.detail == lv.threshold(inds[e.ref])
        for e in alerts:
            rule = rules[e.subject]
            assert f.fmt_value(inds[e.ref].unit, rule.threshold) in e.detail, e.detail
