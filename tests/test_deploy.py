"""deploy/: the Prometheus rules are the dashboard's rules (regenerated and compared,
so they cannot drift), promtool accepts the config and the rules and passes the rules'
unit tests, amtool accepts the Alertmanager example, systemd accepts the unit, and the
Grafana dashboard queries only metrics gpurisk.metrics exposes.

promtool/amtool/systemd-analyze are Debian packages; .ci/run installs prometheus and
prometheus-alertmanager when missing, so in CI nothing here is skipped."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from gpurisk.metrics import FAMILIES
from gpurisk.promrules import default_rules_yaml, duration, main, number, rules_yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PROM = DEPLOY / "prometheus"
RULES = PROM / "gpurisk-rules.yml"


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install prometheus prometheus-alertmanager; "
                    ".ci/run does it)")
    return path


def _run(*cmd: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=120)


# --- the rules are generated from the definitions ------------------------------------------
def test_rules_file_is_regenerated_unchanged() -> None:
    """If this fails, a default rule or threshold moved: run
    `python -m gpurisk.promrules > deploy/prometheus/gpurisk-rules.yml` and commit it."""
    assert RULES.read_text(encoding="utf-8") == default_rules_yaml()


def test_every_default_rule_is_there_with_its_threshold_and_for() -> None:
    from gpurisk.config import Config
    from gpurisk.session import Session

    text = RULES.read_text(encoding="utf-8")
    blocks = text.split("      - alert: ")[1:]
    rules = Session(Config(), []).alert_rules()
    assert len(rules) >= 8
    for r in rules:
        expr = f'gpurisk_indicator_value{{indicator=\\"{r.indicator}\\"}} {r.comparison} {number(r.threshold)}'
        (block,) = [b for b in blocks if f'expr: "{expr}"' in b]
        assert f'rule: "{r.name}"' in block and f'severity: "{r.severity}"' in block
        assert (f"for: {duration(r.for_s)}" in block) == (r.for_s > 0)
        assert f"keep_firing_for: {duration(r.keep_firing_for_s)}" in block
    # spot checks against engine/alert_rules.py, in Prometheus's words
    assert 'indicator=\\"current_ratio\\"} < 0.5"' in text
    assert re.search(r'h100_margin_3y\\"\} < 0"\n        for: 1h\n        keep_firing_for: 1h', text)


def test_a_config_moves_the_rules(tmp_path: Path) -> None:
    """A desk's thresholds and own rules come out too (`--config`)."""
    cfg = tmp_path / "desk.toml"
    cfg.write_text('[thresholds.current_ratio]\nwatch = 1.2\nalert = 0.8\nhigher_is_worse = false\n\n'
                   '[[alerts.rules]]\nname = "thin cash"\nindicator = "cash_ratio"\ncomparison = "<="\n'
                   'threshold = 0.25\nfor_s = 90\nseverity = "critical"\n', encoding="utf-8")
    out = io.StringIO()
    assert main(["--config", str(cfg)], out) == 0
    text = out.getvalue()
    assert 'indicator=\\"current_ratio\\"} < 0.8"' in text and "< 0.5" not in text.split("current_ratio")[1]
    assert 'cash_ratio\\"} <= 0.25"\n        for: 1m30s\n' in text and 'rule: "thin cash"' in text
    assert f"--config {cfg}" in text.splitlines()[2]


def test_bad_config_exits_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[thresholds.nope]\nalert = 1\n", encoding="utf-8")
    assert main(["--config", str(cfg)], io.StringIO()) == 2
    err = capsys.readouterr().err
    assert str(cfg) in err and "thresholds.nope" in err


def test_rules_without_a_metric_are_skipped_with_a_comment() -> None:
    from engine.alert_rules import AlertRule

    filing = SimpleNamespace(kind="filing", name="8-K new debt", indicator="filing", comparison="filing",
                             threshold=0.0, for_s=0.0, keep_firing_for_s=604800.0, severity="warning")
    text = rules_yaml([filing, AlertRule("a", "hhi", ">", 2500.0), AlertRule("b", "hhi", ">=", 3000.0)])
    assert "      # skipped: rule \"8-K new debt\" (kind 'filing': an event, no metric carries it)" in text
    assert "alert: GpuriskHhiHigh\n" in text and "alert: GpuriskHhiHigh2\n" in text  # names stay unique
    assert text.count("      - alert: Gpurisk") == 2 + 4  # two rules + the collector's four


def test_durations_and_numbers() -> None:
    assert [duration(s) for s in (0, 1, 90, 3600, 5400, 86400 + 61, 0.25)] == \
        ["0s", "1s", "1m30s", "1h", "1h30m", "1d1m1s", "250ms"]
    assert [number(v) for v in (0.0, 0.5, 2500.0, 1.1, -2.0, 0.1 + 0.2)] == \
        ["0", "0.5", "2500", "1.1", "-2", "0.30000000000000004"]
    with pytest.raises(ValueError):
        number(float("inf"))


