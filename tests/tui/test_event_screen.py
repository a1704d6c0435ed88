"""The event log screen (``e``) on a replay where a filing and a status change happen: kinds
filtered with 1–4, the "since" selector (last hour, 24 h, my last ack, start), the data's
clock with year and zone, and titles kept whole at 80×24."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from frozen_clock import FROZEN

from engine.observations import FilingEvent, FinancialFact, Observation
from feeds.base import Feed, FeedContext
from gpurisk.config import load_config
from gpurisk.session import Session, build_feed, demo_clock, sample_dir
from gpurisk.text import format as f
from tui.app import Dashboard
from tui.screens.events import EventsScreen
from tui.widgets.line import Line
from tui.widgets.risk import RiskPanel

ACC = "0001769628-26-000010"


class Edgar10K(Feed):
    name = "edgar_script"
    demo = True

    def __init__(self) -> None:
        super().__init__(3600.0)

    async def poll(self) -> Sequence[Observation]:
        end, filed = datetime(2025, 12, 31, tzinfo=UTC), datetime(2026, 2, 26, tzinfo=UTC)
        facts = [FinancialFact(as_of=end, fetched_at=FROZEN, source=f"10-K {ACC}", company="CRWV", metric=m, value=v,
                               period_end=end.date())
                 for m, v in (("total_assets", 40.0e9), ("current_assets", 12.0e9), ("current_liabilities", 10.0e9))]
        return [FilingEvent(as_of=filed, fetched_at=FROZEN, source="https://www.sec.gov/x", company="CRWV",
                            form="10-K", accession=ACC, filed=filed.date()), *facts]


def make(tmp_path) -> Dashboard:  # type: ignore[no-untyped-def]
    cfg = load_config(None)
    feeds = [build_feed(fc, cfg, FeedContext(sample_dir=sample_dir(), demo=True)) for fc in cfg.feeds] + [Edgar10K()]
    s = Session(cfg, feeds, clock=demo_clock(feeds))
    s.setup_alerts(log_path=str(tmp_path / "alerts.jsonl"))
    s.alert_sink.bell = False
    return Dashboard(s, autopoll=False, clock=lambda: FROZEN)


async def replay(app: Dashboard) -> None:
    await app.poll_now([n for n in app.session.feed_names() if n != "edgar_script"])
    await app.poll_now(["replay", "replay"])  # 2026-03-05
    await app.poll_now(["edgar_script"])


def body(app: Dashboard) -> str:
    """The log, an entry a line (its detail, wrapped below it on screen, joined to it)."""
    assert isinstance(app.screen, EventsScreen)
    return "\n".join(app.screen.rows)


def line(app: Dashboard, id_: str) -> str:
    return app.screen.query_one(f"#{id_}", Line).plain


async def test_event_log_kinds_and_since(frozen_time, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.session.snapshot.indicators
        await replay(app)
        await pilot.pause()
        s = app.session
        res = s.snapshot.indicators["current_ratio"]
        assert res.status == "ok" and res.period == date(2025, 12, 31)
        # the change column: vs the previous balance-sheet period
        delta, why = s.engine.change("current_ratio")
        assert why == "vs 2025-09-30" and delta is not None and delta > 0.7
        assert app.query_one(RiskPanel).change_text(res).plain == f.fmt_change(res.unit, delta)
        assert before  # the first snapshot already listed every indicator

        await pilot.press("e")
        await pilot.pause()
        text = body(app)
        rows = text.splitlines()
        filing = next(r for r in rows if "CRWV 10-K" in r)
        assert filing.startswith("2026-03-05 00:00 UTC FILING") and "filed 2026-02-26" in filing
        status = next(r for r in rows if " STATUS " in r and "Current ratio" in r and "→ OK" in r)
        assert status.startswith("2026-03-05 00:00 UTC") and "ALERT → OK" in status
        assert "0.487 → 1.200" in status or "0.487 → 1.2" in status
        assert rows.index(status) < rows.index(filing)  # newest first: the status moved because of the filing
        assert "2026-03-03 00:00 UTC ALERT" in text  # the alerts that fired at start, on the replay's date
        assert "1 alerts" in line(app, "events-kinds") and "4 status" in line(app, "events-kinds")

        await pilot.press("4")  # status off
        await pilot.pause()
        assert " STATUS " not in body(app) and "status off" in line(app, "events-kinds")
        assert "CRWV 10-K" in body(app)
        await pilot.press("2")  # filings off too
        await pilot.pause()
        assert "CRWV 10-K" not in body(app) and "filings off" in line(app, "events-kinds")
        assert all(" ALERT " in r for r in body(app).splitlines())
        await pilot.press("2", "4")
        await pilot.pause()
        assert "CRWV 10-K" in body(app) and " STATUS " in body(app)

        await pilot.press("tab")  # last hour on the data's clock
        await pilot.pause()
        assert "since 2026-03-04 23:00 UTC" in line(app, "events-head")
        moved = body(app).splitlines()
        cr = next(r for r in moved if "Current ratio" in r)
        assert cr.startswith("STATUS") and "ALERT → OK" in cr and "0.487 → 1.200" in cr
        assert any(r.startswith("FILING") and "CRWV 10-K" in r for r in moved)
        assert not any("Customer HHI" in r for r in moved)  # did not move: not shown
        await pilot.press("tab")
        await pilot.pause()
        assert "since 2026-03-04 00:00 UTC (24 h" in line(app, "events-head")
        await pilot.press("tab")
        await pilot.pause()
        assert "No acknowledge yet" in body(app)
        await pilot.press("tab")
        await pilot.pause()
        assert "since start (2026-03-03 00:00 UTC)" in line(app, "events-head")
        assert any("Current ratio" in r and "NO DATA → OK" in r for r in body(app).splitlines())

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, EventsScreen)

        done = s.acknowledge(None)
        assert done
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("tab", "tab", "tab")
        await pilot.pause()
        assert "since my last acknowledge (2026-03-05 00:00 UTC)" in line(app, "events-head")
        assert "Nothing moved" in body(app)
        await app.poll_now(["replay"])  # the replay moves the rents: market indicators move
        await pilot.pause()
        assert "H100 margin" in body(app) and "Nothing moved" not in body(app)
        await pilot.press("shift+tab", "shift+tab", "shift+tab")  # back to the log
        await pilot.pause()
        acked = [r for r in body(app).splitlines() if "FIRING → acknowledged" in r]
        assert len(acked) == len(done) and all(r.startswith("2026-03-05 00:00 UTC ALERT") for r in acked)


async def test_event_log_keeps_titles_whole_at_80x24(frozen_time, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await replay(app)
        await pilot.press("e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EventsScreen)
        rows = body(app).splitlines()
        events = app.session.events.events()
        assert len(rows) == len(events) > 5  # first values are one baseline line, not one per rule
        assert all(len(line) <= 76 for line in screen.body.plain.splitlines())
        for row, ev in zip(rows, events, strict=True):
            assert row.startswith(ev.at.strftime("%Y-%m-%d %H:%M UTC"))
            assert screen._title(ev) in row, (row, ev)
            if ev.kind == "filing" and ev.subject != "period":  # what a desk acts on: never cut
                link = ev.detail.rsplit(" · ", 1)[-1] if "https://" in ev.detail else ""
                assert ev.subject in row and link in screen.body.plain, row
            assert "…" not in row, row


async def test_palette_and_help_list_the_event_log(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    from tui.palette import commands
    from tui.screens.help import help_text

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        cmd = next(c for c in commands(app) if c.title == "EVENTS")
        assert "key e" in cmd.help
        cmd.callback()
        await pilot.pause()
        assert isinstance(app.screen, EventsScreen)
        assert "No events yet" in body(app)
        await pilot.press("e")  # already open: stays, not stacked
        await pilot.pause()
        assert len(app.screen_stack) == 2
    assert "Events (e)" in help_text(app.BINDINGS).plain  # type: ignore[arg-type]


async def test_tick_logs_a_feed_going_stale_by_the_clock_alone(frozen_time, make_app) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.poll_now()
        await pilot.pause()
        st = app.session.status["sample_rates"]
        assert st.display_state(FROZEN) == "OK" and app.session.events.events(["feed"]) == []
        st.last_ok = FROZEN - timedelta(days=2)  # no fetch for two days: STALE, no poll needed
        app.tick()
        ev = app.session.events.events(["feed"])
        assert [(e.subject, e.old, e.new) for e in ev] == [("sample_rates", "OK", "STALE")]
        assert ev[0].at == datetime(2026, 3, 3, tzinfo=UTC)  # the replay's date, not the wall clock
        app.tick()
        assert len(app.session.events.events(["feed"])) == 1  # once per move


async def test_slash_filters_the_event_log_and_letters_do_not_toggle_kinds(make_app, session) -> None:  # type: ignore[no-untyped-def]
    session.setup_alerts()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        screen = app.screen
        before = len(screen.rows)
        kinds = set(screen.kinds)
        for key in ("slash", "c", "r", "w", "v", "enter"):  # letters that are keys elsewhere ("r", "w")
            await pilot.press(key)
        await pilot.pause()
        lines = [ln for ln in screen.rows if ln.strip()]
        assert lines and len(lines) < before and all("crwv" in ln.lower() for ln in lines), lines
        assert "/crwv" in str(screen.query_one("#events-box").border_title)
        for key in ("slash", "x", "q", "1", "enter"):  # "q" and "1" in the filter are text, not keys
            await pilot.press(key)
        await pilot.pause()
        assert app.screen is screen and screen.kinds == kinds
        assert "No event matches /" in screen.body.plain and "xq1" in screen.body.plain
        await pilot.press("escape")  # clears the filter first
        await pilot.pause()
        assert screen is app.screen and len(screen.rows) == before
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
