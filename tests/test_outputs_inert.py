"""Nothing from outside reaches the terminal as control codes, on every output path.

Server text (provider names, error bodies), config values (feed names, keys) and file
names carry an OSC 0 title with BEL and with ST, an OSC 52 clipboard write and a CSI
colour. Each CLI path runs as a real process against a local 127.0.0.1 server; the
output must hold no raw ESC, BEL or C1 byte, and each payload must be there as a
visible escape (``\\x1b]0;``), so nothing was silently lost either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from local_http import LocalServer

PAYLOADS = {
    "osc0_bel": ("\x1b]0;pwned-title\x07", "\\x1b]0;pwned-title\\x07"),
    "osc0_st": ("\x1b]0;other-title\x1b\\", "\\x1b]0;other-title\\x1b\\"),
    "osc52": ("\x1b]52;c;cm0gLXJmIH4=\x1b\\", "\\x1b]52;c;cm0gLXJmIH4=\\x1b\\"),
    "csi": ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
}


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


def toml_str(s: str) -> str:
    """A TOML basic string holding ``s`` exactly (controls as \\uXXXX)."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def gpurisk(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gpurisk", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "GPURISK_CONFIG": "", "GPURISK_HISTORY": "", **(env or {})})


def assert_inert(text: str, where: str) -> None:
    """No ESC, BEL, other C0 (newline aside), DEL or C1 character."""
    bad = sorted({f"U+{ord(c):04X}" for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F})
    assert not bad, f"raw control characters in {where}: {bad}"


def payload_config(tmp_path: Path, url: str) -> Path:
    """One http_json feed per payload whose provider name is the payload, one whose
    server answers 401 with the payload, and one whose *name* (config) is the payload."""
    lines = []
    for key, (_raw, _) in PAYLOADS.items():
        lines += [f"[feeds.p_{key}]", 'type = "http_json"', f'url = "{url}/prices/{key}"', 'price_path = "price"',
                  'sku = "H100 SXM"', 'provider_path = "name"', 'tier = "marketplace"', ""]
        lines += [f"[feeds.e_{key}]", 'type = "http_json"', f'url = "{url}/fail/{key}"', 'price_path = "price"',
                  'sku = "H100 SXM"', "retries = 0", ""]
    lines += [f"[feeds.{toml_str('n' + PAYLOADS['csi'][0])}]", 'type = "http_json"', f'url = "{url}/fail/osc0_bel"',
              'price_path = "price"', 'sku = "H100 SXM"', "retries = 0", ""]
    path = tmp_path / "payloads.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def program(server: Any) -> None:
    for key, (raw, _) in PAYLOADS.items():
        server.route(f"/prices/{key}", server.Reply(200, [{"name": "P" + raw, "price": 2.5}]))
        server.route(f"/fail/{key}", server.Reply(401, "bad request: " + raw))


@pytest.mark.subprocess
def test_feeds_check_prints_server_text_inert(server: Any, tmp_path: Path) -> None:
    program(server)
    proc = gpurisk("--config", str(payload_config(tmp_path, server.url)), "feeds", "check", "--deadline", "30")
    assert proc.returncode == 1, proc.stderr  # the failing feeds fail the check
    assert_inert(proc.stdout, "stdout")
    assert_inert(proc.stderr, "stderr")
    assert "Traceback" not in proc.stderr
    for key, (_, visible) in PAYLOADS.items():
        assert f"(P{visible})" in proc.stdout, key  # the provider name in the "got" column
    assert "n\\x1b[31mred\\x1b[0m" in proc.stdout  # a feed named by the config
    assert proc.stdout.count("HTTP 401") >= len(PAYLOADS) + 1


@pytest.mark.subprocess
def test_snapshot_json_every_string_inert(server: Any, tmp_path: Path) -> None:
    program(server)
    proc = gpurisk("--config", str(payload_config(tmp_path, server.url)), "snapshot", "--json", "--deadline", "30")
    assert proc.returncode == 1  # feeds without data
    assert_inert(proc.stdout, "stdout")
    assert_inert(proc.stderr, "stderr")
    assert "n\\x1b[31mred\\x1b[0m" in proc.stderr  # "feeds without data: ..." names it, inert
    doc = json.loads(proc.stdout)

    def strings(o: Any) -> list[str]:
        if isinstance(o, str):
            return [o]
        if isinstance(o, dict):
            return [s for k, v in o.items() for s in [str(k), *strings(v)]]
        if isinstance(o, list):
            return [s for v in o for s in strings(v)]
        return []

    for s in strings(doc):
        assert_inert(s, f"JSON string {s[:40]!r}")
    providers = {src["provider"] for row in doc["prices"] for src in row["sources"]}
    assert providers == {"P" + visible for _, visible in PAYLOADS.values()}
    errors = {f["name"]: f["last_error"] for f in doc["feeds"]}
    assert errors["n\\x1b[31mred\\x1b[0m"].startswith("HTTP 401")
    for key in PAYLOADS:
        assert errors[f"e_{key}"].startswith("HTTP 401"), errors[f"e_{key}"]