def test_rules_and_dashboard_read_only_exposed_metrics() -> None:
    names = set(re.findall(r"\bgpurisk_[a-z_]+\b", RULES.read_text(encoding="utf-8")))
    assert names and names <= set(FAMILIES)


# --- promtool -------------------------------------------------------------------------------
@pytest.mark.subprocess
def test_promtool_check_rules() -> None:
    p = _run(_tool("promtool"), "check", "rules", str(RULES))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS: 17 rules found" in p.stdout


@pytest.mark.subprocess
def test_promtool_rules_unit_tests() -> None:
    """A rule firing at once, one firing only after its hour, hysteresis, one never firing."""
    test_file = PROM / "gpurisk-rules.test.yml"
    text = test_file.read_text(encoding="utf-8")
    assert "eval_time: 30m\n        alertname: GpuriskH100Margin3yLow\n        exp_alerts: []" in text
    p = _run(_tool("promtool"), "test", "rules", test_file.name, cwd=PROM)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS" in p.stdout


@pytest.mark.subprocess
def test_promtool_rules_unit_tests_can_fail(tmp_path: Path) -> None:
    """The unit tests are not vacuous: expect the 1-hour rule to fire at 30 minutes and promtool says no."""
    shutil.copy(RULES, tmp_path / RULES.name)
    text = (PROM / "gpurisk-rules.test.yml").read_text(encoding="utf-8")
    bad = text.replace("eval_time: 61m\n        alertname: GpuriskH100Margin3yLow",
                       "eval_time: 59m\n        alertname: GpuriskH100Margin3yLow")
    assert bad != text
    (tmp_path / "t.yml").write_text(bad, encoding="utf-8")
    p = _run(_tool("promtool"), "test", "rules", "t.yml", cwd=tmp_path)
    assert p.returncode != 0 and "GpuriskH100Margin3yLow" in p.stdout + p.stderr


@pytest.mark.subprocess
def test_promtool_check_config_plain_and_with_token(tmp_path: Path) -> None:
    promtool = _tool("promtool")
    p = _run(promtool, "check", "config", "prometheus.yml", cwd=PROM)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 rule files found" in p.stdout
    text = (PROM / "prometheus.yml").read_text(encoding="utf-8")
    assert "- targets: [\"127.0.0.1:8765\"]" in text and "job_name: gpurisk" in text
    # the commented bearer-token variant is valid once uncommented
    token = tmp_path / "gpurisk.token"
    token.write_text("0123456789abcdef0123\n", encoding="utf-8")
    shutil.copy(RULES, tmp_path / RULES.name)
    on = text.replace("    # authorization:\n    #   type: Bearer\n"
                      "    #   credentials_file: /etc/prometheus/gpurisk.token",
                      f"    authorization:\n      type: Bearer\n      credentials_file: {token}")
    assert on != text
    (tmp_path / "prometheus.yml").write_text(on, encoding="utf-8")
    p = _run(promtool, "check", "config", "prometheus.yml", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.subprocess
def test_amtool_check_alertmanager_config() -> None:
    p = _run(_tool("amtool"), "check-config", str(PROM / "alertmanager.yml"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 receivers" in p.stdout and "webhook_configs" in (PROM / "alertmanager.yml").read_text()


# --- systemd --------------------------------------------------------------------------------
UNIT = DEPLOY / "systemd" / "gpurisk-serve.service"


def _unit_sections() -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    section = None
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = out.setdefault(line[1:-1], {})
            continue
        assert section is not None and "=" in line, line
        k, v = line.split("=", 1)
        section.setdefault(k.strip(), []).append(v.strip())
    return out


def test_systemd_unit_structure() -> None:
    u = _unit_sections()
    assert set(u) == {"Unit", "Service", "Install"}
    svc = u["Service"]
    (start,) = svc["ExecStart"]
    assert start.split()[1:] == ["serve", "--live", "--host", "0.0.0.0", "--port", "8765", "--token-env",
                                 "GPURISK_TOKEN"]
    assert svc["User"] == ["gpurisk"] and svc["EnvironmentFile"] == ["/etc/gpurisk/serve.env"]
    assert svc["Restart"] == ["on-failure"] and svc["RestartPreventExitStatus"] == ["2"]
    for hard in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "RestrictSUIDSGID"):
        assert svc[hard] == ["yes"], hard
    assert svc["ProtectSystem"] == ["strict"] and svc["StateDirectory"] == ["gpurisk"]
    assert u["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.subprocess
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own check, with ExecStart pointed at this checkout's gpurisk (verify
    wants an executable there); any warning about the unit fails the test."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (the structural check above still runs)")
    import sys

    exe = Path(sys.executable).with_name("gpurisk")
    if not exe.exists():
        pytest.skip(f"no gpurisk script beside {sys.executable} (pip install -e .)")
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text(encoding="utf-8").replace("/usr/local/bin/gpurisk", str(exe)), encoding="utf-8")
    p = _run(tool, "verify", str(unit))
    assert p.returncode == 0, p.stdout + p.stderr
    assert str(unit) not in p.stderr and UNIT.name not in p.stderr, p.stderr  # e.g. "Unknown key ..."


