"""Alert side effects: the JSON-lines log, the shell hook (JSON on stdin), the bell, the state file."""

from __future__ import annotations

import json
import shlex
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine.alerts import AlertEngine, AlertRule
from engine.indicator import IndicatorResult, InputRef, Threshold
from gpurisk.alerting import (
    AlertSink,
    JsonStateFile,
    default_log_path,
    default_state_path,
    load_alert_engine,
    redact,
    save_alert_state,
)

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
RULES = [AlertRule.from_dict({"indicator": "liabilities_to_assets", "comparison": ">", "threshold": 0.9,
                              "keep_firing_for_s": 0, "severity": "critical"}, "t")]
SECRET = "s3cr3t-fred-key-123"


def res(value: float | None) -> IndicatorResult:
    return IndicatorResult(
        name="liabilities_to_assets", title="Liabilities / assets", group="leverage", unit="ratio", value=value,
        status="no_data" if value is None else ("alert" if value >= 0.9 else "ok"),
        threshold=Threshold(0.8, 0.9), formula="total liabilities ÷ total assets",
        inputs=(InputRef("fin/CRWV/total_liabilities", 28.5e9, date(2025, 9, 30),
                         "https://www.sec.gov/cgi-bin/x?CIK=1769628"),
                InputRef("rate/DGS10", 4.1, date(2025, 9, 30),
                         f"https://api.stlouisfed.org/fred/series/observations?series_id=DGS10&api_key={SECRET}"),
                InputRef("rate/x", 1.0, None, f"https://user:{SECRET}@example.org/p")),
        reason="" if value is not None else "feed down")


def fire(eng: AlertEngine) -> list:
    """normal → firing → resolved: three events, one notifying."""
    events = eng.evaluate({"liabilities_to_assets": res(0.5)}, T0)
    events += eng.evaluate({"liabilities_to_assets": res(0.93)}, T0 + timedelta(minutes=1))
    events += eng.evaluate({"liabilities_to_assets": res(0.85)}, T0 + timedelta(minutes=2))
    return events


def test_log_lines_for_firing_and_resolved_without_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("GPURISK_FRED_API_KEY", "env-only-secret-value")
    log = tmp_path / "logs" / "alerts.jsonl"
    rings = []
    sink = AlertSink(log, bell=True, bell_fn=lambda: rings.append(1))
    events = fire(AlertEngine(RULES))
    assert [(e.old, e.new) for e in events] == [("no_data", "normal"), ("normal", "firing"), ("firing", "resolved")]
    written = sink.handle(events)
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert lines == written
    assert [(r["old"], r["state"], r["notify"]) for r in lines] == [("normal", "firing", True),
                                                                    ("firing", "resolved", False)]
    first = lines[0]
    assert first["value"] == 0.93 and first["threshold"] == 0.9 and first["comparison"] == ">"
    assert first["at"] == "2026-01-05T12:01:00+00:00" and first["severity"] == "critical"
    assert first["inputs"][0] == {"name": "fin/CRWV/total_liabilities", "value": 28.5e9, "as_of": "2025-09-30",
                                  "source": "https://www.sec.gov/cgi-bin/x?CIK=1769628"}
    text = log.read_text()
    assert SECRET not in text and "api_key=***" in text and "https://***@example.org/p" in text
    assert rings == [1]  # the bell rings for the firing only
    assert not sink.failures


def test_redact_masks_environment_secrets(monkeypatch):
    monkeypatch.setenv("GPURISK_SOME_TOKEN", "tok-abcdef-999")
    from feeds.textsafe import refresh

    refresh()  # the environment changed in-process
    out = redact({"a": ["see tok-abcdef-999 here", 3], "b": "https://x.org/?token=zz&series=1"})
    assert out == {"a": ["see *** here", 3], "b": "https://x.org/?token=***&series=1"}


async def test_hook_receives_alert_json_on_stdin(tmp_path):
    out = tmp_path / "hook out.json"
    hook = f"sh -c {shlex.quote('cat > ' + shlex.quote(str(out)))}"
    sink = AlertSink(tmp_path / "alerts.jsonl", hook=hook, hook_timeout_s=10)
    sink.handle(fire(AlertEngine(RULES)))
    await sink.drain()
    payload = json.loads(out.read_text())
    assert payload["rule"] == RULES[0].name and payload["state"] == "firing" and payload["value"] == 0.93
    assert SECRET not in out.read_text()
    assert sink.hook_runs == 1 and not sink.failures  # resolved does not run the hook


