"""Vast.ai, RunPod, Azure and AWS feeds against recorded (or labelled constructed) bodies."""

from __future__ import annotations

import json
import statistics

import pytest

from feeds.aws import AWSFeed, extract
from feeds.azure import AzureFeed, pick_prices
from feeds.base import ConfigError, FeedContext
from feeds.runner import OK, FeedRunner
from feeds.runpod import RunPodFeed, extract_prices
from feeds.vastai import VastAIFeed, per_gpu_prices, summarise

FAST = dict(timeout=2.0, retries=0, backoff=0.01)


def vast_handler(offers, server):
    """Answer like the live bundles search: filter by the query's gpu_name (eq / in)."""

    def handle(seen):
        q = seen.json()
        cond = q.get("gpu_name", {})
        names = [cond["eq"]] if "eq" in cond else list(cond.get("in", []))
        picked = [o for o in offers if o.get("gpu_name") in names]
        return server.Reply(body={"offers": picked})

    return handle


# ----------------------------------------------------------------- Vast.ai
async def test_vast_h100_median_matches_independent_computation(server, fx):
    offers = fx.json("vast-bundles-2026-03-05.json")["offers"]
    server.route("/api/v0/bundles/", vast_handler(offers, server), "POST")
    # the old global median is the labelled method "all"; the four SKUs it had before "A100 PCIe 80GB"
    feed = VastAIFeed(base_url=server.url, method="all", skus=["H100 SXM", "H200", "B200", "A100 80GB"], **FAST)
    runner = FeedRunner([feed])
    obs = await runner.poll("vastai")
    await runner.aclose()
    assert runner.status["vastai"].state == OK
    by_sku = {o.sku: o for o in obs if o.tier == "marketplace"}
    # independent: every rentable H100 SXM offer in the file, dph_total / num_gpus
    h100 = sorted(o["dph_total"] / o["num_gpus"] for o in offers
                  if o["gpu_name"] == "H100 SXM" and o["rentable"] and not o["rented"])
    q = by_sku["H100 SXM"]
    assert q.price == pytest.approx(statistics.median(h100), abs=1e-4)
    assert q.n_offers == len(h100) == 26
    assert q.p25 < q.price < q.p75
    assert (q.tier, q.provider) == ("marketplace", "vast.ai")
    assert q.source.startswith(f"{server.url}/api/v0/bundles/ ") and "all-offers method" in q.source
    h200 = [o["dph_total"] / o["num_gpus"] for o in offers if o["gpu_name"] == "H200"]
    assert by_sku["H200"].price == pytest.approx(statistics.median(h200), abs=1e-4)
    # no B200 or A100 SXM4 offers in the recording; H200 NVL and A100 PCIE stay out
    assert set(by_sku) == {"H100 SXM", "H200"}
    # the query the live API expects: rentable, one gpu_name per request
    sent = [r.json() for r in server.requests]
    assert [s["gpu_name"]["eq"] for s in sent] == ["H100 SXM", "H200", "B200", "A100 SXM4"]
    assert all(s["rentable"] == {"eq": True} for s in sent)


def test_vast_outliers_and_variants(fx):
    offers = fx.json("vast-bundles-2026-03-05.json")["offers"]
    a100_pcie = per_gpu_prices(offers, ["A100 PCIE"])
    assert max(a100_pcie) > 39  # the real $40 offer is inside the band...
    med, p25, p75 = summarise(a100_pcie)
    assert 1.0 < med < 1.5 and p25 <= med <= p75 < 2  # ...and barely moves the median or the IQR
    v100 = per_gpu_prices(offers, ["Tesla V100"])
    raw_v100 = [o["dph_total"] / o["num_gpus"] for o in offers if o["gpu_name"] == "Tesla V100"]
    assert min(raw_v100) < 0.05 and min(v100) >= 0.05  # $0.02 V100s dropped before the median
    # 80 GB filter: only the 80 GB PCIe cards pass a ram floor
    assert len(per_gpu_prices(offers, ["A100 PCIE"], min_ram_mb=79_000)) == 27


def test_vast_transform_skips_unrentable_and_malformed():
    feed = VastAIFeed(base_url="http://x", method="all")
    offers = [
        {"gpu_name": "H100 SXM", "num_gpus": 2, "dph_total": 4.0, "rentable": True, "rented": False},
        {"gpu_name": "H100 SXM", "num_gpus": 1, "dph_total": 9.0, "rentable": False},
        {"gpu_name": "H100 SXM", "num_gpus": 1, "dph_total": 9.0, "rented": True},
        {"gpu_name": "H100 SXM", "num_gpus": 0, "dph_total": 9.0},
        {"gpu_name": "H100 SXM", "num_gpus": 1, "dph_total": "2.5"},
        {"gpu_name": "H100 SXM", "num_gpus": 1, "dph_total": 3.0},
        "junk",
    ]
    q = feed.transform("H100 SXM", offers, ["H100 SXM"])
    assert (q.price, q.n_offers, q.p25, q.p75) == (2.5, 2, 2.25, 2.75)  # linear quartiles of [2, 3]
    assert feed.transform("H100 SXM", [], ["H100 SXM"]) is None


def test_vast_config():
    feed = VastAIFeed.from_config({"skus": ["H100 SXM"], "verified_only": True, "interval": 10}, FeedContext())
    assert feed.skus == ["H100 SXM"] and feed.verified_only and feed.interval == 60.0
    with pytest.raises(ConfigError):
        VastAIFeed.from_config({"skus": ["GB200"]}, FeedContext())


