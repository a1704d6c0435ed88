"""Find feeds: the built-in ones and third-party plugins.

Plugins register a :class:`feeds.base.Feed` subclass under the entry-point group
``gpurisk.feeds`` (``name = "package.module:FeedClass"``). Built-ins are listed
here by import path and loaded only when used, so the sample dashboard never pays
for importing httpx. A plugin that fails to import is reported, not fatal.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .base import Feed

ENTRY_POINT_GROUP = "gpurisk.feeds"

#: name -> "module:Class" for feeds shipped with gpurisk.
BUILTIN: dict[str, str] = {
    "replay": "feeds.replay:ReplayFeed",
    "sample_financials": "feeds.sample:SampleFinancialsFeed",
    "sample_customers": "feeds.sample:SampleCustomersFeed",
    "sample_rates": "feeds.sample:SampleRatesFeed",
    "sample_equity": "feeds.sample_equity:SampleEquityFeed",
    "vastai": "feeds.vastai:VastAIFeed",
    "runpod": "feeds.runpod:RunPodFeed",
    "azure": "feeds.azure:AzureFeed",
    "aws": "feeds.aws:AWSFeed",
    "fred": "feeds.fred:FredFeed",
    "csv": "feeds.csv_feed:CSVFeed",
    "http_json": "feeds.http_json:HTTPJSONFeed",
    "sec_edgar": "feeds.sec_edgar:SECEdgarFeed",
    "sec_peers": "feeds.sec_peers:SECPeersFeed",
    "sample_peers": "feeds.sec_peers:SamplePeersFeed",
    "disclosures": "feeds.sample:DisclosuresFeed",
    "assumptions": "feeds.sample:AssumptionsFeed",
    "equity": "feeds.equity:EquityFeed",
    "tiingo": "feeds.tiingo:TiingoFeed",
    "finra_trace": "feeds.finra_trace:FinraTraceFeed",
    "note_fair_values": "feeds.sample:NoteFairValueFeed",
}


@dataclass(frozen=True)
class FeedInfo:
    name: str
    target: str  # "module:Class"
    origin: str  # "built-in" or the distribution that provides the plugin
    error: str = ""

    def load(self) -> type[Feed]:
        module, _, attr = self.target.partition(":")
        cls = getattr(importlib.import_module(module), attr)
        if not (isinstance(cls, type) and issubclass(cls, Feed)):
            raise TypeError(f"{self.target} is not a gpurisk Feed")
        return cls


def discover() -> dict[str, FeedInfo]:
    """Every feed we know of, plugins after built-ins (a plugin cannot shadow a built-in)."""
    from importlib.metadata import entry_points  # scanning installed packages costs ~25 ms: only when asked

    found = {name: FeedInfo(name, target, "built-in") for name, target in BUILTIN.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found:
            continue
        dist = getattr(getattr(ep, "dist", None), "name", None) or "plugin"
        found[ep.name] = FeedInfo(ep.name, ep.value, f"plugin ({dist})")
    return found


def load(name: str) -> type[Feed]:
    info = discover().get(name)
    if info is None:
        raise KeyError(name)
    return info.load()
