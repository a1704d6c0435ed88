"""The collector's HTTP API: the snapshot document, scenario/explain as the CLI, ack,
health, the token, bounded requests, and no Textual in the headless path."""

from __future__ import annotations

import subprocess
import sys

import httpx
import jsonschema
import pytest

from gpurisk.session import demo_session
from gpurisk.snapshot_json import SCHEMA

from serve_helpers import collector

TOKEN = "s3cret-token-for-the-desk-0123"


def demo(**kw):  # type: ignore[no-untyped-def]
    s = demo_session(**kw)
    s.setup_alerts()
    return s


async def test_snapshot_is_the_cli_document_and_validates():
    async with collector(demo()) as c, httpx.AsyncClient() as h:
        await c.collector.poll("sample_financials")
        r = await h.get(f"{c.url}/api/snapshot")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        doc = r.json()
        jsonschema.validate(doc, SCHEMA)
        assert doc["demo"] is True and doc["company"] == "CRWV"
        # The same figures as the engine's own snapshot (what `snapshot --json` prints)
        la = doc["indicators"]["liabilities_to_assets"]
        assert la["value"] == pytest.approx(c.session.snapshot.indicators["liabilities_to_assets"].value)


async def test_scenario_and_explain_as_the_cli_unknown_is_404():
    from gpurisk.commands import explain_text, snapshot_document

    async with collector(demo()) as c, httpx.AsyncClient() as h:
        for n in c.session.feed_names():
            await c.collector.poll(n)
        r = await h.get(f"{c.url}/api/scenario/rent-crash")
        if r.status_code == 404:  # preset names: take one that exists
            from gpurisk.scenario_cli import scenarios

            name = next(iter(scenarios(c.session.config)))
            r = await h.get(f"{c.url}/api/scenario/{name}")
        else:
            name = "rent-crash"
        assert r.status_code == 200
        got = r.json()
        want = snapshot_document(c.session, c.session.config, name)
        assert got["scenario"] == want["scenario"]
        jsonschema.validate(got, SCHEMA)
        r = await h.get(f"{c.url}/api/explain/current_ratio")
        assert r.status_code == 200
        assert r.text.strip() == explain_text(c.session, "current_ratio").plain.strip()
        assert "Current ratio" in r.text or "current" in r.text.lower()
        for bad in ("/api/scenario/nope", "/api/explain/nope", "/api/explain/..%2F..%2Fetc%2Fpasswd"):
            assert (await h.get(c.url + bad)).status_code == 404


async def test_healthz_and_ack_reach_the_engine_and_the_clients():
    async with collector(demo()) as c, httpx.AsyncClient() as h:
        for n in c.session.feed_names():
            await c.collector.poll(n)
        hz = (await h.get(f"{c.url}/healthz")).json()
        assert hz["up"] is True and hz["feeds_total"] == 5 and hz["demo"] is True and hz["seq"] == c.collector.seq
        firing = [s.rule for s in c.session.alerts.states() if s.state == "firing" and not s.acknowledged]
        assert firing, "the demo has firing alerts"
        seq = c.collector.seq
        r = await h.post(f"{c.url}/api/ack", json={"rule": firing[0]})
        assert r.status_code == 200 and r.json() == {"acknowledged": [firing[0]]}
        assert c.collector.seq == seq + 1  # one event tells every client
        assert b'"acknowledged":["' in c.collector.backlog[-1][1]
        assert (await h.post(f"{c.url}/api/ack", json={})).json()["acknowledged"] == firing[1:]
        assert (await h.post(f"{c.url}/api/ack", json={"rule": "nope"})).status_code == 404
        assert (await h.post(f"{c.url}/api/ack", content=b"[1")).status_code == 400
        assert (await h.post(f"{c.url}/api/ack", json={"rule": 3})).status_code == 400
        big = (await h.post(f"{c.url}/api/ack", content=b"{" + b" " * 100_000 + b"}",
                            headers={"content-type": "application/json"}))
        assert big.status_code == 413  # bounded request size
        assert (await h.get(f"{c.url}/api/ack")).status_code == 405  # only POST writes


