"""Build ``gpu_prices.csv``: a deterministic DAILY sample price history, 2023-01-01 → 2026-10-31.

Why a script and not a recording: no free source gives years of daily per-GPU rents for
every tier, so the demo plays a *sample* built from the public waypoints listed in
/work/shared/reference/data-sources.md ("Price history for realistic sample data" and the
Aug 2026 snapshot) plus a few recorded fixtures. Anyone can read below exactly which
numbers are anchors and which are interpolated, and rebuild the file byte for byte:

    python sample_data/build_prices.py            # writes sample_data/gpu_prices.csv

Rules followed: marketplace (Vast.ai) moves daily with noise and carries an offer count;
list prices (neocloud, hyperscaler) move only in steps; an SKU appears only from its
launch; tiers are never mixed. Values between anchors are interpolated or scaled, and are
sample data, not observations.
"""

from __future__ import annotations

import csv
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np

SEED = 20260831
FIRST, LAST = date(2023, 1, 1), date(2026, 10, 31)
SOURCE = "sample: built from public waypoints (data-sources.md)"
CRI_SOURCE = "CRI-H100 published index, CC BY 4.0 (fixtures/indices/cri-h100-index.csv)"

# --- Marketplace (Vast.ai) H100 SXM median, $/GPU-h: (date, value) anchors -------------
# 2023: on-demand $4.70 rising to over $8; under $2 on marketplaces by late 2024; a low
# near $1.70 in Oct 2025; Vast median $1.60–1.74 in Mar 2026 (CRI-H100); Vast 1.34 in the
# Aug 2026 snapshot. Dates between anchors are linear interpolation (sample shape).
H100_MARKET = [
    (date(2023, 1, 1), 4.70),
    (date(2023, 8, 1), 8.10),
    (date(2023, 12, 31), 5.60),
    (date(2024, 6, 30), 3.10),
    (date(2024, 11, 30), 1.95),
    (date(2025, 6, 30), 1.85),
    (date(2025, 10, 15), 1.70),
    (date(2026, 3, 5), 1.67),
    (date(2026, 8, 15), 1.34),
    (date(2026, 10, 31), 1.38),
]
# Other SKUs on the marketplace = H100 curve × a ratio. H200 and A100 ratios are the
# same-day medians in fixtures/vast/bundles-2026-03-05.json (H200 2.452, A100 PCIE 1.201,
# H100 SXM 1.468; A100 PCIE stands in for A100 80GB). B200: Lambda list B200 6.69 ÷ H100 3.99.
# A100 in 2023 (H100 scarce, A100 plentiful) is set at the CoreWeave card ratio 2.70 ÷ 6.155
# and moves linearly to the 2026 fixture ratio: a sample shape, not a recording.
MARKET_RATIO: dict[str, list[tuple[date, float]]] = {
    "H100 SXM": [(FIRST, 1.0)],
    "H200": [(FIRST, 2.452 / 1.468)],
    "B200": [(FIRST, 6.69 / 3.99)],
    "A100 80GB": [(FIRST, 2.70 / 6.155), (date(2026, 3, 5), 1.201 / 1.468)],
}
# Launch on the marketplace (brief: H200 ~2024, B200 ~2025-03; no GB200 on Vast).
MARKET_LAUNCH = {"H100 SXM": FIRST, "A100 80GB": FIRST, "H200": date(2024, 6, 1), "B200": date(2025, 3, 1)}
# Mean offer count (Poisson), rising linearly over the period; fixture had 26 H100 SXM, 27 H200.
OFFERS = {"H100 SXM": (12, 40), "H200": (6, 30), "B200": (3, 14), "A100 80GB": (45, 35)}

