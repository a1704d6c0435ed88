"""Filings as events (issue 11, part 3): EDGAR submissions -> events with items tagged and the
index link; the alert rule kind ``filing`` (fires, logs, runs the hook, acknowledges, resolves);
a new 10-Q makes companyfacts due at once (requests counted on a local server); the period
move listed; config errors name file, key and problem; the demo replays the real filing dates."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine.alerts import AlertEngine
from engine.filing_rules import FilingRule, all_rules_from_config, default_filing_rules
from engine.observations import FilingEvent
from feeds.replay import ReplayFeed
from feeds.sec_filings import filing_link, item_tags, select_filings
from gpurisk.config import ConfigFileError, load_config
from gpurisk.events import EventLog
from gpurisk.session import Session

from test_sec_edgar_feed import CONTACT, FACTS_PATH, FIX, EdgarServer, make, server  # noqa: F401 (fixture)

NOW = datetime(2026, 9, 3, 12, tzinfo=UTC)


def subs_with(*rows: tuple[str, str, str, str]) -> dict:
    """A submissions document (EDGAR's column arrays) with rows (accession, form, filed, items) on top
    of the constructed CoreWeave one."""
    doc = json.loads((FIX / "submissions-CIK0001769628-constructed.json").read_text())
    recent = doc["filings"]["recent"]
    for acc, form, filed, items in reversed(rows):
        for col in recent.values():
            col.insert(0, "")
        for k, v in (("accessionNumber", acc), ("form", form), ("filingDate", filed), ("items", items),
                     ("primaryDocument", "crwv-8k.htm"), ("acceptanceDateTime", f"{filed}T21:00:00.000Z")):
            recent[k][0] = v
    return doc


def filing(acc: str, form: str, at: datetime, items: tuple[str, ...] = ()) -> FilingEvent:
    return FilingEvent(as_of=at, fetched_at=at, company="CRWV", form=form, accession=acc, filed=at.date(), items=items,
                       source=f"https://www.sec.gov/Archives/edgar/data/1769628/{acc.replace('-', '')}/crwv-8k.htm")


def test_submissions_become_events_with_items_tagged_and_the_index_link() -> None:
    doc = subs_with(("0001769628-26-000400", "8-K", "2026-09-02", "2.03,9.01"),
                    ("0001769628-26-000401", "8-K", "2026-09-02", "2.04, <b>x</b>,1.01"))
    events = select_filings(doc, company="CRWV", fetched_at=NOW)
    by = {e.accession: e for e in events}
    debt = by["0001769628-26-000400"]
    assert debt.items == ("2.03", "9.01") and debt.filed == date(2026, 9, 2)
    assert item_tags(debt.items) == ["2.03 new direct financial obligation", "9.01"]
    assert by["0001769628-26-000401"].items == ("2.04", "1.01")  # text that is not an item number is dropped
    assert filing_link(debt) == "https://www.sec.gov/Archives/edgar/data/1769628/000176962826000400/"
    # the recorded (constructed) filing list: 10-K, 10-Qs and 8-Ks, newest first; Form 4 left out
    assert [e.form for e in events if e.accession.startswith("0001769628-2")][:4] == ["8-K", "8-K", "10-Q", "8-K"]
    assert "4" not in {e.form for e in events}

    log = EventLog()
    log.filings(events, NOW)
    lines = {e.subject: e for e in log.events(["filing"])}
    ev = lines["0001769628-26-000400"]
    assert ev.title == "CRWV 8-K" and ev.new == "NEW DEBT"
    assert "items 2.03 new direct financial obligation, 9.01" in ev.detail
    assert ev.detail.endswith("https://www.sec.gov/Archives/edgar/data/1769628/000176962826000400/")
    assert lines["0001769628-26-000401"].new == "ACCELERATION"
    assert "2.04 triggering event accelerating an obligation" in lines["0001769628-26-000401"].detail
    assert "1.01 material agreement" in lines["0001769628-26-000401"].detail
    # read at the log's opening: history, stamped with the acceptance time, in the order they happened
    tenk = lines["0001769628-26-000104"]
    assert tenk.new == "history" and tenk.at == datetime(2026, 3, 2, 16, 5, tzinfo=UTC)
    assert log.started is None  # history does not open the log's "since start"


def test_filing_rule_fires_logs_runs_the_hook_acknowledges_and_resolves(tmp_path: Path) -> None:
    from gpurisk.alerting import AlertSink

    rule = FilingRule("debt 8-K", ("8-K",), ("2.03", "2.04"), "critical", keep_firing_for_s=86400.0)
    eng = AlertEngine([rule])
    out = tmp_path / "hook.json"
    sink = AlertSink(tmp_path / "alerts.jsonl", hook=f"sh -c 'cat > {out}'")
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    assert eng.filings([], t0) == [] and eng.state_of("debt 8-K") == "no_data"
    old = filing("0001769628-26-000300", "8-K", t0 - timedelta(days=30), ("2.03",))
    assert eng.filings([old, filing("0001769628-26-000301", "10-Q", t0)], t0) == []  # history never fires
    assert eng.state_of("debt 8-K") == "normal"
    assert eng.filings([filing("0001769628-26-000302", "8-K", t0, ("7.01", "9.01"))], t0) == []  # other items

    new = filing("0001769628-26-000400", "8-K", t0 + timedelta(hours=1), ("2.03", "9.01"))
    evs = eng.filings([new], t0 + timedelta(hours=2))
    assert [(e.old, e.new, e.notify, e.severity) for e in evs] == [("normal", "firing", True, "critical")]
    assert "8-K 0001769628-26-000400 filed 2026-09-01 · items 2.03, 9.01" in evs[0].reason
    from tui.toasts import short_event

    assert short_event(None, evs[0]) == "debt 8-K: CRWV 8-K 0001769628-26-000400 filed 2026-09-01 · items 2.03, 9.01"
    sink.handle(evs)
    sink.join()
    logged = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert logged[-1]["rule"] == "debt 8-K" and logged[-1]["state"] == "firing"
    hooked = json.loads(out.read_text())
    assert hooked["inputs"][0]["value"] == "8-K 0001769628-26-000400"
    assert hooked["inputs"][0]["source"].startswith("https://www.sec.gov/Archives/edgar/data/1769628/")

    assert eng.filings([new], t0 + timedelta(hours=3)) == []  # the same filing again: quiet
    assert eng.acknowledge() == ["debt 8-K"]
    saved = eng.to_dict()
    again = AlertEngine([rule], saved)  # a restart keeps firing and acknowledged, and the filing known
    assert again.filings([new], t0 + timedelta(hours=4)) == [] and again.states()[0].acknowledged
    evs = again.filings([], t0 + timedelta(days=2))
    assert [(e.old, e.new) for e in evs] == [("firing", "resolved")]
    assert again.filings([], t0 + timedelta(days=2, hours=1)) == [] and again.state_of("debt 8-K") == "normal"


def test_filing_rules_from_config_and_errors(tmp_path: Path) -> None:
    rules = all_rules_from_config([
        {"kind": "filing", "forms": ["8-K"], "items": ["2.03", "2.04"], "severity": "warning"},
        {"indicator": "current_ratio", "comparison": "<", "threshold": 0.5},
        {"kind": "indicator", "indicator": "hhi", "comparison": ">", "threshold": 3000},
    ])
    assert [type(r).__name__ for r in rules] == ["FilingRule", "AlertRule", "AlertRule"]
    assert rules[0].name == "8-K item 2.03, 2.04" and rules[0].matches(filing("a", "8-K/A", NOW, ("2.04",)))
    assert default_filing_rules()[0].items == ("2.03", "2.04")
    for body, key, words in (
        ('kind = "filing"\nitems = ["2.3"]', "alerts.rules[0].items", "8-K item numbers"),
        ('kind = "filing"\nforms = ["S-1"]', "alerts.rules[0].forms", "must list forms"),
        ('kind = "filing"\nforms = ["10-Q"]\nitems = ["2.03"]', "alerts.rules[0].items", "only 8-K"),
        ('kind = "filing"\nindicator = "hhi"', "alerts.rules[0].indicator", "unknown key"),
        ('kind = "news"\nindicator = "hhi"', "alerts.rules[0].kind", "must be one of indicator, filing"),
    ):
        path = tmp_path / "c.toml"
        path.write_text(f"[[alerts.rules]]\n{body}\n")
        with pytest.raises(ConfigFileError) as err:
            load_config(path)
        msg = str(err.value)
        assert str(path) in msg and key in msg and words in msg, msg


async def test_session_new_10q_refreshes_companyfacts_and_fires_the_rule(server: EdgarServer, tmp_path: Path) -> None:  # noqa: F811
    cfg = load_config(None)
    feed = make(server)
    s = Session(cfg, [feed])
    s.setup_alerts(log_path=str(tmp_path / "alerts.jsonl"))
    s.alert_sink.bell = False
    assert "8-K new debt or acceleration" in s.alerts.rules  # the default filing rule
    try:
        await s.poll(feed.instance)
        facts = sum(p == FACTS_PATH for p, _ in server.requests)
        assert facts == 1
        await s.poll(feed.instance)  # nothing new: submissions only, companyfacts waits for its hour
        assert sum(p == FACTS_PATH for p, _ in server.requests) == 1
        today = datetime.now(UTC).date().isoformat()
        server.add_filing("0001769628-26-000450", "10-Q", today)
        await s.poll(feed.instance)  # the new 10-Q: companyfacts read in the same poll, not an hour later
        assert sum(p == FACTS_PATH for p, _ in server.requests) == 2
        assert any(e.subject == "0001769628-26-000450" for e in s.events.events(["filing"]))
        server.add_filing("0001769628-26-000451", "8-K", today, "2.03,9.01")
        await s.poll(feed.instance)
        fired = [e for e in s.alert_events if e.rule == "8-K new debt or acceleration"]
        assert [(e.old, e.new, e.notify) for e in fired] == [("normal", "firing", True)]
        logged = next(e for e in s.events.events(["alert"]) if e.subject == "8-K new debt or acceleration")
        assert logged.new == "firing" and logged.detail.startswith("8-K item 2.03, 2.04 filed · warning · CRWV 8-K")
        status = next(r for r in s.alerts.states() if r.rule == "8-K new debt or acceleration")
        assert (status.indicator, status.condition, status.state) == ("8-K item 2.03, 2.04",
                                                                      "8-K item 2.03, 2.04 filed",
                                                                      "firing")
        assert s.acknowledge("8-K new debt or acceleration") == ["8-K new debt or acceleration"]
        line = json.loads((tmp_path / "alerts.jsonl").read_text().splitlines()[-1])
        assert line["rule"] == "8-K new debt or acceleration" and "0001769628-26-000451" in line["reason"]
    finally:
        await s.aclose()


def test_period_move_is_listed_with_the_changed_indicators() -> None:
    from types import SimpleNamespace as NS

    log = EventLog()
    at = datetime(2026, 3, 5, tzinfo=UTC)

    def snap(seq: int, period: date, cr: float, hhi: float) -> NS:
        res = {"current_ratio": NS(value=cr, status="ok", title="Current ratio", period=period),
               "hhi": NS(value=hhi, status="ok", title="Customer HHI", period=period)}
        return NS(seq=seq, status_log=[], indicators=res, changed=("ind/current_ratio", "ind/hhi"))

    log.indicators(snap(1, date(2025, 9, 30), 0.487, 4278.0), at)
    log.indicators(snap(2, date(2025, 12, 31), 1.2, 4278.0), at)
    ev = log.events(["filing"])
    assert len(ev) == 1 and ev[0].title == "period → 2025-12-31"
    assert (ev[0].old, ev[0].new) == ("2025-09-30", "2025-12-31")
    assert ev[0].detail == "from 2025-09-30: Current ratio 0.487 → 1.200"  # HHI did not change: not listed


async def test_demo_replays_filing_dates_history_then_when_reached() -> None:
    f = ReplayFeed(step_days=7.0)
    first = [o for o in await f.poll() if isinstance(o, FilingEvent)]
    assert [o.filed for o in first][-1] == date(2026, 3, 2) and all(o.filed < date(2026, 3, 3) for o in first)
    assert all("sample_data/filings.csv: " in o.source and filing_link(o) for o in first)
    reached: list[tuple[date, str]] = []
    for _ in range(12):
        reached += [(o.filed, o.form) for o in await f.poll() if isinstance(o, FilingEvent)]
    assert reached == [(date(2026, 3, 31), "8-K"), (date(2026, 5, 8), "10-Q")]


def test_filings_csv_has_a_source_on_every_row() -> None:
    import csv

    from gpurisk.session import sample_dir

    rows = list(csv.DictReader((sample_dir() / "filings.csv").open(encoding="utf-8")))
    assert rows and all(r["source"].strip() and r["accession"].startswith(r["cik"]) for r in rows)
    assert {"0001769628-26-000104", "0001769628-25-000033", "0001769628-25-000105"} <= {r["accession"] for r in rows}


async def test_companyfacts_read_again_until_the_new_10q_shows(server: EdgarServer) -> None:  # noqa: F811
    """EDGAR's XBRL API lags a filing by minutes: a new 10-Q whose figures companyfacts does not
    show yet makes the next poll read it again (not an hour later); once they show, it stops."""
    feed = make(server)
    try:
        await feed.poll()
        server.add_filing("0001769628-26-000450", "10-Q", "2026-11-12")
        await feed.poll()  # read at once, but the 10-Q's figures are not in companyfacts yet
        assert sum(p == FACTS_PATH for p, _ in server.requests) == 2
        await feed.poll()
        assert sum(p == FACTS_PATH for p, _ in server.requests) == 3  # again: still awaited
        doc = json.loads(server.bodies[FACTS_PATH])
        rows = doc["facts"]["us-gaap"]["Assets"]["units"]["USD"]
        rows.append({**rows[-1], "end": "2026-09-30", "accn": "0001769628-26-000450", "filed": "2026-11-12",
                     "form": "10-Q", "val": 50e9})
        server.bodies[FACTS_PATH] = json.dumps(doc).encode()
        await feed.poll()  # now it shows: read once more, then back to hourly
        await feed.poll()
        assert sum(p == FACTS_PATH for p, _ in server.requests) == 4
    finally:
        await feed.aclose()
