"""A real Prometheus scrapes a real `gpurisk serve` on loopback and gives the figures back.

The chain under test is the one a desk runs: `gpurisk serve` (demo data, a token as
when bound beyond loopback) → GET /metrics with `Authorization: Bearer` read from a
credentials file → Prometheus's TSDB → its HTTP query API, with the shipped
deploy/prometheus/prometheus.yml (scrape and evaluation every second here) and the
generated rules. Checked: ``gpurisk_indicator_value{indicator="current_ratio"}`` equals
the collector's own snapshot value, and the rule GpuriskCurrentRatioLow fires in
Prometheus as the dashboard's rule does.

Skipped only when the prometheus binary is absent (Debian package ``prometheus``;
.ci/run installs it). Every process started here is stopped, whatever happens.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROM_DIR = ROOT / "deploy" / "prometheus"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
TOKEN = "live-test-token-0123456789abcdef"

pytestmark = [pytest.mark.skipif(not Path(PROMETHEUS).exists(),
                                 reason="the prometheus binary is absent "
                                        "(Debian: apt-get install prometheus; .ci/run does it)"),
              pytest.mark.subprocess]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Proc:
    """A child process in its own process group, its output collected by a thread."""

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.lines: list[str] = []
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  text=True, env=env, cwd=cwd, start_new_session=True)
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines[-60:])

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.lines):
                m = rx.search(line)
                if m:
                    return m
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} (exit {self.p.poll()}):\n{self.output()}")

    def stop(self) -> int | None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)  # its own group: only what this test started
                self.p.wait(5)
        self._t.join(5)
        return self.p.returncode


def _get(url: str, token: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[tuple[str, _Proc]]:
    env = {**os.environ, "GPURISK_TEST_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    env.pop("GPURISK_CONFIG", None)  # the demo: sample data, no network
    proc = _Proc([sys.executable, "-m", "gpurisk", "serve", "--port", "0", "--no-history",
                  "--log", str(tmp_path / "serve.log"), "--token-env", "GPURISK_TEST_TOKEN"], env=env, cwd=ROOT)
    try:
        m = proc.wait_for(r"listening on (http://127\.0\.0\.1:\d+)", 60)
        yield m.group(1), proc
    finally:
        rc = proc.stop()
        assert rc == 0, f"gpurisk serve did not stop cleanly on SIGTERM (exit {rc}):\n{proc.output()}"


def _prometheus_config(tmp_path: Path, target: str) -> Path:
    """The shipped prometheus.yml, pointed at the collector, every second, token on."""
    token_file = tmp_path / "gpurisk.token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    text = (PROM_DIR / "prometheus.yml").read_text(encoding="utf-8")
    edits = {
        "scrape_interval: 30s": "scrape_interval: 1s",
        "evaluation_interval: 30s": "evaluation_interval: 1s",
        'targets: ["127.0.0.1:8765"]': f'targets: ["{target}"]',
        "scrape_timeout: 10s": "scrape_timeout: 1s",
        "    # authorization:\n    #   type: Bearer\n    #   credentials_file: /etc/prometheus/gpurisk.token":
            f"    authorization:\n      type: Bearer\n      credentials_file: {token_file}",
        'targets: ["127.0.0.1:9093"]': f'targets: ["127.0.0.1:{_free_port()}"]',  # no Alertmanager here
    }
    for old, new in edits.items():
        assert old in text, f"deploy/prometheus/prometheus.yml no longer has {old!r}"
        text = text.replace(old, new)
    shutil.copy(PROM_DIR / "gpurisk-rules.yml", tmp_path / "gpurisk-rules.yml")
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def _query(api: str, promql: str) -> list[dict[str, Any]]:
    status, body = _get(f"{api}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
    assert status == 200, body[:500]
    doc = json.loads(body)
    assert doc["status"] == "success", doc
    return doc["data"]["result"]


def _until(api: str, promql: str, timeout: float, prom: _Proc) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got = _query(api, promql)
        except (OSError, ValueError):
            got = []  # not listening yet
        if got:
            return got
        assert prom.p.poll() is None, f"prometheus exited:\n{prom.output()}"
        time.sleep(0.25)
    targets = _get(f"{api}/api/v1/targets")[1][:2000]
    raise AssertionError(f"{promql}: nothing after {timeout} s; targets: {targets!r}\n{prom.output()}")


def test_prometheus_scrapes_gpurisk_serve(tmp_path: Path, collector: tuple[str, _Proc]) -> None:
    url, serve = collector
    # the collector has computed the figure (the demo polls at start), and keeps the door shut without the token
    deadline = time.monotonic() + 60
    while b'indicator="current_ratio"' not in _get(f"{url}/metrics", TOKEN)[1]:
        assert time.monotonic() < deadline and serve.p.poll() is None, serve.output()
        time.sleep(0.2)
    assert _get(f"{url}/metrics")[0] == 401
    status, body = _get(f"{url}/api/snapshot", TOKEN)
    assert status == 200
    want = json.loads(body)["indicators"]["current_ratio"]["value"]
    assert want == pytest.approx(0.487, abs=5e-4)

    port = _free_port()
    api = f"http://127.0.0.1:{port}"
    cfg = _prometheus_config(tmp_path, url.removeprefix("http://"))
    prom = _Proc([PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                  f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"], cwd=tmp_path)
    try:
        (up,) = _until(api, 'up{job="gpurisk"} == 1', 60, prom)
        (res,) = _until(api, 'gpurisk_indicator_value{indicator="current_ratio"}', 30, prom)
        assert res["metric"]["group"] == "liquidity" and res["metric"]["job"] == "gpurisk"
        assert float(res["value"][1]) == want  # exactly the collector's figure, not a rounding of it
        (info,) = _query(api, "gpurisk_info")
        assert info["metric"]["demo"] == "1"  # sample data is marked DEMO in Prometheus too
        # the dashboard's rule, as Prometheus evaluates it from the generated rules file
        (alert,) = _until(api, 'ALERTS{alertname="GpuriskCurrentRatioLow",alertstate="firing"}', 30, prom)
        assert alert["metric"]["severity"] == "critical" and alert["metric"]["rule"] == "current_ratio < 0.5"
        # a rule with `for: 1h` is pending, not firing, a few seconds in
        pending = _query(api, 'ALERTS{alertname="GpuriskH100Margin3yLow"}')
        assert [a["metric"]["alertstate"] for a in pending] in ([], ["pending"])
    finally:
        prom.stop()
