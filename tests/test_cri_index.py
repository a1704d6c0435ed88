"""feeds.cri_index: the CRI daily filter, the outlier rule and the 7-day index, on
hand-computed cases and on the CRI-H100's own published daily snapshots."""

from __future__ import annotations

import csv
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from feeds.cri_index import (
    DayPool,
    count_text,
    cri_filter,
    daily_figure,
    remove_outliers,
    trimmed_mean,
    weekly_index,
)

INDEX_CSV = Path(__file__).resolve().parent / "fixtures" / "feeds" / "cri-h100-index.csv"


# ------------------------------------------------------------------ outliers
def test_trimmed_mean_drops_ten_percent_each_end_at_least_one():
    assert trimmed_mean(list(range(1, 11))) == 5.5  # drop 1 and 10: mean of 2..9
    assert trimmed_mean(list(range(20, 0, -1))) == 10.5  # 20 values: drop two each end -> mean of 3..18
    assert trimmed_mean([1.0, 2.0, 30.0]) == 2.0  # under 10 values one still goes at each end
    assert trimmed_mean([1.0, 3.0]) == 2.0  # nothing would remain: the plain mean
    with pytest.raises(ValueError):
        trimmed_mean([])


def test_remove_outliers_by_hand():
    # mean 1.9, sample sd sqrt(72.9 / 9) = 2.846, 2.5 sd = 7.115; trimmed mean 1.0; |10 - 1| = 9 > 7.115
    assert remove_outliers([1.0] * 9 + [10.0]) == [1.0] * 9
    # four values: sd 4.5, 2.5 sd = 11.25, trimmed mean 1.0; |10 - 1| = 9 stays (a small sample masks it)
    assert remove_outliers([1.0, 1.0, 1.0, 10.0]) == [1.0, 1.0, 1.0, 10.0]
    assert remove_outliers([1.0, 1.0, 50.0]) == [1.0, 1.0, 50.0]  # under 4 values: not applied
    assert remove_outliers([2.0] * 6) == [2.0] * 6  # no spread
    # ten values: sd 0.966 (2.5 sd = 2.415) around a trimmed mean of 0.125: 3.0 goes, 1.0 stays
    xs = [0.0] * 8 + [1.0, 3.0]
    sd = math.sqrt(sum((x - 0.4) ** 2 for x in xs) / 9)  # mean 0.4
    centre = trimmed_mean(xs)  # drop one 0 and 3.0 -> 1/8
    assert abs(3.0 - centre) > 2.5 * sd and remove_outliers(xs) == xs[:-1]
    edge = [0.0, 0.0, 0.0, 0.0, 4.0]  # sd 1.789 (2.5 sd = 4.47), trimmed mean 0: 4.0 stays
    sd_e, c_e = math.sqrt(sum((x - 0.8) ** 2 for x in edge) / 4), trimmed_mean(edge)
    assert abs(4.0 - c_e) < 2.5 * sd_e and remove_outliers(edge) == edge


# ------------------------------------------------------------------ daily figure
def test_daily_figure_median_iqr_and_low_confidence():
    fig = daily_figure([4.0, 1.0, 3.0, 2.0, 0.0, -1.0, float("nan"), True])  # non-prices ignored
    assert (fig.median, fig.n, fig.p25, fig.p75) == (2.5, 4, 1.75, 3.25) and fig.low_confidence
    assert not daily_figure([float(i) for i in range(1, 11)]).low_confidence
    assert daily_figure([]) is None and daily_figure([0.0]) is None
    assert daily_figure([2.0]).p25 == daily_figure([2.0]).p75 == 2.0