# ----------------------------------------------------------------- RunPod
async def test_runpod_secure_price_from_recording(server, fx):
    server.route("/graphql", server.Reply(body=fx.json("runpod-gputypes.json")), "POST")
    feed = RunPodFeed(base_url=server.url, **FAST)
    obs = await feed.poll()
    await feed.aclose()
    prices = {(o.sku, o.provider): o.price for o in obs}
    assert prices == {("H100 SXM", "runpod"): 3.29, ("H200", "runpod"): 4.59, ("B200", "runpod"): 6.79}
    assert all(o.tier == "neocloud_list" for o in obs)
    assert server.requests[0].json()["query"].startswith("query { gpuTypes")


def test_runpod_community_and_zero_is_absent(fx):
    payload = fx.json("runpod-gputypes.json")
    got = extract_prices(payload, community=True)
    assert ("H100 SXM", "runpod-community", 2.69) in got
    payload["data"]["gpuTypes"].append({"id": "NVIDIA A100-SXM4-80GB", "securePrice": 0, "communityPrice": None})
    assert not any(s == "A100 80GB" for s, _, _ in extract_prices(payload, community=True))
    # the 40 GB A100 (securePrice 0, communityPrice 1) is a different product: never mapped
    assert all(s != "A100 80GB" for s, _, _ in got)


# ----------------------------------------------------------------- Azure
async def test_azure_h100_from_recording(server, fx):
    server.route("/api/retail/prices", server.Reply(body=fx.json("azure-retail-prices-nd96isr-h100-v5-eastus.json")))
    feed = AzureFeed(base_url=server.url, **FAST)
    obs = await feed.poll()
    await feed.aclose()
    assert [(o.sku, o.price, o.raw_price, o.divisor) for o in obs] == [("H100 SXM", 12.29, 98.32, 8)]
    assert obs[0].tier == "hyperscaler_list" and obs[0].provider == "azure"
    flt = server.requests[0].query["$filter"][0]
    assert "armRegionName eq 'eastus'" in flt and "Standard_ND96isr_H100_v5" in flt


async def test_azure_follows_next_page_link(server, fx):
    page1 = fx.json("azure-retail-prices-nd96isr-h100-v5-eastus.json")
    page1["NextPageLink"] = "https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview&$skip=100"
    page2 = {"BillingCurrency": "USD", "Count": 2, "NextPageLink": None, "Items": [
        {**page1["Items"][0], "armSkuName": "Standard_ND128isr_NDR_GB200_v6", "retailPrice": 108.16,
         "productName": "Virtual Machines ND GB200 v6 Series"},
        {**page1["Items"][0], "armSkuName": "Standard_ND96amsr_A100_v4", "retailPrice": 32.77,
         "productName": "Virtual Machines NDasr A100 v4 Series Windows"},
    ]}

    def handle(seen):
        return server.Reply(body=page2 if "$skip" in seen.query else page1)

    server.route("/api/retail/prices", handle)
    feed = AzureFeed(base_url=server.url, **FAST)
    obs = await feed.poll()
    await feed.aclose()
    assert {o.sku: o.price for o in obs} == {"H100 SXM": 12.29, "GB200": 27.04}  # A100 row was Windows
    assert len(server.requests) == 2 and server.requests[1].query["$skip"] == ["100"]


def test_azure_drops_windows_spot_low_priority(fx):
    items = fx.json("azure-retail-prices-nd96isr-h100-v5-eastus.json")["Items"]
    picked = pick_prices(items, "eastus")
    assert {k: v[0] for k, v in picked.items()} == {"Standard_ND96isr_H100_v5": 98.32}
    assert pick_prices([i for i in items if i["retailPrice"] != 98.32]) == {}


# ----------------------------------------------------------------- AWS (constructed fixture)
async def test_aws_from_constructed_fixture(server, fx):
    path = ("/pricing/2.0/meteredUnitMaps/ec2/USD/current/ec2-ondemand-without-sec-sel/"
            "US%20East%20(N.%20Virginia)/Linux/index.json")
    server.route(path, server.Reply(body=fx.json("aws-ec2-ondemand-linux-us-east-1.CONSTRUCTED.json")))
    feed = AWSFeed(base_url=server.url, **FAST)
    obs = await feed.poll()
    await feed.aclose()
    got = {o.sku: (o.price, o.raw_price, o.divisor) for o in obs}
    assert got["H100 SXM"] == (6.88, 55.04, 8)  # the Shared row, not the Dedicated one
    assert got["B200"] == (14.24, 113.92, 8)
    assert set(got) == {"H100 SXM", "H200", "B200", "A100 80GB"}  # p4d (40 GB) and g5 not mapped
    assert all(o.tier == "hyperscaler_list" and o.provider == "aws" for o in obs)


def test_aws_extract_ignores_nesting():
    doc = {"anything": [{"deeper": {"Instance Type": "p5.48xlarge", "price": "55.0400000000"}}],
           "x": {"Instance Type": "p5.48xlarge", "price": "70", "Operating System": "Windows"}}
    assert extract(doc) == {"p5.48xlarge": 55.04}
    assert extract({"Instance Type": "p5.48xlarge", "price": "n/a"}) == {}
    assert extract(json.loads("[]")) == {}
