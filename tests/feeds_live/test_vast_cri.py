"""Vast.ai feed, CRI method: the published CRI-H100 daily value from the real archive,
the labelled "all" method, the A100 PCIe row, and our own 7-day index over several
simulated days (injected clock, local HTTP server, state file across a restart)."""

from __future__ import annotations

import copy
import json
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from feeds.base import ConfigError, FeedContext
from feeds.runner import NO_DATA, OK, FeedRunner
from feeds.vastai import VastAIFeed

FAST = dict(timeout=2.0, retries=0, backoff=0.01)
COLLECTED = datetime(2026, 3, 5, 19, 30, 44, tzinfo=UTC)  # the archive's collection time
ARCHIVE = "vast-bundles-2026-03-05.json"  # = /work/shared/fixtures/vast/bundles-2026-03-05.json


def serve(server, offers_of):
    """Answer like the live bundles search: only offers of the query's gpu_name.
    ``offers_of`` is a callable so a test can change what the market lists between polls."""

    def handle(seen):
        cond = seen.json().get("gpu_name", {})
        names = [cond["eq"]] if "eq" in cond else list(cond.get("in", []))
        return server.Reply(body={"offers": [o for o in offers_of() if o.get("gpu_name") in names]})

    server.route("/api/v0/bundles/", handle, "POST")


def cri_kept(offers, gpu_name, now, min_ram=0):
    """The CRI-H100 filter, written out independently of the feed."""
    cutoff = now.timestamp() - 7 * 86400
    out = []
    for o in offers:
        if o["gpu_name"] != gpu_name or not o["rentable"] or o["rented"] or (o.get("gpu_ram") or 0) < min_ram:
            continue
        if not (o["geolocation"] or "").endswith(", US") or o["reliability2"] < 0.90 or o["num_gpus"] < 1:
            continue
        if o["start_date"] is None or o["start_date"] < cutoff:
            continue
        p = round(o["dph_total"] / o["num_gpus"], 6)
        if p > 0:
            out.append(p)
    return out


async def poll(feed):
    runner = FeedRunner([feed])
    obs = await runner.poll(feed.instance)
    await runner.aclose()
    return runner.status[feed.instance], obs


def by(obs, tier):
    return {o.sku: o for o in obs if o.tier == tier}


# ------------------------------------------------------------------ daily figure
async def test_cri_h100_reproduces_published_daily_value(server, fx):
    offers = fx.json(ARCHIVE)["offers"]
    serve(server, lambda: offers)
    st, obs = await poll(VastAIFeed(base_url=server.url, clock=lambda: COLLECTED, **FAST))
    assert st.state == OK
    q = by(obs, "marketplace")["H100 SXM"]
    assert q.n_offers == 8 and q.price == 2.0008  # the CRI's published daily value for 2026-03-05
    kept = cri_kept(offers, "H100 SXM", COLLECTED)
    assert q.price == round(statistics.median(kept), 4) and len(kept) == 8
    q1, _, q3 = statistics.quantiles(kept, n=4, method="inclusive")
    assert (q.p25, q.p75) == (round(q1, 4), round(q3, 4))
    assert "26 returned, 18 outside the US, 8 kept" in q.source
    assert "CRI method" in q.source and "n=8 (low confidence: n<10)" in q.source
    assert q.source.startswith(f"{server.url}/api/v0/bundles/")
    # H200 by the same filter; one query per model, A100 PCIE asked for its own row
    h200 = cri_kept(offers, "H200", COLLECTED)
    assert by(obs, "marketplace")["H200"].price == round(statistics.median(h200), 4)
    assert [r.json()["gpu_name"]["eq"] for r in server.requests] == ["H100 SXM", "H200", "B200", "A100 SXM4",
                                                                     "A100 PCIE"]


async def test_method_all_is_the_old_global_median(server, fx):
    offers = fx.json(ARCHIVE)["offers"]
    serve(server, lambda: offers)
    st, obs = await poll(VastAIFeed(base_url=server.url, method="all", clock=lambda: COLLECTED, **FAST))
    q = by(obs, "marketplace")["H100 SXM"]
    every = [o["dph_total"] / o["num_gpus"] for o in offers
             if o["gpu_name"] == "H100 SXM" and o["rentable"] and not o["rented"]]
    assert q.n_offers == len(every) == 26
    assert q.price == round(statistics.median(every), 4)
    assert "all-offers method" in q.source and "CRI" not in q.source
    assert q.price < 0.9 * 2.0008  # Taiwan, India and unreliable hosts pull it far below the CRI figure


def test_low_confidence_only_below_ten_offers(fx):
    offers = fx.json(ARCHIVE)["offers"]
    feed = VastAIFeed(base_url="http://x", clock=lambda: COLLECTED)
    q8 = feed.transform("H100 SXM", offers, ["H100 SXM"])
    assert q8.n_offers == 8 and "low confidence" in q8.source
    us = [o for o in offers if o["gpu_name"] == "H100 SXM" and o["geolocation"].endswith(", US")]
    extra = [dict(o, id=o["id"] + 10**9) for o in us[:2]]  # two more listings (new ids)
    q10 = feed.transform("H100 SXM", offers + extra, ["H100 SXM"])
    assert q10.n_offers == 10 and "low confidence" not in q10.source
    # the same listing sent twice counts once
    q_dup = feed.transform("H100 SXM", offers + us[:2], ["H100 SXM"])
    assert q_dup.n_offers == 8 and "2 duplicates" in q_dup.source