def test_cri_filter_each_reason_by_hand():
    now = datetime(2026, 3, 5, 12, tzinfo=UTC)
    fresh = now.timestamp() - 86400

    def offer(**kw):
        o = {"id": len(kw), "gpu_name": "H100 SXM", "num_gpus": 2, "dph_total": 4.0, "rentable": True,
             "rented": False, "geolocation": "Texas, US", "reliability2": 0.95, "start_date": fresh,
             "gpu_ram": 81559}
        o.update(kw)
        return o

    offers = [
        offer(id=1),  # kept: 2.0
        offer(id=2, dph_total=5.0, num_gpus=3),  # kept: round(5/3, 6)
        offer(id=1),  # the same listing twice: once
        offer(id=3, gpu_name="H100 PCIE"),  # another model: not even "returned"
        offer(id=4, rented=True),
        offer(id=5, geolocation="Taiwan, TW"),
        offer(id=6, geolocation="US"),  # must end with ", US"
        offer(id=7, reliability2=0.8999),
        offer(id=8, reliability2=0.90),  # kept: the bound is inclusive
        offer(id=9, num_gpus=0),
        offer(id=10, dph_total=0.0),
        offer(id=11, start_date=now.timestamp() - 7 * 86400 - 1),
        offer(id=12, start_date=None),
        offer(id=13, gpu_ram=40960),
        "junk",
    ]
    kept, counts = cri_filter(offers, ["H100 SXM"], 79_000, now)
    assert kept == {"1": 2.0, "2": 1.666667, "8": 2.0}
    assert counts == {"returned": 13, "memory": 1, "rented": 1, "geo": 2, "reliability": 1, "malformed": 2,
                      "stale": 2, "unverified": 0, "kept": 3}
    assert count_text(counts) == ("13 returned, 1 below the memory floor, 1 rented, 2 outside the US, "
                                  "1 reliability < 0.90, 2 malformed, 2 not listed in the last 7 days, "
                                  "1 duplicate, 3 kept")
    kept_v, _ = cri_filter([offer(id=1, verification="unverified"), offer(id=2)], ["H100 SXM"], 0, now, True)
    assert list(kept_v) == ["2"]


# ------------------------------------------------------------------ weekly index
END = date(2026, 3, 8)
DAYS = {
    date(2026, 3, 1): [5.0] * 8,  # outside the window 03-02..03-08
    date(2026, 3, 2): [2.0] * 4 + [2.2] * 4,  # used, nothing removed
    date(2026, 3, 5): [3.0] * 7,  # fewer than 8 observations: left out
    date(2026, 3, 8): [1.0] * 9 + [10.0],  # used, the 10.0 removed
}


def test_weekly_index_by_hand():
    res = weekly_index(DAYS, END)
    # pool: nine 1.0, four 2.0, four 2.2 -> the 9th of 17 is 1.0. With the outlier kept it would be
    # 1.5; with 03-05 counted 2.0; with 03-01 counted 2.0.
    assert (res.value, res.n_obs, res.n_days, res.n_removed) == (1.0, 17, 2, 1)
    assert (res.window_start, res.window_end) == (date(2026, 3, 2), END)
    assert res.low_confidence  # fewer than 3 days
    only_big = weekly_index(DAYS, END, min_day_obs=10)
    assert (only_big.value, only_big.n_obs, only_big.n_days) == (1.0, 9, 1)
    assert weekly_index({}, END) is None
    assert weekly_index({END: [2.0] * 7}, END) is None
    three = weekly_index({END - timedelta(days=d): [2.0 + d / 10] * 8 for d in range(3)}, END)
    assert (three.value, three.n_days, three.low_confidence) == (2.1, 3, False)


def _published():
    with INDEX_CSV.open(newline="") as fh:
        return {r["publication_date"]: r for r in csv.DictReader(fh)}


