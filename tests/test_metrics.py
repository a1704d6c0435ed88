"""gpurisk.metrics: the /metrics body parses with prometheus_client's own parser and
says exactly what the session says (values, NO DATA as absence, stale feeds' ages,
firing rules), with label values made safe and nothing from a remote able to break it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from feeds.runner import FeedStatus
from gpurisk.metrics import CONTENT_TYPE, FAMILIES, exposition
from gpurisk.session import demo_session

ROOT = Path(__file__).resolve().parent.parent


def samples(body: bytes) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """name -> {sorted label items -> value}, through prometheus_client's parser."""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for fam in text_string_to_metric_families(body.decode("utf-8")):
        for s in fam.samples:
            key = tuple(sorted(s.labels.items()))
            assert key not in out.setdefault(s.name, {}), f"duplicate series {s.name}{key}"
            out[s.name][key] = s.value
    return out


def one(got: dict, name: str, **labels: str) -> float:
    return got[name][tuple(sorted(labels.items()))]


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory):
    import asyncio

    s = demo_session()
    s.setup_alerts(log_path=str(tmp_path_factory.mktemp("alerts") / "alerts.jsonl"))  # not the user's log dir
    asyncio.run(s.poll_all())
    yield s
    asyncio.run(s.aclose())


def test_values_equal_the_snapshot(polled) -> None:
    body, ctype = exposition(polled)
    assert ctype == CONTENT_TYPE and ctype.startswith("text/plain; version=0.0.4")
    got = samples(body)
    snap = polled.snapshot
    got_ratio = one(got, "gpurisk_indicator_value", indicator="current_ratio", group="liquidity")
    assert got_ratio == pytest.approx(0.487, abs=5e-4)
    for name, r in snap.indicators.items():
        if r.value is None:
            continue
        assert one(got, "gpurisk_indicator_value", indicator=name, group=r.group) == r.value  # exact, not rounded
        if r.threshold is None:  # info: read, never judged (one level everywhere: none on screen either)
            assert (("indicator", name),) not in got["gpurisk_indicator_level"]
        else:
            assert one(got, "gpurisk_indicator_level", indicator=name) == {"ok": 0, "watch": 1, "alert": 2}[r.status]
        assert one(got, "gpurisk_indicator_no_data", indicator=name) == 0
    assert one(got, "gpurisk_indicator_level", indicator="current_ratio") == 2  # ALERT in the demo
    for row in snap.prices.values():
        assert one(got, "gpurisk_gpu_price_usd_per_hour", sku=row.sku, tier=row.tier) == row.price
    assert one(got, "gpurisk_gpu_price_usd_per_hour", sku="H100 SXM", tier="marketplace") == pytest.approx(1.7836)
    assert one(got, "gpurisk_risk_score") == pytest.approx(snap.score.score)
    assert one(got, "gpurisk_info", version=__import__("feeds.base").base.VERSION, company="CRWV", demo="1") == 1
    for name in polled.status:
        assert one(got, "gpurisk_feed_up", feed=name) == 1
        assert one(got, "gpurisk_feed_state", feed=name, state="OK") == 1
        assert one(got, "gpurisk_feed_state", feed=name, state="ERROR") == 0
        assert 0 <= one(got, "gpurisk_feed_data_age_seconds", feed=name) < 600
        assert one(got, "gpurisk_feed_stale", feed=name) == 0
    assert one(got, "gpurisk_feed_data_as_of_timestamp_seconds", feed="replay") == \
        datetime(2026, 3, 3, tzinfo=UTC).timestamp()
    # the stale HY series (its own input is old) is marked, a fresh one is not
    assert one(got, "gpurisk_indicator_stale", indicator="spread_hy") == 1
    assert one(got, "gpurisk_indicator_stale", indicator="current_ratio") == 0


def test_alerts_follow_the_rule_states(polled) -> None:
    got = samples(exposition(polled)[0])
    states = {st.rule: st for st in polled.alerts.states()}
    assert states["current_ratio < 0.5"].state == "firing"
    assert one(got, "gpurisk_alert_firing", rule="current_ratio < 0.5", severity="critical") == 1
    assert states["h100_margin_3y < 0"].state == "pending"  # needs an hour: not firing yet
    assert one(got, "gpurisk_alert_firing", rule="h100_margin_3y < 0", severity="warning") == 0
    assert one(got, "gpurisk_alert_firing", rule="liabilities_to_assets > 0.9", severity="critical") == 0
    assert len(got["gpurisk_alert_firing"]) == len(states)
    polled.acknowledge("current_ratio < 0.5")
    got = samples(exposition(polled)[0])
    assert one(got, "gpurisk_alert_acknowledged", rule="current_ratio < 0.5", severity="critical") == 1
    polled.undo_acknowledge()


def test_stale_feed_age(polled) -> None:
    """Ten days on, every feed's last data is ten days old: STALE, its age said in seconds."""
    later = datetime.now(UTC) + timedelta(days=10)
    got = samples(exposition(polled, now=lambda: later)[0])
    for name, st in polled.status.items():
        assert (one(got, "gpurisk_feed_data_age_seconds", feed=name)
                == pytest.approx((later - st.last_ok).total_seconds()))
        assert one(got, "gpurisk_feed_data_age_seconds", feed=name) > 10 * 86400 - 60
        assert one(got, "gpurisk_feed_stale", feed=name) == 1
        assert one(got, "gpurisk_feed_state", feed=name, state="STALE") == 1
        assert one(got, "gpurisk_feed_up", feed=name) == 1  # its last poll worked; the data is old
    assert one(got, "gpurisk_indicator_stale", indicator="current_ratio") == 1