# --- Grafana --------------------------------------------------------------------------------
_PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
                 "sum", "min", "max", "avg", "count", "topk", "bottomk", "rate", "increase", "time", "bool"}


def _metrics_in(expr: str) -> set[str]:
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings out
    bare = re.sub(r"\{[^}]*\}", "", bare)  # label matchers out
    bare = re.sub(r"\([^()]*\)\s*(?=by|without)", " ", bare)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", bare)
    return {w for w in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare) if w not in _PROMQL_WORDS}


def test_grafana_dashboard_structure() -> None:
    dash = json.loads((DEPLOY / "grafana" / "gpurisk-dashboard.json").read_text(encoding="utf-8"))
    assert dash["title"] and dash["uid"] and isinstance(dash["schemaVersion"], int)
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    panels = dash["panels"]
    assert len({p["id"] for p in panels}) == len(panels) >= 6
    used: set[str] = set()
    for p in panels:
        assert p["title"] and p["type"] in {"stat", "timeseries", "table", "gauge", "bargauge"}
        assert set(p["gridPos"]) == {"x", "y", "w", "h"} and p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
        assert p["datasource"]["uid"] == "${datasource}"
        assert p["targets"], p["title"]
        for t in p["targets"]:
            got = _metrics_in(t["expr"])
            assert got and got <= set(FAMILIES), (p["title"], t["expr"], got - set(FAMILIES))
            used |= got
    for v in variables.values():
        if v["type"] == "query":
            m = re.fullmatch(r"label_values\((\w+), (\w+)\)", v["query"]["query"])
            assert m and m.group(1) in FAMILIES and m.group(2) in FAMILIES[m.group(1)][1]
    # the panels the issue asks for: risk score, indicators by group, prices, feed up/age, firing alerts
    assert {"gpurisk_risk_score", "gpurisk_indicator_value", "gpurisk_gpu_price_usd_per_hour", "gpurisk_feed_up",
            "gpurisk_feed_data_age_seconds", "gpurisk_alert_firing"} <= used


def test_metric_name_check_catches_a_stranger() -> None:
    assert _metrics_in('sum by (group) (gpurisk_indicator_value{group=~"$group"})') == {"gpurisk_indicator_value"}
    assert _metrics_in("gpurisk_feed_up == 0 or node_load1") == {"gpurisk_feed_up", "node_load1"}


def test_rule_labels_join_the_dashboards_alert_metric(tmp_path: Path) -> None:
    """Each Prometheus rule carries the dashboard rule's name as `rule`, the label of
    gpurisk_alert_firing: a desk can put both side by side (and does in Grafana)."""
    from prometheus_client.parser import text_string_to_metric_families

    from gpurisk.metrics import exposition
    from gpurisk.session import demo_session

    s = demo_session()
    s.setup_alerts(log_path=str(tmp_path / "alerts.jsonl"))
    body = exposition(s)[0].decode()
    exposed = {(x.labels["rule"], x.labels["severity"]) for f in text_string_to_metric_families(body)
               if f.name == "gpurisk_alert_firing" for x in f.samples}
    in_rules = set(re.findall(r'severity: "(\w+)"\n          rule: "([^"]+)"', RULES.read_text(encoding="utf-8")))
    in_rules = {(r, sev) for sev, r in in_rules}
    assert in_rules and in_rules <= exposed
    events = {(r.name, r.severity) for r in s.alerts.rules.values() if getattr(r, "kind", "indicator") != "indicator"}
    assert exposed - in_rules <= events  # only the rules without a metric (filings) are the dashboard's alone


@pytest.mark.subprocess
def test_grafana_queries_are_valid_promql(tmp_path: Path) -> None:
    """promtool parses every panel's query (as a recording rule; Grafana's $variables as `.*`)."""
    promtool = _tool("promtool")
    dash = json.loads((DEPLOY / "grafana" / "gpurisk-dashboard.json").read_text(encoding="utf-8"))
    exprs = [re.sub(r"\$\w+", ".*", t["expr"]) for p in dash["panels"] for t in p["targets"]]
    lines = ["groups:", "  - name: grafana-queries", "    rules:"]
    for i, e in enumerate(exprs):
        lines += [f"      - record: gpurisk:grafana_query_{i}", f"        expr: {json.dumps(e)}"]
    f = tmp_path / "queries.yml"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = _run(promtool, "check", "rules", str(f))
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in p.stdout