# The CRI-H100 project's daily filtered snapshots of H100 SXM (US) offers, column dph_per_gpu of
# data/h100-sxm-us/<date>.csv in github.com/ccir-index/cri-h100 (data CC BY 4.0, CCIR).
CCIR_DAILY = {
    date(2026, 2, 26): [1.564444, 1.537037, 1.444741, 1.601111, 1.600556, 1.869444, 1.868056, 1.868889],
    date(2026, 2, 27): [1.562222, 1.564444, 1.537037, 1.554444, 1.561111, 1.555185, 1.601389, 1.601111, 1.872222,
                        1.869444, 2.202222, 2.201111, 1.868056, 2.200556, 2.133611, 2.000278],
    date(2026, 2, 28): [1.564444, 1.562222, 1.867926, 1.867296, 2.201111, 2.268889, 2.200556, 2.000278],
    date(2026, 3, 1): [1.564444, 1.554444, 1.562222, 1.555185, 1.602778, 1.601389, 1.601111, 1.867296, 2.268889,
                       2.267778, 2.066944, 2.267222],
    date(2026, 3, 2): [1.564444, 1.537037, 1.601111, 2.133611],
    date(2026, 3, 3): [1.557037, 1.555185, 1.601111, 1.868889, 1.601389, 2.133611],
    date(2026, 3, 4): [1.601111, 1.868889, 1.600556, 2.202222, 2.201111, 2.200556, 2.066944],
    date(2026, 3, 5): [1.537037, 1.554444, 1.867926, 1.867296, 2.268889, 2.133611, 2.267778, 2.267222],
}


def test_reproduces_the_published_cri_h100_values():
    pub = _published()
    # 2026-03-06 publication (methodology 1.1.1: days need 8 observations), window 02-26..03-04
    row = pub["2026-03-06"]
    res = weekly_index(CCIR_DAILY, date.fromisoformat(row["window_end"]))
    assert res.window_start == date.fromisoformat(row["window_start"])
    assert (res.value, res.n_obs, res.n_days) == (float(row["cri_h100"]), int(row["total_observations"]),
                                                   int(row["valid_days"]))
    assert res.low_confidence == (row["low_confidence"] == "True")
    # 2026-03-05 publication: the first one, made when a day still needed 10 observations
    row = pub["2026-03-05"]
    res = weekly_index(CCIR_DAILY, date.fromisoformat(row["window_end"]), min_day_obs=10)
    assert (res.value, res.n_obs, res.n_days, res.low_confidence) == (1.6021, 28, 2, True)
    assert (res.value, res.n_obs, res.n_days) == (float(row["cri_h100"]), int(row["total_observations"]),
                                                   int(row["valid_days"]))


# ------------------------------------------------------------------ pool
def test_day_pool_replaces_a_day_bounds_days_and_round_trips(tmp_path):
    path = tmp_path / "pool.json"
    pool = DayPool(path, max_days=3)
    d0 = date(2026, 3, 1)
    pool.record("H100 SXM", d0, {"a": 1.0, "b": 2.0})
    pool.record("H100 SXM", d0, {"a": 1.5})  # a later poll the same day replaces it ("b" was delisted)
    assert pool.prices("H100 SXM") == {d0: [1.5]}
    for i in range(1, 4):
        pool.record("H100 SXM", d0 + timedelta(days=i), {"a": float(i)})
    assert sorted(pool.prices("H100 SXM")) == [d0 + timedelta(days=i) for i in (1, 2, 3)]
    assert pool.save() and DayPool(path, max_days=3).prices("H100 SXM") == pool.prices("H100 SXM")
    pool.record("H200", d0, {"x": 2.5})
    assert DayPool(path).prices("H200") == {}  # not saved yet
    pool.save()
    assert DayPool(path).prices("H200") == {d0: [2.5]}
    assert DayPool(None).save() and DayPool(None).prices("H100 SXM") == {}


def test_day_pool_ignores_bad_entries_and_files(tmp_path):
    path = tmp_path / "pool.json"
    path.write_text('{"version": 1, "skus": {"H100 SXM": {"2026-03-01": {"a": 2.0, "b": "x", "c": -1},'
                    ' "not a date": {"a": 1.0}, "2026-03-02": []}, "H200": 7}}')
    pool = DayPool(path)
    assert pool.prices("H100 SXM") == {date(2026, 3, 1): [2.0]} and pool.error == ""
    path.write_text('{"version": 99, "skus": {}}')
    assert DayPool(path).error == "state file ignored (unknown format)"
    assert DayPool(tmp_path / "missing.json").error == ""
