"""The event log (gpurisk/events.py) fed by the session, on a replay where a filing and a status change happen.

The demo replays 2026 prices one day per poll; a scripted EDGAR-like feed then delivers a
10-K: a FilingEvent and a new balance sheet (2025-12-31) whose current ratio is healthy.
The log must show the filing, the indicator's status change (ALERT → OK, value then → now)
and the alert resolving, each stamped with the replay's date (year and zone), and
``Engine.change`` must compare with the previous balance-sheet period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

import engine.engine
from engine.observations import FilingEvent, FinancialFact, Observation
from feeds.base import Feed, FeedContext, FeedError
from gpurisk.config import load_config
from gpurisk.events import EventLog, Mark, stamp
from gpurisk.session import Session, build_feed, demo_clock, sample_dir

ACC = "0001769628-26-000010"
NEW = date(2025, 12, 31)


class Edgar10K(Feed):
    """Delivers one 10-K once: a filing and a balance sheet at 2025-12-31 (current ratio 1.2)."""

    name = "edgar_script"
    demo = True

    def __init__(self) -> None:
        super().__init__(3600.0)
        self.sent = False

    async def poll(self) -> Sequence[Observation]:
        if self.sent:
            raise FeedError("nothing new")
        self.sent = True
        now = datetime.now(UTC)
        at = datetime(2026, 2, 26, tzinfo=UTC)
        src = f"10-K {ACC}"
        end = datetime(NEW.year, NEW.month, NEW.day, tzinfo=UTC)
        facts = [FinancialFact(as_of=end, fetched_at=now, source=src, company="CRWV", metric=m, value=v, period_end=NEW)
                 for m, v in (("total_assets", 40.0e9), ("current_assets", 12.0e9), ("current_liabilities", 10.0e9))]
        return [FilingEvent(as_of=at, fetched_at=now, source="https://www.sec.gov/x", company="CRWV", form="10-K",
                            accession=ACC, filed=at.date()), *facts]


class Clock(datetime):
    """The engine's wall clock, moved by the test (alert rules keep firing for an hour)."""

    at = datetime.now(UTC)

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return cls.at


def scripted_session(tmp_path) -> Session:  # type: ignore[no-untyped-def]
    cfg = load_config(None)
    ctx = FeedContext(sample_dir=sample_dir(), demo=True)
    feeds = [build_feed(fc, cfg, ctx) for fc in cfg.feeds if fc.enabled] + [Edgar10K()]
    s = Session(cfg, feeds, clock=demo_clock(feeds))
    s.setup_alerts(log_path=str(tmp_path / "alerts.jsonl"))
    s.alert_sink.bell = False
    return s


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> type[Clock]:
    Clock.at = datetime.now(UTC)
    monkeypatch.setattr(engine.engine, "datetime", Clock)
    return Clock