def test_start_date_window_follows_the_injected_clock(fx):
    offers = fx.json(ARCHIVE)["offers"]
    later = VastAIFeed(base_url="http://x", clock=lambda: COLLECTED + timedelta(days=8))
    assert later.transform("H100 SXM", offers, ["H100 SXM"]) is None  # every listing is now > 7 days old
    stale = copy.deepcopy(offers)
    one = next(o for o in stale if o["gpu_name"] == "H100 SXM" and o["geolocation"].endswith(", US"))
    one["start_date"] = COLLECTED.timestamp() - 7 * 86400 - 60
    q = VastAIFeed(base_url="http://x", clock=lambda: COLLECTED).transform("H100 SXM", stale, ["H100 SXM"])
    assert q.n_offers == 7 and "1 not listed in the last 7 days" in q.source


def test_a100_pcie_80gb_is_its_own_row(fx):
    offers = fx.json(ARCHIVE)["offers"]
    feed = VastAIFeed(base_url="http://x", clock=lambda: COLLECTED)
    pcie = feed.transform("A100 PCIe 80GB", offers, ["A100 PCIE"], 79_000)
    expect = cri_kept(offers, "A100 PCIE", COLLECTED, min_ram=79_000)
    assert pcie.n_offers == len(expect) > 0 and pcie.price == round(statistics.median(expect), 4)
    assert len(cri_kept(offers, "A100 PCIE", COLLECTED)) > len(expect)  # a US 40 GB card stays out
    assert feed.transform("A100 80GB", offers, ["A100 SXM4"], 79_000) is None  # no SXM4 in the archive
    sxm = dict(next(o for o in offers if o["id"] == 30505824), id=1, gpu_name="A100 SXM4", dph_total=1.5)
    q = feed.transform("A100 80GB", offers + [sxm], ["A100 SXM4"], 79_000)
    assert (q.n_offers, q.price) == (1, 1.5)  # the SXM row holds the SXM offer only


async def test_no_offers_after_filtering_gives_no_quote_and_says_so(server, fx):
    offers = fx.json(ARCHIVE)["offers"]
    serve(server, lambda: offers)
    feed = VastAIFeed(base_url=server.url, clock=lambda: COLLECTED + timedelta(days=30), **FAST)
    st, obs = await poll(feed)
    assert obs == [] and st.state == NO_DATA
    assert "no offers after the CRI filter" in st.last_error
    assert "no offers left after filtering for any GPU" in feed.describe()
    # on the archive's day, B200 and the SXM4 A100 have none: no quote (never a zero) and named
    feed = VastAIFeed(base_url=server.url, clock=lambda: COLLECTED, **FAST)
    st, obs = await poll(feed)
    assert st.state == OK and {"B200", "A100 80GB"}.isdisjoint({o.sku for o in obs})
    assert all(o.price > 0 for o in obs) and "no offers for B200, A100 80GB" in feed.describe()


# ------------------------------------------------------------------ own weekly index
def day_offers(base, day, prices, outside_us=0):
    """The archive's US H100 listings re-dated to ``day`` and re-priced (per GPU), plus some
    non-US copies that the filter must drop."""
    us = [o for o in base if o["gpu_name"] == "H100 SXM" and o["geolocation"].endswith(", US")]
    out = []
    for i, p in enumerate(prices):
        o = dict(us[i % len(us)], id=10_000 + i, start_date=day.timestamp() - 3600)
        o["dph_total"] = p * o["num_gpus"]
        out.append(o)
    out += [dict(o, id=20_000 + i, geolocation="Taiwan, TW") for i, o in enumerate(out[:outside_us])]
    return out


DAY1 = [1.50, 1.60, 1.70, 1.80, 1.90, 2.00, 2.10, 2.20]  # 8 offers: used
DAY2 = [1.00, 1.10, 1.20, 1.30, 1.40]  # 5 offers: the day is left out of the index
DAY3 = [1.60, 1.65, 1.70, 1.75, 1.80, 1.85, 1.90, 1.95, 2.00, 9.00]  # $9: dropped as an outlier


