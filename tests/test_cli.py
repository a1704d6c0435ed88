"""The command line as a script would use it: real processes, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from gpurisk.snapshot_json import SCHEMA

pytestmark = pytest.mark.subprocess


def gpurisk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "gpurisk", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GPURISK_CONFIG": "", **(env or {})})


@pytest.fixture(scope="module")
def demo_snapshot() -> dict:
    proc = gpurisk("snapshot", "--json", "--scenario", "seed")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_snapshot_json_validates_against_its_schema(demo_snapshot: dict) -> None:
    jsonschema.validate(demo_snapshot, SCHEMA)
    assert demo_snapshot["demo"] is True
    assert {f["name"] for f in demo_snapshot["feeds"]} == {"replay", "sample_financials", "sample_customers",
                                                           "sample_rates", "sample_equity"}


def test_snapshot_indicators_carry_inputs_with_as_of_and_source(demo_snapshot: dict) -> None:
    la = demo_snapshot["indicators"]["liabilities_to_assets"]
    assert round(la["value"], 3) == 0.882 and la["period"] == "2025-09-30" and la["status"] in ("watch", "alert")
    assert la["threshold"] == {"watch": 0.8, "alert": 0.9, "higher_is_worse": True}
    names = {i["name"]: i for i in la["inputs"]}
    assert names["Total liabilities"]["value"] == 29_032_484_000
    assert names["Total liabilities"]["as_of"] == "2025-09-30"
    assert "0001769628-25-000062" in names["Total liabilities"]["source"]
    # The demo values every indicator (issue 7); the latest period is the Q3-2025 balance sheet.
    assert demo_snapshot["period"] == "2025-09-30"
    assert [n for n, i in demo_snapshot["indicators"].items() if i["value"] is None] == []
    # The breach probability too: the replay opens with 121 days of rent history (the simulation needs 90).
    breach = demo_snapshot["indicators"]["h100_breach_prob_24m"]
    assert 0.0 <= breach["value"] <= 1.0 and breach["status"] in ("ok", "watch", "alert")


def test_snapshot_scenario_side_by_side(demo_snapshot: dict) -> None:
    sc = demo_snapshot["scenario"]
    assert sc["name"] == "seed" and sc["shocks"] == "H100 rent -40%"
    m = sc["indicators"]["h100_margin_6y"]
    assert m["shocked"]["value"] < m["base"]["value"]
    assert sc["indicators"]["current_ratio"]["base"] == sc["indicators"]["current_ratio"]["shocked"]


def test_schema_flag_prints_schema() -> None:
    proc = gpurisk("snapshot", "--schema")
    assert proc.returncode == 0 and json.loads(proc.stdout)["$id"] == "gpurisk.snapshot/1"


def test_snapshot_exits_non_zero_when_a_feed_fails(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[feeds.sample_financials]\n[feeds.prices]\ntype = 'replay'\npath = 'does-not-exist.csv'\n")
    proc = gpurisk("--config", str(cfg), "snapshot", "--json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    state = {f["name"]: f for f in doc["feeds"]}
    assert state["prices"]["state"] == "ERROR" and "does-not-exist.csv" in state["prices"]["last_error"]
    assert state["sample_financials"]["state"] == "OK"
    assert "prices" in proc.stderr


def test_unknown_scenario_is_a_usage_error() -> None:
    proc = gpurisk("snapshot", "--json", "--scenario", "nope")
    assert proc.returncode == 2 and "known: seed" in proc.stderr


def test_explain_shows_formula_inputs_and_sources() -> None:
    proc = gpurisk("explain", "current_ratio")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "current assets ÷ current liabilities" in out
    assert "Total current assets" in out and "2025-09-30" in out and "0001769628-25-000062" in out
    assert "watch <1" in out
    bad = gpurisk("explain", "nope")
    assert bad.returncode == 2 and "current_ratio" in bad.stderr


def test_feeds_check_reports_each_feed() -> None:
    proc = gpurisk("feeds", "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {ln.split()[0]: ln for ln in proc.stdout.splitlines()[1:] if ln.strip()}
    assert set(rows) == {"replay", "sample_financials", "sample_customers", "sample_rates", "sample_equity"}
    assert "H100 SXM" in rows["replay"] and " ok " in rows["replay"]