async def test_token_required_401_constant_time_and_healthz_open():
    async with collector(demo(), token=TOKEN) as c, httpx.AsyncClient() as h:
        for path in ("/api/snapshot", "/api/events", "/api/scenario/x", "/api/explain/current_ratio", "/metrics"):
            assert (await h.get(c.url + path)).status_code == 401, path
            assert (await h.get(c.url + path, headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await h.post(f"{c.url}/api/ack", json={})).status_code == 401
        assert (await h.get(f"{c.url}/healthz")).status_code == 200  # open: says up/down only
        ok = await h.get(f"{c.url}/api/snapshot", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200


@pytest.mark.subprocess
def test_non_loopback_needs_a_token(tmp_path, monkeypatch):
    from gpurisk.serve.run import check_token, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    token, problem = check_token("0.0.0.0", None)
    assert token is None and "token" in problem
    monkeypatch.setenv("DESK_TOKEN", TOKEN)
    assert check_token("0.0.0.0", "DESK_TOKEN") == (TOKEN, None)
    # The command: exit 2 with the reason, before anything listens or polls.
    env = {k: v for k, v in __import__("os").environ.items() if k != "DESK_TOKEN"}
    r = subprocess.run([sys.executable, "-m", "gpurisk", "serve", "--host", "0.0.0.0", "--port", "0",
                        "--log", str(tmp_path / "log")], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 2 and "not a loopback address" in r.stderr and "--token-env" in r.stderr
    r = subprocess.run([sys.executable, "-m", "gpurisk", "serve", "--token-env", "DESK_TOKEN", "--port", "0",
                        "--log", str(tmp_path / "log")], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 2 and "DESK_TOKEN" in r.stderr


def test_token_is_redacted_from_logs(monkeypatch):
    from feeds.textsafe import safe
    from gpurisk.serve.run import check_token

    monkeypatch.setenv("DESK_TOKEN", TOKEN + "x")
    check_token("127.0.0.1", "DESK_TOKEN")
    assert TOKEN not in safe(f"Authorization: Bearer {TOKEN}x")


async def test_metrics_endpoint_answers():
    async with collector(demo()) as c, httpx.AsyncClient() as h:
        r = await h.get(f"{c.url}/metrics")
        try:
            import gpurisk.metrics  # noqa: F401
        except ImportError:
            assert r.status_code == 503 and "metrics not available" in r.text
        else:
            assert r.status_code == 200 and "gpurisk_" in r.text


@pytest.mark.subprocess
def test_the_collector_never_imports_textual():
    code = ("import sys, asyncio\n"
            "from gpurisk.session import demo_session\n"
            "import gpurisk.serve.run, gpurisk.serve.app, gpurisk.serve.collector, gpurisk.remote, gpurisk.commands\n"
            "s = demo_session(); s.setup_alerts()\n"
            "from gpurisk.serve.collector import Collector\n"
            "async def go():\n"
            "    c = Collector(s)\n"
            "    for n in s.feed_names(): await c.poll(n)\n"
            "    c.snapshot_event()\n"
            "    from gpurisk.commands import explain_text\n"
            "    explain_text(s, 'current_ratio')\n"
            "    await s.aclose()\n"
            "asyncio.run(go())\n"
            "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
            "print(bad); assert not bad\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


async def test_a_connected_dashboard_answers_what_if_and_explain_as_the_collector_does():
    """A ``--connect`` dashboard's what-if and explain screens work on its copy of the
    collector's engine (same observations, same code): every preset's answer and every
    indicator's explanation equal what the collector's own API answers."""
    import asyncio

    from gpurisk.commands import explain_text
    from gpurisk.remote import RemoteSession
    from gpurisk.scenario_cli import scenario_json, scenarios

    async with collector(demo(interval=3600)) as c, httpx.AsyncClient() as h:  # still while compared
        for n in c.session.feed_names():
            await c.collector.poll(n)
        r = RemoteSession(c.url)
        try:
            await r.connect(wait=10)
            for _ in range(50):  # the snapshot event, then any update in flight
                if r.snapshot.indicators.keys() == c.session.snapshot.indicators.keys():
                    break
                await asyncio.sleep(0.1)
            names = list(scenarios(c.session.config))
            assert names
            for name in names:
                api = (await h.get(f"{c.url}/api/scenario/{name}")).json()["scenario"]
                assert scenario_json(r, r.config, name) == api, name
            for name in c.session.snapshot.indicators:
                api = (await h.get(f"{c.url}/api/explain/{name}")).text.strip()
                assert explain_text(r, name).plain.strip() == api, name
        finally:
            await r.aclose()