async def test_index_quote_over_several_days_with_restart(server, fx, tmp_path):
    base = fx.json(ARCHIVE)["offers"]
    market = {"now": COLLECTED - timedelta(days=4), "prices": DAY1}
    serve(server, lambda: day_offers(base, market["now"], market["prices"], outside_us=3))
    state = tmp_path / "vast-cri.json"

    def feed():
        return VastAIFeed(base_url=server.url, skus=["H100 SXM"], state_path=state, clock=lambda: market["now"], **FAST)

    first = feed()
    _, obs = await poll(first)
    idx = by(obs, "index")["H100 SXM"]
    assert (idx.provider, idx.n_offers) == ("gpurisk H100 rolling 7d (CRI method v1.1.0)", 8)
    assert idx.source.startswith("our rolling 7-day index by the CRI method v1.1.0, recomputed each poll")
    assert idx.price == round(statistics.median(DAY1), 4)
    assert "pooled median, 1 day, 8 obs" in idx.source
    market.update(now=COLLECTED - timedelta(days=3), prices=DAY2)
    _, obs = await poll(first)
    assert by(obs, "index")["H100 SXM"].n_offers == 8  # a 5-offer day does not count
    # restart: a new instance with the same state file still has both days
    market.update(now=COLLECTED, prices=DAY3)
    second = feed()
    assert set(second.pool.prices("H100 SXM")) == {(COLLECTED - timedelta(days=d)).date() for d in (4, 3)}
    for _ in range(3):  # polled again and again the same day: counted once
        _, obs = await poll(second)
    idx = by(obs, "index")["H100 SXM"]
    pooled = DAY1 + DAY3[:-1]
    assert (idx.n_offers, idx.price) == (17, round(statistics.median(pooled), 4))
    assert "2 days, 17 obs (low confidence: <3 days)" in idx.source
    assert "window 2026-02-27..2026-03-05" in idx.source and idx.tier == "index"
    assert by(obs, "marketplace")["H100 SXM"].n_offers == 10  # the daily figure keeps the $9 offer
    # a week later day 1 has left the window
    market.update(now=COLLECTED + timedelta(days=3), prices=DAY1)
    _, obs = await poll(second)
    idx = by(obs, "index")["H100 SXM"]
    assert idx.n_offers == 17 and "window 2026-03-02..2026-03-08" in idx.source
    saved = json.loads(state.read_text())
    assert set(saved["skus"]["H100 SXM"]) == {"2026-03-01", "2026-03-02", "2026-03-05", "2026-03-08"}
    assert [p.name for p in tmp_path.iterdir()] == ["vast-cri.json"]  # no temporary file left behind


async def test_pool_keeps_at_most_eight_days(server, fx, tmp_path):
    base = fx.json(ARCHIVE)["offers"]
    clock = {"now": COLLECTED}
    serve(server, lambda: day_offers(base, clock["now"], DAY1))
    state = tmp_path / "s.json"
    feed = VastAIFeed(base_url=server.url, skus=["H100 SXM"], state_path=state, clock=lambda: clock["now"], **FAST)
    for d in range(12):
        clock["now"] = COLLECTED + timedelta(days=d)
        _, obs = await poll(feed)
    assert len(feed.pool.days["H100 SXM"]) == 8 and len(json.loads(state.read_text())["skus"]["H100 SXM"]) == 8
    idx = by(obs, "index")["H100 SXM"]
    assert idx.n_offers == 7 * 8 and "7 days, 56 obs" in idx.source and "low confidence" not in idx.source


@pytest.mark.parametrize("content", [b"{not json", b'{"version": 1, "skus": []}', b"\xff\xfe", b"[1, 2]"])
async def test_corrupt_state_file_is_ignored(server, fx, tmp_path, content):
    offers = fx.json(ARCHIVE)["offers"]
    serve(server, lambda: offers)
    state = tmp_path / "s.json"
    state.write_bytes(content)
    feed = VastAIFeed(base_url=server.url, skus=["H100 SXM"], state_path=state, clock=lambda: COLLECTED, **FAST)
    assert "state file ignored" in feed.describe()
    st, obs = await poll(feed)
    assert st.state == OK and by(obs, "index")["H100 SXM"].n_offers == 8
    assert json.loads(state.read_text())["skus"]["H100 SXM"]["2026-03-05"]  # rewritten in good form


async def test_unwritable_state_path_keeps_the_feed_working(server, fx, tmp_path):
    offers = fx.json(ARCHIVE)["offers"]
    serve(server, lambda: offers)
    feed = VastAIFeed(base_url=server.url, skus=["H100 SXM"], state_path=tmp_path, clock=lambda: COLLECTED, **FAST)
    st, obs = await poll(feed)  # the path is a directory: it can be neither read nor replaced
    assert st.state == OK and by(obs, "marketplace")["H100 SXM"].price == 2.0008
    assert "state file" in feed.describe()


def test_config_method_and_state_path(tmp_path):
    feed = VastAIFeed.from_config({"method": "all", "state_path": str(tmp_path / "v.json")}, FeedContext())
    assert feed.method == "all" and feed.pool.path == tmp_path / "v.json"
    assert VastAIFeed.from_config({}, FeedContext()).method == "cri"
    assert VastAIFeed.from_config({}, FeedContext()).pool.path is None  # in memory unless configured
    for bad in ({"method": "mean"}, {"state_path": ""}, {"state_path": 3}):
        with pytest.raises(ConfigError):
            VastAIFeed.from_config(bad, FeedContext())
    assert "A100 PCIe 80GB" in VastAIFeed.from_config({"skus": ["A100 PCIe 80GB"]}, FeedContext()).skus