def test_hook_without_event_loop_runs_in_a_thread(tmp_path):
    out = tmp_path / "out.json"
    sink = AlertSink(tmp_path / "alerts.jsonl", hook=f"sh -c 'cat > {out}'")
    sink.handle(fire(AlertEngine(RULES)))
    sink.join()
    assert json.loads(out.read_text())["state"] == "firing"


@pytest.mark.serial
async def test_hook_failure_and_timeout_are_logged_not_raised(tmp_path, caplog):
    sink = AlertSink(tmp_path / "a.jsonl", hook="echo broken >&2; exit 3")
    sink.handle(fire(AlertEngine(RULES)))
    await sink.drain()
    assert list(sink.failures) == ["hook exited 3: broken"]
    assert "hook exited 3" in caplog.text

    slow = AlertSink(tmp_path / "b.jsonl", hook="sleep 30", hook_timeout_s=0.3)
    t = time.monotonic()
    slow.handle(fire(AlertEngine(RULES)))
    assert time.monotonic() - t < 0.25  # handle() never waits for the hook
    await slow.drain()
    assert time.monotonic() - t < 5
    assert list(slow.failures) == ["hook timed out after 0.3s"]


def test_unwritable_log_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    sink = AlertSink(blocker / "alerts.jsonl")  # parent is a file
    sink.handle(fire(AlertEngine(RULES)))
    assert len(sink.failures) == 2 and sink.failures[0].startswith("log ")


def test_log_rotates_when_large(tmp_path):
    log = tmp_path / "alerts.jsonl"
    sink = AlertSink(log, max_log_bytes=10)
    sink.handle(fire(AlertEngine(RULES)))
    assert (tmp_path / "alerts.jsonl.1").exists()
    assert json.loads(log.read_text())["state"] == "resolved"


def test_state_file_roundtrip_is_atomic_and_keeps_other_keys(tmp_path):
    path = tmp_path / "data" / "state.json"
    store = JsonStateFile(path)
    assert store.get_state("alerts") is None
    store.put_state("other", {"x": 1})
    eng = AlertEngine(RULES)
    eng.evaluate({"liabilities_to_assets": res(0.93)}, T0)
    assert save_alert_state(eng, store)
    assert json.loads(path.read_text())["other"] == {"x": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.json"]  # no temp file left behind
    # restart: a new engine from the file is still firing and does not notify again
    eng2 = load_alert_engine(RULES, JsonStateFile(path))
    assert eng2.state_of(RULES[0].name) == "firing"
    assert eng2.evaluate({"liabilities_to_assets": res(0.95)}, T0 + timedelta(hours=1)) == []


def test_corrupt_state_file_starts_fresh(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")
    eng = load_alert_engine(RULES, JsonStateFile(path))
    assert eng.state_of(RULES[0].name) == "no_data"
    JsonStateFile(path).put_state("alerts", eng.to_dict())  # overwrites the corrupt file
    assert json.loads(path.read_text())["alerts"]["version"] == 1


def test_any_store_with_get_put_state(tmp_path):
    class Mem:
        def __init__(self):
            self.d = {}

        def get_state(self, key):
            return self.d.get(key)

        def put_state(self, key, value):
            self.d[key] = json.loads(json.dumps(value))

    class Broken:
        def get_state(self, key):
            raise OSError("disk gone")

        def put_state(self, key, value):
            raise OSError("disk gone")

    mem = Mem()
    eng = AlertEngine(RULES)
    eng.evaluate({"liabilities_to_assets": res(0.93)}, T0)
    assert save_alert_state(eng, mem, key="alerts/v1")
    assert load_alert_engine(RULES, mem, key="alerts/v1").state_of(RULES[0].name) == "firing"
    assert save_alert_state(eng, Broken()) is False
    assert load_alert_engine(RULES, Broken()).state_of(RULES[0].name) == "no_data"


def test_default_paths_are_per_user():
    assert default_log_path().name == "alerts.jsonl" and "gpurisk" in str(default_log_path())
    assert default_state_path().name == "state.json" and isinstance(default_state_path(), Path)


@pytest.mark.parametrize("hook", ["", "   ", None])
def test_blank_hook_is_off(tmp_path, hook):
    sink = AlertSink(tmp_path / "a.jsonl", hook=hook)
    sink.handle(fire(AlertEngine(RULES)))
    assert sink.hook_runs == 0