# --- List prices: (provider, sku) -> [(from date, price)] steps -------------------------
# CoreWeave rate card (2026): only the current card is public, so each SKU stays at it from
# its launch (no invented history). AWS p5 H100: $98.32/8 = 12.29, cut 44% in June 2025 to
# $55.04/8 = 6.88; p6-b200 14.24. Azure ND H100 v5 eastus $98.32/8 = 12.29 (fixture, still
# 12.29 in Sep 2026; 11.06 is another region, not modelled); Azure GB200 27.04.
LIST_STEPS: dict[tuple[str, str, str], list[tuple[date, float]]] = {
    ("neocloud_list", "coreweave", "H100 SXM"): [(FIRST, 6.155)],
    ("neocloud_list", "coreweave", "A100 80GB"): [(FIRST, 2.70)],
    ("neocloud_list", "coreweave", "H200"): [(date(2024, 8, 1), 6.305)],
    ("neocloud_list", "coreweave", "B200"): [(date(2025, 3, 1), 8.60)],
    ("neocloud_list", "coreweave", "GB200"): [(date(2025, 6, 1), 10.50)],
    ("hyperscaler_list", "aws", "H100 SXM"): [(date(2023, 7, 26), 12.29), (date(2025, 6, 1), 6.88)],
    ("hyperscaler_list", "aws", "B200"): [(date(2025, 5, 15), 14.24)],
    ("hyperscaler_list", "azure", "H100 SXM"): [(date(2023, 8, 7), 12.29)],
    ("hyperscaler_list", "azure", "GB200"): [(date(2025, 7, 1), 27.04)],
}
# RunPod and Lambda: anchored at their Aug 2026 prices (RunPod fixture securePrice; Lambda
# from the snapshot), earlier steps = anchor × a market multiplier that follows the
# waypoints (2023 shortage, 2024–25 slide, the 30–40% rebound of H1 2026). Sample shape.
NEO_ANCHOR = {
    ("runpod", "H100 SXM"): (date(2023, 3, 1), 3.29),
    ("runpod", "H200"): (date(2024, 9, 1), 4.59),
    ("runpod", "B200"): (date(2025, 4, 1), 6.79),
    ("lambda", "H100 SXM"): (date(2023, 5, 1), 3.99),
    ("lambda", "B200"): (date(2025, 6, 1), 6.69),
}
NEO_MULT = [
    (FIRST, 1.40), (date(2023, 7, 1), 1.50), (date(2024, 1, 1), 1.30), (date(2024, 7, 1), 1.05),
    (date(2025, 1, 1), 0.90), (date(2025, 7, 1), 0.80), (date(2025, 10, 1), 0.75),
    (date(2026, 2, 1), 0.90), (date(2026, 4, 1), 1.00),
]
# Index: Silicon Data SDH100RT 2.50 → 2.81 over Apr–Oct 2026 (published range).
SDH_FROM, SDH_TO = (date(2026, 4, 1), 2.50), (LAST, 2.81)
# CRI-H100 starts Feb/Mar 2026; sample = 7-day median of the sample Vast H100 series,
# except the two published values, which are copied as they are.
CRI_FROM = date(2026, 3, 1)
CRI_PUBLISHED = {date(2026, 3, 5): 1.6021, date(2026, 3, 6): 1.735}


def _days() -> list[date]:
    return [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


def _interp(days: list[date], anchors: list[tuple[date, float]]) -> np.ndarray:
    x = np.array([d.toordinal() for d in days], dtype=float)
    return np.interp(x, [a.toordinal() for a, _ in anchors], [v for _, v in anchors])


def _step(d: date, steps: list[tuple[date, float]]) -> float | None:
    value = None
    for start, v in steps:
        if d >= start:
            value = v
    return value


def build() -> list[tuple[str, str, str, str, str, str, str]]:
    rng = np.random.default_rng(SEED)
    days = _days()
    n = len(days)
    base = _interp(days, H100_MARKET)
    rows: list[tuple[date, int, str, str, str, float, int | None, str]] = []
    order = {"marketplace": 0, "neocloud_list": 1, "hyperscaler_list": 2, "index": 3}
    sku_order = {"H100 SXM": 0, "H200": 1, "B200": 2, "GB200": 3, "A100 80GB": 4}
    vast_h100 = np.full(n, np.nan)
    for sku, launch in MARKET_LAUNCH.items():
        noise = np.zeros(n)  # AR(1) in log space: daily wiggle that drifts a little
        eps = rng.normal(0.0, 0.022, n)
        for i in range(1, n):
            noise[i] = 0.85 * noise[i - 1] + eps[i]
        curve = base * _interp(days, MARKET_RATIO[sku]) * np.exp(noise)
        lo, hi = OFFERS[sku]
        lam = np.linspace(lo, hi, n)
        offers = rng.poisson(lam)
        for i, d in enumerate(days):
            if d < launch:
                continue
            age = (d - launch).days
            k = max(2, int(offers[i] * min(1.0, 0.25 + age / 120)))  # thin supply just after launch
            rows.append((d, 0, sku, "marketplace", "vast.ai", round(float(curve[i]), 4), k, SOURCE))
            if sku == "H100 SXM":
                vast_h100[i] = curve[i]
    for (tier, provider, sku), steps in LIST_STEPS.items():
        for d in days:
            v = _step(d, steps)
            if v is not None:
                rows.append((d, order[tier], sku, tier, provider, v, None, SOURCE))
    for (provider, sku), (launch, anchor) in NEO_ANCHOR.items():
        for d in days:
            mult = _step(d, NEO_MULT)
            if d >= launch and mult is not None:
                rows.append((d, 1, sku, "neocloud_list", provider, round(anchor * mult, 2), None, SOURCE))
    sdh = _interp(days, [SDH_FROM, SDH_TO])
    for i, d in enumerate(days):
        if d >= SDH_FROM[0]:
            rows.append((d, 3, "H100 SXM", "index", "sdh100rt", round(float(sdh[i]), 4), None, SOURCE))
        if d >= CRI_FROM:
            if d in CRI_PUBLISHED:
                rows.append((d, 3, "H100 SXM", "index", "cri-h100", CRI_PUBLISHED[d], None, CRI_SOURCE))
            else:
                win = vast_h100[max(0, i - 6): i + 1]
                rows.append((d, 3, "H100 SXM", "index", "cri-h100", round(float(np.median(win)), 4), None, SOURCE))
    rows.sort(key=lambda r: (r[0], r[1], sku_order[r[2]], r[4]))
    return [
        (d.isoformat(), sku, tier, prov, f"{price:g}", "" if k is None else str(k), src)
        for d, _, sku, tier, prov, price, k, src in rows
    ]


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "gpu_prices.csv"
    rows = build()
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["date", "sku", "tier", "provider", "price", "n_offers", "source"])
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
