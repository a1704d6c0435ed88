"""Keys are never shown: every configured secret is ``***`` in whatever is printed, stored
or logged, even when a server echoes it back; the alert hook does not inherit them.

The key's variable has a name that does not look secret (``ACME_FEED``): it is masked
because the config names it as a feed's ``api_key_env``, i.e. by value.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from test_outputs_inert import gpurisk, server  # noqa: F401 - the local server fixture

KEY = "k3y-Zx81-acme-0042"
ENV = {"ACME_FEED": KEY}


def key_config(tmp_path: Path, url: str, extra: str = "") -> Path:
    path = tmp_path / "keys.toml"
    feeds = []
    for name, route in (("bearer", "/bearer"), ("plain", "/plain"), ("echo", "/echo")):
        feeds += [f"[feeds.{name}]", 'type = "http_json"', f'url = "{url}{route}"', 'price_path = "price"',
                  'sku = "H100 SXM"', 'provider_path = "name"', 'api_key_env = "ACME_FEED"', "retries = 0", ""]
    path.write_text(extra + "\n".join(feeds), encoding="utf-8")
    return path


def program(server: Any) -> None:  # noqa: F811
    server.route("/bearer", server.Reply(401, f"Invalid credentials: Bearer {KEY}"))
    server.route("/plain", server.Reply(401, f"the key {KEY} is not valid for this account"))
    # A 200 whose provider name is the key: only masking by value catches this one.
    server.route("/echo", server.Reply(200, [{"name": f"acct {KEY}", "price": 2.5}]))


def test_feeds_check_never_shows_the_key(server: Any, tmp_path: Path) -> None:  # noqa: F811
    program(server)
    proc = gpurisk("--config", str(key_config(tmp_path, server.url)), "feeds", "check", "--deadline", "30", env=ENV)
    assert proc.returncode == 1, proc.stderr
    assert KEY not in proc.stdout and KEY not in proc.stderr
    assert server.requests[0].headers.get("Authorization") == f"Bearer {KEY}"  # the key was sent
    assert proc.stdout.count("HTTP 401") == 2
    assert "(acct ***)" in proc.stdout


def test_snapshot_json_never_holds_the_key(server: Any, tmp_path: Path) -> None:  # noqa: F811
    program(server)
    proc = gpurisk("--config", str(key_config(tmp_path, server.url)), "snapshot", "--json", "--deadline", "30",
                   env=ENV)
    assert proc.returncode == 1
    assert KEY not in proc.stdout and KEY not in proc.stderr
    doc = json.loads(proc.stdout)
    errors = {f["name"]: f["last_error"] for f in doc["feeds"]}
    assert errors["bearer"].startswith("HTTP 401") and errors["plain"].startswith("HTTP 401")
    assert [s["provider"] for r in doc["prices"] for s in r["sources"]] == ["acct ***"]


def test_alert_log_never_holds_a_configured_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.alerts import AlertEvent
    from feeds import textsafe
    from gpurisk.alerting import AlertSink
    from gpurisk.config import load_config

    monkeypatch.setenv("ACME_FEED", KEY)
    textsafe.refresh()
    load_config(key_config(tmp_path, "http://127.0.0.1:9"))  # registers ACME_FEED as a secret
    ev = AlertEvent(rule="r", indicator="hhi", old="normal", new="firing", at=datetime(2026, 1, 5, tzinfo=UTC),
                    value=3000.0, threshold=2500.0, comparison=">", severity="warning", notify=True,
                    reason=f"echoed {KEY}", inputs=(("price", 2.5, None, f"https://x.org/p?id=1 (Bearer {KEY})"),))
    sink = AlertSink(tmp_path / "alerts.jsonl", hook="exit 4")
    sink.handle([ev])
    sink.join()
    text = (tmp_path / "alerts.jsonl").read_text()
    assert KEY not in text and "echoed ***" in text
    assert len(text.splitlines()) == 2  # the event and the hook's failure


def test_hook_environment_is_minimal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gpurisk.alerting import AlertSink
    from gpurisk.config import load_config

    monkeypatch.setenv("ACME_FEED", KEY)
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-secret-987654")
    monkeypatch.setenv("WEBHOOK_URL", "https://hooks.example.org/T0/B0")
    monkeypatch.setenv("LANG", "C.UTF-8")
    cfg = load_config(key_config(tmp_path, "http://127.0.0.1:9",
                                 '[app]\nalert_env = ["WEBHOOK_URL"]\n\n'))
    assert cfg.alert_env == ["WEBHOOK_URL"]
    out = tmp_path / "env.txt"
    # the session hands the config's alert_env to the sink (Session.setup_alerts)
    sink = AlertSink(tmp_path / "alerts.jsonl", hook=f"env > '{out}'", env_names=cfg.alert_env)
    sink._spawn(b"{}\n")
    sink.join()
    env = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    assert KEY not in out.read_text() and "tok-secret-987654" not in out.read_text()
    assert "ACME_FEED" not in env and "MY_SERVICE_TOKEN" not in env
    assert env["WEBHOOK_URL"] == "https://hooks.example.org/T0/B0" and env["LANG"] == "C.UTF-8"
    assert env["PATH"] == os.environ["PATH"] and env["HOME"] == os.environ["HOME"]
    assert not sink.failures


def test_directories_in_the_environment_are_not_taken_for_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """$PWD and $OLDPWD match the 'pwd' of a password variable's name; masking them turned
    every path under the working directory into *** (a source such as /work/x/prices.csv)."""
    from feeds import textsafe

    monkeypatch.setenv("OLDPWD", "/srv/data/gpurisk")
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/ssh-XXXX/agent.1")
    monkeypatch.setenv("DB_PASSWORD", "hunter2-but-longer")
    textsafe.refresh()
    text = "/srv/data/gpurisk/prices.csv via /tmp/ssh-XXXX/agent.1 with hunter2-but-longer"
    assert textsafe.redact(text) == "/srv/data/gpurisk/prices.csv via /tmp/ssh-XXXX/agent.1 with ***"