def test_no_data_is_absence_not_zero() -> None:
    """Before the first poll every indicator is NO DATA: no value, no level, no_data = 1;
    feeds are PENDING, down, without an age; no score."""
    s = demo_session()
    got = samples(exposition(s)[0])
    names = set(s.snapshot.indicators)
    assert names and {dict(k)["indicator"] for k in got["gpurisk_indicator_no_data"]} == names
    assert all(v == 1 for v in got["gpurisk_indicator_no_data"].values())
    for absent in ("gpurisk_indicator_value", "gpurisk_indicator_level", "gpurisk_feed_data_age_seconds",
                   "gpurisk_gpu_price_usd_per_hour", "gpurisk_risk_score", "gpurisk_alert_firing"):
        assert absent not in got
    for name in s.status:
        assert one(got, "gpurisk_feed_up", feed=name) == 0
        assert one(got, "gpurisk_feed_state", feed=name, state="PENDING") == 1


def test_one_indicator_without_data_among_others(polled) -> None:
    from dataclasses import replace

    snap = polled.snapshot
    inds = dict(snap.indicators)
    inds["quick_ratio"] = replace(inds["quick_ratio"], value=None, status="no_data", reason="missing inventory")
    inds["cash_ratio"] = replace(inds["cash_ratio"], value=float("nan"))  # never exported as NaN
    fake = SimpleNamespace(snapshot=replace(snap, indicators=inds), status=polled.status, alerts=None, demo=True,
                           stale_indicators=polled.stale_indicators, history_state=None)
    got = samples(exposition(fake)[0])
    assert one(got, "gpurisk_indicator_no_data", indicator="quick_ratio") == 1
    assert one(got, "gpurisk_indicator_no_data", indicator="cash_ratio") == 1
    for n in ("quick_ratio", "cash_ratio"):
        assert (("indicator", n),) not in got["gpurisk_indicator_level"]
        assert all(dict(k)["indicator"] != n for k in got["gpurisk_indicator_value"])
    assert one(got, "gpurisk_indicator_no_data", indicator="current_ratio") == 0


def test_label_values_are_data(polled) -> None:
    """A feed or rule name with control characters, quotes, newlines or a secret comes out
    inert, escaped and redacted; the body still parses."""
    from feeds import textsafe

    secret = "tok-metrics-0123456789"
    textsafe.register_secret(secret)
    evil = f'evil\x1b[31m"feed"\n{secret}\\'
    status = {evil: FeedStatus(evil, 60.0, state="ERROR", last_error="boom")}
    rules = SimpleNamespace(states=lambda: [SimpleNamespace(rule=f"r\x07{secret}", severity="critical",
                                                             state="firing", acknowledged=False)])
    fake = SimpleNamespace(snapshot=polled.snapshot, status=status, alerts=rules, demo=False,
                           stale_indicators=lambda now=None: {}, history_state=None)
    body = exposition(fake)[0]
    assert b"\x1b" not in body and b"\x07" not in body and secret.encode() not in body
    got = samples(body)
    (feed,) = {dict(k)["feed"] for k in got["gpurisk_feed_up"]}
    assert feed == 'evil\\x1b[31m"feed"\\x0a' + textsafe.REDACTED + "\\"  # the backslash survives escaping
    assert one(got, "gpurisk_feed_up", feed=feed) == 0
    (rule,) = {dict(k)["rule"] for k in got["gpurisk_alert_firing"]}
    assert rule.startswith("r\\x07") and secret not in rule


def test_a_broken_part_leaves_the_rest(polled) -> None:
    """Nothing a remote sends may crash anything: a part that raises is left out, the
    error is recorded, the other families are served."""
    class Boom(dict):
        def items(self):
            raise RuntimeError("feed table broke")

    errors: list[str] = []
    fake = SimpleNamespace(snapshot=polled.snapshot, status=Boom(), alerts=None, demo=True,
                           stale_indicators=lambda now=None: {}, record_error=lambda what, exc: errors.append(what),
                           history_state=None)
    got = samples(exposition(fake)[0])
    assert "gpurisk_feed_up" not in got and "gpurisk_indicator_value" in got
    assert errors == ["metrics (feeds)"]


def test_naming_rules_and_own_registry(polled) -> None:
    """HELP and TYPE for each family, names as declared in FAMILIES (deploy/ relies on
    them), and nothing registered in prometheus_client's global registry."""
    from prometheus_client import REGISTRY

    body = exposition(polled)[0].decode()
    fams = list(text_string_to_metric_families(body))
    assert {f.name for f in fams} <= set(FAMILIES)
    for f in fams:
        assert f.documentation and f.type == FAMILIES[f.name][0]
        assert f"# HELP {f.name} " in body and f"# TYPE {f.name} gauge" in body
        for s in f.samples:
            assert set(s.labels) == set(FAMILIES[f.name][1])
    assert not [m for m in REGISTRY.collect() if m.name.startswith("gpurisk")]


@pytest.mark.subprocess
def test_metrics_module_imports_neither_textual_nor_aiohttp() -> None:
    code = "import gpurisk.metrics, sys; print(sorted(m for m in ('textual', 'aiohttp') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"