@pytest.mark.subprocess
def test_explain_prints_file_and_config_text_inert(tmp_path: Path) -> None:
    csv = tmp_path / ("idx " + "".join(raw for raw, _ in PAYLOADS.values()) + ".csv")
    csv.write_text("date,value\n2026-03-02,2.10\n2026-03-03,2.20\n", encoding="utf-8")
    cfg = tmp_path / "explain.toml"
    cfg.write_text("\n".join([
        "[feeds.sample_financials]", "[feeds.sample_rates]", "[feeds.sample_equity]", "[feeds.mkt]", 'type = "csv"',
        f"path = {toml_str(str(csv))}", 'date_column = "date"', 'value_column = "value"', 'sku = "H100 SXM"',
        'tier = "marketplace"', ""]), encoding="utf-8")
    proc = gpurisk("--config", str(cfg), "explain", "h100_margin_6y")
    assert proc.returncode == 0, proc.stderr
    assert_inert(proc.stdout, "stdout")
    line = next(ln for ln in proc.stdout.splitlines() if "marketplace $/GPU-h" in ln)
    assert "idx " + "".join(v for _, v in PAYLOADS.values()) + ".csv" in line  # the source, every payload visible


@pytest.mark.subprocess
@pytest.mark.parametrize("args", [
    ("explain", "x" + PAYLOADS["osc0_bel"][0]),
    ("snapshot", "--json", "--scenario", "s" + PAYLOADS["osc52"][0]),
])
def test_stderr_messages_echo_arguments_inert(args: tuple[str, ...]) -> None:
    proc = gpurisk(*args)
    assert proc.returncode == 2
    assert_inert(proc.stderr, "stderr")
    assert "\\x1b]" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.subprocess
def test_config_error_echoing_a_key_is_inert(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f"[feeds.{toml_str('f' + PAYLOADS['osc0_st'][0])}]\ntype = {toml_str(PAYLOADS['csi'][0])}\n")
    proc = gpurisk("--config", str(cfg), "feeds", "check")
    assert proc.returncode == 2
    assert_inert(proc.stderr, "stderr")
    assert f"feeds.f{PAYLOADS['osc0_st'][1]}.type" in proc.stderr  # file: key: problem, the key inert
    assert "unknown feed" in proc.stderr


def test_alert_log_and_hook_payload_are_inert(tmp_path: Path) -> None:
    from datetime import datetime

    from engine.alerts import AlertEvent
    from gpurisk.alerting import AlertSink

    raw = "".join(r for r, _ in PAYLOADS.values())
    ev = AlertEvent(rule="r" + raw, indicator="hhi", old="normal", new="firing",
                    at=datetime(2026, 1, 5, tzinfo=UTC), value=3000.0, threshold=2500.0, comparison=">",
                    severity="warning", notify=True, reason="server said " + raw,
                    inputs=(("price", 2.5, "2026-01-05", "provider " + raw),))
    got = tmp_path / "hook-stdin.json"
    sink = AlertSink(tmp_path / "alerts.jsonl", hook=f"cat > '{got}'")
    sink.handle([ev])
    sink.join()
    for where, text in (("alert log", (tmp_path / "alerts.jsonl").read_text()), ("hook stdin", got.read_text())):
        assert_inert(text, where)
        record = json.loads(text)
        for _, visible in PAYLOADS.values():
            assert visible in record["reason"] and visible in record["inputs"][0]["source"], where
        assert record["rule"] == "r" + "".join(v for _, v in PAYLOADS.values())


@pytest.mark.subprocess
def test_closed_stdout_ends_quietly() -> None:
    """`gpurisk snapshot --json | head -1`: the reader goes away after one line (the JSON is
    over 64 KiB, so the writer meets the closed pipe): no traceback, exit status 141."""
    proc = subprocess.Popen([sys.executable, "-m", "gpurisk", "snapshot", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "GPURISK_CONFIG": ""})
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"{\n"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