async def test_replay_with_a_filing_and_a_status_change(clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = scripted_session(tmp_path)
    for name in s.feed_names():
        if name != "edgar_script":
            await s.poll(name)
    start = s.snapshot.indicators["current_ratio"]
    assert start.status == "alert" and start.period == date(2025, 9, 30)
    q1 = s.engine.evaluate_at("current_ratio", date(2025, 3, 31)).value
    assert s.engine.change("current_ratio") == (pytest.approx(start.value - q1), "vs 2025-03-31")
    for _ in range(2):
        await s.poll("replay")
    assert s.replay_date() == date(2026, 3, 5)
    before = s.data_now()
    assert before == datetime(2026, 3, 5, tzinfo=UTC)

    await s.poll("edgar_script")
    snap = s.snapshot
    now = snap.indicators["current_ratio"]
    assert now.status == "ok" and now.period == NEW and now.value == pytest.approx(1.2)
    assert s.engine.period() == NEW
    delta, why = s.engine.change("current_ratio")
    assert why == "vs 2025-09-30" and delta == pytest.approx(1.2 - start.value)

    evs = s.events.events(mark=Mark(at=before - timedelta(hours=1)))
    kinds = {(e.kind, e.subject): e for e in evs}
    filing = kinds[("filing", ACC)]
    assert filing.title == "CRWV 10-K" and filing.new == "new" and "filed 2026-02-26" in filing.detail
    status = kinds[("status", "current_ratio")]
    assert (status.old, status.new) == ("alert", "ok")
    assert status.old_value == pytest.approx(start.value) and status.value == pytest.approx(1.2)
    for e in (filing, status):  # the replay's date, not the wall clock, with year and zone
        assert e.at == before and stamp(e.at) == "2026-03-05 00:00 UTC"
    assert ("alert", "current_ratio < 0.5") not in kinds  # firing holds for an hour after the value recovers

    clock.at += timedelta(hours=2)  # the engine's wall clock: past the keep-firing hour
    await s.poll("replay")
    evs = s.events.events(mark=Mark(at=before))
    alert = next(e for e in evs if e.kind == "alert" and e.subject == "current_ratio < 0.5")
    assert (alert.old, alert.new) == ("firing", "resolved") and alert.ref == "current_ratio"
    assert stamp(alert.at) == "2026-03-06 00:00 UTC"  # the replay moved on a day
    # newest first: the resolve, then (older) the status change and the filing that caused it
    order = [e.n for e in s.events.events()]
    assert order == sorted(order, reverse=True) and filing.n < status.n < alert.n
    snap = s.snapshot

    # "since the last hour before the filing": only what moved, from → to; the 2026-03-03 start is outside
    moved = s.events.since(Mark(at=before - timedelta(hours=1)), snap.indicators)
    cr = next(m for m in moved if m.kind == "status" and m.subject == "current_ratio")
    assert (cr.old, cr.new) == ("alert", "ok") and cr.old_value == pytest.approx(start.value)
    assert cr.value == pytest.approx(1.2)
    assert any(m.kind == "filing" and m.subject == ACC for m in moved)
    assert any(m.kind == "alert" and (m.old, m.new) == ("firing", "resolved") for m in moved)
    assert not any(m.kind == "status" and m.subject == "hhi" for m in moved)  # did not move
    # since start: the same indicator reads from no data
    first = next(m for m in s.events.since(Mark(n=0), snap.indicators) if m.subject == "current_ratio")
    assert (first.old, first.new) == ("no_data", "ok")
    # the feed of the filing fails on its next poll: OK → ERROR, with why
    await s.poll("edgar_script")
    feed = s.events.events(["feed"])[0]
    assert (feed.subject, feed.old, feed.new) == ("edgar_script", "OK", "ERROR") and "nothing new" in feed.detail


async def test_acknowledge_is_logged_and_since_my_last_ack_shows_what_moved_after(clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = scripted_session(tmp_path)
    for name in s.feed_names():
        if name != "edgar_script":
            await s.poll(name)
    done = s.acknowledge("current_ratio < 0.5")
    assert done == ["current_ratio < 0.5"]
    ack = s.events.last_ack
    assert ack is not None and (ack.kind, ack.old, ack.new, ack.ref) == ("alert", "firing", "acknowledged",
                                                                         "current_ratio")
    assert stamp(ack.at) == "2026-03-03 00:00 UTC"
    mark = Mark(n=ack.n)
    assert [m for m in s.events.since(mark, s.snapshot.indicators) if m.kind != "status"] == []
    await s.poll("replay")
    await s.poll("edgar_script")
    moved = s.events.since(mark, s.snapshot.indicators)
    assert any(m.kind == "filing" for m in moved)
    cr = next(m for m in moved if m.subject == "current_ratio" and m.kind == "status")
    assert (cr.old, cr.new) == ("alert", "ok")  # then = its value at the acknowledge
    assert not any(m.kind == "alert" and m.subject == "current_ratio < 0.5" and m.old == "acknowledged" for m in moved)


async def test_feed_state_changes_on_the_data_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpurisk.session import demo_session

    s = demo_session()
    await s.poll_all()
    assert s.events.events(["feed"]) == []  # a feed's first OK is not an event
    feed = s.feed("replay")

    async def boom():  # type: ignore[no-untyped-def]
        raise FeedError("connection refused (127.0.0.1:9)")

    monkeypatch.setattr(feed, "poll", boom)
    await s.poll("replay")
    s.note_feeds()  # the tick: nothing new
    ev = s.events.events(["feed"])
    assert len(ev) == 1 and (ev[0].subject, ev[0].old, ev[0].new) == ("replay", "OK", "ERROR")
    assert "connection refused" in ev[0].detail and stamp(ev[0].at) == "2026-03-03 00:00 UTC"


def test_live_events_use_the_wall_clock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "live.toml"
    cfg.write_text("[app]\nhistory = false\n[feeds.disclosures]\n")
    s = Session.from_config(load_config(cfg))
    assert not s.demo
    t = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    assert s.data_now(t) == t
    lo = datetime.now(UTC)
    assert lo - timedelta(seconds=5) <= s.data_now() <= datetime.now(UTC)
    s.status["disclosures"].state = "ERROR"
    s.status["disclosures"].last_error = "HTTP 503"
    s.note_feeds(t)
    ev = s.events.events()[0]
    assert ev.at == t and stamp(ev.at) == "2026-11-30 09:15 UTC" and ev.detail == "HTTP 503"


def test_log_is_bounded_newest_first_and_skips_calm_first_values() -> None:
    log = EventLog(maxlen=5)
    t0 = datetime(2026, 3, 3, tzinfo=UTC)
    log.feeds({"a": ("OK", "")}, t0)
    assert log.events() == []
    for i in range(8):
        log.feeds({"a": ("ERROR" if i % 2 == 0 else "OK", f"try {i}")}, t0 + timedelta(hours=i))
    evs = log.events()
    assert len(evs) == 5 and log.dropped == 3
    assert [e.detail for e in evs] == ["try 7", "try 6", "try 5", "try 4", "try 3"]
    assert [(e.old, e.new) for e in evs[:2]] == [("ERROR", "OK"), ("OK", "ERROR")]
    assert [e.detail for e in log.events(mark=Mark(at=t0 + timedelta(hours=5)))] == ["try 7", "try 6"]


def test_filings_once_per_accession() -> None:
    log = EventLog()
    now = datetime(2026, 3, 4, tzinfo=UTC)
    f = FilingEvent(as_of=now, fetched_at=now, source="s", company="CRWV", form="8-K", accession="0001-26-1",
                    filed=now.date(), items=("2.03",))
    log.filings([f, f], now)
    log.filings([f], now + timedelta(days=1))
    evs = log.events(["filing"])
    assert len(evs) == 1 and evs[0].title == "CRWV 8-K" and "items 2.03" in evs[0].detail
    assert evs[0].new == "NEW DEBT"  # 8-K item 2.03: a new financial obligation
    assert log.events(["alert", "feed", "status"]) == []
    q = FilingEvent(as_of=now, fetched_at=now, source="s", company="CRWV", form="10-Q", accession="0001-26-2",
                    filed=now.date())
    log.filings([q], now)
    assert log.events(["filing"])[0].new == "new"


def test_first_values_of_alert_rules_are_one_baseline_line_and_later_moves_are_events() -> None:
    """At start every rule leaves NO DATA: that is a baseline (one line counting the states and
    naming the rules, the round of polls of one moment folded in), not a change per rule."""
    from engine.alerts import AlertEvent

    def ev(rule: str, old: str, new: str) -> AlertEvent:
        return AlertEvent(rule=rule, indicator=rule.split()[0], old=old, new=new, at=t0, value=1.0, threshold=2.0,
                          comparison="<", severity="critical", notify=False, reason="")

    log = EventLog()
    t0 = datetime(2026, 3, 3, tzinfo=UTC)
    log.alerts([ev("a < 2", "no_data", "firing"), ev("b < 2", "no_data", "pending")], t0)
    log.filings([], t0)  # another kind recorded between two evaluations of the same moment
    log.alerts([ev("c < 2", "no_data", "firing"), ev("d < 2", "no_data", "normal")], t0)
    [line] = log.events(["alert"])
    assert (line.title, line.old, line.new) == ("Alerts at first value", "", "2 FIRING · 1 PENDING")
    assert line.detail == "FIRING: a < 2, c < 2; PENDING: b < 2"
    # a later move is an event of its own, as is a rule that first gets a value later on
    log.alerts([ev("b < 2", "pending", "firing")], t0 + timedelta(days=1))
    log.alerts([ev("e < 2", "no_data", "firing")], t0 + timedelta(days=2))
    got = [(e.title, e.old, e.new) for e in log.events(["alert"])]
    assert got == [("Alerts at first value", "", "1 FIRING"), ("b < 2", "pending", "firing"),
                   ("Alerts at first value", "", "2 FIRING · 1 PENDING")]
